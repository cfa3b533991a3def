"""The evidence tagger on sentences it has never seen: what it must tag and must not tag.

Every sentence here is invented for the test (no text from published plans). The tagger is
trained once per session from data/labels (the ``trained_models`` fixture in conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline import schemas
from pipeline.config import Paths, element_ids
from pipeline.tag import Tagger, passages_per_second, run_evaluate, run_tag, tag_text_file
from pipeline.tag.classifier import ModelError

LABELS = Path(__file__).resolve().parents[1] / "data" / "labels"


def paths_under(root: Path, models: Path) -> Paths:
    """Paths writing under ``root``, reading the trained model and the repo's labels."""
    return Paths(
        raw=root / "raw",
        interim=root / "interim",
        processed=root / "processed",
        reports=root / "reports",
        models=models,
        reviewer=root / "reviewer",
        labels=LABELS,
    )


MUST_TAG = {
    "cyp": "Last autumn 540 pupils from Ardmore High School completed our survey about "
    "feeling safe in and around school.",
    "families": "Parents and carers told us at three coffee mornings that they wanted "
    "clearer information about where to get help.",
    "workforce": "Frontline staff from health, education and social work took part in "
    "workshops to test the draft priorities of this plan.",
    "community": "Local residents came to drop-in sessions in Kilbrannan village hall to "
    "comment on the draft plan.",
    "third_sector": "The Third Sector Interface sits on the Children's Services Partnership "
    "and helped write the family support chapter of this plan.",
    "advocacy": "Every looked after child can now have an independent advocacy worker to help "
    "them share their views at their Children's Hearing.",
    "methods": "We ran an online survey, four focus groups and a pop-up stall at the Ardmore "
    "gala to gather views on the draft plan.",
    "findings": "The most common issue raised by young people was the cost of getting to "
    "activities, mentioned by 62% of those who replied.",
    "influence": "Because young people told us that waiting times were too long, Priority 2 "
    "now commits us to a counselling service in every secondary school.",
    "coproduction": "Care experienced young people co-designed the new leaving care pathway "
    "with the throughcare team.",
    "specific_groups": "Young carers from the Ardmore young carers group met planning officers "
    "to describe what makes school hard for them.",
    "evaluation": "Our Young Inspectors visited five youth clubs and rated them on welcome and "
    "accessibility; their report went to the Partnership board.",
    "quotes": "“Nobody ever asked me what I thought before.” – young person, 15",
}

LINE_BREAK = (
    "Over 300 children and young\npeople took part in our engage-\nment survey in May 2023.",
    {"cyp", "methods"},
)
TABLE_ROW = (
    "Priority | Action | Lead | By when\nChildren's rights | Make independent advocacy "
    "available to every child at the point of referral | Children's Rights Lead | March 2025",
    {"advocacy"},
)

# hard-negative family -> (sentence, elements it must not carry; None = must carry nothing)
MUST_NOT_TAG = {
    "legal_medical_consultation": (
        "The statutory consultation on merging Kilbrannan and Dunmore primary schools closes "
        "on 14 March.",
        None,
    ),
    "clinical_consultation": (
        "Children referred with feeding concerns are offered a consultation with a consultant "
        "paediatrician within 12 weeks.",
        None,
    ),
    "other_plan": (
        "The Local Transport Strategy consultation received 900 responses, most of them about "
        "the price of bus fares.",
        {"cyp", "families", "community", "methods", "findings", "influence"},
    ),
    "partners_no_third_sector": (
        "Partners from health, education, police and social work will work together to deliver "
        "this plan.",
        {"third_sector"},
    ),
    "promise_only": (
        "We will make sure that the voices of children and young people are heard as we "
        "develop our next plan.",
        None,
    ),
    "negation": (
        "No consultation with parents or carers took place while this plan was prepared.",
        {"families", "methods"},
    ),
    "data_table": (
        "Table 6: S2 pupils reporting good wellbeing | 2019: 71% | 2022: 66% | Scotland: 68%",
        None,
    ),
    "service_name": (
        "The Community Paediatrics service saw 1,200 children in its clinics last year.",
        {"community"},
    ),
    "staff_training": (
        "Over 400 staff completed child protection training this year, and a further 90 are "
        "booked onto the advanced course.",
        {"workforce"},
    ),
    "advocacy_adults": (
        "Independent advocacy is available to parents with a learning disability who attend "
        "child protection case conferences.",
        {"advocacy"},
    ),
    "advocate_verb": (
        "The Partnership will advocate for fairer funding for rural schools.",
        {"advocacy"},
    ),
    "official_quote": (
        "“Every child in Kilbrannan deserves the best start in life.” – Councillor Ewan Baird, "
        "Convener of Education",
        {"quotes"},
    ),
}


@pytest.fixture(scope="module")
def tagger(trained_models: Path) -> Tagger:
    return Tagger.load(trained_models / "tagger.skops")


@pytest.mark.parametrize("element", element_ids())
def test_tags_each_element(tagger: Tagger, element: str) -> None:
    result = tagger.tag([MUST_TAG[element]])[0]
    assert element in result.tags, (result.scores, result.rules)
    assert 0.0 <= result.scores[element] <= 1.0


@pytest.mark.parametrize("case", [LINE_BREAK, TABLE_ROW], ids=["line_break", "table_row"])
def test_tags_text_split_across_lines_and_in_table_rows(tagger: Tagger, case) -> None:
    text, expected = case
    result = tagger.tag([text])[0]
    assert expected <= set(result.tags), (result.scores, result.rules)


@pytest.mark.parametrize("family", sorted(MUST_NOT_TAG))
def test_does_not_tag_hard_negatives(tagger: Tagger, family: str) -> None:
    text, forbidden = MUST_NOT_TAG[family]
    result = tagger.tag([text])[0]
    if forbidden is None:
        assert result.tags == [], (result.scores, result.rules, result.context)
    else:
        assert not forbidden & set(result.tags), (result.scores, result.rules, result.context)


def test_context_explains_a_vetoed_passage(tagger: Tagger) -> None:
    result = tagger.tag(["We will consult young people about the next plan."])[0]
    assert "future" in result.context
    assert "cyp" not in result.tags


def test_scores_and_tags_are_deterministic(tagger: Tagger) -> None:
    texts = list(MUST_TAG.values())
    assert [r.scores for r in tagger.tag(texts)] == [r.scores for r in tagger.tag(texts)]


def test_tag_text_file_round_trip(trained_models: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": "p1", "text": MUST_TAG["quotes"]})
        + "\n\n"
        + json.dumps({"id": "p2", "text": MUST_NOT_TAG["data_table"][0]})
        + "\n",
        encoding="utf-8",
    )
    target = tmp_path / "out.jsonl"
    n = tag_text_file(source, target, paths_under(tmp_path, models=trained_models))
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert n == 2 and [r["id"] for r in rows] == ["p1", "p2"]
    assert list(rows[0]["elements"]) == element_ids()
    assert "quotes" in rows[0]["tags"] and rows[1]["tags"] == []
    assert any(rule.startswith("quotes.") for rule in rows[0]["rules"])


def test_tag_text_file_names_the_bad_line(trained_models: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "p1", "text": "fine"}\n{"id": "p2", "txt": "oops"}\n', "utf-8")
    with pytest.raises(ValueError, match="line 2"):
        tag_text_file(source, tmp_path / "out.jsonl", paths_under(tmp_path, models=trained_models))


def test_run_tag_writes_a_valid_passages_table(trained_models: Path, tmp_path: Path) -> None:
    paths = paths_under(tmp_path, models=trained_models)
    texts = [MUST_TAG["cyp"], TABLE_ROW[0], MUST_NOT_TAG["promise_only"][0]]
    segments = pd.DataFrame(
        {
            "passage_id": ["p-1", "p-2", "p-3"],
            "plan_id": ["plan-a"] * 3,
            "cycle": ["2023-26"] * 3,
            "page": [3, 4, 4],
            "section": ["Engagement", "Action plan", "Next steps"],
            "kind": ["paragraph", "table", "paragraph"],
            "text": texts,
        }
    )
    paths.segments.parent.mkdir(parents=True)
    segments.to_parquet(paths.segments, index=False)
    passages = run_tag(paths)
    schemas.validate(pd.read_parquet(paths.passages), schemas.passages_schema())
    assert "cyp" in passages.loc[0, "tags"].split(";")
    assert "advocacy" in passages.loc[1, "tags"].split(";")
    assert passages.loc[2, "tags"] == ""
    assert "future" in passages.loc[2, "context"].split(";")
    assert passages.loc[0, "rules"] != ""


def test_missing_model_says_run_make_train(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="make train"):
        Tagger.load(tmp_path / "nothing.skops")


def test_evaluate_reports_every_element_and_method(trained_models: Path, tmp_path: Path) -> None:
    paths = paths_under(tmp_path, models=trained_models)
    table = run_evaluate(paths)
    assert "macro-F1: rules" in table and "combined" in table
    report = (paths.reports / "tagger_evaluation.md").read_text(encoding="utf-8")
    for element in element_ids():
        assert f"### {element}" in report
    assert "Confusion summary" in report
    metrics = json.loads((trained_models / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n_test"] > 0 and set(metrics["combination"]) == set(element_ids())
    assert set(metrics["test_macro_f1"]) == {"rules", "model", "combined"}
    low, high = metrics["test_macro_f1_combined_95ci"]
    assert low <= metrics["test_macro_f1"]["combined"] <= high
    assert f"95% bootstrap interval {low:.3f}-{high:.3f}" in report
    assert "Sample corpus passages" not in report  # no sample labels in this raw folder
    second = report.split("## Second-labeller check", 1)[1]
    assert [line.split(" | ")[0].strip("| ") for line in second.splitlines()[6:19]] == (
        element_ids()
    )
    assert "test split: second labeller" in second


def test_second_labeller_ids_must_be_in_the_label_set(tagger: Tagger, tmp_path: Path) -> None:
    from pipeline.tag.labels import LabelError, load_labels
    from pipeline.tag.settings import default_tagger_config
    from pipeline.tag.stage import second_labeller_report

    bad = tmp_path / "second.csv"
    bad.write_text("id,elements_second_labeller\nzz9999,cyp\n")
    with pytest.raises(LabelError, match=r"second.csv: ids not in the label set \['zz9999'\]"):
        second_labeller_report(tagger, load_labels(LABELS), bad, default_tagger_config().split)


def test_evaluate_also_scores_the_sample_corpus_passages(
    trained_models: Path, sample_corpus: Path, tmp_path: Path
) -> None:
    import shutil

    from pipeline.config import SAMPLE_PASSAGE_LABELS

    paths = paths_under(tmp_path, models=trained_models)
    paths.raw.mkdir(parents=True)
    shutil.copy(sample_corpus / SAMPLE_PASSAGE_LABELS, paths.raw / SAMPLE_PASSAGE_LABELS)
    n_rows = len(pd.read_csv(paths.raw / SAMPLE_PASSAGE_LABELS))
    table = run_evaluate(paths)
    assert (
        f"sample corpus passages ({SAMPLE_PASSAGE_LABELS}, synthetic): {n_rows} passages" in table
    )
    report = (paths.reports / "tagger_evaluation.md").read_text(encoding="utf-8")
    section = report.split("## Sample corpus passages", 1)[1].split("\n## ", 1)[0]
    assert "not how it reads real ones" in section
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    assert [r.split(" | ")[0].strip("| ") for r in rows[1:]] == element_ids()


def test_sample_passage_labels_with_an_unknown_element_are_refused(tmp_path: Path) -> None:
    from pipeline.tag.labels import LabelError
    from pipeline.tag.stage import load_sample_passages

    bad = tmp_path / "sample_passage_labels.csv"
    bad.write_text("plan_id,page,text,elements\nx,1,Pupils took part.,cyp;pupils\n")
    with pytest.raises(
        LabelError, match=r"sample_passage_labels.csv: unknown elements \['pupils'\]"
    ):
        load_sample_passages(bad)


def test_throughput_is_measurable(tagger: Tagger) -> None:
    assert passages_per_second(tagger, list(MUST_TAG.values())) > 0


def test_bootstrap_interval_is_reproducible_and_brackets_the_estimate() -> None:
    from sklearn.metrics import f1_score

    from pipeline.tag.evaluate import bootstrap_macro_f1

    rng = np.random.default_rng(7)
    y = rng.random((400, 13)) < 0.3
    guess = y ^ (rng.random(y.shape) < 0.1)  # 10% of the cells wrong
    low, high = bootstrap_macro_f1(y, guess, seed=1)
    point = f1_score(y, guess, average="macro")
    assert low < point < high and high - low < 0.1
    assert bootstrap_macro_f1(y, guess, seed=1) == (low, high)
    assert bootstrap_macro_f1(y, y, seed=1) == (1.0, 1.0)
    # a quarter of the passages gives a wider interval
    small_low, small_high = bootstrap_macro_f1(y[:100], guess[:100], seed=1)
    assert small_high - small_low > high - low


def test_interval_verdict_names_where_the_target_lies() -> None:
    from pipeline.tag.evaluate import interval_verdict

    assert interval_verdict((0.86, 0.90), 0.85) == "the whole interval clears the target."
    assert interval_verdict((0.80, 0.84), 0.85) == "the whole interval lies below the target."
    assert "contains the target" in interval_verdict((0.83, 0.87), 0.85)
