"""Tests for the SYNTHETIC sample corpus (fictional plans written by csp-review)."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import pytest

from pipeline.sample_corpus import build_sample_corpus
from pipeline.sample_corpus.compose import ELEMENTS, MISSING_ITEMS

CYCLES = {"2023-26": 12, "2020-23": 5}
LABEL_HEADER = [
    "plan_id",
    "cycle",
    "area",
    "criterion10",
    "missing",
    "third_sector",
    "advocacy",
    "rationale",
]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("sample_corpus")
    return out, build_sample_corpus(out)


@pytest.fixture(scope="session")
def labels(corpus: tuple[Path, list[Path]]) -> list[dict[str, str]]:
    out, _ = corpus
    with open(out / "sample_labels.csv", newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == LABEL_HEADER
        return list(reader)


@pytest.fixture(scope="session")
def passages(corpus: tuple[Path, list[Path]]) -> list[dict[str, str]]:
    out, _ = corpus
    with open(out / "sample_passage_labels.csv", newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["plan_id", "page", "text", "elements"]
        return list(reader)


@pytest.fixture(scope="session")
def page_counts(corpus: tuple[Path, list[Path]]) -> dict[str, int]:
    _, pdfs = corpus
    counts = {}
    for pdf in pdfs:
        doc = pdfium.PdfDocument(pdf)
        try:
            counts[pdf.stem] = len(doc)
        finally:
            doc.close()
    return counts


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def test_pdfs_in_cycle_folders(corpus: tuple[Path, list[Path]]) -> None:
    out, pdfs = corpus
    assert pdfs == sorted(pdfs)
    assert sorted(out.rglob("*.pdf")) == pdfs
    for cycle, n in CYCLES.items():
        in_cycle = [p for p in pdfs if p.parent == out / cycle]
        assert len(in_cycle) == n
        assert all(p.stem.endswith(f"-{cycle}") for p in in_cycle)
    assert len(pdfs) == sum(CYCLES.values())
    assert (out / "SYNTHETIC_CORPUS.md").read_text(encoding="utf-8").count("FICTIONAL") >= 1


def test_page_counts_in_range(page_counts: dict[str, int]) -> None:
    assert all(6 <= n <= 30 for n in page_counts.values()), page_counts


def test_one_label_row_per_pdf(
    corpus: tuple[Path, list[Path]], labels: list[dict[str, str]]
) -> None:
    _, pdfs = corpus
    assert sorted(r["plan_id"] for r in labels) == sorted(p.stem for p in pdfs)
    by_id = {p.stem: p for p in pdfs}
    for row in labels:
        assert by_id[row["plan_id"]].parent.name == row["cycle"]
        assert row["rationale"].strip()


def test_label_spread_2023_26(labels: list[dict[str, str]]) -> None:
    rows = [r for r in labels if r["cycle"] == "2023-26"]
    assert Counter(r["criterion10"] for r in rows) == {"fully": 5, "partially": 6, "not_met": 1}
    assert Counter(r["third_sector"] for r in rows) == {"robust": 5, "needs_more": 4, "none": 3}
    assert Counter(r["advocacy"] for r in rows)["yes"] in (3, 4)


def test_label_spread_2020_23_and_areas(labels: list[dict[str, str]]) -> None:
    old = [r for r in labels if r["cycle"] == "2020-23"]
    new_areas = {r["area"] for r in labels if r["cycle"] == "2023-26"}
    assert {"fully", "partially"} <= {r["criterion10"] for r in old}
    assert {r["area"] for r in old} <= new_areas


def test_partially_met_rows_name_what_is_missing(labels: list[dict[str, str]]) -> None:
    items: set[str] = set()
    for row in labels:
        missing = [m for m in row["missing"].split(";") if m]
        assert set(missing) <= set(MISSING_ITEMS)
        if row["criterion10"] == "partially":
            assert missing, row["plan_id"]
        else:
            assert not missing, row["plan_id"]
        items.update(missing)
    assert len(items) >= 4
    partial_2023 = [
        r for r in labels if r["cycle"] == "2023-26" and r["criterion10"] == "partially"
    ]
    assert len({r["missing"] for r in partial_2023}) == len(partial_2023)  # all different
    assert set(MISSING_ITEMS) <= {m for r in partial_2023 for m in r["missing"].split(";")}


def test_image_only_page_exists(corpus: tuple[Path, list[Path]]) -> None:
    _, pdfs = corpus
    image_only: list[tuple[str, int]] = []
    for pdf in pdfs:
        doc = pdfium.PdfDocument(pdf)  # fast pass to find candidate pages
        try:
            blank = [i for i in range(len(doc)) if doc[i].get_textpage().count_chars() == 0]
        finally:
            doc.close()
        if not blank:
            continue
        with pdfplumber.open(pdf, pages=[i + 1 for i in blank]) as plumbed:
            for index, page in zip(blank, plumbed.pages, strict=True):
                try:
                    assert not page.chars
                    assert page.images, f"{pdf.stem} p{index + 1}: no text and no image"
                    image_only.append((pdf.stem, index + 1))
                finally:
                    page.close()
    assert image_only
    assert len({stem for stem, _ in image_only}) >= 2


def test_every_pdf_is_marked_synthetic(corpus: tuple[Path, list[Path]]) -> None:
    _, pdfs = corpus
    for pdf in pdfs:
        with pdfplumber.open(pdf) as doc:
            first = doc.pages[0].extract_text() or ""
            meta = doc.metadata
        assert "Synthetic sample plan" in first, pdf.stem
        assert "Not a real Children's Services Plan" in " ".join(first.split())
        assert meta["Author"] == "csp-review synthetic sample corpus"
        assert "SYNTHETIC" in meta["Subject"]
        assert meta["Title"]


def test_running_footer_on_text_pages(corpus: tuple[Path, list[Path]]) -> None:
    _, pdfs = corpus
    doc = pdfium.PdfDocument(pdfs[0])
    try:
        for number in range(len(doc)):
            textpage = doc[number].get_textpage()
            text = textpage.get_text_range()
            if text.strip():
                assert "Synthetic sample \u2013 fictional" in text
                assert f"Page {number + 1}" in text
    finally:
        doc.close()


def test_passage_labels_valid(
    passages: list[dict[str, str]], labels: list[dict[str, str]], page_counts: dict[str, int]
) -> None:
    plan_ids = {r["plan_id"] for r in labels}
    assert {p["plan_id"] for p in passages} == plan_ids
    for row in passages:
        assert 1 <= int(row["page"]) <= page_counts[row["plan_id"]]
        elements = [e for e in row["elements"].split(";") if e]
        assert set(elements) <= set(ELEMENTS), row
        assert row["text"].strip()
    hard_negatives = {p["plan_id"] for p in passages if not p["elements"]}
    assert hard_negatives == plan_ids  # every plan carries hard negatives


def test_passages_are_on_their_pages(
    corpus: tuple[Path, list[Path]], passages: list[dict[str, str]]
) -> None:
    _, pdfs = corpus
    by_plan: dict[str, list[dict[str, str]]] = {}
    for row in passages:
        by_plan.setdefault(row["plan_id"], []).append(row)
    checked = 0
    for pdf in pdfs:
        doc = pdfium.PdfDocument(pdf)
        try:
            pages = [_letters(doc[i].get_textpage().get_text_range()) for i in range(len(doc))]
        finally:
            doc.close()
        for row in by_plan[pdf.stem]:
            page_text = pages[int(row["page"]) - 1]
            if not page_text:  # the image-only ("scanned") page: text is in the picture
                continue
            assert _letters(row["text"])[:60] in page_text, (pdf.stem, row["page"], row["text"])
            checked += 1
    assert checked > 200


def test_passages_agree_with_plan_labels(
    labels: list[dict[str, str]], passages: list[dict[str, str]]
) -> None:
    """A plan lacking an item carries no passage evidencing it; a fully met plan has all."""
    found: dict[str, set[str]] = {r["plan_id"]: set() for r in labels}
    for row in passages:
        found[row["plan_id"]].update(e for e in row["elements"].split(";") if e)
    for row in labels:
        have = found[row["plan_id"]]
        missing = set(filter(None, row["missing"].split(";")))
        core = {"cyp", "families", "workforce", "community", "methods", "findings", "influence"}
        if row["criterion10"] == "not_met":
            assert not have, row["plan_id"]
        elif row["criterion10"] == "fully":
            assert core <= have, (row["plan_id"], core - have)
        else:
            assert not (missing & have), (row["plan_id"], missing & have)
            assert core - missing <= have, (row["plan_id"], core - missing - have)
        assert ("third_sector" in have) == (row["third_sector"] != "none"), row["plan_id"]
        assert ("advocacy" in have) == (row["advocacy"] == "yes"), row["plan_id"]


def test_build_is_deterministic(corpus: tuple[Path, list[Path]], tmp_path: Path) -> None:
    out, _ = corpus
    again = build_sample_corpus(tmp_path)
    first = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    second = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert first == second
    assert len(again) == sum(CYCLES.values())
    for rel in first:
        assert (out / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel
