"""The whole review on the synthetic sample corpus: the output contract of issue 2."""

from __future__ import annotations

import re

import pandas as pd
import pdfplumber
import pypdfium2

from pipeline.config import Paths
from pipeline.storage import read_table


def _manifest(paths: Paths) -> pd.DataFrame:
    return read_table(paths.manifest)


def test_manifest_has_one_row_per_pdf_with_hashes(reviewed: Paths) -> None:
    manifest = _manifest(reviewed)
    pdfs = sorted(p.relative_to(reviewed.raw).as_posix() for p in reviewed.raw.rglob("*.pdf"))
    assert sorted(manifest["file"]) == pdfs
    assert (manifest["plan_id"] == manifest["file"].map(lambda f: f.rsplit("/", 1)[-1][:-4])).all()
    assert manifest["sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert set(manifest["cycle"]) == {"2020-23", "2023-26"}


def test_one_score_row_per_reviewed_plan(reviewed: Paths) -> None:
    manifest = _manifest(reviewed)
    scores = read_table(reviewed.processed / "plan_scores.csv")
    reviewed_ids = sorted(manifest.loc[manifest["status"] != "failed", "plan_id"])
    assert sorted(scores["plan_id"]) == reviewed_ids
    parquet = pd.read_parquet(reviewed.processed / "plan_scores.parquet")
    assert list(parquet["plan_id"]) == list(scores["plan_id"])


def test_counts_sum_to_number_of_plans(reviewed: Paths) -> None:
    scores = read_table(reviewed.processed / "plan_scores.csv")
    counts = read_table(reviewed.processed / "counts_criterion10.csv")
    number_columns = counts.select_dtypes("number")
    assert int(number_columns.to_numpy().sum()) == len(scores)
    summary = (reviewed.reports / "summary.md").read_text(encoding="utf-8")
    for rating, n in scores["criterion10"].value_counts().items():
        assert str(n) in summary, rating


def _page_text(pdf_path, page_number: int) -> str:
    with pdfplumber.open(pdf_path) as pdf:
        page = pdf.pages[page_number - 1]
        try:
            return page.dedupe_chars().extract_text() or ""
        finally:
            page.close()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]{4,}", text.lower())


def test_every_rating_cites_a_passage_on_a_real_page(reviewed: Paths) -> None:
    manifest = _manifest(reviewed).set_index("plan_id")
    scores = read_table(reviewed.processed / "plan_scores.csv")
    evidence = read_table(reviewed.processed / "evidence.csv")
    cited = 0
    for row in scores.itertuples(index=False):
        for judgement, empty in (
            ("criterion10", "not_met"),
            ("third_sector", "none"),
            ("advocacy", "no"),
        ):
            if getattr(row, judgement) == empty:
                continue
            rows = evidence[
                (evidence["plan_id"] == row.plan_id) & (evidence["judgement"] == judgement)
            ]
            assert len(rows), f"{row.plan_id}: {judgement}={getattr(row, judgement)} cites nothing"
            pdf_path = reviewed.raw / manifest.loc[row.plan_id, "file"]
            with pypdfium2.PdfDocument(pdf_path) as pdf:
                n_pages = len(pdf)
            for ev in rows.itertuples(index=False):
                assert 1 <= ev.page <= n_pages
            # The first cited passage really is on the cited page (or an OCR'd page).
            ev = rows.iloc[0]
            page_words = set(_words(_page_text(pdf_path, int(ev.page))))
            passage_words = _words(ev.text)[:12]
            if page_words:
                found = sum(w in page_words for w in passage_words)
                assert found >= 0.7 * len(passage_words), (row.plan_id, ev.page, ev.text)
            cited += 1
    assert cited > 0


def test_image_only_page_is_recorded_not_lost(reviewed: Paths) -> None:
    manifest = _manifest(reviewed)
    with_scans = manifest[manifest["pages_without_text"] > 0]
    assert len(with_scans) >= 1
    assert (with_scans["status"] == "warning").all()
    assert with_scans["reason"].str.contains("text layer").all()
    blocks = read_table(reviewed.blocks)
    ocr_plans = set(blocks.loc[blocks["source"] == "ocr", "plan_id"])
    # With OCR the page's words come back; without it the warning says the text was lost.
    for row in with_scans.itertuples(index=False):
        assert row.plan_id in ocr_plans or "lost" in row.reason


def test_report_files_exist_and_say_synthetic(reviewed: Paths) -> None:
    html = (reviewed.reports / "summary.html").read_text(encoding="utf-8")
    md = (reviewed.reports / "summary.md").read_text(encoding="utf-8")
    for text in (html, md):
        assert "synthetic" in text.lower()
    assert re.search(r"<img[^>]+src=\"[^\"]+\.(svg|png)\"", html) or "<svg" in html
    assert (reviewed.reports / "csp_review.xlsx").exists()


def test_a_second_run_leaves_processed_tables_byte_identical(
    reviewed: Paths, tmp_path_factory
) -> None:
    """Same input, same output: time stamps live only in reports/run_log.json."""
    import filecmp

    from pipeline.excerpt import run_excerpts
    from pipeline.ingest import run_ingest
    from pipeline.report import run_report
    from pipeline.score import run_score
    from pipeline.segment import run_segment
    from pipeline.tag import run_tag
    from pipeline.third_sector import run_areas

    root = tmp_path_factory.mktemp("second_run")
    again = Paths(
        raw=reviewed.raw,
        interim=root / "interim",
        processed=root / "processed",
        reports=root / "reports",
        models=reviewed.models,
        reviewer=reviewed.reviewer,
        labels=reviewed.labels,
    )
    run_ingest(again, workers=1)
    run_segment(again)
    run_tag(again)
    run_score(again)
    run_excerpts(again)
    run_areas(again)
    run_report(again)
    first = sorted(p.name for p in reviewed.processed.iterdir())
    second = sorted(p.name for p in again.processed.iterdir())
    assert first == second
    _, mismatch, errors = filecmp.cmpfiles(
        reviewed.processed, again.processed, first, shallow=False
    )
    assert mismatch == [] and errors == []
