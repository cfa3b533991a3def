"""Evidence patterns and context modifiers, without the trained model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.config import ConfigError, element_ids
from pipeline.tag.nlp import build_nlp, normalise_text
from pipeline.tag.rules import PATTERN_DIR, add_evidence_ruler, load_pattern_files
from pipeline.tag.tagger import RuleEngine


@pytest.fixture(scope="module")
def engine() -> RuleEngine:
    return RuleEngine()


def evidence(engine: RuleEngine, text: str):
    return engine.analyse([normalise_text(text)])[0]


def test_every_element_has_patterns() -> None:
    files = load_pattern_files()
    assert [f.element for f in files] == element_ids()
    assert all(f.patterns for f in files)


def test_lemmas_are_lower_case() -> None:
    doc = build_nlp()("Parents were Consulted by Young People")
    assert [t.lemma_ for t in doc] == ["parent", "be", "consult", "by", "young", "people"]


def test_normalise_rejoins_hyphenated_line_breaks() -> None:
    assert normalise_text("our engage-\nment hub and young\npeople") == (
        "our engagement hub and young people"
    )


def test_hit_records_the_pattern_that_fired(engine: RuleEngine) -> None:
    ev = evidence(engine, "The Third Sector Interface co-chairs the planning group.")
    assert "third_sector.third_sector" in ev.pattern_ids
    assert ev.supported("third_sector")


def test_rule_matches_across_a_line_break(engine: RuleEngine) -> None:
    ev = evidence(engine, "Young\npeople told us that buses were too dear.")
    assert ev.supported("cyp")


def test_negation_cancels_and_but_terminates(engine: RuleEngine) -> None:
    ev = evidence(
        engine,
        "Young people took part in drafting the plan, but parents were not consulted.",
    )
    assert ev.supported("cyp")
    assert not ev.supported("families")
    assert "negated" in ev.modifiers


def test_future_cancels_a_promise(engine: RuleEngine) -> None:
    ev = evidence(engine, "We will consult young people in every school next year.")
    assert not ev.supported("cyp") and ev.cancelled("cyp")
    assert "future" in ev.modifiers


def test_pseudo_negation_does_not_cancel(engine: RuleEngine) -> None:
    ev = evidence(engine, "Not only pupils but also parents completed the survey in June.")
    assert ev.supported("families")


def test_table_cell_bar_bounds_context(engine: RuleEngine) -> None:
    ev = evidence(engine, "No change | Young people told us the buses run too early")
    assert ev.supported("cyp")


def test_senses_cancel_their_elements(engine: RuleEngine) -> None:
    service = evidence(engine, "The Community Youth Service runs clubs for local people.")
    assert "service_name" in service.modifiers
    adult = evidence(engine, "Adult advocacy is offered to parents attending case conferences.")
    assert not adult.supported("advocacy")
    official = evidence(engine, "“I want every child to thrive.” – Councillor Ann Muir")
    assert not official.supported("quotes")


def test_bad_pattern_key_is_a_config_error(tmp_path: Path) -> None:
    shutil.copytree(PATTERN_DIR, tmp_path / "patterns")
    (tmp_path / "patterns" / "quotes.yaml").write_text(
        "element: quotes\npatterns:\n  - id: quotes.bad\n    tokens: [{LOWERCASE: i}]\n",
        encoding="utf-8",
    )
    files = load_pattern_files(tmp_path / "patterns")
    with pytest.raises(ConfigError, match="quotes.bad"):
        add_evidence_ruler(build_nlp(), files)


def test_unquoted_yaml_boolean_is_reported(tmp_path: Path) -> None:
    shutil.copytree(PATTERN_DIR, tmp_path / "patterns")
    (tmp_path / "patterns" / "quotes.yaml").write_text(
        "element: quotes\npatterns:\n  - id: quotes.bad\n    tokens: [{LOWER: {IN: [on, off]}}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="quote"):
        load_pattern_files(tmp_path / "patterns")


def test_pattern_id_must_match_element(tmp_path: Path) -> None:
    shutil.copytree(PATTERN_DIR, tmp_path / "patterns")
    (tmp_path / "patterns" / "quotes.yaml").write_text(
        "element: quotes\npatterns:\n  - id: cyp.sneaky\n    phrase: hello\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="must start with 'quotes.'"):
        load_pattern_files(tmp_path / "patterns")


def test_window_cannot_start_a_pattern() -> None:
    from pipeline.tag.rules import split_windows

    pieces, gaps = split_windows([{"LOWER": "a"}, {"OP": "{0,3}"}, {"LOWER": "b"}], "x")
    assert pieces == [[{"LOWER": "a"}], [{"LOWER": "b"}]] and gaps == [3]
    with pytest.raises(ConfigError, match="cannot start or end"):
        split_windows([{"OP": "{0,3}"}, {"LOWER": "b"}], "x")


def test_windowed_pattern_respects_its_gap(engine: RuleEngine) -> None:
    near = evidence(engine, "Young people in every school across the area took part.")
    assert "cyp.young_people_took_part" in near.pattern_ids
    far = evidence(
        engine,
        "Young people, as the census of the whole population in each of the nine council "
        "wards and every town and village in the area shows, now number 9,000.",
    )
    assert "cyp.young_people_took_part" not in far.pattern_ids
