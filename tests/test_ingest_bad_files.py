"""Every bad-file kind gets one line, a manifest row, and the good files are still reviewed."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd
import pytest
from ingest_pdfs import encrypted_pdf, layout_pdf, plain_pdf, truncated_pdf

from pipeline.config import Paths
from pipeline.ingest import run_ingest
from pipeline.ingest.settings import load_settings

EXPECTED = {
    # file: (status, reason)
    "broken-link.pdf": ("failed", "unreadable path (a broken symbolic link)"),
    "directory.pdf": ("failed", "not a file (it is a directory)"),
    "empty.pdf": ("failed", "empty file (0 bytes)"),
    "encrypted.pdf": ("failed", "encrypted (a password is needed to open it)"),
    "huge.pdf": (
        "failed",
        "too many pages (12 > 10; raise limits.max_pages in ingest.yaml to read it)",
    ),
    "html-page.pdf": ("failed", "not a PDF (the file looks like an HTML page)"),
    "notes.docx": ("failed", "not a PDF (the file looks like a ZIP archive or Office document)"),
    "truncated.pdf": (
        "failed",
        "truncated or corrupt PDF (the file ends early or its index is broken)",
    ),
}
GOOD = {"good-a.pdf": 2, "good-b.pdf": 3, "open-encrypted.pdf": 2}


def _paths(root: Path) -> Paths:
    return Paths(raw=root / "raw", interim=root / "interim", processed=root / "processed")


def _settings(**limits: float):
    settings = load_settings()
    return settings.model_copy(update={"limits": settings.limits.model_copy(update=limits)})


def _build(raw: Path, scratch: Path) -> None:
    raw.mkdir(parents=True)
    scratch.mkdir()
    plain_pdf(raw / "good-a.pdf", pages=2, label="Good A")
    plain_pdf(raw / "good-b.pdf", pages=3, label="Good B")
    source = plain_pdf(scratch / "source.pdf", pages=2, label="Secret")
    encrypted_pdf(source, raw / "encrypted.pdf", user_password="letmein")
    encrypted_pdf(source, raw / "open-encrypted.pdf", user_password="")
    truncated_pdf(plain_pdf(scratch / "long.pdf", pages=6), raw / "truncated.pdf")
    (raw / "html-page.pdf").write_text("<!DOCTYPE html><html><body>Not found</body></html>")
    (raw / "notes.docx").write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    (raw / "empty.pdf").write_bytes(b"")
    (raw / "directory.pdf").mkdir()
    (raw / "directory.pdf" / "inside.pdf").write_bytes(b"ignored: inside a *.pdf directory")
    os.symlink(scratch / "gone.pdf", raw / "broken-link.pdf")
    plain_pdf(raw / "huge.pdf", pages=12, label="Huge")
    (raw / "README.md").write_text("not a plan")
    (raw / "manifest.csv").write_text("file,sha256\n")


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("bad")
    _build(root / "raw", root / "scratch")
    handler = _Collect()
    logging.getLogger("pipeline").addHandler(handler)
    try:
        manifest = run_ingest(_paths(root), workers=1, settings=_settings(max_pages=10))
    finally:
        logging.getLogger("pipeline").removeHandler(handler)
    return root, manifest, handler.lines


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_every_bad_file_has_a_row_and_one_line(bad_run) -> None:
    root, manifest, lines = bad_run
    rows = manifest.set_index("file")
    assert set(rows.index) == set(EXPECTED) | set(GOOD)
    for name, (status, reason) in EXPECTED.items():
        assert (rows.loc[name, "status"], rows.loc[name, "reason"]) == (status, reason), name
        level = "failed" if status == "failed" else "warning"
        expected_line = f"{level}: {root / 'raw' / name}: {reason}"
        assert lines.count(expected_line) == 1, expected_line
    assert len(lines) == len(EXPECTED)  # nothing else was logged as a problem
    assert list(manifest["file"]) == sorted(manifest["file"])


def test_good_files_in_the_same_run_are_fully_reviewed(bad_run) -> None:
    root, manifest, _ = bad_run
    rows = manifest.set_index("file")
    blocks = pd.read_parquet(_paths(root).blocks)
    for name, pages in GOOD.items():
        row = rows.loc[name]
        assert (row["status"], row["reason"], row["pages"]) == ("ok", "", pages), name
        plan_pages = blocks[blocks["plan_id"] == row["plan_id"]]["page"]
        assert sorted(set(plan_pages)) == list(range(1, pages + 1)), name
    secret = blocks[blocks["plan_id"] == "open-encrypted"]["text"]
    assert secret.str.contains("Secret page 2").any()
    failed = set(manifest[manifest["status"] == "failed"]["plan_id"])
    assert not set(blocks["plan_id"]) & failed


def test_fixing_a_bad_file_rereads_only_that_file(
    bad_run, caplog: pytest.LogCaptureFixture
) -> None:
    root, _, _ = bad_run
    paths = _paths(root)
    plain_pdf(paths.raw / "html-page.pdf", pages=1, label="Fixed")
    with caplog.at_level(logging.INFO, logger="pipeline.ingest"):
        manifest = run_ingest(paths, workers=1, settings=_settings(max_pages=10))
    rows = manifest.set_index("file")
    assert (rows.loc["html-page.pdf", "status"], rows.loc["html-page.pdf", "pages"]) == ("ok", 1)
    # the 3 good files and the cached deterministic failures (encrypted, truncated, huge)
    # came from the cache; the fixed file was read. Cheap pre-checks are not cached.
    summary = next(r.getMessage() for r in caplog.records if "cached" in r.getMessage())
    assert ", 6 cached, 1 to read with" in summary, summary
    assert rows.loc["encrypted.pdf", "reason"] == EXPECTED["encrypted.pdf"][1]


def test_a_hanging_parse_hits_the_time_limit(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    layout_pdf(tmp_path / "raw" / "slow.pdf")
    manifest = run_ingest(_paths(tmp_path), workers=1, settings=_settings(timeout_seconds=1e-4))
    row = manifest.iloc[0]
    assert row["status"] == "failed"
    assert row["reason"] == "timed out after 0.0001 s (limits.timeout_seconds in ingest.yaml)"
    # a time-out is not cached: the next run with a sane limit reads the file
    manifest = run_ingest(_paths(tmp_path), workers=1)
    assert manifest.iloc[0]["status"] in {"ok", "warning"}
    assert manifest.iloc[0]["pages"] == 4


def test_pdfplumber_losing_every_page_is_not_ok(tmp_path: Path) -> None:
    """One byte missing: pdfplumber sees zero pages, pypdfium2 reads all six."""
    (tmp_path / "raw").mkdir()
    data = plain_pdf(tmp_path / "source.pdf", pages=6, label="Damaged").read_bytes()
    cut = data.index(b"2 0 obj")
    (tmp_path / "raw" / "damaged.pdf").write_bytes(data[:cut] + data[cut + 1 :])
    for fast in (True, False):
        settings = load_settings()
        settings = settings.model_copy(
            update={"fast_path": settings.fast_path.model_copy(update={"enabled": fast})}
        )
        manifest = run_ingest(_paths(tmp_path), workers=1, settings=settings)
        row = manifest.iloc[0]
        assert row["status"] == "warning" and row["pages"] == 6
        assert row["reason"].startswith("page counts differ (pdfplumber 0, pypdfium2 6)")
        blocks = pd.read_parquet(_paths(tmp_path).blocks)
        assert sorted(set(blocks["page"])) == [1, 2, 3, 4, 5, 6]
        assert blocks["text"].str.contains("Damaged page 6").any()
