"""The SYNTHETIC sample corpus: fictional Children's Services Plans written and rendered here.

No real plan PDFs ship with csp-review, so this package writes plans for invented partnerships
(data files under ``plans/`` and ``shared/``), renders them to PDF and writes the labels they were
written to carry. Nothing runs at import time; call :func:`build_sample_corpus`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["build_sample_corpus"]


def build_sample_corpus(out_dir: Path) -> list[Path]:
    """Write the synthetic plans, their labels and a README into ``out_dir``.

    Returns the sorted list of PDF paths written (``out_dir/<cycle>/<area>-<cycle>.pdf``).
    """
    from pipeline.sample_corpus.build import build

    return build(Path(out_dir))
