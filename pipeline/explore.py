"""Helpers for exploratory notebooks: load the processed tables, browse the evidence, re-score.

Notebooks call these instead of copying pipeline code, so they keep working as the stages
change: the heatmap is the report's own chart, and re-scoring under other thresholds goes
through the scorer's :func:`~pipeline.score.with_thresholds` and ``score_plans``. Nothing here
writes files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from tqdm import tqdm

from pipeline import schemas
from pipeline.config import element_ids
from pipeline.report import figures
from pipeline.report.content import corpus_label, draw_scorecard
from pipeline.report.settings import palette, report_settings
from pipeline.score import Rubric, ScoreResult, score_plans, split_list, with_thresholds
from pipeline.storage import read_table


def repo_root(start: Path | None = None) -> Path:
    """The folder holding pyproject.toml, walking up from ``start`` (default: the cwd).

    Jupyter runs a notebook with its own folder (notebooks/) as the working directory, so
    data paths written relative to the repository must be resolved from here.
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").exists():
            return folder
    raise FileNotFoundError(f"no pyproject.toml above {here}: run inside the csp-review repo")


def project_path(env_var: str, default: str, start: Path | None = None) -> Path:
    """``$env_var`` if set, else ``default``; a relative path is taken from the repo root."""
    path = Path(os.environ.get(env_var) or default)
    return path if path.is_absolute() else repo_root(start) / path


TABLES = (
    "manifest.csv",
    "passages.parquet",
    "element_status.csv",
    "plan_scores.csv",
    "evidence.csv",
    "excerpts.csv",
)


def load_tables(processed: Path = Path("data/processed")) -> dict[str, pd.DataFrame]:
    """The processed tables by name (file stem); a missing table says which make target."""
    processed = Path(processed)
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        path = processed / name
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run `make review` first")
        tables[path.stem] = read_table(path)
    return tables


def evidence_for(
    passages: pd.DataFrame,
    element: str | None = None,
    plan_id: str | None = None,
    page: int | None = None,
    min_score: float = 0.5,
    tagged: bool = True,
) -> pd.DataFrame:
    """Passages carrying ``element`` (any element if None), filtered by plan and page.

    A passage carries an element when the tagger asserted it (it is in ``tags``) and its
    score reaches ``min_score``. ``tagged=False`` drops the first test, to see near misses:
    passages the model scored highly but the tagger did not assert (a promise, a negation).
    """
    if element is not None and element not in element_ids():
        raise ValueError(f"unknown element {element!r}; expected one of {element_ids()}")
    elements = [element] if element else element_ids()
    scores = passages[[f"score_{e}" for e in elements]]
    if tagged:
        tags = [set(split_list(v)) for v in passages["tags"]]
        asserted = pd.DataFrame(
            {f"score_{e}": [e in t for t in tags] for e in elements}, index=passages.index
        )
        scores = scores.where(asserted)
    keep = scores.max(axis=1) >= min_score
    if plan_id is not None:
        keep &= passages["plan_id"] == plan_id
    if page is not None:
        keep &= passages["page"] == page
    columns = ["plan_id", "page", "section", "text", "tags", "rules"]
    result = passages.loc[keep, columns].copy()
    result["score"] = scores[keep].max(axis=1)
    return result.sort_values(["plan_id", "page", "score"], ascending=[True, True, False])


def tag_distribution(passages: pd.DataFrame) -> pd.DataFrame:
    """Plans x elements: how many passages of each plan carry each element tag."""
    exploded = passages.assign(tag=passages["tags"].str.split(";")).explode("tag")
    exploded = exploded[exploded["tag"].isin(element_ids())]
    table = pd.crosstab(exploded["plan_id"], exploded["tag"])
    return table.reindex(columns=element_ids(), fill_value=0)


def is_synthetic(raw: Path = Path("data/raw")) -> bool:
    """True when ``raw`` holds the generated sample corpus (its SYNTHETIC_CORPUS.md marker)."""
    return (Path(raw) / "SYNTHETIC_CORPUS.md").exists()


def element_heatmap(
    element_status: pd.DataFrame, plan_scores: pd.DataFrame, synthetic: bool = False
) -> Figure:
    """The report's elements-by-plan heatmap, drawn from the processed tables (not saved)."""
    settings = report_settings()
    cycles = sorted(plan_scores["cycle"].astype(str).unique())
    context = figures.ChartContext(
        corpus_label(len(plan_scores), cycles, synthetic), synthetic, settings.source
    )
    fig, _ = draw_scorecard(element_status, plan_scores, context, settings, palette())
    return fig


def criterion10_counts(plan_scores: pd.DataFrame) -> dict[str, int]:
    """Plans per Criterion 10 rating, every rating present (zeros kept), in the review's order."""
    counts = plan_scores["criterion10"].value_counts()
    return {rating: int(counts.get(rating, 0)) for rating in schemas.CRITERION10}


def rescore(
    passages: pd.DataFrame,
    manifest: pd.DataFrame,
    rubric: Rubric,
    changes: Mapping[str, Any] | None = None,
    cache: dict[str, ScoreResult] | None = None,
) -> ScoreResult:
    """:func:`score_plans` with some thresholds changed (validated like the YAML file).

    Scoring the corpus takes seconds, so pass the same ``cache`` dict to every call in a
    session: a rubric already scored (the current one appears in every sweep) is reused.
    """
    changed = with_thresholds(rubric, **dict(changes or {}))
    key = changed.model_dump_json()
    if cache is not None and key in cache:
        return cache[key]
    result = score_plans(passages, manifest, changed)
    if cache is not None:
        cache[key] = result
    return result


def threshold_sweep(
    passages: pd.DataFrame,
    manifest: pd.DataFrame,
    rubric: Rubric,
    sweeps: Mapping[str, Iterable[Any]],
    cache: dict[str, ScoreResult] | None = None,
) -> pd.DataFrame:
    """Re-score the corpus for each value of each threshold in ``sweeps``; count the ratings.

    One threshold changes at a time, the others keep the rubric's values. One row per
    (threshold, value): plans fully / partially / not met, plans flagged for human review, and
    whether the value is the rubric's own. Nothing is written: the scorer is pure.
    """
    current = rubric.thresholds.model_dump()
    unknown = sorted(set(sweeps) - set(current))
    if unknown:
        raise ValueError(f"unknown threshold(s) {unknown}; expected some of {sorted(current)}")
    cache = {} if cache is None else cache
    points = [(name, value) for name, values in sweeps.items() for value in values]
    rows = []
    for name, value in tqdm(points, desc="re-scoring", unit="setting", disable=len(points) < 2):
        scores = rescore(passages, manifest, rubric, {name: value}, cache).plan_scores
        rows.append(
            {
                "threshold": name,
                "value": value,
                **criterion10_counts(scores),
                "needs_review": int(scores["needs_review"].sum()),
                "is_default": value == current[name],
            }
        )
    table = pd.DataFrame(rows)
    table["value"] = pd.Series([row["value"] for row in rows], dtype=object)  # 2 stays 2, not 2.0
    return table


def rating_changes(
    before: pd.DataFrame, after: pd.DataFrame, judgement: str = "criterion10"
) -> pd.DataFrame:
    """Plans whose ``judgement`` differs between two plan_scores tables, with both ratings."""
    columns = ["plan_id", "cycle", "area", judgement, "missing"]
    merged = before[columns].merge(
        after[["plan_id", judgement, "missing"]], on="plan_id", suffixes=("_before", "_after")
    )
    moved = merged[merged[f"{judgement}_before"] != merged[f"{judgement}_after"]]
    return moved.sort_values(["cycle", "area", "plan_id"], kind="mergesort").reset_index(drop=True)
