"""Good-practice excerpts: the most specific, page-cited passages of fully met plans.

Why: the published review illustrates good practice by quoting plans. An analyst needs a
short list of candidate quotations per plan, each with its page and section heading, that
show engagement concretely (named events, numbers of participants, dates, places, the words
of participants, a link to a priority) rather than general statements. Strength is the
tagger's score plus the weights of the specificity features in criterion10.yaml; quotes of
participants tied to a priority get an extra bonus. Near-duplicates (rapidfuzz
``token_set_ratio``) are dropped, and selection prefers one excerpt per element before a second.
This module does no formatting: the report decides how excerpts look.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from rapidfuzz import fuzz

from pipeline import schemas
from pipeline.config import Paths
from pipeline.score import Rubric, load_rubric, qualifying
from pipeline.storage import read_table, write_csv

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Feature:
    id: str
    pattern: re.Pattern[str]
    weight: float


def _features(rubric: Rubric) -> list[_Feature]:
    return [
        _Feature(f.id, re.compile(f.pattern, re.IGNORECASE), f.weight)
        for f in rubric.excerpts.specificity
    ]


def specificity(text: str, features: list[_Feature]) -> tuple[float, list[str]]:
    """Sum of the weights of the specificity features ``text`` shows (each counted once)."""
    hits = [f for f in features if f.pattern.search(text)]
    return sum(f.weight for f in hits), [f.id for f in hits]


def candidates(plan: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """One row per (passage, eligible element it evidences) with its strength, strongest first.

    A passage is eligible for an element when it qualifies as evidence for it (the scorer's
    rule, :func:`pipeline.score.qualifying`) and is at least ``excerpt_min_chars`` long.
    """
    t = rubric.thresholds
    features = _features(rubric)
    plan = plan.reset_index(drop=True)
    masks = {
        e: qualifying(plan, e, rubric) for e in {*rubric.excerpts.elements, "quotes", "influence"}
    }
    influence_sections = set(plan.loc[masks["influence"] & (plan["section"] != ""), "section"])
    rows = []
    for i, r in enumerate(plan.itertuples(index=False)):
        if len(str(r.text)) < t.excerpt_min_chars:
            continue
        elements = [e for e in rubric.excerpts.elements if masks[e].iat[i]]
        if not elements:
            continue
        bonus, _ = specificity(str(r.text), features)
        quote_linked = masks["quotes"].iat[i] and (
            masks["influence"].iat[i] or (r.section != "" and r.section in influence_sections)
        )
        bonus += rubric.excerpts.quote_priority_bonus if quote_linked else 0.0
        for element in elements:
            rows.append(
                {
                    "plan_id": r.plan_id,
                    "element": element,
                    "passage_id": r.passage_id,
                    "page": int(r.page),
                    "section": r.section,
                    "text": r.text,
                    "strength": round(float(getattr(r, f"score_{element}")) + bonus, 4),
                }
            )
    columns = ["plan_id", "element", "passage_id", "page", "section", "text", "strength"]
    table = pd.DataFrame(rows, columns=columns)
    order = {e: i for i, e in enumerate(rubric.excerpts.elements)}
    table["_order"] = [order[e] for e in table["element"]]
    return (
        table.sort_values(
            ["strength", "page", "passage_id", "_order"],
            ascending=[False, True, True, True],
            kind="mergesort",
        )
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def _near_duplicate(text: str, chosen: list[str], ratio: float) -> bool:
    return any(fuzz.token_set_ratio(text, other) >= ratio for other in chosen)


def pick(cands: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """Up to ``excerpt_max_per_plan`` excerpts: each element's best first, then the rest."""
    t = rubric.thresholds
    limit = t.excerpt_max_per_plan
    best_per_element = cands.drop_duplicates("element")  # cands are sorted strongest first
    ordered = pd.concat([best_per_element, cands.drop(best_per_element.index)])
    chosen_rows: list[Any] = []
    chosen_ids: set[str] = set()
    chosen_texts: list[str] = []
    for idx, r in ordered.iterrows():
        if len(chosen_rows) >= limit:
            break
        if r["passage_id"] in chosen_ids:
            continue
        if _near_duplicate(str(r["text"]), chosen_texts, t.excerpt_near_duplicate_ratio):
            continue
        chosen_rows.append(idx)
        chosen_ids.add(r["passage_id"])
        chosen_texts.append(str(r["text"]))
    picked = ordered.loc[chosen_rows].reset_index(drop=True)
    picked.insert(1, "rank", range(1, len(picked) + 1))
    return picked


def select_excerpts(
    passages: pd.DataFrame, plan_scores: pd.DataFrame, rubric: Rubric
) -> pd.DataFrame:
    """Excerpts for every plan rated ``fully`` in ``plan_scores``; pure and deterministic."""
    fully = sorted(plan_scores.loc[plan_scores["criterion10"] == "fully", "plan_id"])
    pieces = []
    for plan_id in fully:
        plan = passages[passages["plan_id"] == plan_id]
        cands = candidates(plan, rubric)
        if cands.empty:
            log.warning("plan %s is fully met but has no passage eligible as an excerpt", plan_id)
            continue
        pieces.append(pick(cands, rubric))
    columns = list(schemas.EXCERPTS.columns)
    table = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=columns)
    table = table[columns].astype(
        {"rank": "int64", "page": "int64", "strength": "float64"}
        | {c: str for c in ("plan_id", "element", "passage_id", "section", "text")}
    )
    table = table.sort_values(["plan_id", "rank"], kind="mergesort").reset_index(drop=True)
    return schemas.validate(table, schemas.EXCERPTS)


def run_excerpts(paths: Paths, rubric: Rubric | None = None) -> pd.DataFrame:
    """Read passages and final plan scores, write processed/excerpts.csv, return the table."""
    rubric = rubric or load_rubric()
    passages = read_table(paths.passages)
    plan_scores = read_table(paths.processed / "plan_scores.parquet")
    table = select_excerpts(passages, plan_scores, rubric)
    write_csv(table, paths.processed / "excerpts.csv")
    log.info(
        "selected %d excerpts for %d fully met plan(s)", len(table), table["plan_id"].nunique()
    )
    return table
