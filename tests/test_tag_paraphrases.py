"""Paraphrase families and look-alikes the evidence rules must tell apart (invented text)."""

from __future__ import annotations

import pytest

from pipeline.tag.nlp import normalise_text
from pipeline.tag.tagger import RuleEngine


@pytest.fixture(scope="module")
def engine() -> RuleEngine:
    return RuleEngine()


def supported(engine: RuleEngine, text: str, element: str) -> bool:
    return engine.analyse([normalise_text(text)])[0].supported(element)


@pytest.mark.parametrize(
    "text",
    [
        "Pupils said the buses stop too early, and that is why Priority 2 includes a late bus.",
        "Carers asked for evening drop-ins; the partnership has since introduced two a week.",
        "Residents in Fernlow asked for a safer crossing → crossing installed 2024",
        "Feedback from the dads' group led to a new fathers' pathway in Priority 1.",
        "Free swimming for teenagers is now an action under Priority 3.",
    ],
)
def test_influence_paraphrases(engine: RuleEngine, text: str) -> None:
    assert supported(engine, text, "influence")


@pytest.mark.parametrize(
    "text",
    [
        "The Moorview Befriending Project ran two sessions with families for the plan.",
        "Staff from Tallow Carers Network attended our planning day.",
        "Families were reached through Harrowgate Youth, who hosted a listening evening.",
    ],
)
def test_third_sector_named_bodies(engine: RuleEngine, text: str) -> None:
    assert supported(engine, text, "third_sector")


def test_youth_council_is_not_a_named_charity(engine: RuleEngine) -> None:
    assert not supported(engine, "The Fernlow Youth Council met the board in May.", "third_sector")


def test_grant_to_a_charity_is_not_taking_part(engine: RuleEngine) -> None:
    text = "A grant of £9,000 was awarded to the Moorview Befriending Project for summer trips."
    assert not supported(engine, text, "third_sector")


def test_workforce_on_the_draft_plan(engine: RuleEngine) -> None:
    text = "Health visitors and guidance teachers read the draft plan and rewrote two actions."
    assert supported(engine, text, "workforce")


def test_staff_training_is_not_workforce_engagement(engine: RuleEngine) -> None:
    text = "All practitioners completed refresher training on the new assessment plan."
    assert not supported(engine, text, "workforce")


def test_group_named_in_a_service_is_not_engagement(engine: RuleEngine) -> None:
    assert not supported(
        engine,
        "The aftercare team supports care experienced young people to age 26.",
        "specific_groups",
    )
    assert supported(
        engine,
        "Care experienced young people told us they wanted workers who stay.",
        "specific_groups",
    )


def test_the_plan_to_is_not_a_promise(engine: RuleEngine) -> None:
    text = "The forum circulated the draft plan to its member organisations for comment."
    assert supported(engine, text, "workforce")


def test_legal_duty_to_consult_cancels(engine: RuleEngine) -> None:
    text = "The agency must consult the birth parents before an adoption order is sought."
    assert not supported(engine, text, "families")


def test_rather_than_negates(engine: RuleEngine) -> None:
    text = "Priorities came from officers' analysis rather than from engagement with families."
    assert not supported(engine, text, "families")
