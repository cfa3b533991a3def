"""Open the summary report in headless Debian Chromium: images load, links resolve, 320 px.

Uses Playwright with executable_path=/usr/bin/chromium (never a downloaded browser); skips
cleanly when chromium or Playwright is absent. Full-page screenshots are saved under the
repository's reports/screenshots/ for a person to look at.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from report_fixtures import build_processed

from pipeline.a11y import CHROMIUM, launch_browser
from pipeline.report import run_report

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "reports" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed"),
]
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser_context():
    with tempfile.TemporaryDirectory(prefix="csp-browser-") as profile, \
            sync_api.sync_playwright() as pw:  # fmt: skip
        context = launch_browser(pw, Path(profile))
        try:
            yield context
        finally:
            context.close()


def _pages(tmp_root: Path) -> list[tuple[str, Path]]:
    paths = build_processed(tmp_root, agreement=True)
    run_report(paths)
    pages = [("summary_fixture", paths.reports / "summary.html")]
    real = REPO / "reports" / "summary.html"
    if real.exists():
        pages.append(("summary", real))
    return pages


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path]]:
    return _pages(tmp_path_factory.mktemp("browser"))


def test_images_load_links_resolve_and_screenshot(browser_context, pages):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, html in pages:
        page = browser_context.new_page()
        page.goto(html.resolve().as_uri(), wait_until="load")
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.getAttribute('src'), e.complete, e.naturalWidth])"
        )
        assert images, f"{name}: no images"
        broken = [src for src, complete, width in images if not complete or width == 0]
        assert not broken, f"{name}: images failed to load: {broken}"
        missing = page.evaluate(
            """() => [...document.querySelectorAll('a[href^="#"]')]
                   .map(a => a.getAttribute('href').slice(1))
                   .filter(id => id && !document.getElementById(id))"""
        )
        assert not missing, f"{name}: in-page links with no target: {missing}"
        files = page.evaluate(
            """() => [...document.querySelectorAll('a[href]')]
                   .map(a => a.getAttribute('href'))
                   .filter(h => !h.startsWith('#') && !h.includes('://'))"""
        )
        for href in files:
            assert (html.parent / href).exists(), f"{name}: link to missing file {href}"
        target = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 10_000
        page.close()


def test_readable_at_320_px(browser_context, pages):
    name, html = pages[0]
    page = browser_context.new_page()
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(html.resolve().as_uri(), wait_until="load")
    # the page itself must not scroll sideways; wide tables scroll inside their own region
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 320, f"{name}: page is {width}px wide at a 320px viewport"
    page.screenshot(path=str(SCREENSHOTS / f"{name}_320px.png"), full_page=False)
    page.close()
