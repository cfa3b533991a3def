"""Locality briefing papers: page citations, silence, prompts, accessibility, synthetic notice."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from third_sector_helpers import PASSAGES, write_inputs
from typer.testing import CliRunner

from pipeline.briefing import BriefingError, write_all_briefings, write_briefing
from pipeline.cli import app
from pipeline.config import Paths
from pipeline.storage import read_table, write_parquet

CITATION = re.compile(r"Page (\d+)")


class Outline(HTMLParser):
    """Collects what the static accessibility checks need from an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[int] = []
        self.title = ""
        self._in_title = False
        self.tables = 0
        self.captions = 0
        self.quotes: list[str] = []
        self._in_quote = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        self._in_title = tag == "title"
        self.tables += tag == "table"
        self.captions += tag == "caption"
        if tag == "blockquote":
            self._in_quote = True
            self.quotes.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False if tag == "title" else self._in_title
        self._in_quote = False if tag == "blockquote" else self._in_quote

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._in_quote:
            self.quotes[-1] += data


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return write_inputs(tmp_path, synthetic=True)


def test_briefing_cites_pages_that_exist_and_hold_the_quote(paths: Paths) -> None:
    written = write_briefing(paths, "ardlochan-2023-26", pdf=False)
    html = written[0].read_text(encoding="utf-8")
    markdown = written[1].read_text(encoding="utf-8")
    passages = read_table(paths.passages)
    plan = passages[passages["plan_id"] == "ardlochan-2023-26"]
    on_page = plan.groupby("page")["text"].apply(" ".join)
    page = outline(html)
    cited = [int(p) for p in CITATION.findall(html)]
    assert cited and len(cited) == len(page.quotes)
    for number, quote in zip(cited, page.quotes, strict=True):
        assert number in on_page.index, number
        assert quote.strip().rstrip(" …")[:60] in on_page[number]
    assert sorted(CITATION.findall(markdown)) == sorted(CITATION.findall(html))
    # The board seat (page 4) and the annual report (page 11) are both quoted.
    assert {4, 11} <= set(cited)


def test_silent_areas_are_named_and_prompted(paths: Paths) -> None:
    html = write_briefing(paths, "carnbeg-2023-26", pdf=False)[0].read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", html)
    assert text.count("The plan is silent here") == 2  # areas 1 and 3
    prompts = re.search(r'<ol class="prompts">(.*?)</ol>', text).group(1)
    assert "Area 1 (Leadership)" in prompts and "Area 3 (Measuring success" in prompts
    # Area 2 has a single passage: a "thin" prompt, not a "silent" one.
    area2 = re.search(r"<li>Area 2 \(.*?</li>", prompts).group(0)
    assert "single example" in area2
    # third_sector = needs_more in the plan scores brings its own prompt.
    assert "how organisations took part in developing and delivering it is unclear" in prompts
    assert "not the toolkit&#39;s own challenge questions" in text or (
        "not the toolkit's own challenge questions" in text
    )


def test_judgements_are_shown(paths: Paths) -> None:
    md = write_briefing(paths, "ardlochan-2023-26", pdf=False)[1].read_text(encoding="utf-8")
    assert "| Criterion 10 rating | Partially met |" in md
    assert "| Third sector participation | Robust |" in md
    assert "engagement with the local workforce" in md


def test_html_passes_static_accessibility_checks(paths: Paths) -> None:
    for target in write_all_briefings(paths, pdf=False):
        if target.suffix != ".html":
            continue
        html = target.read_text(encoding="utf-8")
        page = outline(html)
        assert re.search(r'<html lang="en">', html)
        assert page.title.strip()
        assert page.headings.count(1) == 1 and page.headings[0] == 1
        assert all(b - a <= 1 for a, b in zip(page.headings, page.headings[1:], strict=False))
        assert [t for t, _ in page.tags].count("main") == 1
        assert page.tables == page.captions >= 1
        assert all(a.get("scope") in {"col", "row"} for t, a in page.tags if t == "th")


def test_synthetic_notice_only_for_synthetic_corpus(tmp_path: Path) -> None:
    synthetic = write_inputs(tmp_path / "a", synthetic=True)
    real = write_inputs(tmp_path / "b", synthetic=False)
    assert (
        "Synthetic corpus"
        in write_briefing(synthetic, "carnbeg-2023-26", pdf=False)[0].read_text()
    )
    assert (
        "Synthetic corpus" not in write_briefing(real, "carnbeg-2023-26", pdf=False)[0].read_text()
    )
    manifest = pd.DataFrame(
        {"file": ["x.pdf"], "plan_id": ["carnbeg-2023-26"], "reason": ["SYNTHETIC sample plan"]}
    )
    manifest.to_csv(real.manifest, index=False)
    assert "Synthetic corpus" in write_briefing(real, "carnbeg-2023-26", pdf=False)[0].read_text()


def test_passage_text_is_escaped(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path)
    passages = read_table(paths.passages)
    row = passages.index[passages["text"] == PASSAGES[1][3]][0]
    passages.loc[row, "text"] = (
        "The <script>alert(1)</script> Trust sits on the partnership board."
    )
    write_parquet(passages, paths.passages)
    html = write_briefing(paths, "ardlochan-2023-26", pdf=False)[0].read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_unscored_plan_and_unknown_plan(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path, with_scores=False)
    md = write_briefing(paths, "carnbeg-2023-26", pdf=False)[1].read_text(encoding="utf-8")
    assert "has not been scored yet" in md
    with pytest.raises(BriefingError, match="unknown plan 'nowhere'"):
        write_briefing(paths, "nowhere", pdf=False)


def test_cli_briefing_one_all_and_errors(paths: Paths) -> None:
    runner = CliRunner()
    base = [
        "--raw",
        str(paths.raw),
        "--processed",
        str(paths.processed),
        "--reports",
        str(paths.reports),
    ]
    done = runner.invoke(app, ["briefing", "ardlochan-2023-26", *base])
    assert done.exit_code == 0, done.output
    assert (paths.reports / "briefings" / "ardlochan-2023-26.html").exists()
    everything = runner.invoke(app, ["briefing", "--all", *base])
    assert everything.exit_code == 0, everything.output
    names = {p.name for p in (paths.reports / "briefings").glob("*.md")}
    assert names == {f"{p}-2023-26.md" for p in ("ardlochan", "carnbeg", "dunvarrow")}
    assert runner.invoke(app, ["briefing", *base]).exit_code == 2
    unknown = runner.invoke(app, ["briefing", "nowhere", *base])
    assert unknown.exit_code == 2 and "unknown plan" in unknown.output


def test_pdf_is_two_to_four_pages_when_the_report_stage_can_print(paths: Paths) -> None:
    report = pytest.importorskip("pipeline.report")
    if getattr(report, "html_to_pdf", None) is None:
        pytest.skip("pipeline.report.html_to_pdf not available")
    pytest.importorskip("weasyprint")
    pypdf = pytest.importorskip("pypdf")
    written = write_briefing(paths, "ardlochan-2023-26")
    pdfs = [p for p in written if p.suffix == ".pdf"]
    if not pdfs:
        pytest.skip("WeasyPrint could not print here")
    assert 2 <= len(pypdf.PdfReader(pdfs[0]).pages) <= 4


@pytest.mark.browser
def test_axe_finds_no_violations(paths: Paths) -> None:
    if shutil.which("chromium") is None and not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    axe_mod = pytest.importorskip("axe_playwright_python.sync_playwright")
    html = write_briefing(paths, "carnbeg-2023-26", pdf=False)[0]
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(html.resolve().as_uri())
            results = axe_mod.Axe().run(page)
        finally:
            browser.close()
    violations = results.response["violations"]
    assert violations == [], [v["id"] for v in violations]


@pytest.mark.slow
def test_briefing_for_a_sample_plan_quotes_its_pdf_pages(reviewed: Paths) -> None:
    """End to end on the synthetic sample corpus: every cited page holds the quoted words."""
    pdfplumber = pytest.importorskip("pdfplumber")
    manifest = read_table(reviewed.manifest).set_index("plan_id")
    areas = read_table(reviewed.processed / "third_sector_areas.csv")
    with_evidence = areas.groupby("plan_id")["n_passages"].sum()
    plan_id = str(with_evidence.idxmax())
    html = write_briefing(reviewed, plan_id)[0].read_text(encoding="utf-8")
    assert "Synthetic corpus" in html
    page = outline(html)
    cited = [int(p) for p in CITATION.findall(html)]
    assert cited and len(cited) == len(page.quotes)
    with pdfplumber.open(reviewed.raw / manifest.loc[plan_id, "file"]) as pdf:
        n_pages = len(pdf.pages)
        for number, quote in zip(cited, page.quotes, strict=True):
            assert 1 <= number <= n_pages
            text = (pdf.pages[number - 1].extract_text() or "").lower()
            words = re.findall(r"[a-z]{4,}", quote.lower())[:10]
            if text:  # an OCR-only page has no text layer to compare with
                assert sum(w in text for w in words) >= 0.7 * len(words), (number, quote)


def test_shorten_cuts_at_a_word_and_drops_unmapped_glyphs() -> None:
    from pipeline.briefing import shorten

    assert shorten("(cid:127) 612 people  answered\nthe survey", 100) == (
        "612 people answered the survey"
    )
    cut = shorten("Harbour Families Trust co-chairs the family support group", 30)
    assert cut == "Harbour Families Trust …" and len(cut) <= 32
