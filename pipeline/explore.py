"""Helpers for exploratory notebooks: load the processed tables and browse the evidence.

Notebooks call these instead of copying pipeline code, so they keep working as the stages
change. Nothing here writes files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.config import element_ids
from pipeline.storage import read_table

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
) -> pd.DataFrame:
    """Passages carrying ``element`` (any element if None), filtered by plan and page."""
    if element is not None and element not in element_ids():
        raise ValueError(f"unknown element {element!r}; expected one of {element_ids()}")
    elements = [element] if element else element_ids()
    scores = passages[[f"score_{e}" for e in elements]]
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
