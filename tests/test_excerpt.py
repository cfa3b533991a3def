"""Good-practice excerpts (pipeline.excerpt): ranking, de-duplication, page citations."""

from __future__ import annotations

import pandas as pd
import pytest
from scoring_fixtures import FULL_PLAN, full_plan_rows, manifest_frame, passage, passages_frame

from pipeline import schemas
from pipeline.config import Paths
from pipeline.excerpt import candidates, pick, run_excerpts, select_excerpts
from pipeline.score import load_rubric, run_score, score_plans, with_thresholds
from pipeline.storage import write_csv, write_parquet


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


def _excerpts(rows, rubric, plans=(FULL_PLAN,)):
    passages = passages_frame(rows)
    scores = score_plans(passages, manifest_frame(plans), rubric).plan_scores
    return select_excerpts(passages, scores, rubric), scores


def test_fully_met_plan_gets_up_to_three_cited_excerpts(rubric) -> None:
    table, _ = _excerpts(full_plan_rows(), rubric)
    schemas.validate(table, schemas.EXCERPTS)
    assert list(table["rank"]) == [1, 2, 3]
    assert table["passage_id"].is_unique
    assert (table["section"] != "").all() and (table["page"] >= 1).all()
    assert table["strength"].is_monotonic_decreasing


def test_a_participant_quote_linked_to_a_priority_ranks_first(rubric) -> None:
    table, _ = _excerpts(full_plan_rows(), rubric)
    assert table.loc[0, "element"] == "quotes"
    assert "nobody judges you" in table.loc[0, "text"]


def test_specific_passages_outrank_general_ones(rubric) -> None:
    plan = passages_frame(
        [
            passage(
                FULL_PLAN,
                1,
                "Young people were asked for their views on the plan and gave "
                "plenty of helpful comments overall.",
                ["cyp"],
                page=3,
                section="Engagement",
            ),
            passage(
                FULL_PLAN,
                2,
                "In March 2023, 240 pupils in Kilbride took part in a youth summit "
                "on mental health.",
                ["cyp"],
                page=3,
                section="Engagement",
            ),
        ]
    )
    ranked = candidates(plan, rubric)
    assert ranked.iloc[0]["passage_id"].endswith("0002")
    assert ranked.iloc[0]["strength"] > ranked.iloc[1]["strength"]


def test_near_duplicates_are_not_both_selected(rubric) -> None:
    quote = (
        "\u201cI want a place where nobody judges you and you can just be yourself,\u201d "
        "said one young person at the youth forum."
    )
    plan = passages_frame(
        [
            passage(FULL_PLAN, 1, quote, ["quotes", "cyp"], page=6, section="What you told us"),
            passage(
                FULL_PLAN,
                2,
                quote.replace("one young person", "a young person").replace(
                    "youth forum", "youth council"
                ),
                ["quotes", "cyp"],
                page=14,
                section="What you told us",
            ),
            passage(
                FULL_PLAN,
                3,
                "Around 90 staff tested the draft priorities at two workshops in March 2023.",
                ["workforce", "methods"],
                page=5,
                section="Engagement",
            ),
        ]
    )
    picked = pick(candidates(plan, rubric), rubric)
    assert picked["text"].str.contains("nobody judges you").sum() == 1
    assert len(picked) == 2
    exact_only = with_thresholds(rubric, excerpt_near_duplicate_ratio=100)
    picked = pick(candidates(plan, exact_only), exact_only)
    assert picked["text"].str.contains("nobody judges you").sum() == 2


def test_plans_not_fully_met_get_no_excerpts(rubric) -> None:
    rows = [r for r in full_plan_rows() if "families" not in r["tags"].split(";")]
    table, scores = _excerpts(rows, rubric)
    assert scores.loc[0, "criterion10"] == "partially"
    assert table.empty
    schemas.validate(table, schemas.EXCERPTS)


def test_run_excerpts_reads_final_scores_and_writes_the_table(tmp_path, rubric) -> None:
    paths = Paths(processed=tmp_path / "processed", reviewer=tmp_path / "reviewer")
    write_parquet(passages_frame(full_plan_rows()), paths.passages)
    write_csv(manifest_frame([FULL_PLAN]), paths.manifest)
    run_score(paths, rubric)
    table = run_excerpts(paths, rubric)
    on_disk = pd.read_csv(paths.processed / "excerpts.csv", keep_default_na=False)
    assert len(on_disk) == len(table) == 3
    # an analyst who rates the plan partially removes it from the good-practice list
    paths.reviewer.mkdir(parents=True)
    paths.ratings.write_text(f"plan_id,criterion10\n{FULL_PLAN},partially\n", encoding="utf-8")
    run_score(paths, rubric)
    assert run_excerpts(paths, rubric).empty
