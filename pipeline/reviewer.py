"""An analyst's own ratings: validation by row, overrides, and agreement with the pipeline.

Why: analysts publish only ratings they can defend, so they must be able to disagree with the
pipeline and see where and why they did. ``data/reviewer/ratings.csv`` holds one row per plan
(``plan_id, criterion10, third_sector, advocacy, note``; blank cell = no opinion). A bad row
is reported on one line naming the file, its spreadsheet row number (header = row 1) and the
problem, and only the bad cell (or, for an unknown plan, the row) is dropped: every valid
rating still applies. Agreement is Cohen's kappa (scikit-learn) and a confusion matrix per
judgement, computed on the pipeline's own ratings before any override.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from pipeline import schemas
from pipeline.config import ConfigError

if TYPE_CHECKING:
    from pipeline.score import Rubric

log = logging.getLogger(__name__)

#: The judgements an analyst can rate, with their allowed values and confidence column.
JUDGEMENTS: dict[str, list[str]] = {
    "criterion10": schemas.CRITERION10,
    "third_sector": schemas.THIRD_SECTOR,
    "advocacy": schemas.ADVOCACY,
}
NOTE_COLUMNS = ("note", "notes", "comment", "comments")
RATING_COLUMNS = ["plan_id", *JUDGEMENTS, "note"]


def normalise_value(value: str, aliases: Mapping[str, str]) -> str:
    """'Partially met' -> 'partially'; 'Needs more' -> 'needs_more'; '' stays ''."""
    key = re.sub(r"[\s\-]+", "_", str(value).strip().lower())
    return aliases.get(key, key)


def parse_ratings(
    raw: pd.DataFrame,
    plan_ids: set[str],
    rubric: Rubric,
    source: str = "ratings.csv",
) -> tuple[pd.DataFrame, list[str]]:
    """Validate a ratings table read as strings; return (clean ratings, one problem per line).

    Clean ratings have columns :data:`RATING_COLUMNS`, '' for no opinion, one row per plan.
    Raises :class:`ConfigError` only when the file has no ``plan_id`` column at all.
    """
    raw = raw.copy()
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    if "plan_id" not in raw.columns:
        raise ConfigError(f"{source}: no 'plan_id' column (found {list(raw.columns)})")
    problems: list[str] = []
    note_col = next((c for c in NOTE_COLUMNS if c in raw.columns), None)
    known = {"plan_id", *JUDGEMENTS, *([note_col] if note_col else [])}
    for column in raw.columns:
        if column not in known:
            problems.append(f"{source}: unknown column '{column}' ignored")
    aliases = rubric.reviewer.aliases
    rows: list[dict[str, str]] = []
    first_row: dict[str, int] = {}
    numbers = list(raw.index) if raw.index.name == "row" else range(2, len(raw) + 2)
    for row_no, record in zip(numbers, raw.fillna("").astype(str).to_dict("records"), strict=True):
        # spreadsheet numbering: the header is row 1
        plan_id = record["plan_id"].strip()
        if not plan_id and not any(record.get(j, "").strip() for j in JUDGEMENTS):
            continue  # an empty line
        if plan_id not in plan_ids:
            problems.append(f"{source} row {row_no}: unknown plan_id '{plan_id}'")
            continue
        if plan_id in first_row:
            problems.append(
                f"{source} row {row_no}: plan_id '{plan_id}' already rated on row "
                f"{first_row[plan_id]}; row ignored"
            )
            continue
        first_row[plan_id] = row_no
        clean = {"plan_id": plan_id, "note": record.get(note_col, "").strip() if note_col else ""}
        for judgement, allowed in JUDGEMENTS.items():
            value = normalise_value(record.get(judgement, ""), aliases)
            if value and value not in allowed:
                problems.append(
                    f"{source} row {row_no}: unknown {judgement} rating "
                    f"'{record.get(judgement, '').strip()}' (expected one of {allowed}); "
                    f"{judgement} not applied"
                )
                value = ""
            clean[judgement] = value
        rows.append(clean)
    table = pd.DataFrame(rows, columns=RATING_COLUMNS).astype(str)
    return table.sort_values("plan_id", kind="mergesort").reset_index(drop=True), problems


def read_ratings_csv(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Read the CSV row by row, so one malformed line is reported, not fatal to the file.

    A row with more cells than the header (typically a note with an unquoted comma) is
    reported and skipped; a short row is padded with blanks (no opinion).
    """
    try:
        # utf-8-sig: spreadsheets often save CSV with a byte-order mark
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read ratings: not UTF-8 text ({exc.reason})") from exc
    lines = list(csv.reader(io.StringIO(text)))
    if not lines:
        raise ConfigError(f"{path}: cannot read ratings: the file is empty")
    header = [h.strip() for h in lines[0]]
    problems: list[str] = []
    records: list[list[str]] = []
    row_numbers: list[int] = []
    for row_no, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            problems.append(
                f"{path} row {row_no}: {len(cells)} cells but the header has {len(header)} "
                "(put a note containing commas in double quotes); row ignored"
            )
            continue
        records.append(cells + [""] * (len(header) - len(cells)))
        row_numbers.append(row_no)
    table = pd.DataFrame(records, columns=header, dtype=str)
    table.index = pd.Index(row_numbers, name="row")
    return table, problems


def load_ratings(path: Path, plan_ids: set[str], rubric: Rubric) -> pd.DataFrame:
    """Read ``ratings.csv``; log each bad row on one line and return the valid ratings."""
    raw, problems = read_ratings_csv(path)
    ratings, more = parse_ratings(raw, plan_ids, rubric, source=str(path))
    for problem in [*problems, *more]:
        log.error(problem)
    n = int((ratings[list(JUDGEMENTS)] != "").to_numpy().sum())
    log.info("read %d rating(s) for %d plan(s) from %s", n, len(ratings), path)
    return ratings


def _pairs(plan_scores: pd.DataFrame, ratings: pd.DataFrame, judgement: str) -> pd.DataFrame:
    """Plans both the pipeline and the analyst rated for ``judgement``."""
    rated = ratings[ratings[judgement] != ""][["plan_id", judgement, "note"]]
    merged = plan_scores[["plan_id", judgement]].merge(
        rated, on="plan_id", how="inner", suffixes=("_pipeline", "_reviewer")
    )
    return merged.rename(
        columns={f"{judgement}_pipeline": "pipeline", f"{judgement}_reviewer": "reviewer"}
    ).sort_values("plan_id", kind="mergesort")


def apply_ratings(
    plan_scores: pd.DataFrame, ratings: pd.DataFrame, rubric: Rubric
) -> pd.DataFrame:
    """Final plan scores: the analyst's rating wins wherever they gave one.

    A rated judgement gets confidence 1.0 (a person has looked at it) and leaves the review
    list; ``overridden`` lists the judgements where the analyst's rating replaced a different
    pipeline rating, and the explanation says so, with the analyst's note.
    """
    del rubric  # the rubric is not needed today; kept so callers pass one consistently
    out = plan_scores.copy()
    by_plan = ratings.set_index("plan_id")
    for idx, row in out.iterrows():
        if row["plan_id"] not in by_plan.index:
            continue
        rating = by_plan.loc[row["plan_id"]]
        changed: list[str] = []
        reviewed: list[str] = []
        for judgement in JUDGEMENTS:
            value = rating[judgement]
            if not value:
                continue
            reviewed.append(judgement)
            out.at[idx, f"{judgement}_confidence"] = 1.0
            if value != row[judgement]:
                changed.append(judgement)
                out.at[idx, judgement] = value
        if "criterion10" in changed and rating["criterion10"] == "fully":
            out.at[idx, "missing"] = ""
        reasons = [
            r
            for r in str(row["review_reason"]).split(" || ")
            if r and not any(r.startswith(f"{j} ") for j in reviewed)
        ]
        out.at[idx, "review_reason"] = " || ".join(reasons)
        out.at[idx, "needs_review"] = bool(reasons)
        out.at[idx, "overridden"] = ";".join(changed)
        note = f" Analyst note: {rating['note']}" if rating["note"] else ""
        if changed:
            what = "; ".join(f"{j} {rating[j]} (pipeline: {row[j]})" for j in changed)
            out.at[idx, "explanation"] = (
                f"Overridden by analyst: {what}.{note} Pipeline assessment: {row['explanation']}"
            )
            if "third_sector" in changed:
                out.at[idx, "third_sector_explanation"] = (
                    f"Overridden by analyst: {rating['third_sector']} (pipeline: "
                    f"{row['third_sector']}). Pipeline assessment: "
                    f"{row['third_sector_explanation']}"
                )
    out["needs_review"] = out["needs_review"].astype(bool)
    return out


def _kappa(a: list[str], b: list[str], labels: list[str]) -> float:
    """Cohen's kappa; NaN when undefined (no pairs, or both raters used one value only)."""
    if not a:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined kappa is reported as NaN
        value = float(cohen_kappa_score(a, b, labels=labels))
    return round(value, 4) if not math.isnan(value) else math.nan


def agreement(plan_scores: pd.DataFrame, ratings: pd.DataFrame) -> pd.DataFrame:
    """Per judgement: plans rated by both, how many agree, share agreeing, Cohen's kappa."""
    rows: list[dict[str, Any]] = []
    for judgement, labels in JUDGEMENTS.items():
        pairs = _pairs(plan_scores, ratings, judgement)
        a, b = list(pairs["pipeline"]), list(pairs["reviewer"])
        agreed = sum(x == y for x, y in zip(a, b, strict=True))
        rows.append(
            {
                "judgement": judgement,
                "n": len(a),
                "agreed": agreed,
                "share_agreed": round(agreed / len(a), 4) if a else math.nan,
                "kappa": _kappa(a, b, labels),
            }
        )
    return pd.DataFrame(rows)


def confusion(plan_scores: pd.DataFrame, ratings: pd.DataFrame) -> pd.DataFrame:
    """Long-form confusion matrices: judgement, pipeline, reviewer, count (zeros included)."""
    rows: list[dict[str, Any]] = []
    for judgement, labels in JUDGEMENTS.items():
        pairs = _pairs(plan_scores, ratings, judgement)
        if pairs.empty:
            continue
        matrix = confusion_matrix(pairs["pipeline"], pairs["reviewer"], labels=labels)
        for i, p in enumerate(labels):
            for j, r in enumerate(labels):
                rows.append(
                    {
                        "judgement": judgement,
                        "pipeline": p,
                        "reviewer": r,
                        "count": int(matrix[i, j]),
                    }
                )
    return pd.DataFrame(rows, columns=["judgement", "pipeline", "reviewer", "count"])


def disagreements(
    plan_scores: pd.DataFrame,
    ratings: pd.DataFrame,
    evidence_summary: Mapping[tuple[str, str], str],
) -> pd.DataFrame:
    """Every disagreement, the analyst's note beside the pipeline's reasons and cited pages."""
    explanation_col = {"criterion10": "explanation", "third_sector": "third_sector_explanation"}
    info = plan_scores.set_index("plan_id")
    rows: list[dict[str, Any]] = []
    for judgement in JUDGEMENTS:
        pairs = _pairs(plan_scores, ratings, judgement)
        for r in pairs[pairs["pipeline"] != pairs["reviewer"]].itertuples(index=False):
            plan = info.loc[r.plan_id]
            rows.append(
                {
                    "plan_id": r.plan_id,
                    "judgement": judgement,
                    "pipeline": r.pipeline,
                    "reviewer": r.reviewer,
                    "reviewer_note": r.note,
                    "pipeline_confidence": float(plan[f"{judgement}_confidence"]),
                    "pipeline_explanation": str(plan[explanation_col[judgement]])
                    if judgement in explanation_col
                    else "",
                    "pipeline_evidence": evidence_summary.get((r.plan_id, judgement), "")
                    or "no passage cited (the pipeline found no qualifying evidence)",
                }
            )
    columns = [
        "plan_id",
        "judgement",
        "pipeline",
        "reviewer",
        "reviewer_note",
        "pipeline_confidence",
        "pipeline_explanation",
        "pipeline_evidence",
    ]
    return (
        pd.DataFrame(rows, columns=columns)
        .sort_values(["plan_id", "judgement"], kind="mergesort")
        .reset_index(drop=True)
    )
