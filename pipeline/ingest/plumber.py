"""pdfplumber path: one page -> word boxes, tables and call-out boxes -> ordered lines.

pdfplumber does the geometry we would otherwise hand-write (``dedupe_chars`` for faux-bold
doubled glyphs, ``extract_words`` with ligature expansion and font attributes,
``find_tables``); :mod:`pipeline.ingest.layout` decides reading order. Every page is closed
by the caller as soon as it is read, which keeps pdfplumber's memory flat on long files.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import pdfplumber
from pdfplumber.utils.clustering import cluster_objects

from pipeline.ingest.layout import Box, Line, clean_text, join_lines, order_page
from pipeline.ingest.settings import IngestSettings


@dataclass
class PageRead:
    """One page's lines plus the signals the caller needs to decide on OCR."""

    lines: list[Line]
    width: float
    height: float
    body_chars: int  # non-space characters outside the header/footer bands
    visual: bool  # the page draws images or vector shapes (something to OCR)


def open_pdf(path: Path) -> pdfplumber.PDF:
    """Open with the empty password and NFKC normalisation of every character."""
    return pdfplumber.open(path, password="", unicode_norm="NFKC")


def body_char_count(chars: list[dict[str, Any]], height: float, settings: IngestSettings) -> int:
    """Characters outside the header/footer bands: a running footer is not a text layer."""
    lo = settings.layout.header_band * height
    hi = (1 - settings.layout.footer_band) * height
    return sum(
        len(c["text"]) - c["text"].count(" ")
        for c in chars
        if lo <= c["top"] and c["bottom"] <= hi and not c["text"].isspace()
    )


def dedupe_chars(page: Any, tolerance: float = 1.0) -> Any:
    """``Page.dedupe_chars()`` with the same rule, in O(n log n) instead of O(n^2).

    pdfplumber 0.11 restores the original order with ``sorted(..., key=chars.index)``,
    which is quadratic: 2.3 s on one dense 4,300-character page. Here the order comes from
    a position map; the clustering (same text, font and size; ``doctop`` then ``x0`` within
    ``tolerance``) is pdfplumber's own ``cluster_objects``.
    """
    chars = page.chars
    position = {id(c): i for i, c in enumerate(chars)}
    key = itemgetter("upright", "text", "fontname", "size")
    keep: set[int] = set()
    for _, group in itertools.groupby(sorted(chars, key=key), key=key):
        for y_cluster in cluster_objects(list(group), itemgetter("doctop"), tolerance):
            for x_cluster in cluster_objects(y_cluster, itemgetter("x0"), tolerance):
                first = min(x_cluster, key=lambda c: (c["doctop"], c["x0"], position[id(c)]))
                keep.add(id(first))
    if len(keep) == len(chars):
        return page
    return page.filter(lambda obj: obj.get("object_type") != "char" or id(obj) in keep)


def _faux_bold_words(words: list[dict[str, Any]], removed: list[dict[str, Any]]) -> None:
    """Mark words drawn twice (faux bold): dedupe_chars removed a copy inside their box."""
    if not removed:
        return
    grid: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for c in removed:
        grid[int(c["top"] // 8)].append((c["x0"], c["top"]))
    for word in words:
        for key in {int(word["top"] // 8), int(word["top"] // 8) + 1, int(word["top"] // 8) - 1}:
            if any(
                word["x0"] - 1 <= x <= word["x1"] and word["top"] - 2 <= y <= word["bottom"]
                for x, y in grid.get(key, ())
            ):
                word["faux_bold"] = True
                break


def _tables(page: Any, settings: IngestSettings) -> list[tuple[Box, str]]:
    """Ruled tables as (bbox, text): rows joined by a separator, header row kept."""
    cfg = settings.tables
    found = []
    for table in page.find_tables():
        rows = [
            [join_lines(clean_text(part) for part in (cell or "").splitlines()) for cell in row]
            for row in table.extract()
            if any((cell or "").strip() for cell in row)
        ]
        n_cols = max((sum(1 for cell in row if cell) for row in rows), default=0)
        if len(rows) < cfg.min_rows or n_cols < cfg.min_cols:
            continue
        text = cfg.row_separator.join(
            cfg.cell_separator.join(cell for cell in row if cell) for row in rows
        )
        found.append((tuple(float(v) for v in table.bbox), text))
    return found  # type: ignore[return-value]


def _may_hold_table(objects: dict[str, list[dict[str, Any]]], settings: IngestSettings) -> bool:
    """Enough ruling for a table of min_rows x min_cols? (skips ``find_tables`` cheaply).

    A ruled table needs rows + 1 horizontal and cols + 1 vertical edges; a rectangle gives
    two of each. Curves are not counted here, so any curve sends the page to the finder.
    """
    if objects.get("curve"):
        return True
    rects = len(objects.get("rect", []))
    lines = objects.get("line", [])
    flat = sum(1 for ln in lines if abs(ln["top"] - ln["bottom"]) < 1)
    upright = sum(1 for ln in lines if abs(ln["x0"] - ln["x1"]) < 1)
    cfg = settings.tables
    return flat + 2 * rects >= cfg.min_rows + 1 and upright + 2 * rects >= cfg.min_cols + 1


def _is_white(color: Any) -> bool:
    if color is None:
        return True
    values = list(color) if isinstance(color, list | tuple) else [color]
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        return False
    if len(numbers) == 4:  # CMYK: white is no ink
        return all(v <= 0.05 for v in numbers)
    return all(v >= 0.95 for v in numbers)


def _callouts(page: Any, tables: list[tuple[Box, str]], settings: IngestSettings) -> list[Box]:
    """Filled, coloured boxes big enough to hold text and smaller than most of the page."""
    cfg = settings.layout
    page_area = float(page.width * page.height)
    boxes = []
    for rect in page.objects.get("rect", []):
        area = float(rect["width"] * rect["height"])
        if not rect.get("fill") or _is_white(rect.get("non_stroking_color")):
            continue
        if area < cfg.callout_min_area or area > cfg.callout_max_page_share * page_area:
            continue
        box = (float(rect["x0"]), float(rect["top"]), float(rect["x1"]), float(rect["bottom"]))
        if any(_inside(box, tb, 2.0) for tb, _ in tables):
            continue
        boxes.append(box)
    return boxes


def _inside(inner: Box, outer: Box, slack: float = 0.0) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def read_page(page: Any, page_no: int, settings: IngestSettings) -> PageRead:
    """Ordered lines of one pdfplumber page (caller closes the page)."""
    width, height = float(page.width), float(page.height)
    chars = page.chars
    deduped = dedupe_chars(page)
    kept = deduped.chars
    objects = page.objects
    # Something to OCR: a picture, or vector drawing on a page with no characters at all (a
    # page whose only text sits in the header band, e.g. table rows carried over, is not one).
    visual = bool(objects.get("image")) or (
        not chars and bool(objects.get("curve") or objects.get("rect"))
    )
    body_chars = body_char_count(kept, height, settings)
    if not kept:
        return PageRead([], width, height, 0, visual)
    tables = _tables(deduped, settings) if _may_hold_table(objects, settings) else []
    words = deduped.extract_words(extra_attrs=["size", "fontname"], expand_ligatures=True)
    if tables:
        words = [
            w
            for w in words
            if not any(
                tb[0] <= (w["x0"] + w["x1"]) / 2 <= tb[2]
                and tb[1] <= (w["top"] + w["bottom"]) / 2 <= tb[3]
                for tb, _ in tables
            )
        ]
    if len(kept) < len(chars):
        kept_ids = {id(c) for c in kept}
        _faux_bold_words(words, [c for c in chars if id(c) not in kept_ids])
    callouts = _callouts(page, tables, settings) if objects.get("rect") else []
    lines = order_page(page_no, (width, height), words, tables, callouts, settings)
    return PageRead(lines, width, height, body_chars, visual)
