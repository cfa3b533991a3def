"""The report stage: summary HTML/Markdown, figures, workbook and count tables.

Reads only the canonical tables in data/processed (plus the SYNTHETIC_CORPUS.md marker in the
raw folder) and writes:

- data/processed/counts_*.csv|parquet, area_movement, plan_tools: every number the report
  prints, byte-identical between runs on the same input (no time stamps);
- reports/summary.html and summary.md, reports/figures/*.png|svg, reports/csp_review.xlsx;
- reports/run_log.json: provenance and the run's time stamps (the only place they go).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pipeline import provenance as prov
from pipeline.config import Paths
from pipeline.report import content as content_mod
from pipeline.report import tables
from pipeline.report.excel import Sheet, write_workbook
from pipeline.report.html import html_to_pdf, weasyprint_available, write_reports
from pipeline.report.settings import palette, report_settings
from pipeline.storage import sha256_file, write_table, write_text

__all__ = ["run_report", "html_to_pdf", "weasyprint_available", "count_tables"]

log = logging.getLogger(__name__)


def count_tables(data: tables.ReportData) -> dict[str, pd.DataFrame]:
    """Every summary table the report prints, keyed by its file stem in data/processed."""
    s = report_settings()
    scores = data.plan_scores
    c10 = tables.criterion10_counts(scores)
    third = tables.third_sector_counts(scores, s)
    adv = tables.advocacy_counts(scores)
    out = {
        "counts_criterion10": c10,
        "counts_missing": tables.missing_counts(scores),
        "counts_methods": tables.methods_counts(scores, data.passages, s),
        "counts_third_sector": third,
        "counts_advocacy": adv,
        "counts_by_cycle": tables.by_cycle(c10, third, adv, s),
        "area_movement": tables.area_movement(scores),
        "plan_tools": tables.tool_mentions(data.passages, s),
    }
    if "third_sector_areas" in data.optional:
        areas = data.optional["third_sector_areas"]
        out["counts_third_sector_areas"] = tables.third_sector_areas_counts(areas)
    return out


def _facts(
    data: tables.ReportData, provenance: dict[str, object], run_date: str
) -> list[tuple[str, str]]:
    scores, manifest = data.plan_scores, data.manifest
    per_cycle = scores["cycle"].value_counts().sort_index()
    rubric = provenance["rubric"]
    assert isinstance(rubric, dict)
    n_failed = int((manifest["status"] == "failed").sum())
    n_warn = int((manifest["status"] == "warning").sum())
    return [
        ("Corpus", "SYNTHETIC sample (fictional plans)" if data.synthetic else "Published plans"),
        ("Plans reviewed", f"{len(scores)}"),
        ("Planning cycles", "; ".join(f"{c}: {n} plans" for c, n in per_cycle.items())),
        ("Files found", f"{len(manifest)} ({n_failed} failed, {n_warn} with warnings)"),
        ("Plans needing human review", f"{int(scores['needs_review'].sum())}"),
        ("Run date", run_date),
        ("Pipeline version", f"csp-review {provenance['pipeline_version']}"),
        ("Rubric version", f"{rubric['version']} (SHA-256 {str(rubric['sha256'])[:12]})"),
    ]


def _sheets(data: tables.ReportData, counts: dict[str, pd.DataFrame]) -> list[Sheet]:
    score_notes = ("confidence", "lists", "override")
    sheets = [
        Sheet("Plan scores", "plan_scores", "Criterion 10 judgements per plan", data.plan_scores,
              score_notes),
        Sheet("Criterion 10 counts", "counts_criterion10",
              "Plans by Criterion 10 rating and planning cycle", counts["counts_criterion10"]),
        Sheet("Missing items", "counts_missing", "What partially met plans lacked",
              counts["counts_missing"]),
        Sheet("Engagement tools", "counts_methods", "Plans naming each engagement tool",
              counts["counts_methods"], ("tools",)),
        Sheet("Tools by plan", "plan_tools", "Engagement tools found in each plan",
              counts["plan_tools"], ("tools", "pages")),
        Sheet("Third sector", "counts_third_sector", "Plans by third sector rating",
              counts["counts_third_sector"]),
        Sheet("Advocacy", "counts_advocacy", "Plans referring to advocacy for children",
              counts["counts_advocacy"]),
        Sheet("Cycles compared", "counts_by_cycle", "Planning cycles compared",
              counts["counts_by_cycle"]),
        Sheet("Area movement", "area_movement", "Ratings of areas in more than one cycle",
              counts["area_movement"]),
        Sheet("Element status", "element_status", "Evidence element status per plan",
              data.element_status, ("pages",)),
        Sheet("Evidence", "evidence", "Evidence passages behind each judgement", data.evidence,
              ("confidence", "pages")),
        Sheet("Good practice", "excerpts", "Good-practice excerpts with page citations",
              data.excerpts, ("pages",)),
        Sheet("Passages", "passages", "Every passage with its evidence scores and tags",
              data.passages, ("confidence", "lists", "pages")),
    ]  # fmt: skip
    if "counts_third_sector_areas" in counts:
        sheets.append(Sheet("Areas of focus", "counts_third_sector_areas",
                            "Third sector evidence by toolkit area of focus",
                            counts["counts_third_sector_areas"]))  # fmt: skip
    titles = {
        "agreement": ("Reviewer agreement", "Agreement between pipeline and reviewer ratings"),
        "confusion": ("Confusion matrix", "Pipeline ratings against reviewer ratings"),
        "disagreements": ("Disagreements", "Plans where pipeline and reviewer disagree"),
    }
    for stem, (label, title) in titles.items():
        if stem in data.optional:
            sheets.append(Sheet(label, stem, title, data.optional[stem]))
    sheets.append(Sheet("Files not reviewed", "not_reviewed", "Files that failed or warned",
                        tables.not_reviewed(data.manifest)))  # fmt: skip
    return sheets


def run_report(paths: Paths) -> list[Path]:
    """Build every report output from data/processed; return the files written."""
    started = datetime.now(UTC)
    run_date = started.strftime("%d %B %Y").lstrip("0")
    settings, pal = report_settings(), palette()
    reports = Path(paths.reports)
    data = tables.load_inputs(paths)
    log.info("report: %d plans in %d cycles%s", len(data.plan_scores), len(data.cycles),
             " (SYNTHETIC corpus)" if data.synthetic else "")  # fmt: skip

    counts = count_tables(data)
    written: list[Path] = []
    for stem, table in counts.items():
        written.extend(write_table(table, Path(paths.processed) / stem))

    provenance = prov.collect(data.manifest)
    facts = _facts(data, provenance, run_date)
    content = content_mod.build(data, counts, settings, pal, reports, facts, provenance)
    written.extend(write_reports(content, reports, run_date))
    for fig in content.figures.values():
        written.extend([reports / fig.png, reports / fig.svg])
    written.append(
        write_workbook(
            reports / "csp_review.xlsx", _sheets(data, counts), title=settings.title,
            synthetic=data.synthetic, provenance=provenance, run_date=run_date,
            source=settings.source,
        )
    )  # fmt: skip

    log_path = reports / "run_log.json"
    record = {
        "stage": "report",
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "synthetic_corpus": data.synthetic,
        "plans": len(data.plan_scores),
        "cycles": data.cycles,
        "provenance": provenance,
        "outputs": {
            p.as_posix(): sha256_file(p) for p in sorted(set(written), key=lambda p: p.as_posix())
        },
    }
    written.append(write_text(log_path, json.dumps(record, indent=2, sort_keys=False) + "\n"))
    log.info("report: wrote %d files (summary at %s)", len(written), reports / "summary.html")
    return written
