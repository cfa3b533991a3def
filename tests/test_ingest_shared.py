"""The 20 real public PDFs beside the checkout (../shared/pdfs) all ingest without a crash.

Skipped when the folder is absent. These are not plans; they are designed, multi-column,
table-heavy, scanned and damaged files that nobody on this project made.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import Paths
from pipeline.ingest import run_ingest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "pdfs"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shared_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    if not SHARED.is_dir() or not any(SHARED.glob("*.pdf")):
        pytest.skip(f"{SHARED} is not present")
    root = tmp_path_factory.mktemp("shared")
    paths = Paths(raw=SHARED, interim=root / "interim", processed=root / "processed")
    manifest = run_ingest(paths, workers=None)
    return manifest, pd.read_parquet(paths.blocks)


def test_every_shared_pdf_is_read(shared_run: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    manifest, blocks = shared_run
    assert len(manifest) == len(list(SHARED.glob("*.pdf")))
    assert set(manifest["status"]) <= {"ok", "warning"}, manifest[manifest["status"] == "failed"]
    assert (manifest["pages"] > 0).all()
    per_plan = blocks.groupby("plan_id")["page"].nunique()
    for row in manifest.itertuples():
        # every file yields text from most of its pages (scans via OCR when available)
        assert per_plan.get(row.plan_id, 0) >= 0.5 * row.pages, row.file


def test_scanned_pdf_is_flagged(shared_run: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    manifest, _ = shared_run
    scan = manifest.set_index("file").loc["ocrmypdf__multipage.pdf"]
    assert scan["status"] == "warning"
    assert scan["pages_without_text"] > 0
    assert "without a text layer" in scan["reason"]
