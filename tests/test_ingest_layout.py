"""Pure layout geometry on hand-made word boxes: gutters, reading order, furniture, text."""

from __future__ import annotations

from pipeline.ingest.document import page_list
from pipeline.ingest.layout import (
    PageLines,
    build_blocks,
    clean_text,
    join_lines,
    order_page,
    running_lines,
)
from pipeline.ingest.settings import load_settings

SETTINGS = load_settings()
A4 = (595.0, 842.0)


def _words(text: str, x: float, top: float, size: float = 10.0, font: str = "Helvetica"):
    """Word boxes for ``text`` starting at ``x`` (5 pt per character, 1 space = 2.5 pt)."""
    out = []
    for word in text.split():
        out.append(
            {
                "x0": x,
                "x1": x + 5 * len(word),
                "top": top,
                "bottom": top + size,
                "text": word,
                "size": size,
                "fontname": font,
            }
        )
        x += 5 * len(word) + 2.5
    return out


def _two_column_page(title: bool = True):
    words = _words("A Title That Spans Both Columns Of The Page", 60, 100, 16) if title else []
    for i in range(8):
        words += _words(f"left {i} text of column", 60, 140 + 14 * i)
        words += _words(f"right {i} text of column", 320, 140 + 14 * i)
    return words


def test_two_columns_read_left_then_right_below_a_spanning_title() -> None:
    lines = order_page(1, A4, _two_column_page(), [], [], SETTINGS)
    texts = [ln.text for ln in lines]
    assert texts[0] == "A Title That Spans Both Columns Of The Page"
    assert texts[1:9] == [f"left {i} text of column" for i in range(8)]
    assert texts[9:] == [f"right {i} text of column" for i in range(8)]


def test_single_column_text_has_no_gutter() -> None:
    words = []
    for i in range(12):
        words += _words(
            "a plain line of running text that fills the measure well", 60, 100 + 14 * i
        )
    lines = order_page(1, A4, words, [], [], SETTINGS)
    assert len(lines) == 12 and {ln.column for ln in lines} == {0}


def test_short_left_aligned_lines_are_not_two_columns() -> None:
    words = []
    for i in range(10):
        words += _words(f"item {i}", 60, 100 + 14 * i)
    words += _words("one lone note on the right", 400, 100)
    lines = order_page(1, A4, words, [], [], SETTINGS)
    assert {ln.column for ln in lines} == {0}  # one line on the right is not a column
    assert [ln.text for ln in lines][:2] == ["item 0 one lone note on the right", "item 1"]


def test_running_footer_and_page_numbers_are_dropped_but_a_top_heading_is_kept() -> None:
    pages = []
    for n in range(1, 5):
        words = _words("Northvale plan 2023-26", 60, 30, 8) + _words(str(n), 530, 810, 8)
        words += _words("Invented footer text", 60, 810, 8)
        if n == 2:
            words += _words("Chapter heading near the top", 60, 60, 16)
        words += _words(f"Body text on page {n}.", 60, 300)
        pages.append(PageLines(n, *A4, order_page(n, A4, words, [], [], SETTINGS)))
    dropped = running_lines(pages, SETTINGS)
    kept = [ln.text for pl in pages for ln in pl.lines if (ln.page, ln.order) not in dropped]
    assert kept == [
        "Body text on page 1.",
        "Chapter heading near the top",
        "Body text on page 2.",
        "Body text on page 3.",
        "Body text on page 4.",
    ]
    blocks = build_blocks(pages, SETTINGS)
    assert [(b["page"], b["kind"]) for b in blocks if b["page"] == 2] == [
        (2, "heading"),
        (2, "paragraph"),
    ]


def test_list_items_and_paragraphs_are_told_apart() -> None:
    words = _words("\u2022 first item that wraps", 60, 100) + _words("onto a second line", 70, 114)
    words += _words("\u2022 second item", 60, 128)
    words += _words("A paragraph after the list.", 60, 142)
    page = PageLines(1, *A4, order_page(1, A4, words, [], [], SETTINGS))
    blocks = build_blocks([page], SETTINGS)
    assert [(b["kind"], b["text"]) for b in blocks] == [
        ("list_item", "\u2022 first item that wraps onto a second line"),
        ("list_item", "\u2022 second item"),
        ("paragraph", "A paragraph after the list."),
    ]


def test_text_clean_up() -> None:
    assert clean_text("\ufb01nal of\ufb02ine  e\u00adxample") == "final offline example"
    assert clean_text("(cid:127) Safe from harm") == "\u2022 Safe from harm"
    assert join_lines(["we asked every partici-", "pant", "and all well-", "Being"]) == (
        "we asked every participant and all well- Being"
    )


def test_page_references() -> None:
    assert page_list([7]) == "p. 7"
    assert page_list([3, 4, 5, 9]) == "pp. 3-5, 9"
