"""Accessibility check of the generated HTML pages with axe-core in headless Debian Chromium.

``python -m pipeline.a11y reports/`` opens every HTML page under the folder (summary,
briefings, any other) with Playwright driving /usr/bin/chromium (never a downloaded browser),
runs axe-core (shipped inside the axe-playwright-python wheel) for the WCAG 2.0/2.1/2.2 A and
AA rules (plus axe's best-practice rules, reported but not blocking), writes
reports/a11y/<page>.json and reports/a11y/a11y_summary.json, and exits non-zero when any page has
a critical or serious WCAG violation.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from pipeline.storage import write_text

log = logging.getLogger(__name__)

CHROMIUM = Path("/usr/bin/chromium")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# axe's best-practice rules (heading order, landmarks, regions) are reported but never block
ADVISORY_TAGS = ["best-practice"]
SEVERITIES = ["critical", "serious", "moderate", "minor"]
BLOCKING = {"critical", "serious"}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
OUT_DIR_NAME = "a11y"
# not "summary.json": that is the result file of the page summary.html
SUMMARY_NAME = "a11y_summary.json"


class BrowserUnavailable(RuntimeError):
    """Debian chromium or Playwright is not installed here."""


def html_pages(root: Path) -> list[Path]:
    """Every generated HTML page under ``root``, except our own output folder."""
    root = Path(root)
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*.html") if OUT_DIR_NAME not in p.relative_to(root).parts)


def launch_browser(playwright: Any, user_data_dir: Path) -> Any:
    """A persistent headless context on Debian's chromium with an empty profile."""
    if not CHROMIUM.exists():
        raise BrowserUnavailable(f"{CHROMIUM} not found (install Debian's chromium package)")
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
    )


def is_wcag(violation: dict[str, Any]) -> bool:
    return bool(set(violation.get("tags", [])) & set(WCAG_TAGS))


def _summarise(violations: list[dict[str, Any]]) -> dict[str, Any]:
    by_severity: Counter[str] = Counter()
    advisory: Counter[str] = Counter()
    for v in violations:
        target = by_severity if is_wcag(v) else advisory
        target[v.get("impact") or "minor"] += len(v.get("nodes", []))
    return {
        "violations": len(violations),
        "nodes_by_severity": {s: int(by_severity.get(s, 0)) for s in SEVERITIES},
        "advisory_nodes_by_severity": {s: int(advisory.get(s, 0)) for s in SEVERITIES},
        "rules": sorted(
            {f"{v['id']} ({v.get('impact')}): {len(v.get('nodes', []))}" for v in violations}
        ),
    }


def check_pages(pages: list[Path], out_dir: Path) -> dict[str, Any]:
    """Run axe on each page; write one JSON per page and return the summary."""
    try:
        from axe_playwright_python.sync_playwright import Axe
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise BrowserUnavailable("playwright / axe-playwright-python not installed") from exc
    axe = Axe()
    options = {
        "runOnly": {"type": "tag", "values": WCAG_TAGS + ADVISORY_TAGS},
        "resultTypes": ["violations"],
    }
    summary: dict[str, Any] = {"tags": WCAG_TAGS, "pages": {}}
    with tempfile.TemporaryDirectory(prefix="csp-a11y-") as profile, sync_playwright() as pw:
        context = launch_browser(pw, Path(profile))
        try:
            for page_path in pages:
                page = context.new_page()
                page.goto(page_path.resolve().as_uri(), wait_until="load")
                result = axe.run(page, options=options).response
                page.close()
                violations = result.get("violations", [])
                name = (
                    page_path.stem
                    if page_path.parent == out_dir.parent
                    else ("_".join(page_path.relative_to(out_dir.parent).with_suffix("").parts))
                )
                write_text(out_dir / f"{name}.json", json.dumps(violations, indent=2) + "\n")
                summary["pages"][page_path.as_posix()] = _summarise(violations)
        finally:
            context.close()
    totals: Counter[str] = Counter()
    for info in summary["pages"].values():
        totals.update(info["nodes_by_severity"])
    summary["nodes_by_severity"] = {s: int(totals.get(s, 0)) for s in SEVERITIES}
    summary["blocking"] = sum(totals.get(s, 0) for s in BLOCKING)
    write_text(out_dir / SUMMARY_NAME, json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.a11y", description="axe-core check of generated HTML pages."
    )
    parser.add_argument("root", type=Path, nargs="?", default=Path("reports"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    root = Path(args.root)
    pages = html_pages(root)
    if not pages:
        log.error("no HTML pages under %s: run `csp-review report` first", root)
        return 2
    out_dir = (root if root.is_dir() else root.parent) / OUT_DIR_NAME
    try:
        summary = check_pages(pages, out_dir)
    except BrowserUnavailable as exc:
        log.error("%s", exc)
        return 2
    for page, info in summary["pages"].items():
        counts = ", ".join(f"{k} {v}" for k, v in info["nodes_by_severity"].items())
        advisory = sum(info["advisory_nodes_by_severity"].values())
        log.info(
            "%s: %d rules violated; WCAG nodes: %s; best-practice nodes: %d",
            page, info["violations"], counts, advisory,
        )  # fmt: skip
        for rule in info["rules"]:
            log.info("  %s", rule)
    log.info("results in %s", out_dir)
    if summary["blocking"]:
        log.error("%d critical or serious violations", summary["blocking"])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
