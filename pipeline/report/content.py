"""Assemble everything the report shows into plain data for the templates and the workbook.

Templates only lay out what this module computes: numbers come from :mod:`tables`, sentences
from :mod:`wording`, charts from :mod:`figures`. Keeping the content in one structure means the
HTML, the Markdown and the workbook cannot disagree.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure as MplFigure

from pipeline import schemas
from pipeline.config import element_ids, elements
from pipeline.report import figures, tables, wording
from pipeline.report.settings import Palette, ReportSettings, good_practice_label


@dataclass
class Table:
    """A data table ready to render: caption, header, rows; first column may head each row."""

    id: str
    caption: str
    columns: list[str]
    rows: list[list[Any]]
    row_headers: bool = True


@dataclass
class Figure:
    """A chart on the page: image files (relative to the report), alt text, caption, data."""

    id: str
    title: str
    alt: str
    caption: str
    png: str
    svg: str
    table_id: str


@dataclass
class Content:
    title: str
    corpus: str
    synthetic: bool
    synthetic_note: str
    facts: list[tuple[str, str]]
    cycles: list[dict[str, Any]]
    tables: dict[str, Table]
    figures: dict[str, Figure]
    review_needed: Table
    not_reviewed: Table
    good_practice: list[dict[str, Any]]
    plans: list[dict[str, Any]]
    movement_sentence: str
    agreement: list[Table] = field(default_factory=list)
    kappa: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)


SYNTHETIC_NOTE = (
    "SYNTHETIC SAMPLE: every plan in this corpus describes a fictional partnership, written to "
    "test the pipeline. No figure here is a finding about real plans or real places."
)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _records(df: pd.DataFrame) -> list[list[Any]]:
    return [list(r) for r in df.itertuples(index=False, name=None)]


def corpus_label(n_plans: int, cycles: list[str], synthetic: bool) -> str:
    """How charts name the corpus, e.g. "Synthetic sample corpus: 17 plans, cycles ..."."""
    kind = "Synthetic sample corpus" if synthetic else "Children's Services Plans"
    return f"{kind}: {n_plans} plans, cycles {', '.join(cycles) or 'no cycle'}"


def corpus_name(data: tables.ReportData) -> str:
    return corpus_label(len(data.plan_scores), list(data.cycles), data.synthetic)


SCORECARD_TITLE = "Evidence elements by plan"


def draw_scorecard(
    element_status: pd.DataFrame,
    plan_scores: pd.DataFrame,
    ctx: figures.ChartContext,
    s: ReportSettings,
    pal: Palette,
) -> tuple[MplFigure, pd.DataFrame]:
    """The elements-by-plan heatmap and the status matrix it draws (report and notebooks)."""
    matrix = tables.status_matrix(element_status, plan_scores)
    by_plan = plan_scores.set_index("plan_id")
    labels = [
        _plan_row_label({"area": by_plan.loc[p, "area"], "cycle": by_plan.loc[p, "cycle"]})
        for p in matrix.index
    ]
    fig = figures.heatmap(
        matrix,
        labels,
        palette=pal,
        settings=s,
        title=SCORECARD_TITLE,
        subtitle=ctx.subtitle("Status of each Criterion 10 evidence element in each plan"),
        source=ctx.source,
    )
    return fig, matrix


def _c10_table(c10: pd.DataFrame, s: ReportSettings) -> Table:
    cols = ["Planning cycle", *(s.criterion10_labels[r] for r in schemas.CRITERION10), "Total"]
    return Table(
        "table-criterion10", "Plans by Criterion 10 rating and planning cycle", cols, _records(c10)
    )


def _figure(chart: figures.Chart, reports: Path, table_id: str) -> Figure:
    return Figure(
        id=f"figure-{chart.name}",
        title=chart.title,
        alt=chart.alt,
        caption=chart.caption,
        png=chart.png.relative_to(reports).as_posix(),
        svg=chart.svg.relative_to(reports).as_posix(),
        table_id=table_id,
    )


def _counts_alt(c10: pd.DataFrame, s: ReportSettings) -> str:
    parts = []
    for row in tables.with_total(c10).to_dict(orient="records"):
        bits = ", ".join(
            f"{row[r]} {s.criterion10_labels[r].lower()}" for r in schemas.CRITERION10
        )
        parts.append(f"{row['cycle']}: {bits} (of {row['total']})")
    return "Stacked bar chart of plans by Criterion 10 rating. " + "; ".join(parts) + "."


def _nonzero_alt(table: pd.DataFrame, label: str) -> str:
    """Per cycle, the non-zero bars in order; zeros summarised (the data table has them all)."""
    parts = []
    for cycle, group in table.groupby("cycle", sort=True):
        hits = [f"{r[label]} {r['plans']}" for r in group.to_dict(orient="records") if r["plans"]]
        parts.append(f"{cycle}: " + (", ".join(hits) if hits else "all zero"))
    return "; ".join(parts) + ". Bars not named are zero"


def _plan_row_label(row: dict[str, Any]) -> str:
    return f"{row['area']} ({row['cycle']})"


def build_charts(
    data: tables.ReportData,
    counts: dict[str, pd.DataFrame],
    s: ReportSettings,
    pal: Palette,
    reports: Path,
) -> dict[str, Figure]:
    """Draw and save every chart; return them with alt text, captions and data-table links."""
    ctx = figures.ChartContext(corpus_name(data), data.synthetic, s.source)
    out_dir = reports / "figures"
    charts: dict[str, Figure] = {}

    def keep(name: str, fig: Any, title: str, alt: str, caption: str, table_id: str) -> None:
        png, svg = figures.save(fig, out_dir, name)
        chart = figures.Chart(name, title, alt, caption, png, svg)
        charts[name] = _figure(chart, reports, table_id)

    c10 = counts["counts_criterion10"]
    title = "Criterion 10 ratings by planning cycle"
    fig = figures.stacked_bars(
        c10,
        list(schemas.CRITERION10),
        s.criterion10_labels,
        palette=pal,
        title=title,
        subtitle=ctx.subtitle("Number of plans fully, partially or not meeting Criterion 10"),
        source=ctx.source,
        xlabel="Number of plans",
    )
    keep(
        "criterion10",
        fig,
        title,
        _counts_alt(c10, s),
        "Plans by Criterion 10 rating, per planning cycle. Data in the table below.",
        "table-criterion10",
    )

    missing = counts["counts_missing"].rename(columns={"wording": "item_label"})
    missing = missing.assign(item_label=missing["item_label"].str.capitalize())
    title = "What partially met plans lacked"
    fig = figures.grouped_hbars(
        missing,
        category="item_label",
        value="plans",
        palette=pal,
        title=title,
        subtitle=ctx.subtitle("Number of partially met plans lacking each item"),
        source=ctx.source,
        xlabel="Number of partially met plans",
    )
    alt = "Bar chart of partially met plans lacking each item. " + _nonzero_alt(missing, "item")
    keep(
        "missing",
        fig,
        title,
        alt + ".",
        "Partially met plans lacking each item, per cycle. Data in the table below.",
        "table-missing",
    )

    tools = counts["counts_methods"]
    used = tools.groupby("tool")["plans"].transform("max") > 0
    tools = tools[used] if used.any() else tools
    title = "Engagement tools used"
    fig = figures.grouped_hbars(
        tools,
        category="label",
        value="plans",
        palette=pal,
        title=title,
        subtitle=ctx.subtitle(
            "Number of plans whose engagement-method passages name each tool (tools no plan "
            "names are left out)"
        ),
        source=ctx.source,
        xlabel="Number of plans",
    )
    alt = "Bar chart of plans naming each engagement tool. " + _nonzero_alt(tools, "label")
    keep(
        "tools",
        fig,
        title,
        alt + ".",
        "Plans naming each engagement tool, per cycle. Data in the table below.",
        "table-tools",
    )

    third = (
        counts["counts_third_sector"]
        .pivot(index="cycle", columns="third_sector", values="plans")
        .reset_index()
    )
    title = "Third sector engagement by planning cycle"
    fig = figures.stacked_bars(
        third,
        list(schemas.THIRD_SECTOR),
        s.third_sector_labels,
        palette=pal,
        title=title,
        subtitle=ctx.subtitle("Number of plans by how fully they describe third sector roles"),
        source=ctx.source,
        xlabel="Number of plans",
    )
    alt = "Stacked bar chart of third sector ratings. " + "; ".join(
        f"{r['cycle']}: "
        + ", ".join(f"{r[k]} {s.third_sector_labels[k].lower()}" for k in schemas.THIRD_SECTOR)
        for r in third.to_dict(orient="records")
    )
    keep(
        "third_sector",
        fig,
        title,
        alt + ".",
        "Plans by third sector rating, per cycle. Data in the table below.",
        "table-third-sector",
    )

    fig, matrix = draw_scorecard(data.element_status, data.plan_scores, ctx, s, pal)
    title = SCORECARD_TITLE
    n_e = int((matrix == "evidenced").to_numpy().sum())
    n_p = int((matrix == "promised").to_numpy().sum())
    key = ", ".join(
        f"{s.element_status_marks[k]} {s.element_status_labels[k].lower()}"
        for k in ("evidenced", "promised", "absent")
    )
    alt = (
        f"Grid of {matrix.shape[0]} plans by {matrix.shape[1]} evidence elements. Each cell is "
        f"marked {key}. {n_e} cells are evidenced and {n_p} promised only. The full grid is "
        "in the table that follows."
    )
    caption = f"Evidence elements by plan ({key}). Data in the table below."
    keep("scorecard", fig, title, alt, caption, "table-scorecard")
    return charts


def _plan_sections(data: tables.ReportData, s: ReportSettings) -> list[dict[str, Any]]:
    evidence = data.evidence.sort_values(
        ["plan_id", "judgement", "element", "page", "passage_id"], kind="stable"
    )
    by_plan = {k: g for k, g in evidence.groupby("plan_id", sort=False)}
    wording_of = {e.id: e.review_wording or e.label for e in elements()}
    plans = []
    for row in tables.plan_sort(data.plan_scores).to_dict(orient="records"):
        ev = by_plan.get(row["plan_id"], evidence.iloc[0:0])
        plans.append(
            {
                "id": f"plan-{slug(row['plan_id'])}",
                "plan_id": row["plan_id"],
                "area": row["area"],
                "cycle": row["cycle"],
                "criterion10": s.criterion10_labels[row["criterion10"]],
                "criterion10_confidence": f"{row['criterion10_confidence']:.2f}",
                "missing": [wording_of.get(m, m) for m in tables.split_list(row["missing"])],
                "third_sector": s.third_sector_labels[row["third_sector"]],
                "third_sector_confidence": f"{row['third_sector_confidence']:.2f}",
                "advocacy": "Yes" if row["advocacy"] == "yes" else "No",
                "advocacy_confidence": f"{row['advocacy_confidence']:.2f}",
                "good_practice": [
                    good_practice_label(f) for f in tables.split_list(row["good_practice"])
                ],
                "explanation": row["explanation"],
                "third_sector_explanation": row["third_sector_explanation"],
                "needs_review": bool(row["needs_review"]),
                "review_reason": row["review_reason"],
                "overridden": row["overridden"],
                "evidence": Table(
                    f"evidence-{slug(row['plan_id'])}",
                    f"Evidence for {row['area']} ({row['cycle']})",
                    ["Judgement", "Element", "Page", "Section", "Passage", "Score"],
                    [
                        [
                            r["judgement"],
                            r["element"],
                            int(r["page"]),
                            r["section"],
                            r["text"],
                            f"{r['score']:.2f}",
                        ]
                        for r in ev.to_dict(orient="records")
                    ],
                ),
            }
        )
    return plans


def _good_practice(examples: pd.DataFrame) -> list[dict[str, Any]]:
    groups = []
    for (cycle, area), group in examples.groupby(["cycle", "area"], sort=True):
        groups.append(
            {
                "area": area,
                "cycle": cycle,
                "id": f"good-practice-{slug(area)}-{slug(cycle)}",
                "plan_anchor": f"plan-{slug(group['plan_id'].iloc[0])}",
                "quotes": [
                    {
                        "text": r["text"],
                        "page": int(r["page"]),
                        "section": r["section"],
                        "element": figures.element_label(r["element"]).lower(),
                        "plan_id": r["plan_id"],
                    }
                    for r in group.sort_values("rank").to_dict(orient="records")
                ],
            }
        )
    return groups


def _kappa_line(row: dict[str, Any]) -> str:
    """'criterion10: Cohen's kappa 0.62 (4 of 5 plans agree)' from one agreement row."""
    name = str(row.get("judgement", "")).strip()
    try:
        kappa = float(row.get("kappa", ""))
    except (TypeError, ValueError):
        kappa = math.nan
    value = "undefined (too few or uniform ratings)" if math.isnan(kappa) else f"{kappa:.2f}"
    extra = ""
    if str(row.get("n", "")).strip() not in {"", "nan"} and "agreed" in row:
        extra = f" ({row['agreed']} of {row['n']} plans agree)"
    return f"{name}: Cohen's kappa {value}{extra}".lstrip(": ")


def _confusion_tables(df: pd.DataFrame) -> list[Table]:
    """Long-form confusion counts as one matrix per judgement (rows pipeline, columns reviewer)."""
    if not {"judgement", "pipeline", "reviewer", "count"} <= set(df.columns):
        caption = "Confusion matrix: pipeline ratings against reviewer ratings"
        return [Table("table-confusion", caption, [str(c) for c in df.columns], _records(df))]
    out = []
    for judgement, group in df.groupby("judgement", sort=False):
        labels = list(dict.fromkeys([*group["pipeline"], *group["reviewer"]]))
        wide = group.pivot_table(
            index="pipeline", columns="reviewer", values="count", aggfunc="sum", fill_value=0
        ).reindex(index=labels, columns=labels, fill_value=0)
        out.append(
            Table(
                f"table-confusion-{slug(str(judgement))}",
                f"{judgement}: pipeline rating (rows) against reviewer rating (columns)",
                ["Pipeline rating", *(f"Reviewer: {c}" for c in labels)],
                [[p, *(int(v) for v in wide.loc[p])] for p in labels],
            )
        )
    return out


def _agreement(data: tables.ReportData) -> tuple[list[Table], list[str]]:
    """Reviewer agreement tables (when an analyst's ratings were loaded) and kappa lines."""
    out: list[Table] = []
    kappas: list[str] = []
    agreement = data.optional.get("agreement")
    if agreement is not None:
        out.append(
            Table("table-agreement", "Agreement between the pipeline and reviewer ratings",
                  [str(c) for c in agreement.columns], _records(agreement))
        )  # fmt: skip
        kappas = [_kappa_line(r) for r in agreement.to_dict(orient="records")]
    if "confusion" in data.optional:
        out.extend(_confusion_tables(data.optional["confusion"]))
    disagreements = data.optional.get("disagreements")
    if disagreements is not None:
        out.append(
            Table("table-disagreements", "Plans where the pipeline and the reviewer disagree",
                  [str(c) for c in disagreements.columns], _records(disagreements))
        )  # fmt: skip
    return out, kappas


def build(
    data: tables.ReportData,
    counts: dict[str, pd.DataFrame],
    s: ReportSettings,
    pal: Palette,
    reports: Path,
    facts: list[tuple[str, str]],
    provenance: dict[str, Any],
) -> Content:
    """Everything the report shows, computed from the processed tables."""
    c10 = tables.with_total(counts["counts_criterion10"])
    cycles = []
    for row in c10.to_dict(orient="records"):
        cycle = row["cycle"]
        miss = counts["counts_missing"].query("cycle == @cycle")
        tools = counts["counts_methods"].query("cycle == @cycle")
        third = counts["counts_third_sector"].query("cycle == @cycle").set_index("third_sector")
        adv = counts["counts_advocacy"].query("cycle == @cycle").iloc[0]
        cycles.append(
            {
                "cycle": cycle,
                "id": f"cycle-{slug(cycle)}",
                "total": row["total"],
                "sentence": wording.criterion10_sentence(
                    row["fully"], row["partially"], row["not_met"]
                ),
                "missing_intro": wording.missing_intro(row["partially"]),
                "missing": [
                    (m["wording"], m["plans"])
                    for m in miss.to_dict(orient="records")
                    if row["partially"] and m["plans"] > 0
                ],
                "tools_sentence": wording.tools_sentence(
                    list(zip(tools["label"], tools["plans"], strict=True)),
                    row["total"],
                    s.tools_in_sentence,
                ),
                "third_sentence": wording.third_sector_sentence(
                    *(int(third.loc[k, "plans"]) for k in schemas.THIRD_SECTOR)
                ),
                "advocacy_sentence": wording.advocacy_sentence(
                    int(adv["plans_with_advocacy"]), int(adv["plans_in_cycle"]), s
                ),
            }
        )

    tbl: dict[str, Table] = {"criterion10": _c10_table(c10, s)}
    miss = counts["counts_missing"]
    tbl["missing"] = Table(
        "table-missing",
        "What partially met plans lacked, by cycle",
        ["Planning cycle", "Item lacking", "Plans lacking it", "Partially met plans"],
        _records(miss[["cycle", "wording", "plans", "partially_met_plans"]]),
    )
    tools = counts["counts_methods"]
    tbl["tools"] = Table(
        "table-tools",
        "Plans naming each engagement tool, by cycle",
        ["Planning cycle", "Tool", "Plans", "Plans in cycle"],
        _records(tools[["cycle", "label", "plans", "plans_in_cycle"]]),
    )
    third = counts["counts_third_sector"]
    tbl["third_sector"] = Table(
        "table-third-sector",
        "Plans by third sector rating, by cycle",
        ["Planning cycle", "Third sector rating", "Plans", "Plans in cycle"],
        _records(third[["cycle", "label", "plans", "plans_in_cycle"]]),
    )
    adv = counts["counts_advocacy"].assign(
        percent=lambda d: (100 * d["fraction"]).round().astype(int).astype(str) + "%"
    )
    tbl["advocacy"] = Table(
        "table-advocacy",
        "Plans referring to advocacy, by cycle",
        ["Planning cycle", "Plans referring to advocacy", "Plans in cycle", "Percentage"],
        _records(adv[["cycle", "plans_with_advocacy", "plans_in_cycle", "percent"]]),
    )
    bc = counts["counts_by_cycle"]
    tbl["by_cycle"] = Table(
        "table-by-cycle",
        "Planning cycles compared (number of plans)",
        ["Measure", *bc.columns[1:]],
        _records(bc),
    )
    mv = counts["area_movement"]
    lab = s.criterion10_labels
    tbl["movement"] = Table(
        "table-movement",
        "Criterion 10 rating of areas reviewed in more than one cycle",
        ["Area", "Earlier cycle", "Earlier rating", "Later cycle", "Later rating", "Movement"],
        [
            [
                r["area"],
                r["earlier_cycle"],
                lab[r["earlier_rating"]],
                r["later_cycle"],
                lab[r["later_rating"]],
                r["movement"],
            ]
            for r in mv.to_dict(orient="records")
        ],
    )
    moves = mv["movement"].value_counts()
    if "counts_third_sector_areas" in counts:
        ta = counts["counts_third_sector_areas"]
        tbl["areas_of_focus"] = Table(
            "table-areas-of-focus",
            "Third sector evidence by toolkit area of focus, by cycle",
            [
                "Planning cycle",
                "Area of focus",
                "Name",
                "Plans with evidence",
                "Passages",
                "Plans in cycle",
            ],
            _records(ta),
        )
    matrix = tables.status_matrix(data.element_status, data.plan_scores)
    ordered = tables.plan_sort(data.plan_scores).set_index("plan_id")
    tbl["scorecard"] = Table(
        "table-scorecard",
        "Evidence element status by plan",
        ["Plan", *element_ids()],
        [
            [
                _plan_row_label(ordered.loc[p].to_dict()),
                *(s.element_status_labels[v] for v in matrix.loc[p]),
            ]
            for p in matrix.index
        ],
    )

    review = tables.needs_review(data.plan_scores)
    review_table = Table(
        "table-needs-review",
        "Plans flagged for human review, with the reason",
        ["Plan", "Area", "Cycle", "Rating", "Confidence", "Why"],
        [
            [
                r["plan_id"],
                r["area"],
                r["cycle"],
                lab[r["criterion10"]],
                f"{r['criterion10_confidence']:.2f}",
                r["review_reason"],
            ]
            for r in review.to_dict(orient="records")
        ],
    )
    nr = tables.not_reviewed(data.manifest)
    nr_table = Table(
        "table-not-reviewed",
        "Files not fully reviewed, and why",
        ["File", "Plan", "Cycle", "Status", "Reason", "Pages", "Pages without text"],
        _records(nr),
    )
    agreement, kappas = _agreement(data)
    return Content(
        title=s.title,
        corpus=corpus_name(data),
        synthetic=data.synthetic,
        synthetic_note=SYNTHETIC_NOTE,
        facts=facts,
        cycles=cycles,
        tables=tbl,
        figures=build_charts(data, counts, s, pal, reports),
        review_needed=review_table,
        not_reviewed=nr_table,
        good_practice=_good_practice(
            tables.good_practice_examples(data.plan_scores, data.excerpts, s)
        ),
        plans=_plan_sections(data, s),
        movement_sentence=wording.movement_sentence(
            int(moves.get("improved", 0)),
            int(moves.get("same", 0)),
            int(moves.get("declined", 0)),
        ),
        agreement=agreement,
        kappa=kappas,
        provenance=provenance,
    )
