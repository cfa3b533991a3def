"""Small hand-made tables, valid against pipeline.schemas, for the third-sector tests.

The passages are written for these tests (fictional partnerships); they stand in for the
tagger's output so these tests do not depend on the other stages.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline import schemas
from pipeline.config import Paths, element_ids
from pipeline.storage import write_csv, write_parquet

# (plan_id, page, section, text, tags)
PASSAGES = [
    ("ardlochan-2023-26", 2, "Foreword", "Welcome to our plan for children and families.", ""),
    (
        "ardlochan-2023-26",
        4,
        "Governance",
        "The chief officer of Ardlochan Voluntary Action sits on the Children's Services "
        "Partnership Board as the voice of the third sector.",
        "third_sector",
    ),
    (
        "ardlochan-2023-26",
        5,
        "Governance",
        "Heronsgate Youth Trust co-chairs the Early Help strategic group.",
        "third_sector",
    ),
    (
        "ardlochan-2023-26",
        7,
        "Our priorities",
        "Eastbrook Family Link co-delivers the new family support service with health visitors "
        "in every locality.",
        "third_sector;coproduction",
    ),
    (
        "ardlochan-2023-26",
        8,
        "Our priorities",
        "Voluntary organisations helped map gaps in services for the needs assessment.",
        "third_sector",
    ),
    (
        "ardlochan-2023-26",
        11,
        "Measuring success",
        "Members of the third sector forum contribute case studies and figures to the annual "
        "report on this plan.",
        "third_sector;evaluation",
    ),
    ("ardlochan-2023-26", 12, "Appendix", "Glossary of terms used in this plan.", ""),
    (
        "carnbeg-2023-26",
        3,
        "Introduction",
        "Partners across the council and health board agreed this plan.",
        "",
    ),
    (
        "carnbeg-2023-26",
        6,
        "Delivering the plan",
        "Carnbeg Carers Centre runs the young carers service under Priority 2.",
        "third_sector",
    ),
    ("carnbeg-2023-26", 9, "Action plan", "Review the plan annually.", ""),
]


def passages_table(rows: list[tuple[str, int, str, str, str]] = PASSAGES) -> pd.DataFrame:
    """A passages table in the tagger's contract; third_sector score 0.9 when tagged."""
    records = []
    for i, (plan_id, page, section, text, tags) in enumerate(rows):
        rec = {
            "passage_id": f"{plan_id}-p{page:03d}-{i:03d}",
            "plan_id": plan_id,
            "cycle": "2023-26",
            "page": page,
            "section": section,
            "kind": "paragraph",
            "text": text,
        }
        for element in element_ids():
            rec[f"score_{element}"] = 0.9 if element in tags.split(";") else 0.05
        rec.update({"tags": tags, "rules": "", "context": ""})
        records.append(rec)
    return schemas.validate(pd.DataFrame(records), schemas.passages_schema())


def plan_scores_table() -> pd.DataFrame:
    rows = [
        {
            "plan_id": "ardlochan-2023-26",
            "cycle": "2023-26",
            "area": "Ardlochan",
            "criterion10": "partially",
            "criterion10_confidence": 0.7,
            "missing": "workforce",
            "third_sector": "robust",
            "third_sector_confidence": 0.8,
            "advocacy": "no",
            "advocacy_confidence": 0.6,
            "good_practice": "",
            "explanation": "No workforce.",
            "third_sector_explanation": "Board seat and delivery.",
            "needs_review": False,
            "review_reason": "",
            "overridden": "",
        },
        {
            "plan_id": "carnbeg-2023-26",
            "cycle": "2023-26",
            "area": "Carnbeg",
            "criterion10": "fully",
            "criterion10_confidence": 0.8,
            "missing": "",
            "third_sector": "needs_more",
            "third_sector_confidence": 0.6,
            "advocacy": "yes",
            "advocacy_confidence": 0.7,
            "good_practice": "",
            "explanation": "All there.",
            "third_sector_explanation": "Provider only.",
            "needs_review": False,
            "review_reason": "",
            "overridden": "",
        },
        {
            "plan_id": "dunvarrow-2023-26",
            "cycle": "2023-26",
            "area": "Dunvarrow",
            "criterion10": "not_met",
            "criterion10_confidence": 0.9,
            "missing": "",
            "third_sector": "none",
            "third_sector_confidence": 0.9,
            "advocacy": "no",
            "advocacy_confidence": 0.9,
            "good_practice": "",
            "explanation": "None.",
            "third_sector_explanation": "",
            "needs_review": True,
            "review_reason": "few passages",
            "overridden": "",
        },
    ]
    return schemas.validate(pd.DataFrame(rows), schemas.PLAN_SCORES)


def write_inputs(root: Path, with_scores: bool = True, synthetic: bool = False) -> Paths:
    """Lay out data/processed (and data/raw) under ``root``; return the Paths."""
    paths = Paths.under(root)
    paths.raw.mkdir(parents=True)
    write_parquet(passages_table(), paths.passages)
    if with_scores:
        write_csv(plan_scores_table(), paths.processed / "plan_scores.csv")
    if synthetic:
        (paths.raw / "SYNTHETIC_CORPUS.md").write_text("# SYNTHETIC\n", encoding="utf-8")
    return paths
