"""Pure geometry on word boxes: lines, column gutters, reading order, running headers, blocks.

Nothing here touches a PDF. The extractors (:mod:`pipeline.ingest.plumber`, the OCR path)
turn a page into word boxes in PDF points (origin top-left); this module turns word boxes
into ordered lines per page, and a document's lines into typed blocks. Keeping it pure makes
reading order and header/footer removal testable on hand-made boxes and identical for text
pages and OCR'd pages.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.ingest.settings import IngestSettings, Layout

Box = tuple[float, float, float, float]  # x0, top, x1, bottom


@dataclass
class Line:
    """One line of text (or one whole table) in reading order on its page."""

    page: int
    x0: float
    top: float
    x1: float
    bottom: float
    text: str
    size: float
    bold: bool
    region: int = 0
    column: int = 0
    order: int = 0
    table: bool = False
    callout: bool = False
    source: str = "text"
    n_chars: int = field(default=0)


@dataclass
class PageLines:
    """What one page contributes to the document-level pass."""

    page: int
    width: float
    height: float
    lines: list[Line]


# ------------------------------------------------------------------------------------------
# text clean-up


_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_HYPHEN_END = re.compile(r"([A-Za-z\u00c0-\u024f])[-\u00ad\u2010]$")


_CID = re.compile(r"\(cid:\d+\)")


def clean_text(text: str) -> str:
    """NFKC (ligatures, full-width forms), soft hyphens out, whitespace collapsed.

    A glyph with no Unicode mapping, ``(cid:127)``, is a dingbat: at the start of a line it
    is a bullet (kept as one so list items are found), elsewhere it is dropped.
    """
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    text = _SPACES.sub(" ", text).strip()
    if "(cid:" in text:
        text = _CID.sub("\u2022", text, count=1) if text.startswith("(cid:") else text
        text = _SPACES.sub(" ", _CID.sub("", text)).strip()
    return text


def join_lines(lines: Iterable[str]) -> str:
    """Join wrapped lines; a word hyphenated at a line end is rejoined (``inclu-`` + ``sion``)."""
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if out and _HYPHEN_END.search(out) and line[:1].islower():
            out = out[:-1] + line
        elif out:
            out = f"{out} {line}"
        else:
            out = line
    return out


# ------------------------------------------------------------------------------------------
# words -> rows -> columns -> ordered lines


def _rows(words: Sequence[dict[str, Any]], y_tol: float) -> list[list[dict[str, Any]]]:
    """Cluster words into rows by their top edge (a row may span several columns)."""
    rows: list[list[dict[str, Any]]] = []
    row_top = None
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if row_top is not None and word["top"] - row_top <= y_tol:
            rows[-1].append(word)
        else:
            rows.append([word])
            row_top = word["top"]
    return [sorted(row, key=lambda w: w["x0"]) for row in rows]


def _row_spans(row: Sequence[dict[str, Any]], min_gap: float) -> list[tuple[float, float]]:
    """Horizontal stretches a row covers; gaps narrower than a gutter count as covered."""
    spans: list[tuple[float, float]] = []
    for word in row:
        if spans and word["x0"] - spans[-1][1] < min_gap:
            spans[-1] = (spans[-1][0], max(spans[-1][1], word["x1"]))
        else:
            spans.append((word["x0"], word["x1"]))
    return spans


def find_gutters(
    rows: Sequence[Sequence[dict[str, Any]]], width: float, cfg: Layout
) -> list[tuple[float, float]]:
    """Vertical strips that almost no line crosses and that have text on both sides.

    Why: designed plans are set in two or three columns; reading them row by row
    interleaves unrelated sentences. A gutter is a run of x positions covered by at most
    ``gutter_max_cross`` of the rows (spanning titles may cross it), at least
    ``gutter_min_width`` wide, with ``column_min_lines`` rows on both sides of it.
    """
    if len(rows) < 2 * cfg.column_min_lines or width <= 0:
        return []
    n_bins = int(width) + 1
    diff = [0] * (n_bins + 1)
    all_spans = [_row_spans(row, cfg.gutter_min_width) for row in rows]
    for spans in all_spans:
        for x0, x1 in spans:
            diff[min(max(0, int(x0)), n_bins)] += 1
            diff[min(max(0, int(x1) + 1), n_bins)] -= 1
    cover, running = [0] * n_bins, 0
    for b in range(n_bins):
        running += diff[b]
        cover[b] = running
    limit = cfg.gutter_max_cross * len(rows)
    lo, hi = int(cfg.gutter_search[0] * width), int(cfg.gutter_search[1] * width)
    runs: list[tuple[int, int]] = []
    start = None
    for b in range(lo, hi + 1):
        free = b < n_bins and cover[b] <= limit
        if free and start is None:
            start = b
        elif not free and start is not None:
            runs.append((start, b))
            start = None
    if start is not None:
        runs.append((start, hi + 1))
    gutters = []
    for g0, g1 in runs:
        if g1 - g0 < cfg.gutter_min_width:
            continue
        both = sum(
            1
            for spans in all_spans
            if any(s1 <= g0 for _, s1 in spans) and any(s0 >= g1 for s0, _ in spans)
        )
        left = sum(1 for spans in all_spans if any(s1 <= g0 for _, s1 in spans))
        right = sum(1 for spans in all_spans if any(s0 >= g1 for s0, _ in spans))
        if min(left, right) >= cfg.column_min_lines and both >= 1:
            gutters.append((float(g0), float(g1)))
    return gutters


def _crosses(x0: float, x1: float, gutters: Sequence[tuple[float, float]]) -> bool:
    return any(x0 < g1 and x1 > g0 for g0, g1 in gutters)


def _column(x0: float, x1: float, gutters: Sequence[tuple[float, float]]) -> int:
    centre = (x0 + x1) / 2
    return sum(1 for g0, _ in gutters if centre > g0)


def _make_line(page: int, words: Sequence[dict[str, Any]], cfg: Layout, source: str) -> Line:
    text = clean_text(" ".join(w["text"] for w in words))
    n_chars = sum(len(w["text"]) for w in words)
    sizes: Counter[float] = Counter()
    bold_chars = 0
    for w in words:
        sizes[round(float(w.get("size") or 0.0), 1)] += len(w["text"])
        font = str(w.get("fontname") or "").lower()
        if w.get("faux_bold") or any(m in font for m in cfg.bold_font_markers):
            bold_chars += len(w["text"])
    return Line(
        page=page,
        x0=min(w["x0"] for w in words),
        top=min(w["top"] for w in words),
        x1=max(w["x1"] for w in words),
        bottom=max(w["bottom"] for w in words),
        text=text,
        size=sizes.most_common(1)[0][0] if sizes else 0.0,
        bold=n_chars > 0 and bold_chars * 2 > n_chars,
        source=source,
        n_chars=n_chars,
    )


def _split_at_gaps(row: Sequence[dict[str, Any]], gap: float) -> list[list[dict[str, Any]]]:
    """Pieces of a row separated by wide gaps ('Plan title       Page 7' -> two pieces)."""
    pieces: list[list[dict[str, Any]]] = []
    for word in row:
        if pieces and word["x0"] - pieces[-1][-1]["x1"] < gap:
            pieces[-1].append(word)
        else:
            pieces.append([word])
    return pieces


def order_page(
    page: int,
    size: tuple[float, float],
    words: Sequence[dict[str, Any]],
    tables: Sequence[tuple[Box, str]],
    callouts: Sequence[Box],
    settings: IngestSettings,
    source: str = "text",
) -> list[Line]:
    """Lines of one page in reading order: regions top to bottom, columns left to right.

    ``tables`` are (bbox, text) already extracted; the words inside them must have been
    removed by the caller. A row that crosses a gutter (a title, a wide table) closes the
    current multi-column region, so text above and below a full-width element is not mixed.
    """
    cfg = settings.layout
    width, height = size
    rows = _rows(words, cfg.y_tolerance)
    # Rows in the header/footer bands are split at wide gaps and kept out of column
    # detection, so a running footer reads the same on one- and two-column pages.
    head, foot = cfg.header_band * height, (1 - cfg.footer_band) * height
    band = [r for r in rows if max(w["bottom"] for w in r) <= head or r[0]["top"] >= foot]
    body = [r for r in rows if not (max(w["bottom"] for w in r) <= head or r[0]["top"] >= foot)]
    gutters = find_gutters(body, width, cfg)
    # items: (top, kind, payload): kind 0 = body row, 1 = table, 2 = band piece
    items: list[tuple[float, int, Any]] = [(r[0]["top"], 0, r) for r in body]
    items += [
        (piece[0]["top"], 2, piece)
        for r in band
        for piece in _split_at_gaps(r, 2 * cfg.gutter_min_width)
    ]
    items += [(box[1], 1, (box, text)) for box, text in tables]
    items.sort(key=lambda it: (it[0], it[1]))

    regions: list[tuple[bool, list[Line]]] = []  # (multi_column, lines)
    for _, kind, payload in items:
        if kind == 2:
            parts, spanning = [_make_line(page, payload, cfg, source)], True
        elif kind == 1:
            box, text = payload
            x0, top, x1, bottom = box
            line = Line(page, x0, top, x1, bottom, text, 0.0, False, table=True, source=source)
            spanning = _crosses(box[0], box[2], gutters)
            line.column = 0 if spanning else _column(box[0], box[2], gutters)
            parts = [line]
        else:
            row = payload
            spanning = _crosses(row[0]["x0"], row[-1]["x1"], gutters) and any(
                _crosses(w["x0"], w["x1"], gutters) for w in row
            )
            if spanning or not gutters:
                parts = [_make_line(page, row, cfg, source)]
                spanning = True
            else:
                by_col: dict[int, list[dict[str, Any]]] = defaultdict(list)
                for w in row:
                    by_col[_column(w["x0"], w["x1"], gutters)].append(w)
                parts = []
                for col in sorted(by_col):
                    line = _make_line(page, by_col[col], cfg, source)
                    line.column = col
                    parts.append(line)
        multi = bool(gutters) and not spanning
        if not regions or regions[-1][0] != multi:
            regions.append((multi, []))
        regions[-1][1].extend(parts)

    ordered: list[Line] = []
    for index, (_, lines) in enumerate(regions):
        for line in sorted(lines, key=lambda ln: (ln.column, ln.top, ln.x0)):
            line.region = index
            ordered.append(line)
    for box in callouts:
        for line in ordered:
            cx, cy = (line.x0 + line.x1) / 2, (line.top + line.bottom) / 2
            if not line.table and box[0] <= cx <= box[2] and box[1] <= cy <= box[3]:
                line.callout = True
    for i, line in enumerate(ordered):
        line.order = i
    return ordered


# ------------------------------------------------------------------------------------------
# document level: running headers/footers, body size, blocks


def _band_key(text: str) -> str:
    """Text of a band line with page numbers ignored: 'Plan | 7' and 'Plan' match."""
    return " ".join(re.sub(r"\d+", " ", text.lower()).split()).strip(" |-\u2013\u2014/.:")


def running_lines(pages: Sequence[PageLines], settings: IngestSettings) -> set[tuple[int, int]]:
    """(page, order) of running headers, footers and page numbers to drop.

    A line in the top or bottom band whose text (digits ignored) recurs at about the same
    height on ``repeat_fraction`` of the pages is furniture, not content; so is a lone page
    number in a band.
    """
    cfg = settings.layout
    page_number = re.compile(settings.patterns.page_number, re.IGNORECASE)
    candidates: dict[tuple[str, str], list[tuple[int, int, float]]] = defaultdict(list)
    drop: set[tuple[int, int]] = set()
    for pl in pages:
        for line in pl.lines:
            if line.table:
                continue
            zone = ""
            if line.top < cfg.header_band * pl.height:
                zone = "head"
            elif line.bottom > (1 - cfg.footer_band) * pl.height:
                zone = "foot"
            if not zone:
                continue
            if page_number.match(line.text.strip()):
                drop.add((line.page, line.order))
                continue
            candidates[(zone, _band_key(line.text))].append((line.page, line.order, line.top))
    needed = max(cfg.repeat_min_pages, int(cfg.repeat_fraction * len(pages) + 0.999))
    for hits in candidates.values():
        if len({p for p, _, _ in hits}) < needed:
            continue
        for page, order, top in hits:
            same_height = {p for p, _, t in hits if abs(t - top) <= cfg.repeat_y_tolerance}
            if len(same_height) >= needed:
                drop.add((page, order))
    return drop


def body_size(lines: Iterable[Line]) -> float:
    """The most common font size by characters: the size of running text."""
    sizes: Counter[float] = Counter()
    for line in lines:
        if not line.table and line.size > 0:
            sizes[round(line.size * 2) / 2] += max(line.n_chars, 1)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _continues(group: Sequence[Line], line: Line, cfg: Layout, bullet: re.Pattern[str]) -> bool:
    """Does ``line`` continue the block ``group``? (same column, font, spacing; not a new item)"""
    prev, first = group[-1], group[0]
    if bullet.match(first.text) and line.x0 <= first.x0 + 1.0:
        return False  # back at the bullet's margin: the list item has ended
    if prev.table or line.table:
        return False
    if (prev.region, prev.column, prev.callout, prev.bold) != (
        line.region,
        line.column,
        line.callout,
        line.bold,
    ):
        return False
    if abs(prev.size - line.size) > cfg.size_tolerance:
        return False
    gap = line.top - prev.bottom
    if gap > cfg.paragraph_gap * max(prev.size, line.size, 1.0) or gap < -prev.size:
        return False
    return not bullet.match(line.text)


def _kind(lines: Sequence[Line], body: float, settings: IngestSettings, all_bold: bool) -> str:
    cfg = settings.layout
    first = lines[0]
    if first.table:
        return "table"
    text = " ".join(ln.text for ln in lines)
    if re.match(settings.patterns.bullet, first.text):
        return "list_item"
    if re.match(settings.patterns.caption, text, re.IGNORECASE) and len(text.split()) <= 60:
        return "caption"
    short = len(lines) <= cfg.heading_max_lines and len(text.split()) <= cfg.heading_max_words
    bigger = body > 0 and first.size >= body * cfg.heading_size_ratio
    if short and (bigger or (first.bold and not all_bold)) and not text.endswith((".", ",", ";")):
        return "heading"
    if first.callout:
        return "callout"
    return "paragraph"


def build_blocks(pages: Sequence[PageLines], settings: IngestSettings) -> list[dict[str, Any]]:
    """A document's lines -> typed blocks (heading, paragraph, list_item, table, ...)."""
    cfg = settings.layout
    bullet = re.compile(settings.patterns.bullet)
    drop = running_lines(pages, settings)
    kept = [[ln for ln in pl.lines if (ln.page, ln.order) not in drop] for pl in pages]
    bodies = {
        src: body_size(ln for lines in kept for ln in lines if ln.source == src)
        for src in ("text", "ocr")
    }
    text_lines = [ln for lines in kept for ln in lines if not ln.table and ln.source == "text"]
    all_bold = bool(text_lines) and all(ln.bold for ln in text_lines)
    blocks: list[dict[str, Any]] = []
    for pl, lines in zip(pages, kept, strict=True):
        groups: list[list[Line]] = []
        for line in lines:
            if not line.text:
                continue
            if groups and _continues(groups[-1], line, cfg, bullet):
                groups[-1].append(line)
            else:
                groups.append([line])
        for index, group in enumerate(groups):
            kind = _kind(group, bodies[group[0].source], settings, all_bold)
            text = group[0].text if kind == "table" else join_lines(ln.text for ln in group)
            blocks.append(
                {
                    "page": pl.page,
                    "block": index,
                    "kind": kind,
                    "text": text,
                    "font_size": float(max(ln.size for ln in group)),
                    "bold": bool(group[0].bold),
                    "source": group[0].source,
                }
            )
    return blocks
