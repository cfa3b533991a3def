"""The rubric against the synthetic sample corpus, with the tagger taken out of the loop.

Each sample plan was written to carry plan-level labels (sample_labels.csv) through passages
labelled with their evidence elements (sample_passage_labels.csv). Scoring those passages as
if a perfect tagger had tagged them checks that the rubric's rules match the spec's
judgements as the corpus author applied them; tagger errors are measured elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from scoring_fixtures import manifest_frame, passage, passages_frame
from sklearn.metrics import cohen_kappa_score

from pipeline.score import load_rubric, score_plans


@pytest.fixture(scope="module")
def oracle(sample_corpus: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    labels = sample_corpus / "sample_passage_labels.csv"
    plans = sample_corpus / "sample_labels.csv"
    if not labels.exists() or not plans.exists():
        pytest.skip("the sample corpus has no label files")
    lab = pd.read_csv(labels, keep_default_na=False)
    expected = pd.read_csv(plans, keep_default_na=False).set_index("plan_id").sort_index()
    rows = [
        passage(r.plan_id, i, r.text, [t for t in r.elements.split(";") if t], page=int(r.page))
        for i, r in enumerate(lab.itertuples(index=False))
    ]
    result = score_plans(passages_frame(rows), manifest_frame(expected.index), load_rubric())
    return result.plan_scores.set_index("plan_id").sort_index(), expected


@pytest.mark.parametrize("judgement", ["criterion10", "third_sector", "advocacy"])
def test_perfect_tags_reproduce_the_sample_judgements(oracle, judgement) -> None:
    got, expected = oracle
    kappa = cohen_kappa_score(got[judgement], expected[judgement])
    wrong = got.index[got[judgement] != expected[judgement]].tolist()
    assert kappa >= 0.8, f"{judgement}: kappa {kappa:.2f}; disagreements {wrong}"


def test_perfect_tags_reproduce_what_partially_met_plans_lack(oracle) -> None:
    got, expected = oracle
    partial = expected.index[expected["criterion10"] == "partially"]
    same = [
        set(filter(None, got.loc[p, "missing"].split(";")))
        == set(filter(None, expected.loc[p, "missing"].split(";")))
        for p in partial
    ]
    assert sum(same) >= 0.8 * len(partial)
