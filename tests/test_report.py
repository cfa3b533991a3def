"""The report stage on small hand-made processed tables: numbers, sentences, outputs, escaping.

Every number the report prints must come from data/processed; these tests change the tables
and watch the counts, the sentences and the HTML move with them.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from report_fixtures import build_processed, plan_scores_frame

from pipeline.config import ConfigError, load_yaml_model
from pipeline.report import run_report, tables, wording
from pipeline.report.settings import REPORT_FILE, ReportSettings, Tool, report_settings
from pipeline.storage import read_table

COUNT_STEMS = [
    "counts_criterion10", "counts_missing", "counts_methods", "counts_third_sector",
    "counts_advocacy", "counts_by_cycle", "area_movement", "plan_tools",
]  # fmt: skip


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("report")
    paths = build_processed(root, agreement=True)
    written = run_report(paths)
    return paths, written


# --------------------------------------------------------------------------- wording
@pytest.mark.parametrize(
    ("fully", "partially", "not_met", "expected"),
    [
        (14, 16, 0, "All 30 plans fully or partially satisfied this criterion, with 14 fully "
                    "meeting the requirements set out in the guidance. The remaining 16 plans "
                    "would have benefitted from adding further information."),
        (5, 0, 0, "All 5 plans fully met this criterion."),
        (1, 1, 0, "Both plans fully or partially satisfied this criterion, with 1 fully meeting "
                  "the requirements set out in the guidance. The remaining plan would have "
                  "benefitted from adding further information."),
        (0, 4, 0, "All 4 plans partially satisfied this criterion; none fully met the "
                  "requirements set out in the guidance."),
        (15, 14, 1, "Of the 30 plans, 15 fully met this criterion, 14 partially met it and "
                    "1 did not meet it."),
        (0, 3, 2, "Of the 5 plans, 3 partially met this criterion and 2 did not meet it."),
        (0, 0, 3, "None of the 3 plans met this criterion."),
        (0, 0, 1, "The one plan reviewed did not meet this criterion."),
        (0, 0, 0, "No plans were reviewed."),
    ],
)  # fmt: skip
def test_criterion10_sentence_reads_right_for_every_mix(fully, partially, not_met, expected):
    assert wording.criterion10_sentence(fully, partially, not_met) == expected


def test_third_sector_sentence_leaves_out_empty_categories():
    assert wording.third_sector_sentence(13, 10, 7).startswith(
        "13 plans provided robust information"
    )
    assert "7 plans made no mention" in wording.third_sector_sentence(13, 10, 7)
    s = wording.third_sector_sentence(2, 1, 0)
    assert "no mention" not in s and s.endswith("every plan mentioned the third sector.")
    assert (
        wording.third_sector_sentence(0, 0, 4) == "None of the 4 plans mentioned the third sector."
    )


@pytest.mark.parametrize(
    ("k", "n", "lead"),
    [(0, 30, "None of"), (7, 30, "Fewer than a quarter of"), (9, 30, "Fewer than a third of"),
     (10, 30, "Fewer than half of"), (15, 30, "Half of"), (16, 30, "At least half of"),
     (29, 30, "Most of"), (30, 30, "All of")],
)  # fmt: skip
def test_advocacy_fraction_words_are_true_for_the_exact_fraction(k, n, lead):
    sentence = wording.advocacy_sentence(k, n, report_settings())
    assert sentence.startswith(f"{lead} the plans ({k} of {n}, {round(100 * k / n)}%)")


def test_tools_sentence_names_most_used_first_and_skips_unused():
    s = wording.tools_sentence([("Surveys", 9), ("Apps", 2), ("Polls", 0)], 12, top=5)
    assert (
        s
        == "The tools most commonly used for engagement were surveys (9 of 12) and apps (2 of 12)."
    )
    assert "No engagement tools" in wording.tools_sentence([("Polls", 0)], 3, top=5)


def test_tool_terms_match_whole_words_only():
    tool = Tool(id="apps", label="Apps", terms=["app"])
    assert tool.pattern().search("through the council's app and a poll")
    assert tool.pattern().search("two Apps were built")
    assert not tool.pattern().search("a new approach to applications")


def test_report_yaml_is_validated(tmp_path: Path):
    bad = tmp_path / "report.yaml"
    bad.write_text(REPORT_FILE.read_text(encoding="utf-8") + "\nunexpected_key: 1\n")
    with pytest.raises(ConfigError, match="unexpected_key"):
        load_yaml_model(bad, ReportSettings)


# --------------------------------------------------------------------------- counts
def test_counts_match_the_fixture_by_construction(report):
    paths, _ = report
    c10 = read_table(paths.processed / "counts_criterion10.csv").set_index("cycle")
    assert c10.loc["2020-23"].tolist() == [1, 1, 0]
    assert c10.loc["2023-26"].tolist() == [1, 2, 0]
    assert int(c10.to_numpy().sum()) == 5  # the counts alone add up to the plans reviewed
    missing = read_table(paths.processed / "counts_missing.csv")
    lacking = missing[missing["cycle"] == "2023-26"].set_index("item")["plans"]
    assert lacking["influence"] == 2 and lacking["workforce"] == 1 and lacking["families"] == 0
    tools = read_table(paths.processed / "counts_methods.csv")
    surveys = tools[(tools["cycle"] == "2020-23") & (tools["tool"] == "surveys")]
    assert surveys["plans"].item() == 2  # both 2020-23 plans name a survey in a methods passage
    # the untagged promise "We will survey pupils" in Corrieshaw must not count
    assert tools[(tools["cycle"] == "2023-26") & (tools["tool"] == "surveys")]["plans"].item() == 0
    move = read_table(paths.processed / "area_movement.csv").set_index("area")
    assert move.loc["Ardmore", "movement"] == "improved"
    assert move.loc["Bellcraig", "movement"] == "declined"


def test_count_tables_are_byte_identical_between_runs(report):
    paths, _ = report
    first = {p.name: p.read_bytes() for p in paths.processed.iterdir() if p.stem in COUNT_STEMS}
    svg_before = (paths.reports / "figures" / "criterion10.svg").read_bytes()
    run_report(paths)
    second = {p.name: p.read_bytes() for p in paths.processed.iterdir() if p.stem in COUNT_STEMS}
    assert len(first) == 2 * len(COUNT_STEMS)
    assert first == second
    assert svg_before == (paths.reports / "figures" / "criterion10.svg").read_bytes()


def test_an_override_changes_counts_and_sentence(report, tmp_path: Path):
    base, _ = report
    html_before = (base.reports / "summary.html").read_text(encoding="utf-8")
    assert "All 3 plans fully or partially satisfied this criterion" in html_before

    scores = plan_scores_frame()
    row = scores["plan_id"] == "corrieshaw-2023-26"
    scores.loc[row, "criterion10"] = "not_met"
    scores.loc[row, "missing"] = ""
    scores.loc[row, "overridden"] = "criterion10: reviewer rated not_met"
    changed = build_processed(tmp_path / "override", scores=scores)
    run_report(changed)
    c10 = read_table(changed.processed / "counts_criterion10.csv").set_index("cycle")
    assert c10.loc["2023-26", ["fully", "partially", "not_met"]].tolist() == [1, 1, 1]
    html = (changed.reports / "summary.html").read_text(encoding="utf-8")
    assert "All 3 plans fully or partially" not in html
    assert (
        "Of the 3 plans, 1 fully met this criterion, 1 partially met it and 1 did not meet it."
        in html
    )
    assert "reviewer rated not_met" in html
    missing = read_table(changed.processed / "counts_missing.csv")
    assert missing.query("cycle == '2023-26' and item == 'workforce'")["plans"].item() == 0


# --------------------------------------------------------------------------- outputs
def test_all_outputs_are_written(report):
    paths, written = report
    names = {
        p.relative_to(paths.reports).as_posix() for p in written if paths.reports in p.parents
    }
    for expected in ["summary.html", "summary.md", "csp_review.xlsx", "run_log.json"]:
        assert expected in names
    for fig in ["criterion10", "missing", "tools", "third_sector", "scorecard"]:
        assert f"figures/{fig}.png" in names and f"figures/{fig}.svg" in names
        assert (paths.reports / "figures" / f"{fig}.png").read_bytes()[:4] == b"\x89PNG"


def test_synthetic_corpus_is_said_everywhere(report):
    paths, _ = report
    html = (paths.reports / "summary.html").read_text(encoding="utf-8")
    md = (paths.reports / "summary.md").read_text(encoding="utf-8")
    assert "SYNTHETIC SAMPLE" in html.split("<h1>")[0] + html.split("<h1>")[1][:2000]
    assert md.startswith("> **SYNTHETIC SAMPLE")
    for svg in (paths.reports / "figures").glob("*.svg"):
        assert "SYNTHETIC sample: fictional plans" in svg.read_text(encoding="utf-8"), svg.name


def test_real_corpus_is_not_called_synthetic(tmp_path: Path):
    paths = build_processed(tmp_path, synthetic=False)
    run_report(paths)
    html = (paths.reports / "summary.html").read_text(encoding="utf-8")
    assert "SYNTHETIC" not in html
    assert "SYNTHETIC" not in (paths.reports / "figures" / "criterion10.svg").read_text()


def test_html_numbers_come_from_the_tables(report):
    paths, _ = report
    html = (paths.reports / "summary.html").read_text(encoding="utf-8")
    scores = read_table(paths.processed / "plan_scores.csv")
    for cycle, group in scores.groupby("cycle"):
        counts = group["criterion10"].value_counts()
        row = re.search(rf'<tr><th scope="row">{cycle}</th>(.*?)</tr>', html).group(1)
        cells = [int(v) for v in re.findall(r'<td class="num">(\d+)</td>', row)]
        assert cells == [int(counts.get(k, 0)) for k in ("fully", "partially", "not_met")] + [
            len(group)
        ]
    assert "1 of 5 plans needs a reviewer" in html
    assert "2023-26/dunmore-2023-26.pdf" in html and "encrypted: needs a password" in html
    assert "criterion10: Cohen&#39;s kappa 0.62 (4 of 5 plans agree)" in html
    assert "advocacy: Cohen&#39;s kappa undefined" in html
    assert 'id="table-confusion-criterion10"' in html


def test_needs_review_comes_before_the_findings(report):
    paths, _ = report
    html = (paths.reports / "summary.html").read_text(encoding="utf-8")
    main = html.split('<main id="main">')[1]
    assert main.index('id="needs-review"') < main.index('id="criterion10"')
    assert main.index("bellcraig-2023-26") < main.index('id="criterion10"')


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory):
    """Fixture tables plus hostile excerpt text (ranked first) and the optional areas table."""
    from pipeline.storage import write_table

    paths = build_processed(tmp_path_factory.mktemp("variant"))
    excerpts = read_table(paths.processed / "excerpts.csv")
    script = excerpts["passage_id"] == "x-script"
    others = (excerpts["plan_id"] == "ardmore-2023-26") & ~script
    excerpts.loc[script, "rank"] = 1
    excerpts.loc[others, "rank"] += 1
    write_table(excerpts, paths.processed / "excerpts")
    areas = pd.DataFrame(
        [(pid, cycle, focus, name, n, "", "", 1 if n else 0)
         for pid, cycle in [("ardmore-2023-26", "2023-26"), ("bellcraig-2023-26", "2023-26")]
         for focus, name, n in [(1, "Leadership", 1 if pid.startswith("a") else 0),
                                (2, "Planning and delivery", 2), (3, "Measuring success", 0)]],
        columns=["plan_id", "cycle", "area_of_focus", "area_name", "n_passages",
                 "strongest_passage_id", "strongest_text", "page"],
    )  # fmt: skip
    write_table(areas, paths.processed / "third_sector_areas")
    run_report(paths)
    return paths


def test_passage_text_is_escaped(variant):
    html = (variant.reports / "summary.html").read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<b>evidences</b>" not in html and "&lt;b&gt;evidences&lt;/b&gt;" in html
    md = (variant.reports / "summary.md").read_text(encoding="utf-8")
    assert "<script>" not in md


def test_optional_third_sector_areas_table_is_shown(variant):
    counts = read_table(variant.processed / "counts_third_sector_areas.csv")
    assert counts.set_index("area_of_focus")["plans_with_evidence"].to_dict() == {1: 1, 2: 2, 3: 0}
    html = (variant.reports / "summary.html").read_text(encoding="utf-8")
    assert 'id="table-areas-of-focus"' in html


def test_good_practice_quotes_carry_page_citations(report):
    paths, _ = report
    html = (paths.reports / "summary.html").read_text(encoding="utf-8")
    section = html.split('id="good-practice"')[1].split('id="agreement"')[0]
    assert "Ardmore (2023-26)" in section
    assert "Ardmore plan, page 2, section “How we engaged”" in section


def test_run_log_holds_provenance_and_the_only_timestamps(report):
    paths, _ = report
    log = json.loads((paths.reports / "run_log.json").read_text(encoding="utf-8"))
    prov = log["provenance"]
    assert re.fullmatch(r"[0-9a-f]{64}", prov["resource_hash"])
    assert prov["git"]["commit"]
    assert "dirty" in prov["git"]
    assert "pandas" in prov["packages"] and prov["packages"]["pandas"] == pd.__version__
    assert len(prov["inputs"]) == 6 and {i["sha256"] for i in prov["inputs"]} >= {"f" * 64}
    assert "palette.yaml" in prov["resource_files"] and "report.yaml" in prov["resource_files"]
    assert log["started"] <= log["finished"]
    html = (paths.reports / "summary.html").read_text(encoding="utf-8")
    footer = html.split("<footer")[1]
    assert prov["git"]["commit"] in footer and prov["resource_hash"] in footer
    for stem in COUNT_STEMS:
        text = (paths.processed / f"{stem}.csv").read_text(encoding="utf-8")
        assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text), stem


def test_missing_inputs_fail_with_a_clear_message(tmp_path: Path):
    paths = build_processed(tmp_path)
    (paths.processed / "plan_scores.csv").unlink()
    (paths.processed / "plan_scores.parquet").unlink()
    with pytest.raises(tables.ReportInputError, match="plan_scores"):
        run_report(paths)


# --------------------------------------------------------------------------- static a11y
class _Outline(HTMLParser):
    """Collects what the static accessibility checks need from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.imgs: list[dict[str, str | None]] = []
        self.tables = 0
        self.captions = 0
        self.ths: list[dict[str, str | None]] = []
        self.tags: list[str] = []
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.html_lang: str | None = None
        self.link_texts: list[str] = []
        self._in_a = False
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "html":
            self.html_lang = a.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "img":
            self.imgs.append(a)
        if tag == "table":
            self.tables += 1
        if tag == "caption":
            self.captions += 1
        if tag == "th":
            self.ths.append(a)
        if tag == "a":
            self.hrefs.append(a.get("href") or "")
            self._in_a, self._text = True, ""

    def handle_endtag(self, tag):
        if tag == "a" and self._in_a:
            self.link_texts.append(self._text.strip())
            self._in_a = False

    def handle_data(self, data):
        if self._in_a:
            self._text += data


def test_html_structure_is_accessible(report):
    paths, _ = report
    outline = _Outline()
    outline.feed((paths.reports / "summary.html").read_text(encoding="utf-8"))
    assert outline.html_lang == "en"
    assert "title" in outline.tags and "main" in outline.tags and "nav" in outline.tags
    assert outline.headings.count(1) == 1 and outline.headings[0] == 1
    for before, after in zip(outline.headings, outline.headings[1:], strict=False):
        assert after <= before + 1, f"heading level skipped: h{before} -> h{after}"
    assert outline.imgs and all((img.get("alt") or "").strip() for img in outline.imgs)
    assert outline.tables == outline.captions > 0
    assert all(th.get("scope") in {"col", "row"} for th in outline.ths)
    for href in outline.hrefs:
        if href.startswith("#"):
            assert href[1:] in outline.ids, f"broken in-page link {href}"
        else:
            assert (paths.reports / href).exists(), f"broken file link {href}"
    vague = {"click here", "here", "more", "link", "read more"}
    assert not [t for t in outline.link_texts if t.lower() in vague or not t]


def test_every_figure_has_a_caption_and_a_data_table(report):
    paths, _ = report
    html = (paths.reports / "summary.html").read_text(encoding="utf-8")
    figures = re.findall(r"<figure id=\"[^\"]+\">(.*?)</figure>", html, flags=re.S)
    assert len(figures) == 5
    for fig in figures:
        assert "<figcaption>" in fig
        table_id = re.search(r'href="#(table-[^"]+)"', fig).group(1)
        assert f'<table id="{table_id}">' in html


def test_pdf_export_when_weasyprint_is_installed(report, tmp_path: Path):
    """html_to_pdf prints a page with a chart (a small page: WeasyPrint is slow here)."""
    from pipeline.report import html_to_pdf, weasyprint_available

    if not weasyprint_available():
        pytest.skip("WeasyPrint (and Pango) not installed")
    paths, _ = report
    page = paths.reports / "pdf_probe.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>Probe</title></head><body><h1>Probe</h1>'
        '<img src="figures/criterion10.svg" alt="chart"></body></html>',
        encoding="utf-8",
    )
    try:
        pdf = html_to_pdf(page, tmp_path / "probe.pdf")
    finally:
        page.unlink()
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf.stat().st_size > 5_000  # the chart made it in, not just the heading
