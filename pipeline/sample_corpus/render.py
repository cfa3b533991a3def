"""Render one composed SYNTHETIC sample plan to PDF with reportlab platypus.

The composer (``compose.py``) hands over a :class:`PlanDocument`: metadata, layout options and a
flat list of story items. This module turns the items into flowables, lays them out on A4 page
templates (cover, one column, two columns, scanned page), and records the 1-based page on which
every labelled passage landed, using ``afterFlowable``.

Determinism: reportlab runs with ``invariant=1`` (fixed dates and document id), only the
standard PDF fonts are used (never embedded), and the "scanned" page image is drawn with
Pillow's bundled font, so two builds give byte-identical files.
"""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont
from reportlab.lib import colors
from reportlab.lib.enums import TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

PAGE_W, PAGE_H = A4
MARGIN = 20 * mm
GUTTER = 8 * mm
SCAN_DPI = 200
FOOTER_TEXT = "Synthetic sample \u2013 fictional"
AUTHOR = "csp-review synthetic sample corpus"


@dataclass
class Passage:
    """A labelled piece of text and, once rendered, the page it landed on."""

    text: str
    elements: list[str]
    page: int = 0


@dataclass
class PlanDocument:
    """Everything the renderer needs for one plan."""

    plan_id: str
    title: str
    partnership: str
    cycle: str
    accent: str
    items: list[dict[str, Any]]
    hyphenate: bool = False
    passages: list[Passage] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# text helpers


_VOWELS = set("aeiouy")
# consonant pairs that start English syllables: never split inside them
_ONSETS = {
    "bl",
    "br",
    "ch",
    "ck",
    "cl",
    "cr",
    "dr",
    "fl",
    "fr",
    "gh",
    "gl",
    "gr",
    "ng",
    "ph",
    "pl",
    "pr",
    "qu",
    "sc",
    "sh",
    "sk",
    "sl",
    "sm",
    "sn",
    "sp",
    "st",
    "sw",
    "th",
    "tr",
    "tw",
    "wh",
}


def simple_hyphenator(word: str) -> list[tuple[str, str]]:
    """Return (head, tail) split points for ``word``, longest head first.

    A deliberately plain rule (split between two consonants that sit between vowels, never
    inside a common onset, never in a capitalised name), enough to make reportlab break some
    long words at a line end with a hyphen.
    """
    low = word.lower()
    if len(word) < 8 or not word.isalpha() or not word.islower():
        return []
    cuts = []
    for i in range(3, len(word) - 3):
        a, b = low[i - 1], low[i]
        if a in _VOWELS or b in _VOWELS or a + b in _ONSETS:
            continue
        if low[i - 2] in _VOWELS and low[i + 1] in _VOWELS:
            cuts.append(i)
    return [(word[:i], word[i:]) for i in reversed(cuts)]


def _xml(text: str) -> str:
    return escape(text)


class WholeParagraph(Paragraph):
    """A paragraph that never splits: it moves to the next frame instead (keeps page exact)."""

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        return []


class FauxBoldHeading(Flowable):
    """A heading drawn twice, 0.3pt apart, the way some DTP tools fake bold type."""

    def __init__(self, text: str, size: float, color: colors.Color) -> None:
        super().__init__()
        self.text = text
        self.size = size
        self.color = color
        self.keepWithNext = 1
        self.spaceBefore = 10
        self.spaceAfter = 6

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self.width = availWidth
        return availWidth, self.size * 1.4

    def draw(self) -> None:
        canv = self.canv
        canv.setFillColor(self.color)
        canv.setFont("Helvetica", self.size)
        y = self.size * 0.35
        canv.drawString(0, y, self.text)
        canv.drawString(0.3, y, self.text)


# --------------------------------------------------------------------------------------------
# styles


def _styles(accent: colors.Color, hyphenate: bool) -> dict[str, ParagraphStyle]:
    body_kw: dict[str, Any] = {}
    if hyphenate:
        body_kw = {"hyphenationLang": simple_hyphenator, "hyphenationMinWordLength": 8}
    body = ParagraphStyle(
        "body",
        fontName="Helvetica",
        fontSize=10,
        leading=13.5,
        spaceAfter=6,
        alignment=TA_JUSTIFY if hyphenate else TA_LEFT,
        **body_kw,
    )
    return {
        "body": body,
        "bullet": ParagraphStyle(
            "bullet",
            parent=body,
            leftIndent=14,
            bulletIndent=3,
            spaceAfter=3,
            alignment=TA_LEFT,
        ),
        "h1": ParagraphStyle(
            "h1",
            fontName="Helvetica-Bold",
            fontSize=18,
            leading=22,
            textColor=accent,
            spaceBefore=4,
            spaceAfter=10,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "h2",
            fontName="Helvetica-Bold",
            fontSize=12.5,
            leading=16,
            textColor=accent,
            spaceBefore=8,
            spaceAfter=5,
            keepWithNext=1,
        ),
        "quote": ParagraphStyle(
            "quote",
            fontName="Helvetica-Oblique",
            fontSize=11,
            leading=15,
            textColor=colors.HexColor("#222222"),
        ),
        "quote_by": ParagraphStyle(
            "quote_by",
            fontName="Helvetica",
            fontSize=9,
            leading=12,
            textColor=colors.HexColor("#444444"),
        ),
        "cell": ParagraphStyle("cell", fontName="Helvetica", fontSize=8, leading=10),
        "cell_head": ParagraphStyle(
            "cell_head",
            fontName="Helvetica-Bold",
            fontSize=8,
            leading=10,
            textColor=colors.white,
        ),
        "cover_title": ParagraphStyle(
            "cover_title",
            fontName="Helvetica-Bold",
            fontSize=28,
            leading=34,
            textColor=accent,
            spaceAfter=14,
        ),
        "cover_sub": ParagraphStyle(
            "cover_sub",
            fontName="Helvetica",
            fontSize=16,
            leading=21,
            spaceAfter=10,
        ),
        "cover_note": ParagraphStyle(
            "cover_note",
            fontName="Helvetica-Bold",
            fontSize=11,
            leading=15,
            textColor=colors.HexColor("#8a1c1c"),
            borderColor=colors.HexColor("#8a1c1c"),
            borderWidth=1,
            borderPadding=8,
            spaceBefore=30,
        ),
        "toc": ParagraphStyle("toc", parent=body, fontSize=11, leading=17, leftIndent=6),
    }


# --------------------------------------------------------------------------------------------
# the "scanned" page


def scanned_page_png(
    title: str, blocks: list[dict[str, Any]], page_label: str, seed: int
) -> bytes:
    """Draw a page of text as a greyscale A4 image at 200 dpi (about 12pt body text)."""
    width, height = int(PAGE_W / 72 * SCAN_DPI), int(PAGE_H / 72 * SCAN_DPI)
    img = PILImage.new("L", (width, height), 248)
    draw = ImageDraw.Draw(img)
    body_px = round(12 / 72 * SCAN_DPI)
    font = ImageFont.load_default(size=body_px)
    head_px = round(16 / 72 * SCAN_DPI)
    head = ImageFont.load_default(size=head_px)
    margin = round(22 / 25.4 * SCAN_DPI)
    x, y = margin, margin
    max_w = width - 2 * margin
    draw.text((x, y), title, font=head, fill=20)
    y += round(head_px * 1.8)
    line_h = round(body_px * 1.45)
    for block in blocks:
        text = block["text"]
        prefix = "- " if block.get("bullet") else ""
        indent = font.getlength("- ") if prefix else 0
        words = text.split()
        line = prefix
        first = True
        for word in words:
            trial = (line + " " + word) if line.strip() else line + word
            if font.getlength(trial) > max_w - (0 if first else indent) and line.strip():
                draw.text((x + (0 if first else indent), y), line, font=font, fill=25)
                y += line_h
                line, first = word, False
            else:
                line = trial
        if line.strip():
            draw.text((x + (0 if first else indent), y), line, font=font, fill=25)
            y += line_h
        y += round(line_h * 0.5)
    draw.text((x, height - margin), page_label, font=font, fill=60)
    rng = random.Random(seed)
    for _ in range(400):  # a little scanner dust
        px, py = rng.randrange(width), rng.randrange(height)
        draw.point((px, py), fill=rng.randrange(150, 220))
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# the document template


class _PlanDocTemplate(BaseDocTemplate):
    def __init__(self, filename: str, doc: PlanDocument) -> None:
        self.plan = doc
        super().__init__(
            filename,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN + 6 * mm,
            bottomMargin=MARGIN + 4 * mm,
            title=doc.title,
            author=AUTHOR,
            subject=(
                "SYNTHETIC sample Children's Services Plan for a fictional partnership; "
                "written by csp-review for testing. Not a real plan."
            ),
            creator="csp-review sample corpus",
            keywords="synthetic, fictional, csp-review, test data",
            invariant=1,
        )
        x0, y0 = self.leftMargin, self.bottomMargin
        fw, fh = self.width, self.height
        col_w = (fw - GUTTER) / 2
        self.addPageTemplates(
            [
                PageTemplate("cover", [Frame(x0, y0, fw, fh, id="cover")], onPage=self._cover),
                PageTemplate("one", [Frame(x0, y0, fw, fh, id="body")], onPage=self._running),
                PageTemplate(
                    "two",
                    [
                        Frame(x0, y0, col_w, fh, id="left"),
                        Frame(x0 + col_w + GUTTER, y0, col_w, fh, id="right"),
                    ],
                    onPage=self._running,
                ),
                PageTemplate(
                    "scan",
                    [
                        Frame(
                            0,
                            0,
                            PAGE_W,
                            PAGE_H,
                            id="scan",
                            leftPadding=0,
                            rightPadding=0,
                            topPadding=0,
                            bottomPadding=0,
                        )
                    ],
                ),
            ]
        )

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802
        """Record the page on which each labelled flowable was drawn."""
        passages = list(getattr(flowable, "_csp_scan", []))
        passage = getattr(flowable, "_csp_passage", None)
        if passage is not None:
            passages.append(passage)
        for item in passages:
            if not item.page:
                item.page = self.page

    def _footer(self, canv: Any) -> None:
        canv.setFont("Helvetica", 8)
        canv.setFillColor(colors.HexColor("#555555"))
        canv.drawString(MARGIN, 12 * mm, FOOTER_TEXT)
        canv.drawRightString(PAGE_W - MARGIN, 12 * mm, f"Page {canv.getPageNumber()}")

    def _running(self, canv: Any, _doc: Any) -> None:
        canv.saveState()
        accent = colors.HexColor(self.plan.accent)
        canv.setFont("Helvetica", 8)
        canv.setFillColor(colors.HexColor("#555555"))
        canv.drawString(MARGIN, PAGE_H - 13 * mm, self.plan.partnership)
        canv.drawRightString(
            PAGE_W - MARGIN, PAGE_H - 13 * mm, f"Children's Services Plan {self.plan.cycle}"
        )
        canv.setStrokeColor(accent)
        canv.setLineWidth(0.8)
        canv.line(MARGIN, PAGE_H - 15 * mm, PAGE_W - MARGIN, PAGE_H - 15 * mm)
        canv.line(MARGIN, 16 * mm, PAGE_W - MARGIN, 16 * mm)
        self._footer(canv)
        canv.restoreState()

    def _cover(self, canv: Any, _doc: Any) -> None:
        canv.saveState()
        canv.setFillColor(colors.HexColor(self.plan.accent))
        canv.rect(0, PAGE_H - 70 * mm, PAGE_W, 70 * mm, stroke=0, fill=1)
        canv.rect(0, 0, PAGE_W, 8 * mm, stroke=0, fill=1)
        self._footer(canv)
        canv.restoreState()


# --------------------------------------------------------------------------------------------
# items -> flowables


def _tag(flowable: Flowable, item: dict[str, Any], doc: PlanDocument, text: str) -> Flowable:
    """Attach a Passage to ``flowable`` when the item is labelled (evidence or hard negative)."""
    if item.get("label"):
        passage = Passage(text=text, elements=list(item.get("elements", [])))
        doc.passages.append(passage)
        flowable._csp_passage = passage  # type: ignore[attr-defined]
    return flowable


def _table_rows(
    item: dict[str, Any],
    st: dict[str, ParagraphStyle],
    avail: float,
    doc: PlanDocument,
    accent: colors.Color,
) -> list[Flowable]:
    """A table drawn as stacked one-row tables so each row can carry its own page label."""
    widths = [w * avail for w in item["widths"]]
    grid = colors.HexColor("#9a9a9a")
    out: list[Flowable] = []
    head = Table(
        [[Paragraph(_xml(c), st["cell_head"]) for c in item["columns"]]], colWidths=widths
    )
    head.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), accent),
                ("GRID", (0, 0), (-1, -1), 0.5, grid),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    head.keepWithNext = 1
    out.append(head)
    for idx, row in enumerate(item["rows"]):
        cells = [Paragraph(_xml(str(c)), st["cell"]) for c in row["cells"]]
        tbl = Table([cells], colWidths=widths)
        style = [("GRID", (0, 0), (-1, -1), 0.5, grid), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        if idx % 2:
            style.append(("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f1f1f1")))
        tbl.setStyle(TableStyle(style))
        text = " | ".join(str(c) for c in row["cells"])
        out.append(_tag(tbl, row, doc, text))
    out.append(Spacer(1, 8))
    return out


def _quote(
    item: dict[str, Any],
    st: dict[str, ParagraphStyle],
    avail: float,
    doc: PlanDocument,
    accent: colors.Color,
) -> Flowable:
    text = f"\u201c{item['text']}\u201d"
    inner = [Paragraph(_xml(text), st["quote"])]
    if item.get("by"):
        inner.append(Paragraph(_xml(f"\u2013 {item['by']}"), st["quote_by"]))
    box = Table([[inner]], colWidths=[avail * 0.92])
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#eef3f7")),
                ("BOX", (0, 0), (-1, -1), 1.2, accent),
                ("LEFTPADDING", (0, 0), (-1, -1), 10),
                ("RIGHTPADDING", (0, 0), (-1, -1), 10),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    box.spaceBefore = 4
    box.spaceAfter = 8
    label_text = text + (f" \u2013 {item['by']}" if item.get("by") else "")
    return _tag(box, item, doc, label_text)


def _flowables(
    doc: PlanDocument, st: dict[str, ParagraphStyle], frame_w: dict[str, float]
) -> list[Flowable]:
    accent = colors.HexColor(doc.accent)
    story: list[Flowable] = []
    template = "cover"
    for item in doc.items:
        kind = item["kind"]
        avail = frame_w[template]
        if kind == "template":
            template = item["name"]
            story.append(NextPageTemplate(template))
        elif kind == "pagebreak":
            story.append(PageBreak())
        elif kind == "spacer":
            story.append(Spacer(1, item.get("height", 12)))
        elif kind in ("h1", "h2"):
            story.append(Paragraph(_xml(item["text"]), st[kind]))
        elif kind == "faux_h1":
            story.append(FauxBoldHeading(item["text"], 18, accent))
        elif kind in ("p", "cover_title", "cover_sub", "cover_note", "toc"):
            style = st["body" if kind == "p" else kind]
            story.append(_tag(WholeParagraph(_xml(item["text"]), style), item, doc, item["text"]))
        elif kind == "bullet":
            para = WholeParagraph(_xml(item["text"]), st["bullet"], bulletText="\u2022")
            story.append(_tag(para, item, doc, item["text"]))
        elif kind == "quote":
            story.append(_quote(item, st, avail, doc, accent))
        elif kind == "table":
            story.extend(_table_rows(item, st, avail, doc, accent))
        elif kind == "scan":
            png = scanned_page_png(item["title"], item["blocks"], item["page_label"], item["seed"])
            img = Image(io.BytesIO(png), width=PAGE_W - 0.5, height=PAGE_H - 0.5)
            story.append(img)
            for block in item["blocks"]:
                if block.get("label"):
                    passage = Passage(text=block["text"], elements=list(block["elements"]))
                    doc.passages.append(passage)
                    # the image is one flowable; all its passages land on its page
                    img._csp_scan = [*getattr(img, "_csp_scan", []), passage]
        else:
            raise ValueError(f"unknown story item kind {kind!r} in {doc.plan_id}")
    return story


def render_plan(doc: PlanDocument, target: Path) -> list[Passage]:
    """Render ``doc`` to ``target`` (a path the caller later renames) and return its passages."""
    doc.passages = []
    template = _PlanDocTemplate(str(target), doc)
    st = _styles(colors.HexColor(doc.accent), doc.hyphenate)
    pad = 12  # reportlab's default frame padding, 6pt each side
    one = template.width
    frame_w = {
        "cover": one - pad,
        "one": one - pad,
        "two": (one - GUTTER) / 2 - pad,
        "scan": PAGE_W,
    }
    template.build(_flowables(doc, st, frame_w))
    missing = [p.text[:60] for p in doc.passages if not p.page]
    if missing:
        raise RuntimeError(f"{doc.plan_id}: passages without a page: {missing}")
    return doc.passages


_TAG_RE = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """Text without markup, collapsed whitespace (the form written to the labels CSV)."""
    return " ".join(_TAG_RE.sub("", text).split())
