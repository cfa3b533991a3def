"""Analysts' ratings: row-by-row validation, overrides, agreement (pipeline.reviewer)."""

from __future__ import annotations

import logging
import math

import pandas as pd
import pytest
from scoring_fixtures import FULL_PLAN, full_plan_rows, manifest_frame, passage, passages_frame
from sklearn.metrics import cohen_kappa_score

from pipeline.config import ConfigError, Paths
from pipeline.reviewer import agreement, apply_ratings, confusion, load_ratings, parse_ratings
from pipeline.score import load_rubric, run_score, score_plans
from pipeline.storage import read_table, write_csv, write_parquet

OTHER = "kelso-2023"


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


def _rows() -> list[dict]:
    return full_plan_rows() + [
        passage(OTHER, 1, "Partners: the council, NHS Kelso and the third sector.", [], page=4),
        passage(
            OTHER,
            2,
            "In June 2023 we surveyed 300 pupils about their wellbeing.",
            ["cyp", "methods"],
            page=6,
        ),
    ]


@pytest.fixture()
def paths(tmp_path) -> Paths:
    paths = Paths(processed=tmp_path / "processed", reviewer=tmp_path / "reviewer")
    write_parquet(passages_frame(_rows()), paths.passages)
    write_csv(manifest_frame([FULL_PLAN, OTHER]), paths.manifest)
    paths.reviewer.mkdir(parents=True)
    return paths


def _raw(text: str) -> pd.DataFrame:
    from io import StringIO

    return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)


def test_malformed_rows_are_reported_by_row_and_valid_rows_still_apply(rubric) -> None:
    raw = _raw(
        "plan_id,criterion10,third_sector,advocacy,note\n"
        f"{FULL_PLAN},Partially met,,,families thin\n"
        "nowhere-2023,fully,,,\n"
        f"{OTHER},brilliant,Needs more,no,\n"
        f"{FULL_PLAN},fully,,,second opinion\n"
    )
    ratings, problems = parse_ratings(raw, {FULL_PLAN, OTHER}, rubric, source="r.csv")
    assert problems == [
        "r.csv row 3: unknown plan_id 'nowhere-2023'",
        "r.csv row 4: unknown criterion10 rating 'brilliant' (expected one of "
        "['fully', 'partially', 'not_met']); criterion10 not applied",
        f"r.csv row 5: plan_id '{FULL_PLAN}' already rated on row 2; row ignored",
    ]
    by_plan = ratings.set_index("plan_id")
    assert by_plan.loc[FULL_PLAN, "criterion10"] == "partially"
    assert by_plan.loc[OTHER, "criterion10"] == ""
    assert by_plan.loc[OTHER, "third_sector"] == "needs_more"
    assert by_plan.loc[OTHER, "advocacy"] == "no"


def test_a_row_with_an_unquoted_comma_is_reported_and_the_rest_kept(tmp_path, rubric, caplog):
    path = tmp_path / "ratings.csv"
    path.write_text(
        "\ufeffplan_id,criterion10,third_sector,advocacy,note\n"
        f"{OTHER},not met,,,too thin, says the analyst\n"
        f"{FULL_PLAN},fully met\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.ERROR, logger="pipeline.reviewer"):
        ratings = load_ratings(path, {FULL_PLAN, OTHER}, rubric)
    assert [r.getMessage() for r in caplog.records] == [
        f"{path} row 2: 6 cells but the header has 5 (put a note containing commas in double "
        "quotes); row ignored"
    ]
    assert list(ratings["plan_id"]) == [FULL_PLAN]
    assert ratings.loc[0, "criterion10"] == "fully"


def test_a_file_without_plan_id_is_a_one_line_error(rubric) -> None:
    with pytest.raises(ConfigError, match="no 'plan_id' column"):
        parse_ratings(_raw("plan,criterion10\nx,fully\n"), {"x"}, rubric)


def test_run_score_logs_each_bad_row_and_applies_the_rest(paths, rubric, caplog) -> None:
    paths.ratings.write_text(
        "plan_id,criterion10,third_sector,advocacy,note\n"
        f"{FULL_PLAN},partially,,,Findings are not linked to priorities\n"
        "x,fully,,,\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.ERROR, logger="pipeline.reviewer"):
        scores = run_score(paths, rubric)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [
        f"{paths.ratings} row 3: unknown plan_id 'x'"
    ]
    row = scores.set_index("plan_id").loc[FULL_PLAN]
    assert row["criterion10"] == "partially"
    assert row["overridden"] == "criterion10"
    assert row["explanation"].startswith(
        "Overridden by analyst: criterion10 partially (pipeline: fully)."
    )
    assert "Findings are not linked to priorities" in row["explanation"]
    assert row["criterion10_confidence"] == 1.0
    # the pipeline's own ratings are kept beside the final ones
    own = read_table(paths.processed / "plan_scores_pipeline.csv").set_index("plan_id")
    assert own.loc[FULL_PLAN, "criterion10"] == "fully"
    assert own.loc[FULL_PLAN, "overridden"] == ""
    final = read_table(paths.processed / "plan_scores.csv").set_index("plan_id")
    assert final.loc[FULL_PLAN, "overridden"] == "criterion10"
    dis = read_table(paths.processed / "disagreements.csv")
    assert list(dis["judgement"]) == ["criterion10"]
    assert dis.loc[0, "reviewer_note"] == "Findings are not linked to priorities"
    assert "p. " in dis.loc[0, "pipeline_evidence"]
    # removing the ratings file removes the agreement outputs of the previous run
    paths.ratings.unlink()
    scores = run_score(paths, rubric)
    assert (scores["overridden"] == "").all()
    assert not (paths.processed / "agreement.csv").exists()


def test_agreeing_ratings_are_not_overrides_but_count_as_reviewed(rubric) -> None:
    result = score_plans(passages_frame(_rows()), manifest_frame([FULL_PLAN, OTHER]), rubric)
    pipeline_ts = result.plan_scores.set_index("plan_id").loc[OTHER, "third_sector"]
    ratings = pd.DataFrame(
        [
            {
                "plan_id": OTHER,
                "criterion10": "",
                "third_sector": pipeline_ts,
                "advocacy": "",
                "note": "",
            }
        ]
    )
    final = apply_ratings(result.plan_scores, ratings, rubric).set_index("plan_id")
    assert final.loc[OTHER, "overridden"] == ""
    assert final.loc[OTHER, "third_sector_confidence"] == 1.0
    assert "third_sector" not in final.loc[OTHER, "review_reason"]


def test_kappa_and_confusion_match_their_definitions() -> None:
    plans = [f"p{i}" for i in range(6)]
    pipeline = ["fully", "fully", "partially", "partially", "not_met", "partially"]
    analyst = ["fully", "partially", "partially", "partially", "not_met", ""]
    scores = pd.DataFrame(
        {
            "plan_id": plans,
            "criterion10": pipeline,
            "third_sector": ["none"] * 6,
            "advocacy": ["no"] * 6,
        }
    )
    ratings = pd.DataFrame(
        {
            "plan_id": plans,
            "criterion10": analyst,
            "third_sector": [""] * 6,
            "advocacy": ["no"] * 6,
            "note": [""] * 6,
        }
    )
    table = agreement(scores, ratings).set_index("judgement")
    assert table.loc["criterion10", "n"] == 5
    assert table.loc["criterion10", "agreed"] == 4
    expected = cohen_kappa_score(pipeline[:5], analyst[:5])
    assert table.loc["criterion10", "kappa"] == pytest.approx(expected, abs=1e-4)
    assert table.loc["third_sector", "n"] == 0 and math.isnan(table.loc["third_sector", "kappa"])
    # one category used by both raters: agreement is perfect but kappa is undefined
    assert table.loc["advocacy", "agreed"] == 6 and math.isnan(table.loc["advocacy", "kappa"])
    cm = confusion(scores, ratings)
    c10 = cm[cm["judgement"] == "criterion10"].set_index(["pipeline", "reviewer"])["count"]
    assert c10[("fully", "partially")] == 1
    assert c10[("partially", "partially")] == 2
    assert int(c10.sum()) == 5
    assert len(c10) == 9  # the full 3 x 3 grid, zeros included


def test_the_example_ratings_file_parses(rubric) -> None:
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "data" / "reviewer" / "ratings.example.csv"
    raw = pd.read_csv(example, dtype=str, keep_default_na=False)
    plan_ids = set(raw["plan_id"])
    ratings, problems = parse_ratings(raw, plan_ids, rubric)
    assert problems == []
    assert len(ratings) == len(raw)
