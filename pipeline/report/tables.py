"""Summary tables for the report, computed only from the canonical tables in data/processed.

Every number the report prints comes from a DataFrame built here, so a test can change one
plan's rating and watch the counts (and the sentences built from them) move. Tables are sorted
deterministically so that writing them twice gives byte-identical files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline import schemas
from pipeline.config import Paths, element_ids, elements
from pipeline.report.settings import ReportSettings
from pipeline.storage import read_table

log = logging.getLogger(__name__)

RATING_ORDER = {"not_met": 0, "partially": 1, "fully": 2}
MISSING_ITEMS = ("methods", "families", "workforce", "community", "findings", "influence")
OPTIONAL_TABLES = ("agreement", "confusion", "disagreements", "third_sector_areas")


class ReportInputError(FileNotFoundError):
    """A table the report needs is not in data/processed (run the earlier stages first)."""


@dataclass(frozen=True)
class ReportData:
    """The processed tables one report is built from."""

    manifest: pd.DataFrame
    plan_scores: pd.DataFrame
    element_status: pd.DataFrame
    evidence: pd.DataFrame
    excerpts: pd.DataFrame
    passages: pd.DataFrame
    optional: dict[str, pd.DataFrame]
    synthetic: bool

    @property
    def cycles(self) -> list[str]:
        return sorted(self.plan_scores["cycle"].unique().tolist())


def split_list(value: object) -> list[str]:
    """Items of a semicolon-separated cell (the convention for list-valued columns)."""
    return [part.strip() for part in str(value or "").split(";") if part.strip()]


def _as_bool(series: pd.Series) -> pd.Series:
    if series.dtype == bool:
        return series
    return series.astype(str).str.strip().str.lower().isin({"true", "1", "yes"})


def _read_optional(processed: Path, stem: str) -> pd.DataFrame | None:
    for suffix in (".csv", ".parquet"):
        path = processed / f"{stem}{suffix}"
        if path.exists():
            return read_table(path)
    return None


def _read(processed: Path, stem: str) -> pd.DataFrame:
    table = _read_optional(processed, stem)
    if table is None:
        raise ReportInputError(f"{processed / stem}.csv not found: run the earlier stages first")
    return table


def _text_columns(df: pd.DataFrame, schema: object) -> pd.DataFrame:
    """CSV reads empty text as '' already; make sure text columns are str, not numbers."""
    out = df.copy()
    for name, column in schema.columns.items():  # type: ignore[attr-defined]
        if name in out and str(column.dtype) in {"str", "object", "string"}:
            out[name] = out[name].astype(str)
    return out


def load_inputs(paths: Paths) -> ReportData:
    """Read and validate the processed tables; note whether the corpus is synthetic."""
    processed = Path(paths.processed)
    scores = _read(processed, "plan_scores")
    scores["needs_review"] = _as_bool(scores["needs_review"])
    scores = schemas.validate(_text_columns(scores, schemas.PLAN_SCORES), schemas.PLAN_SCORES)
    manifest = schemas.validate(
        _text_columns(_read(processed, "manifest"), schemas.MANIFEST), schemas.MANIFEST
    )
    status = schemas.validate(
        _text_columns(_read(processed, "element_status"), schemas.ELEMENT_STATUS_TABLE),
        schemas.ELEMENT_STATUS_TABLE,
    )
    evidence = schemas.validate(
        _text_columns(_read(processed, "evidence"), schemas.EVIDENCE), schemas.EVIDENCE
    )
    excerpts = schemas.validate(
        _text_columns(_read(processed, "excerpts"), schemas.EXCERPTS), schemas.EXCERPTS
    )
    passages_path = processed / "passages.parquet"
    if not passages_path.exists():
        raise ReportInputError(f"{passages_path} not found: run the tag stage first")
    passages = pd.read_parquet(passages_path)
    optional = {}
    for stem in OPTIONAL_TABLES:
        table = _read_optional(processed, stem)
        if table is not None:
            optional[stem] = table
    synthetic = (Path(paths.raw) / "SYNTHETIC_CORPUS.md").exists()
    return ReportData(manifest, scores, status, evidence, excerpts, passages, optional, synthetic)


# --------------------------------------------------------------------------- counts
def criterion10_counts(scores: pd.DataFrame) -> pd.DataFrame:
    """Plans fully / partially / not meeting Criterion 10, one row per cycle (review shape)."""
    rows = []
    for cycle, group in scores.groupby("cycle", sort=True):
        counts = group["criterion10"].value_counts()
        row = {"cycle": cycle}
        row.update({r: int(counts.get(r, 0)) for r in schemas.CRITERION10})
        rows.append(row)
    # no total column: the three counts alone sum to the plans reviewed in the cycle
    columns = ["cycle", *schemas.CRITERION10]
    return pd.DataFrame(rows, columns=columns).astype({c: "int64" for c in columns[1:]})


def with_total(c10: pd.DataFrame) -> pd.DataFrame:
    """The Criterion 10 counts with a total column, for display."""
    return c10.assign(total=c10[list(schemas.CRITERION10)].sum(axis=1).astype("int64"))


def missing_counts(scores: pd.DataFrame) -> pd.DataFrame:
    """What partially met plans lacked: plans per missing item per cycle (zeros kept)."""
    wording = {e.id: e.review_wording or e.label for e in elements()}
    rows = []
    for cycle, group in scores.groupby("cycle", sort=True):
        partial = group[group["criterion10"] == "partially"]
        lacking = [set(split_list(m)) for m in partial["missing"]]
        for item in MISSING_ITEMS:
            rows.append(
                {
                    "cycle": cycle,
                    "item": item,
                    "wording": wording.get(item, item),
                    "plans": sum(item in s for s in lacking),
                    "partially_met_plans": len(partial),
                }
            )
    out = pd.DataFrame(rows, columns=["cycle", "item", "wording", "plans", "partially_met_plans"])
    order = {item: i for i, item in enumerate(MISSING_ITEMS)}
    out["_o"] = out["item"].map(order)
    out = out.sort_values(["cycle", "plans", "_o"], ascending=[True, False, True], kind="stable")
    return (
        out.drop(columns="_o")
        .reset_index(drop=True)
        .astype({"plans": "int64", "partially_met_plans": "int64"})
    )


def methods_passages(passages: pd.DataFrame) -> pd.DataFrame:
    """Passages the tagger asserted as describing engagement methods."""
    mask = passages["tags"].map(lambda t: "methods" in split_list(t))
    return passages.loc[mask, ["passage_id", "plan_id", "page", "text"]]


def tool_mentions(passages: pd.DataFrame, settings: ReportSettings) -> pd.DataFrame:
    """One row per (plan, tool) found in a methods-tagged passage, with the first page."""
    methods = methods_passages(passages).sort_values(["plan_id", "page", "passage_id"])
    rows = []
    for tool in settings.tools:
        pattern = tool.pattern()
        hits = methods[methods["text"].map(lambda t, p=pattern: bool(p.search(str(t))))]
        for plan_id, group in hits.groupby("plan_id", sort=True):
            rows.append(
                {
                    "plan_id": plan_id,
                    "tool": tool.id,
                    "passages": len(group),
                    "first_page": int(group["page"].min()),
                }
            )
    return pd.DataFrame(rows, columns=["plan_id", "tool", "passages", "first_page"])


def methods_counts(
    scores: pd.DataFrame, passages: pd.DataFrame, settings: ReportSettings
) -> pd.DataFrame:
    """Plans per engagement tool per cycle (from methods-tagged passages), most used first."""
    mentions = tool_mentions(passages, settings).merge(
        scores[["plan_id", "cycle"]], on="plan_id", how="inner"
    )
    order = {t.id: i for i, t in enumerate(settings.tools)}
    rows = []
    for cycle, group in scores.groupby("cycle", sort=True):
        in_cycle = mentions[mentions["cycle"] == cycle]
        for tool in settings.tools:
            plans = in_cycle.loc[in_cycle["tool"] == tool.id, "plan_id"].nunique()
            rows.append(
                {
                    "cycle": cycle,
                    "tool": tool.id,
                    "label": tool.label,
                    "plans": int(plans),
                    "plans_in_cycle": len(group),
                }
            )
    out = pd.DataFrame(rows, columns=["cycle", "tool", "label", "plans", "plans_in_cycle"])
    out["_o"] = out["tool"].map(order)
    out = out.sort_values(["cycle", "plans", "_o"], ascending=[True, False, True], kind="stable")
    return (
        out.drop(columns="_o")
        .reset_index(drop=True)
        .astype({"plans": "int64", "plans_in_cycle": "int64"})
    )


def third_sector_counts(scores: pd.DataFrame, settings: ReportSettings) -> pd.DataFrame:
    """Plans rated robust / needs more / none for third sector engagement, per cycle."""
    rows = []
    for cycle, group in scores.groupby("cycle", sort=True):
        counts = group["third_sector"].value_counts()
        for rating in schemas.THIRD_SECTOR:
            rows.append(
                {
                    "cycle": cycle,
                    "third_sector": rating,
                    "label": settings.third_sector_labels[rating],
                    "plans": int(counts.get(rating, 0)),
                    "plans_in_cycle": len(group),
                }
            )
    return pd.DataFrame(
        rows, columns=["cycle", "third_sector", "label", "plans", "plans_in_cycle"]
    ).astype({"plans": "int64", "plans_in_cycle": "int64"})


def advocacy_counts(scores: pd.DataFrame) -> pd.DataFrame:
    """Plans referring to advocacy for children and young people, count and fraction."""
    rows = []
    for cycle, group in scores.groupby("cycle", sort=True):
        yes = int((group["advocacy"] == "yes").sum())
        rows.append(
            {
                "cycle": cycle,
                "plans_with_advocacy": yes,
                "plans_in_cycle": len(group),
                "fraction": round(yes / len(group), 4) if len(group) else 0.0,
            }
        )
    return pd.DataFrame(
        rows, columns=["cycle", "plans_with_advocacy", "plans_in_cycle", "fraction"]
    )


def by_cycle(
    c10: pd.DataFrame, third: pd.DataFrame, advocacy: pd.DataFrame, settings: ReportSettings
) -> pd.DataFrame:
    """The cycles side by side: one row per measure, one column per cycle."""
    cycles = c10["cycle"].tolist()
    records: list[dict[str, object]] = []

    def add(measure: str, values: dict[str, int]) -> None:
        records.append({"measure": measure, **{c: int(values.get(c, 0)) for c in cycles}})

    add("Plans reviewed", dict(zip(c10["cycle"], with_total(c10)["total"], strict=True)))
    for rating in schemas.CRITERION10:
        label = f"Criterion 10: {settings.criterion10_labels[rating].lower()}"
        add(label, dict(zip(c10["cycle"], c10[rating], strict=True)))
    for rating in schemas.THIRD_SECTOR:
        sub = third[third["third_sector"] == rating]
        label = f"Third sector: {settings.third_sector_labels[rating].lower()}"
        add(label, dict(zip(sub["cycle"], sub["plans"], strict=True)))
    add(
        "Advocacy for children and young people",
        dict(zip(advocacy["cycle"], advocacy["plans_with_advocacy"], strict=True)),
    )
    return pd.DataFrame(records, columns=["measure", *cycles])


def area_movement(scores: pd.DataFrame) -> pd.DataFrame:
    """Areas reviewed in more than one cycle: rating in consecutive cycles and the change."""
    rows = []
    for area, group in scores.sort_values(["area", "cycle"]).groupby("area", sort=True):
        ordered = group.sort_values("cycle").to_dict(orient="records")
        for before, after in zip(ordered, ordered[1:], strict=False):
            delta = RATING_ORDER[after["criterion10"]] - RATING_ORDER[before["criterion10"]]
            rows.append(
                {
                    "area": area,
                    "earlier_cycle": before["cycle"],
                    "earlier_rating": before["criterion10"],
                    "later_cycle": after["cycle"],
                    "later_rating": after["criterion10"],
                    "movement": "improved" if delta > 0 else "declined" if delta < 0 else "same",
                    "earlier_third_sector": before["third_sector"],
                    "later_third_sector": after["third_sector"],
                }
            )
    columns = [
        "area",
        "earlier_cycle",
        "earlier_rating",
        "later_cycle",
        "later_rating",
        "movement",
        "earlier_third_sector",
        "later_third_sector",
    ]
    return pd.DataFrame(rows, columns=columns)


def third_sector_areas_counts(areas: pd.DataFrame) -> pd.DataFrame:
    """Toolkit areas of focus: plans with evidence and passages per area, per cycle."""
    rows = []
    keys = ["cycle", "area_of_focus", "area_name"]
    for (cycle, focus, name), group in areas.groupby(keys, sort=True):
        rows.append(
            {
                "cycle": cycle,
                "area_of_focus": int(focus),
                "area_name": name,
                "plans_with_evidence": int((group["n_passages"] > 0).sum()),
                "passages": int(group["n_passages"].sum()),
                "plans_in_cycle": int(group["plan_id"].nunique()),
            }
        )
    return pd.DataFrame(rows, columns=[*keys, "plans_with_evidence", "passages", "plans_in_cycle"])


# --------------------------------------------------------------------------- per plan
def needs_review(scores: pd.DataFrame) -> pd.DataFrame:
    """Plans the scorer flagged for a human reviewer, with the reason."""
    cols = ["plan_id", "cycle", "area", "criterion10", "criterion10_confidence", "review_reason"]
    flagged = scores.loc[scores["needs_review"], cols]
    return flagged.sort_values(["cycle", "area", "plan_id"], kind="stable").reset_index(drop=True)


def not_reviewed(manifest: pd.DataFrame) -> pd.DataFrame:
    """Files that failed ingestion or came with warnings, and why."""
    cols = ["file", "plan_id", "cycle", "status", "reason", "pages", "pages_without_text"]
    rows = manifest.loc[manifest["status"] != "ok", cols]
    return rows.sort_values(["status", "file"], kind="stable").reset_index(drop=True)


def status_matrix(status: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Element status per plan (rows: plans sorted by cycle then area; columns: elements)."""
    order = scores.sort_values(["cycle", "area", "plan_id"])["plan_id"].tolist()
    wide = status.pivot(index="plan_id", columns="element", values="status")
    wide = wide.reindex(index=order, columns=element_ids()).fillna("absent")
    wide.index.name = "plan_id"
    return wide


def good_practice_examples(
    scores: pd.DataFrame, excerpts: pd.DataFrame, settings: ReportSettings
) -> pd.DataFrame:
    """The top-ranked excerpts per plan, with area and cycle for citation."""
    top = excerpts[excerpts["rank"] <= settings.excerpts_per_plan]
    merged = top.merge(scores[["plan_id", "cycle", "area"]], on="plan_id", how="inner")
    return merged.sort_values(["cycle", "area", "rank"], kind="stable").reset_index(drop=True)


def plan_sort(scores: pd.DataFrame) -> pd.DataFrame:
    return scores.sort_values(["cycle", "area", "plan_id"], kind="stable").reset_index(drop=True)
