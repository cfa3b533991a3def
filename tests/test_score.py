"""Plan-level judgements from hand-built passages tables (pipeline.score)."""

from __future__ import annotations

import pandas as pd
import pytest
from scoring_fixtures import (
    FULL_PLAN,
    full_plan_rows,
    manifest_frame,
    passage,
    passages_frame,
)

from pipeline import schemas
from pipeline.config import ConfigError, Paths
from pipeline.score import (
    load_rubric,
    modifiers_for,
    rule_fired,
    run_score,
    score_plans,
    with_thresholds,
)
from pipeline.storage import write_csv, write_parquet


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


def _score(rows, rubric, plan_ids=None, failed=()):
    df = passages_frame(rows)
    ids = plan_ids if plan_ids is not None else sorted(set(df["plan_id"]))
    return score_plans(df, manifest_frame(ids, failed=failed), rubric)


def _row(result, plan_id):
    return result.plan_scores.set_index("plan_id").loc[plan_id]


def _without(rows, *elements):
    """Drop every passage that carries any of ``elements``."""
    return [r for r in rows if not set(r["tags"].split(";")) & set(elements)]


# ---------------------------------------------------------------------------- the rubric file


def test_rubric_loads_and_names_every_threshold(rubric) -> None:
    assert rubric.thresholds.passage_min_score == pytest.approx(0.5)
    assert set(rubric.criterion10.missing_items) == {
        "methods",
        "families",
        "workforce",
        "community",
        "findings",
        "influence",
    }
    assert "cyp" not in rubric.criterion10.missing_items


def test_with_thresholds_validates_names_and_values(rubric) -> None:
    changed = with_thresholds(rubric, passage_min_score=0.8)
    assert changed.thresholds.passage_min_score == pytest.approx(0.8)
    assert rubric.thresholds.passage_min_score == pytest.approx(0.5)  # original untouched
    with pytest.raises(ConfigError, match="no_such_threshold"):
        with_thresholds(rubric, no_such_threshold=1)
    with pytest.raises(ValueError):
        with_thresholds(rubric, passage_min_score=1.5)


def test_a_rubric_naming_an_unknown_element_fails_on_load(tmp_path) -> None:
    text = load_rubric.__globals__["RUBRIC_PATH"].read_text(encoding="utf-8")
    broken = text.replace(
        "stakeholders: [cyp, families, workforce, community]",
        "stakeholders: [cyp, familes, workforce, community]",
    )
    assert broken != text
    path = tmp_path / "criterion10.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigError, match="familes"):
        load_rubric(path)


# ------------------------------------------------------------------------ passage helpers


def test_context_modifiers_can_be_scoped_to_an_element() -> None:
    assert modifiers_for("future", "cyp") == {"future"}
    assert modifiers_for("future:families;negated:cyp", "families") == {"future"}
    assert modifiers_for("future:families", "cyp") == set()


def test_rule_ids_belong_to_their_element_only() -> None:
    assert rule_fired("cyp.survey;methods", "cyp")
    assert rule_fired("third_sector", "third_sector")
    assert not rule_fired("community_council", "cyp")
    assert not rule_fired("families.parents", "cyp")


# ---------------------------------------------------------------------------- criterion10


def test_plan_evidencing_everything_is_fully_met_with_cited_pages(rubric) -> None:
    result = _score(full_plan_rows(), rubric)
    row = _row(result, FULL_PLAN)
    assert row["criterion10"] == "fully"
    assert row["missing"] == ""
    assert "Fully met" in row["explanation"] and "p. 4" in row["explanation"]
    cited = result.evidence[result.evidence["judgement"] == "criterion10"]
    assert set(cited["element"]) == set(rubric.criterion10.fully_requires)
    status = result.element_status.set_index(["plan_id", "element"])
    assert status.loc[(FULL_PLAN, "families"), "status"] == "evidenced"
    assert status.loc[(FULL_PLAN, "families"), "pages"] == "4"


def test_plan_lacking_family_engagement_lists_families_as_missing(rubric) -> None:
    rows = _without(full_plan_rows(), "families")
    row = _row(_score(rows, rubric), FULL_PLAN)
    assert row["criterion10"] == "partially"
    assert row["missing"].split(";") == ["families"]
    assert (
        "Would have benefitted from adding more detail on: engagement with parents/carers"
        in (row["explanation"])
    )


def test_missing_items_follow_the_review_order(rubric) -> None:
    rows = _without(full_plan_rows(), "families", "influence", "community")
    row = _row(_score(rows, rubric), FULL_PLAN)
    assert row["criterion10"] == "partially"
    assert row["missing"] == "families;community;influence"


def test_absent_children_is_explained_not_listed_as_missing(rubric) -> None:
    rows = [
        dict(r, tags=";".join(t for t in r["tags"].split(";") if t != "cyp"))
        for r in full_plan_rows()
    ]
    for r in rows:
        r["score_cyp"] = 0.05
    row = _row(_score(rows, rubric), FULL_PLAN)
    assert row["criterion10"] == "partially"
    assert "cyp" not in row["missing"].split(";")
    assert "no evidence that children and young people themselves" in row["explanation"]


PROMISES = [
    "We will consult children and young people on every priority in this plan.",
    "Parents and carers will be invited to focus groups during the first year of the plan.",
    "Staff across all services will help review the plan at annual workshops.",
    "We will run a public survey so residents can tell us what matters to them.",
    "Findings from these conversations will shape our priorities and actions.",
]
PROMISED = ["cyp", "families", "workforce", "community", "influence"]


def _promise_rows(plan_id: str, start: int = 1, context: str = "future") -> list[dict]:
    return [
        passage(
            plan_id,
            start + i,
            text,
            [],
            page=3 + i,
            context=context,
            scores={e: 0.8, "methods": 0.7},
        )
        for i, (text, e) in enumerate(zip(PROMISES, PROMISED, strict=True))
    ]


@pytest.mark.parametrize("context", ["future", "future:cyp;future:families;future:workforce"])
def test_a_plan_with_only_promises_is_not_met(rubric, context) -> None:
    result = _score(_promise_rows("ardmore-2023", context=context), rubric)
    row = _row(result, "ardmore-2023")
    assert row["criterion10"] == "not_met"
    status = result.element_status.set_index("element")
    assert status.loc["cyp", "status"] == "promised"
    assert status.loc["families", "status"] == "promised"
    assert "The plan states intentions about children and young people" in row["explanation"]
    assert result.evidence.query("judgement == 'criterion10'").empty


def test_scoped_promise_modifiers_mark_elements_promised_even_with_vetoed_scores(rubric) -> None:
    """The tagger scales down vetoed scores; a modifier scoped to the element still counts."""
    text = "Over the next year we intend to consult parents about family support."
    scoped = [
        passage(
            "ardmore-2023",
            1,
            text,
            [],
            scores={"families": 0.2},
            context="future:families",
            page=3,
        )
    ]
    status = _score(scoped, rubric).element_status.set_index("element")
    assert status.loc["families", "status"] == "promised"
    assert status.loc["families", "pages"] == "3"
    bare = [dict(scoped[0], context="future")]
    status = _score(bare, rubric).element_status.set_index("element")
    assert status.loc["families", "status"] == "absent"


def test_promises_never_make_a_plan_fully_met(rubric) -> None:
    """Engagement evidenced for one group, everything else only promised: partially at best."""
    rows = [
        passage(
            "ardmore-2023",
            90,
            "In May 2023, 120 pupils answered a survey on school life.",
            ["cyp", "methods"],
            page=2,
        ),
        *_promise_rows("ardmore-2023"),
    ]
    result = _score(rows, rubric)
    row = _row(result, "ardmore-2023")
    assert row["criterion10"] == "partially"
    assert set(row["missing"].split(";")) >= {"families", "workforce", "community", "influence"}


def test_negated_engagement_is_not_evidence_nor_promise(rubric) -> None:
    rows = [
        passage(
            "dunmore-2023",
            1,
            "No consultation with parents took place this year.",
            [],
            scores={"families": 0.7},
            context="negated",
            page=2,
        )
    ]
    result = _score(rows, rubric)
    assert _row(result, "dunmore-2023")["criterion10"] == "not_met"
    status = result.element_status.set_index("element")
    assert status.loc["families", "status"] == "absent"


def test_failed_plans_get_no_row_and_empty_plans_are_not_met(rubric) -> None:
    result = _score(
        full_plan_rows(), rubric, plan_ids=[FULL_PLAN, "empty-2023"], failed=["broken-2023"]
    )
    assert list(result.plan_scores["plan_id"]) == ["empty-2023", FULL_PLAN]
    assert _row(result, "empty-2023")["criterion10"] == "not_met"


def _families_scored(score: float) -> list[dict]:
    rows = full_plan_rows()
    for r in rows:
        if r["tags"] == "families;methods":
            r["score_families"] = score
    return rows


EXTRA_FAMILIES = "A parents' panel of twelve carers met twice in 2023 to comment on the draft."


def test_one_moderate_passage_is_not_enough_but_two_distinct_ones_are(rubric) -> None:
    rows = _families_scored(0.62)
    row = _row(_score(rows, rubric), FULL_PLAN)
    assert row["criterion10"] == "partially" and row["missing"] == "families"
    # the same sentence repeated elsewhere is not a second passage
    repeat = dict(rows[1], passage_id=f"{FULL_PLAN}-0070", page=15)
    assert _row(_score([*rows, repeat], rubric), FULL_PLAN)["criterion10"] == "partially"
    second = passage(FULL_PLAN, 71, EXTRA_FAMILIES, ["families"], score=0.6, page=8)
    assert _row(_score([*rows, second], rubric), FULL_PLAN)["criterion10"] == "fully"


def test_one_strong_passage_is_enough_and_the_bar_is_a_named_threshold(rubric) -> None:
    rows = _families_scored(0.9)
    assert _row(_score(rows, rubric), FULL_PLAN)["criterion10"] == "fully"
    stricter = with_thresholds(rubric, element_strong_score=0.95)
    row = _row(_score(rows, stricter), FULL_PLAN)
    assert row["criterion10"] == "partially"
    assert "families" in row["missing"]


def test_headings_and_model_only_tags_in_promises_are_not_evidence(rubric) -> None:
    rows = _without(full_plan_rows(), "families")
    heading = passage(
        FULL_PLAN, 80, "Listening to parents and carers", ["families"], kind="heading", page=7
    )
    promise = passage(
        FULL_PLAN,
        81,
        "We will make it easier for parents to get support.",
        ["families"],
        context="future",
        page=8,
    )
    row = _row(_score([*rows, heading, promise], rubric), FULL_PLAN)
    assert row["criterion10"] == "partially" and row["missing"] == "families"
    # a rule hit that survived the context is evidence even in a passage with a promise in it
    ruled = dict(
        promise,
        text="Parents told us in a survey that evenings suit them, and we will act on this.",
        rules="families.told_us",
    )
    assert _row(_score([*rows, ruled], rubric), FULL_PLAN)["criterion10"] == "fully"


# --------------------------------------------------------------------- confidence and review


def test_rating_resting_on_one_weak_passage_needs_human_review(rubric) -> None:
    row = _row(_score(_families_scored(0.78), rubric), FULL_PLAN)
    assert row["criterion10"] == "fully"
    assert bool(row["needs_review"])
    assert "criterion10" in row["review_reason"]
    assert "'families'" in row["review_reason"]
    assert "+0.03 from element_strong_score 0.75" in row["review_reason"]
    assert row["criterion10_confidence"] < rubric.thresholds.review_below_confidence


NEAR_MISSES = [
    "Young people's views fed into the plan's priorities.",
    "What parents said helped us decide the order of our actions.",
]


def test_near_misses_below_threshold_are_flagged_as_near_fully(rubric) -> None:
    rows = _without(full_plan_rows(), "influence")
    near = [
        passage(FULL_PLAN, 50 + i, text, [], scores={"influence": score}, page=7)
        for i, (text, score) in enumerate(zip(NEAR_MISSES, (0.47, 0.45), strict=True))
    ]
    row = _row(_score([*rows, *near], rubric), FULL_PLAN)
    assert row["criterion10"] == "partially"
    assert bool(row["needs_review"])
    assert "near fully" in row["review_reason"] and "'influence'" in row["review_reason"]
    assert "next best score(s) 0.47, 0.45 against passage_min_score 0.50" in row["review_reason"]
    # one distant near miss is not enough to doubt the rating
    far = [dict(near[0], score_influence=0.2)]
    row = _row(_score([*rows, *far], rubric), FULL_PLAN)
    assert "criterion10" not in row["review_reason"]


def test_clear_plans_do_not_need_review(rubric) -> None:
    rows = full_plan_rows()
    # a second, strong third-sector account lifts third_sector well clear of its threshold
    rows += [
        passage(
            FULL_PLAN,
            60 + i,
            f"The Harbour Youth charity ran focus group {i} with staff.",
            ["third_sector", "workforce", "methods"],
            page=12,
            score=0.95,
        )
        for i in range(3)
    ]
    row = _row(_score(rows, rubric), FULL_PLAN)
    assert not bool(row["needs_review"]), row["review_reason"]
    assert row["review_reason"] == ""


# ------------------------------------------------------------------------------ third sector


def test_third_sector_named_only_in_a_list_of_partners_needs_more(rubric) -> None:
    rows = [
        passage(
            "kelso-2023",
            1,
            "Partners in this plan: the council, NHS Kelso, Police Scotland and the third sector.",
            [],
            kind="list_item",
            page=4,
            scores={"third_sector": 0.2},
        ),
        passage(
            "kelso-2023",
            2,
            "In June 2023 we surveyed 300 pupils about their wellbeing.",
            ["cyp", "methods"],
            page=6,
        ),
    ]
    result = _score(rows, rubric)
    row = _row(result, "kelso-2023")
    assert row["third_sector"] == "needs_more"
    assert row["third_sector_explanation"] == (
        "Needs more: third sector named as partners on p. 4, but no account of how they took part."
    )
    cited = result.evidence.query("judgement == 'third_sector'")
    assert list(cited["page"]) == [4]


def test_a_tagged_partners_list_alone_still_needs_more(rubric) -> None:
    rows = [
        passage(
            "kelso-2023",
            1,
            "Partners: the council, the health board and the Kelso Council for Voluntary Service.",
            ["third_sector"],
            page=4,
            kind="list_item",
        )
    ]
    assert _row(_score(rows, rubric), "kelso-2023")["third_sector"] == "needs_more"


def test_third_sector_with_an_account_of_taking_part_is_robust(rubric) -> None:
    row = _row(_score(full_plan_rows(), rubric), FULL_PLAN)
    assert row["third_sector"] == "robust"
    assert "how they took part" in row["third_sector_explanation"]


def test_no_mention_of_the_third_sector_is_none(rubric) -> None:
    rows = [
        passage(
            "kelso-2023",
            1,
            "In June 2023 we surveyed 300 pupils about wellbeing.",
            ["cyp", "methods"],
            page=6,
        )
    ]
    result = _score(rows, rubric)
    assert _row(result, "kelso-2023")["third_sector"] == "none"
    assert result.evidence.query("judgement == 'third_sector'").empty


# --------------------------------------------------------------- advocacy and good practice


def test_advocacy_and_good_practice_flags_cite_their_passages(rubric) -> None:
    result = _score(full_plan_rows(), rubric)
    row = _row(result, FULL_PLAN)
    assert row["advocacy"] == "yes"
    flags = row["good_practice"].split(";")
    assert "dedicated_section" in flags and "quotes_linked_to_priorities" in flags
    assert "coproduction" not in flags
    judgements = set(result.evidence["judgement"])
    assert {"advocacy", "good_practice:dedicated_section"} <= judgements


def test_a_section_heading_alone_is_not_a_dedicated_section(rubric) -> None:
    rows = full_plan_rows()
    for r in rows:
        if r["section"].startswith("How we listened"):
            r["section"] = "Our priorities"
    flags = _row(_score(rows, rubric), FULL_PLAN)["good_practice"].split(";")
    assert "dedicated_section" not in flags


def test_every_positive_judgement_cites_evidence(rubric) -> None:
    rows = (
        full_plan_rows()
        + _promise_rows("ardmore-2023")
        + [passage("kelso-2023", 1, "Partners: the council and the third sector.", [], page=4)]
    )
    result = _score(rows, rubric)
    ev = result.evidence
    for r in result.plan_scores.itertuples():
        for judgement, value in (
            ("criterion10", r.criterion10),
            ("third_sector", r.third_sector),
            ("advocacy", r.advocacy),
        ):
            has = not ev[(ev["plan_id"] == r.plan_id) & (ev["judgement"] == judgement)].empty
            assert has == (value not in {"not_met", "none", "no"}), (r.plan_id, judgement)


# -------------------------------------------------------------------------------- the stage


def _write_inputs(tmp_path, rows, plan_ids) -> Paths:
    paths = Paths(processed=tmp_path / "processed", reviewer=tmp_path / "reviewer")
    write_parquet(passages_frame(rows), paths.passages)
    write_csv(manifest_frame(plan_ids), paths.manifest)
    return paths


def test_run_score_writes_valid_deterministic_tables(tmp_path, rubric) -> None:
    rows = full_plan_rows() + _promise_rows("ardmore-2023")
    paths = _write_inputs(tmp_path, rows, [FULL_PLAN, "ardmore-2023"])
    scores = run_score(paths)
    assert list(scores["plan_id"]) == sorted(scores["plan_id"])
    out = paths.processed
    first = {
        n: (out / n).read_bytes()
        for n in ("plan_scores.csv", "element_status.csv", "evidence.csv")
    }
    schemas.validate(pd.read_parquet(out / "plan_scores.parquet"), schemas.PLAN_SCORES)
    run_score(paths)
    assert first == {n: (out / n).read_bytes() for n in first}
    assert not (out / "agreement.csv").exists()
