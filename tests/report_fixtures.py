"""Small hand-made processed tables (fictional areas) that satisfy pipeline.schemas contracts.

The report tests build on these instead of running the whole pipeline, so they are fast and
their expected counts are known by construction.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline import schemas
from pipeline.config import Paths, element_ids
from pipeline.storage import write_csv, write_parquet, write_table, write_text

# plan_id, cycle, area, criterion10, missing, third_sector, advocacy, needs_review
PLANS = [
    (
        "ardmore-2020-23",
        "2020-23",
        "Ardmore",
        "partially",
        "families;findings",
        "needs_more",
        "no",
        False,
    ),
    ("bellcraig-2020-23", "2020-23", "Bellcraig", "fully", "", "robust", "yes", False),
    ("ardmore-2023-26", "2023-26", "Ardmore", "fully", "", "robust", "yes", False),
    ("bellcraig-2023-26", "2023-26", "Bellcraig", "partially", "influence", "none", "no", True),
    (
        "corrieshaw-2023-26",
        "2023-26",
        "Corrieshaw",
        "partially",
        "workforce;influence",
        "needs_more",
        "no",
        False,
    ),
]

# passage texts written for these tests (fictional), with their tags
PASSAGES = [
    (
        "ardmore-2020-23",
        3,
        "Engagement",
        "Pupils answered an online survey in spring.",
        "cyp;methods",
    ),
    (
        "bellcraig-2020-23",
        4,
        "Listening to families",
        "Parents joined two focus groups and a survey run by the family centre.",
        "families;methods",
    ),
    (
        "bellcraig-2020-23",
        5,
        "Listening to families",
        "The Bellcraig Youth Forum agreed the three priorities; 'we want somewhere safe to go'.",
        "cyp;influence;quotes",
    ),
    (
        "ardmore-2023-26",
        2,
        "How we engaged",
        "Young people voted in a poll on the council's app and joined the Champions Board.",
        "cyp;methods",
    ),
    (
        "ardmore-2023-26",
        6,
        "Third sector",
        "The Ardmore Volunteer Centre co-chairs the planning group.",
        "third_sector",
    ),
    (
        "bellcraig-2023-26",
        3,
        "Consultation",
        "A consultation with residents ran through social media and drop-in sessions.",
        "community;methods",
    ),
    ("corrieshaw-2023-26", 8, "Background", "We will survey pupils next year.", ""),
]


def plan_scores_frame() -> pd.DataFrame:
    rows = []
    for pid, cycle, area, c10, missing, ts, adv, review in PLANS:
        rows.append(
            {
                "plan_id": pid,
                "cycle": cycle,
                "area": area,
                "criterion10": c10,
                "criterion10_confidence": 0.8,
                "missing": missing,
                "third_sector": ts,
                "third_sector_confidence": 0.7,
                "advocacy": adv,
                "advocacy_confidence": 0.9,
                "good_practice": "dedicated_section;coproduction" if c10 == "fully" else "",
                "explanation": f"{area} <b>evidences</b> engagement with pupils.",
                "third_sector_explanation": "",
                "needs_review": review,
                "review_reason": "low confidence on influence" if review else "",
                "overridden": "",
            }
        )
    return schemas.validate(pd.DataFrame(rows), schemas.PLAN_SCORES)


def passages_frame() -> pd.DataFrame:
    rows = []
    for i, (pid, page, section, text, tags) in enumerate(PASSAGES):
        cycle = next(p[1] for p in PLANS if p[0] == pid)
        row = {
            "passage_id": f"{pid}-p{i:03d}",
            "plan_id": pid,
            "cycle": cycle,
            "page": page,
            "section": section,
            "kind": "paragraph",
            "text": text,
        }
        row.update({f"score_{e}": (0.9 if e in tags.split(";") else 0.1) for e in element_ids()})
        row.update({"tags": tags, "rules": "", "context": ""})
        rows.append(row)
    return schemas.validate(pd.DataFrame(rows), schemas.passages_schema())


def element_status_frame(passages: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for pid, *_ in PLANS:
        mine = passages[passages["plan_id"] == pid]
        for e in element_ids():
            hit = mine[mine["tags"].str.split(";").map(lambda t, e=e: e in t)]
            status = "evidenced" if len(hit) else ("promised" if e == "cyp" else "absent")
            rows.append(
                {
                    "plan_id": pid,
                    "element": e,
                    "status": status,
                    "n_passages": len(hit),
                    "max_score": 0.9 if len(hit) else 0.1,
                    "pages": ";".join(str(p) for p in hit["page"]),
                }
            )
    return schemas.validate(pd.DataFrame(rows), schemas.ELEMENT_STATUS_TABLE)


def evidence_frame(passages: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for p in passages.to_dict(orient="records"):
        for e in [t for t in p["tags"].split(";") if t]:
            rows.append(
                {
                    "plan_id": p["plan_id"],
                    "judgement": "criterion10",
                    "element": e,
                    "passage_id": p["passage_id"],
                    "page": p["page"],
                    "section": p["section"],
                    "text": p["text"],
                    "score": 0.9,
                }
            )
    return schemas.validate(pd.DataFrame(rows), schemas.EVIDENCE)


def excerpts_frame(passages: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for pid in ("bellcraig-2020-23", "ardmore-2023-26"):
        mine = passages[(passages["plan_id"] == pid) & (passages["tags"] != "")]
        for rank, p in enumerate(mine.to_dict(orient="records"), start=1):
            rows.append(
                {
                    "plan_id": pid,
                    "rank": rank,
                    "element": p["tags"].split(";")[0],
                    "passage_id": p["passage_id"],
                    "page": p["page"],
                    "section": p["section"],
                    "text": p["text"],
                    "strength": 1.0 / rank,
                }
            )
    rows.append(
        {
            "plan_id": "ardmore-2023-26",
            "rank": 3,
            "element": "quotes",
            "passage_id": "x-script",
            "page": 9,
            "section": "Voices",
            "text": "A pupil wrote <script>alert('x')</script> on the wall.",
            "strength": 0.1,
        }
    )
    return schemas.validate(pd.DataFrame(rows), schemas.EXCERPTS)


def manifest_frame() -> pd.DataFrame:
    rows = [
        {
            "file": f"{cycle}/{pid}.pdf",
            "plan_id": pid,
            "cycle": cycle,
            "area": area,
            "status": "ok",
            "reason": "",
            "pages": 12,
            "pages_without_text": 0,
            "pages_ocr": 0,
            "sha256": f"{i:064x}",
        }
        for i, (pid, cycle, area, *_rest) in enumerate(PLANS)
    ]
    rows.append(
        {
            "file": "2023-26/dunmore-2023-26.pdf",
            "plan_id": "dunmore-2023-26",
            "cycle": "2023-26",
            "area": "Dunmore",
            "status": "failed",
            "reason": "encrypted: needs a password",
            "pages": 0,
            "pages_without_text": 0,
            "pages_ocr": 0,
            "sha256": "f" * 64,
        }
    )
    return schemas.validate(pd.DataFrame(rows), schemas.MANIFEST)


def build_processed(
    root: Path,
    *,
    synthetic: bool = True,
    scores: pd.DataFrame | None = None,
    agreement: bool = False,
) -> Paths:
    """Write the processed tables under ``root`` and return Paths pointing there."""
    paths = Paths.under(root)
    paths.raw.mkdir(parents=True, exist_ok=True)
    if synthetic:
        write_text(paths.raw / "SYNTHETIC_CORPUS.md", "# SYNTHETIC sample corpus\n")
    passages = passages_frame()
    write_parquet(passages, paths.processed / "passages.parquet")
    write_table(
        scores if scores is not None else plan_scores_frame(), paths.processed / "plan_scores"
    )
    write_table(element_status_frame(passages), paths.processed / "element_status")
    write_table(evidence_frame(passages), paths.processed / "evidence")
    write_table(excerpts_frame(passages), paths.processed / "excerpts")
    write_table(manifest_frame(), paths.processed / "manifest")
    if agreement:
        # the shapes pipeline.reviewer writes
        write_csv(
            pd.DataFrame(
                {
                    "judgement": ["criterion10", "advocacy"],
                    "n": [5, 5],
                    "agreed": [4, 5],
                    "share_agreed": [0.8, 1.0],
                    "kappa": [0.62, float("nan")],
                }
            ),
            paths.processed / "agreement.csv",
        )
        confusion = [
            ("criterion10", p, r, int(p == r) * 2 + int((p, r) == ("partially", "fully")))
            for p in ("fully", "partially", "not_met")
            for r in ("fully", "partially", "not_met")
        ]
        write_csv(
            pd.DataFrame(confusion, columns=["judgement", "pipeline", "reviewer", "count"]),
            paths.processed / "confusion.csv",
        )
        write_csv(
            pd.DataFrame(
                {
                    "plan_id": ["corrieshaw-2023-26"],
                    "judgement": ["criterion10"],
                    "pipeline": ["partially"],
                    "reviewer": ["fully"],
                    "reviewer_note": ["Fictional note: the annex shows the youth panel's role."],
                }
            ),
            paths.processed / "disagreements.csv",
        )
    return paths
