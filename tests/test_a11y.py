"""axe-core (WCAG 2.0/2.1/2.2 A and AA) on the generated report in headless Debian Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_fixtures import build_processed

from pipeline import a11y
from pipeline.report import run_report

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not a11y.CHROMIUM.exists(), reason="Debian chromium not installed"),
]
pytest.importorskip("playwright.sync_api")
pytest.importorskip("axe_playwright_python")


def test_report_has_no_serious_or_critical_violations(tmp_path: Path):
    paths = build_processed(tmp_path, agreement=True)
    run_report(paths)
    (paths.reports / "briefings").mkdir()
    (paths.reports / "briefings" / "extra.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><title>Briefing</title></head>'
        "<body><main><h1>Briefing</h1><p>Fictional test page.</p></main></body></html>",
        encoding="utf-8",
    )
    assert a11y.main([str(paths.reports)]) == 0
    out = paths.reports / "a11y"
    summary = json.loads((out / a11y.SUMMARY_NAME).read_text(encoding="utf-8"))
    assert len(summary["pages"]) == 2  # summary.html and briefings/extra.html
    assert summary["blocking"] == 0
    assert (out / "summary.json").exists() and (out / "briefings_extra.json").exists()


def test_a_broken_page_fails_the_check(tmp_path: Path):
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><img src="x.png"><a href="#"></a></body></html>')
    assert a11y.main([str(tmp_path)]) == 1
    summary = json.loads((tmp_path / "a11y" / a11y.SUMMARY_NAME).read_text(encoding="utf-8"))
    counts = summary["nodes_by_severity"]
    assert counts["critical"] >= 1 and counts["serious"] >= 1


def test_no_pages_is_an_error(tmp_path: Path):
    assert a11y.main([str(tmp_path)]) == 2
