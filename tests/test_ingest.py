"""Ingest on PDFs rendered here: reading order, furniture removal, tables, hyphens, OCR."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
from ingest_pdfs import FOOTER, HEADER, TABLE, layout_pdf, plain_pdf

from pipeline import schemas
from pipeline.config import Paths
from pipeline.ingest import discover, run_ingest
from pipeline.ingest.ocr import tesseract_version
from pipeline.ingest.settings import load_settings


def _paths(root: Path) -> Paths:
    return Paths(raw=root / "raw", interim=root / "interim", processed=root / "processed")


@pytest.fixture(scope="module")
def designed(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    root = tmp_path_factory.mktemp("designed")
    (root / "raw" / "2023-26").mkdir(parents=True)
    layout_pdf(root / "raw" / "2023-26" / "northvale-2023-26.pdf")
    paths = _paths(root)
    manifest = run_ingest(paths, workers=1)
    return manifest, pd.read_parquet(paths.blocks)


def _page(blocks: pd.DataFrame, page: int) -> pd.DataFrame:
    return blocks[blocks["page"] == page].sort_values("block")


def test_tables_follow_their_contracts(designed: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    manifest, blocks = designed
    schemas.validate(manifest, schemas.MANIFEST)
    schemas.validate(blocks, schemas.BLOCKS)
    row = manifest.iloc[0]
    assert (row["plan_id"], row["cycle"], row["area"]) == (
        "northvale-2023-26",
        "2023-26",
        "Northvale",
    )
    assert row["pages"] == 4


def test_two_columns_are_read_left_then_right(designed: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, blocks = designed
    page = _page(blocks, 1)
    text = "\n".join(page["text"])
    order = [
        text.index(f"{name} {n}:")
        for name, n in [
            ("Alpha", "one"),
            ("Alpha", "two"),
            ("Alpha", "three"),
            ("Bravo", "one"),
            ("Bravo", "two"),
            ("Bravo", "four"),
        ]
    ]
    assert order == sorted(order)
    # no block mixes the columns
    assert not any("Alpha" in t and "Bravo" in t for t in page["text"])
    assert page.iloc[0]["text"] == "Listening to Children and Families"


def test_running_headers_footers_and_page_numbers_are_gone(
    designed: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    _, blocks = designed
    assert not blocks["text"].str.contains(HEADER, regex=False).any()
    assert not blocks["text"].str.contains(FOOTER, regex=False).any()
    assert not blocks["text"].str.fullmatch(r"\d+").any()


def test_table_is_one_block_with_header_row(designed: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, blocks = designed
    tables = blocks[blocks["kind"] == "table"]
    assert len(tables) == 1
    table = tables.iloc[0]
    assert table["page"] == 2
    assert table["text"].split("\n") == [" | ".join(row) for row in TABLE]
    others = blocks[blocks["kind"] != "table"]["text"]
    assert not others.str.contains("Lead partner|family hubs").any()
    page = _page(blocks, 2)["text"].tolist()
    before, after = page.index(table["text"]) - 1, page.index(table["text"]) + 1
    assert page[before].startswith("Charlie one") and page[after].startswith("Charlie two")


def test_hyphenated_line_break_is_joined(designed: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, blocks = designed
    text = " ".join(blocks["text"])
    assert "in the partnership and its local teams" in text
    assert "partner-" not in text


def test_faux_bold_heading_is_single_and_marked(
    designed: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    _, blocks = designed
    heading = _page(blocks, 1).iloc[0]
    assert heading["text"] == "Listening to Children and Families"  # not "LLiisstteenniinngg"
    assert heading["kind"] == "heading" and bool(heading["bold"])
    assert heading["font_size"] == pytest.approx(18.0)
    delivery = _page(blocks, 2).iloc[0]
    assert (delivery["text"], delivery["kind"]) == ("Delivery Plan", "heading")
    assert set(blocks[blocks["text"].str.startswith("Delta line 1:")]["kind"]) == {"paragraph"}


def test_image_only_page_is_ocrd(designed: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    manifest, blocks = designed
    row = manifest.iloc[0]
    assert row["pages_without_text"] == 1
    if tesseract_version() is None:
        pytest.skip("tesseract is not installed")
    assert (row["status"], row["pages_ocr"]) == ("warning", 1)
    assert row["reason"] == "1 page without a text layer (p. 4): OCR used"
    scanned = _page(blocks, 4)
    assert set(scanned["source"]) == {"ocr"}
    words = " ".join(scanned["text"]).lower()
    for word in ("scanned", "appendix", "consultation", "grandparents", "workshops"):
        assert word in words


def test_missing_tesseract_is_a_warning_not_a_silent_skip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "raw").mkdir()
    layout_pdf(tmp_path / "raw" / "plan.pdf")
    monkeypatch.setenv("PATH", str(tmp_path / "no-binaries-here"))
    tesseract_version.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            manifest = run_ingest(_paths(tmp_path), workers=1)
    finally:
        tesseract_version.cache_clear()
    row = manifest.iloc[0]
    assert row["status"] == "warning"
    assert row["reason"] == (
        "1 page without a text layer (p. 4): no OCR available (tesseract not found): "
        "page 4 text lost"
    )
    assert (row["pages_without_text"], row["pages_ocr"]) == (1, 0)
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert lines == [f"warning: {tmp_path / 'raw' / 'plan.pdf'}: {row['reason']}"]
    # not cached: once tesseract is back the page is read
    assert not list((tmp_path / "interim" / "cache").glob("*.parquet"))


def test_discover_names_plans_and_cycles(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    for rel in [
        "2020-23/Carnwick.pdf",
        "2023-26/Carnwick.pdf",
        "Brackenlea-2023-2026.PDF",
        "loose plan.pdf",
        "README.md",
        "notes.csv",
        ".gitkeep",
        "2023-26/nested/deeper.pdf",
    ]:
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        (raw / rel).write_bytes(b"%PDF-1.4\n")
    found = {f.file: (f.plan_id, f.cycle, f.area) for f in discover(raw)}
    assert found == {
        "2020-23/Carnwick.pdf": ("2020-23_Carnwick", "2020-23", "Carnwick"),
        "2023-26/Carnwick.pdf": ("2023-26_Carnwick", "2023-26", "Carnwick"),
        "2023-26/nested/deeper.pdf": ("deeper", "2023-26", "Deeper"),
        "Brackenlea-2023-2026.PDF": ("Brackenlea-2023-2026", "2023-2026", "Brackenlea"),
        "loose plan.pdf": ("loose plan", "unspecified", "Loose Plan"),
    }


def test_workers_give_the_same_blocks_as_one_process(tmp_path: Path) -> None:
    for root in ("one", "two"):
        (tmp_path / root / "raw").mkdir(parents=True)
        for i in range(3):
            plain_pdf(tmp_path / root / "raw" / f"plan{i}.pdf", pages=2, label=f"Plan {i}")
    one = run_ingest(_paths(tmp_path / "one"), workers=1)
    two = run_ingest(_paths(tmp_path / "two"), workers=2)
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(
        pd.read_parquet(_paths(tmp_path / "one").blocks),
        pd.read_parquet(_paths(tmp_path / "two").blocks),
    )
    assert set(one["status"]) == {"ok"} and one["pages"].tolist() == [2, 2, 2]


def test_settings_file_is_valid_and_versioned() -> None:
    settings = load_settings()
    assert settings.cache_version().startswith(f"v{settings.version}-")
    changed = settings.model_copy(update={"version": settings.version + 1})
    assert changed.cache_version() != settings.cache_version()


def _with_fast_path(enabled: bool):
    settings = load_settings()
    return settings.model_copy(
        update={"fast_path": settings.fast_path.model_copy(update={"enabled": enabled})}
    )


def test_hybrid_fast_path_text_equals_pdfplumber_text(tmp_path: Path) -> None:
    """Pages read from pypdfium2 runs give the same blocks as pages read with pdfplumber."""
    (tmp_path / "raw").mkdir()
    layout_pdf(tmp_path / "raw" / "plan.pdf", scanned_page=False)
    plain_pdf(tmp_path / "raw" / "plain.pdf", pages=3)
    tables = {}
    for enabled in (True, False):
        paths = _paths(tmp_path / f"fast-{enabled}")
        paths = Paths(raw=tmp_path / "raw", interim=paths.interim, processed=paths.processed)
        run_ingest(paths, workers=1, settings=_with_fast_path(enabled))
        tables[enabled] = pd.read_parquet(paths.blocks)
    fast, plumber = tables[True], tables[False]
    assert len(fast) == len(plumber) > 5
    pd.testing.assert_frame_equal(
        fast[["plan_id", "page", "block", "kind", "text", "bold"]],
        plumber[["plan_id", "page", "block", "kind", "text", "bold"]],
    )
    assert fast["font_size"].tolist() == pytest.approx(plumber["font_size"].tolist(), abs=0.05)
