"""PDFs rendered for the ingest tests with reportlab: designed pages and every bad-file kind.

All text is invented for the tests (a fictional partnership, "Northvale").
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from reportlab.platypus import Table, TableStyle

W, H = A4
HEADER = "Northvale Children's Services Plan 2023-26"
FOOTER = "Invented test document - not a real plan"

LEFT = [
    "Alpha one: young people told us that",
    "waiting lists felt far too long.",
    "Alpha two: families asked for a named",
    "contact in every service. Carers asked",
    "about the way referrals work in the partner-",
    "ship and its local teams.",
    "Alpha three: we will report back to the",
    "youth forum every six months.",
]
RIGHT = [
    "Bravo one: the third sector forum helped",
    "to shape these priorities.",
    "Bravo two: advocacy workers supported",
    "children to give their views.",
    "Bravo three: staff surveys showed strong",
    "support for early help.",
    "Bravo four: an easy read version of the",
    "plan was co-produced with young people.",
]
TABLE = [
    ["Action", "Lead partner", "By when"],
    ["Open two family hubs", "Northvale Council", "March 2025"],
    ["Train staff in trauma care", "Health Board", "June 2025"],
]
SCANNED = ["SCANNED APPENDIX", "Consultation summary", "Grandparents joined the", "workshops"]


def _furniture(c: canvas.Canvas, page: int) -> None:
    c.setFont("Helvetica", 8)
    c.drawString(50, H - 30, HEADER)
    c.drawString(50, 25, FOOTER)
    c.drawRightString(W - 50, 25, str(page))


def _faux_bold(c: canvas.Canvas, x: float, y: float, text: str, size: float) -> None:
    """Draw ``text`` twice, 0.3 pt apart: the 'bold' of designed documents without a bold font."""
    c.setFont("Helvetica", size)
    c.drawString(x, y, text)
    c.drawString(x + 0.3, y, text)


def _scan_image(lines: list[str]) -> Image.Image:
    image = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=64)
    y = 300
    for line in lines:
        draw.text((160, y), line, fill=0, font=font)
        y += 110
    return image


def layout_pdf(path: Path, *, scanned_page: bool = True) -> Path:
    """Three or four pages: two columns + faux-bold heading + hyphen; a table; a scan.

    Page 1: running header/footer, a faux-bold heading across the page, two columns
    (LEFT then RIGHT), the left column breaking "partner-" / "ship". Page 2: a heading,
    a paragraph, a ruled 3x3 table, a paragraph. Page 3: one column of prose. Page 4
    (optional): an image-only page (plus the running footer in the text layer).
    """
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    _furniture(c, 1)
    _faux_bold(c, 50, H - 90, "Listening to Children and Families", 18)
    c.setFont("Helvetica", 10)
    for i, text in enumerate(LEFT):
        c.drawString(50, H - 130 - 14 * i, text)
    for i, text in enumerate(RIGHT):
        c.drawString(W / 2 + 15, H - 130 - 14 * i, text)
    c.showPage()

    _furniture(c, 2)
    c.setFont("Helvetica-Bold", 14)
    c.drawString(50, H - 90, "Delivery Plan")
    c.setFont("Helvetica", 10)
    c.drawString(50, H - 120, "Charlie one: the table below lists the first actions we agreed.")
    table = Table(TABLE, colWidths=[200, 150, 100])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    _, th = table.wrapOn(c, W, H)
    table.drawOn(c, 50, H - 150 - th)
    c.setFont("Helvetica", 10)
    c.drawString(50, H - 190 - th, "Charlie two: progress will be published each year.")
    c.showPage()

    _furniture(c, 3)
    c.setFont("Helvetica", 10)
    for i in range(20):
        c.drawString(
            50, H - 90 - 14 * i, f"Delta line {i + 1}: our shared commitments continue here."
        )
    c.showPage()

    if scanned_page:
        c.setFont("Helvetica", 8)
        c.drawString(50, 25, FOOTER)
        c.drawRightString(W - 50, 25, "4")
        image = _scan_image(SCANNED)
        from reportlab.lib.utils import ImageReader

        c.drawImage(ImageReader(image), 0, 0, width=W, height=H)
        c.showPage()
    c.save()
    return path


def plain_pdf(path: Path, pages: int = 2, label: str = "Echo") -> Path:
    """A simple text PDF of ``pages`` pages."""
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for page in range(1, pages + 1):
        c.setFont("Helvetica", 11)
        c.drawString(
            60, H - 160, f"{label} page {page}: children and young people were consulted."
        )
        c.drawString(60, H - 176, "Their views shaped the priorities of this invented plan.")
        c.showPage()
    c.save()
    return path


def encrypted_pdf(source: Path, path: Path, user_password: str) -> Path:
    """``source`` re-saved with AES-256 encryption (empty user password = opens freely)."""
    import pikepdf

    with pikepdf.open(source) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(user=user_password, owner="owner-secret"))
    return path


def truncated_pdf(source: Path, path: Path, keep: float = 0.5) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path
