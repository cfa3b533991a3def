"""OCR for pages without a usable text layer: Debian tesseract driven through pytesseract.

Words come back as boxes in PDF points so the same layout code (lines, columns, running
footers) applies to scanned pages as to born-digital ones.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from PIL import Image

from pipeline.ingest.settings import Ocr


@cache
def tesseract_version() -> str | None:
    """Tesseract's version, or None when the binary (or pytesseract) is missing."""
    try:
        import pytesseract

        return str(pytesseract.get_tesseract_version())
    except Exception:  # noqa: BLE001 - any failure means "no OCR here"
        return None


def ocr_words(image: Image.Image, cfg: Ocr) -> list[dict[str, Any]]:
    """Recognised words with boxes in points; low-confidence fragments dropped.

    ``top``/``bottom``/``size`` come from the word's line box in points, a stand-in for font size
    that is comparable across one scanned document.
    """
    import pytesseract

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one core per worker, no oversubscription
    data = pytesseract.image_to_data(
        image,
        lang=cfg.language,
        output_type=pytesseract.Output.DICT,
        timeout=cfg.timeout_seconds,
    )
    scale = 72.0 / cfg.dpi
    line_box: dict[tuple[int, int, int], tuple[float, float]] = {}
    for i, level in enumerate(data["level"]):
        if level == 4:  # a text line: its words share its top and bottom
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            top = data["top"][i] * scale
            line_box[key] = (top, top + data["height"][i] * scale)
    words = []
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        if data["level"][i] != 5 or not text or float(data["conf"][i]) < cfg.min_confidence:
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        x0, top = data["left"][i] * scale, data["top"][i] * scale
        top, bottom = line_box.get(key, (top, top + data["height"][i] * scale))
        words.append(
            {
                "x0": x0,
                "x1": x0 + data["width"][i] * scale,
                "top": top,
                "bottom": bottom,
                "text": text,
                "size": round(bottom - top, 1),
                "fontname": "",
            }
        )
    return words
