"""Hand-built passages tables (valid against schemas.passages_schema) for scorer tests.

The texts are invented for the tests (fictional places and organisations).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from pipeline import schemas
from pipeline.config import element_ids

FULL_PLAN = "glenbrae-2023"


def passage(
    plan_id: str,
    n: int,
    text: str,
    tags: Iterable[str] = (),
    *,
    page: int = 1,
    section: str = "",
    score: float = 0.9,
    scores: dict[str, float] | None = None,
    context: str = "",
    rules: str = "",
    kind: str = "paragraph",
    cycle: str = "2023-2026",
) -> dict:
    """One passage row: tagged elements get ``score``, others 0.05 unless ``scores`` says."""
    tags = list(tags)
    row = {
        "passage_id": f"{plan_id}-{n:04d}",
        "plan_id": plan_id,
        "cycle": cycle,
        "page": page,
        "section": section,
        "kind": kind,
        "text": text,
    }
    for e in element_ids():
        row[f"score_{e}"] = (scores or {}).get(e, score if e in tags else 0.05)
    row.update({"tags": ";".join(tags), "rules": rules, "context": context})
    return row


def passages_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(schemas.passages_schema().columns))
    return schemas.validate(df, schemas.passages_schema())


def manifest_frame(plan_ids: Iterable[str], failed: Iterable[str] = ()) -> pd.DataFrame:
    failed = set(failed)
    rows = [
        {
            "file": f"{p}.pdf",
            "plan_id": p,
            "cycle": "2023-2026",
            "area": p.split("-")[0].title(),
            "status": "failed" if p in failed else "ok",
            "reason": "encrypted" if p in failed else "",
            "pages": 0 if p in failed else 20,
            "pages_without_text": 0,
            "pages_ocr": 0,
            "sha256": "0" * 64,
        }
        for p in sorted(set(plan_ids) | failed)
    ]
    return schemas.validate(pd.DataFrame(rows), schemas.MANIFEST)


def full_plan_rows(plan_id: str = FULL_PLAN) -> list[dict]:
    """A plan that evidences everything Criterion 10 asks for, with a dedicated section."""
    sec = "How we listened: engaging on this plan"
    return [
        passage(
            plan_id,
            1,
            "In October 2022 some 640 pupils from 18 schools in Glenbrae answered "
            "our online survey about what helps them feel safe.",
            ["cyp", "methods"],
            page=4,
            section=sec,
        ),
        passage(
            plan_id,
            2,
            "Parents and carers joined six evening drop-in sessions at Kilbride "
            "library and the family centre, and 212 returned a questionnaire.",
            ["families", "methods"],
            page=4,
            section=sec,
        ),
        passage(
            plan_id,
            3,
            "Around 90 staff from education, health, social work and the Glenbrae "
            "Youth Trust tested the draft priorities at two workshops in March 2023.",
            ["workforce", "methods", "third_sector"],
            page=5,
            section=sec,
        ),
        passage(
            plan_id,
            4,
            "Residents commented on the draft at a public event in the town hall "
            "and through the council's consultation hub; 75 people responded.",
            ["community", "methods"],
            page=5,
            section=sec,
        ),
        passage(
            plan_id,
            5,
            "The most common message was that 62% of young people wanted somewhere "
            "safe to meet friends after school.",
            ["findings", "cyp"],
            page=6,
            section=sec,
        ),
        passage(
            plan_id,
            6,
            "Because of what young people told us, a safe place to meet is now "
            "part of Priority 2 and shapes its actions.",
            ["influence", "cyp"],
            page=6,
            section=sec,
        ),
        passage(
            plan_id,
            7,
            "\u201cI want a place where nobody judges you and you can just be "
            "yourself,\u201d said one young person at the youth forum.",
            ["quotes", "cyp"],
            page=6,
            section=sec,
        ),
        passage(
            plan_id,
            8,
            "The Glenbrae Third Sector Interface sits on the Children's Services "
            "Partnership board and co-chairs the family support group.",
            ["third_sector"],
            page=9,
            section="Governance",
        ),
        passage(
            plan_id,
            9,
            "Children and young people can have an independent advocacy worker "
            "to help them put their views across at their reviews.",
            ["advocacy"],
            page=11,
            section="Children's rights",
        ),
        passage(
            plan_id,
            10,
            "Our vision is that every child in Glenbrae grows up loved, safe and respected.",
            [],
            page=2,
            section="Foreword",
        ),
    ]
