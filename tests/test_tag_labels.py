"""The labelled passage set: its size and balance (issue #4), the fixed split, no leakage."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from pipeline.config import element_ids
from pipeline.tag.labels import LabelError, in_test, load_labels, split_labels
from pipeline.tag.nlp import normalise_text
from pipeline.tag.settings import SplitConfig, default_tagger_config

LABELS = Path(__file__).resolve().parents[1] / "data" / "labels"


@pytest.fixture(scope="module")
def labels():
    if not list(LABELS.glob("passages_*.jsonl")):
        pytest.skip("no labelled passages in data/labels")
    return load_labels(LABELS)


def test_label_set_meets_issue_counts(labels) -> None:
    counts = Counter(e for elements in labels["elements"] for e in elements)
    assert len(labels) >= 800
    assert {e: counts[e] for e in element_ids() if counts[e] < 40} == {}
    assert (labels["hard_negative"] != "").mean() >= 0.35


def test_every_hard_negative_family_is_present(labels) -> None:
    families = set(labels["hard_negative"]) - {""}
    assert {
        "legal_medical_consultation",
        "partners_no_third_sector",
        "promise_only",
        "negation",
        "data_table",
        "service_name",
        "staff_training",
        "advocacy_other",
        "official_quote",
    } <= families


def test_split_is_fixed_and_every_element_has_test_positives(labels) -> None:
    split = default_tagger_config().split
    train, test = split_labels(labels, split)
    again_train, again_test = split_labels(labels.sample(frac=1.0, random_state=3), split)
    assert sorted(test["id"]) == sorted(again_test["id"])
    assert sorted(train["id"]) == sorted(again_train["id"])
    assert 0.15 < len(test) / len(labels) < 0.35
    assert not set(train["id"]) & set(test["id"])
    test_counts = Counter(e for elements in test["elements"] for e in elements)
    assert all(test_counts[e] >= 5 for e in element_ids()), test_counts
    assert not set(train["text"].map(normalise_text)) & set(test["text"].map(normalise_text))


def test_a_reworded_copy_of_a_test_passage_is_dropped_from_training() -> None:
    import pandas as pd

    split = SplitConfig(modulus=4, remainder=0, near_duplicate_ratio=85)
    test_id = next(f"t{i}" for i in range(100) if in_test(f"t{i}", split))
    train_ids = [f"r{i}" for i in range(100) if not in_test(f"r{i}", split)][:3]
    original = (
        "Forty-two young carers met at Glenfinnan Hall in May and named transport as their worry."
    )
    rows = [
        (test_id, original),
        (train_ids[0], original.replace("Forty-two", "Forty-three")),  # reworded copy: leaks
        (train_ids[1], original.upper()),  # case only: leaks
        (train_ids[2], "The Parent Council ran an evening session on the draft school plan."),
    ]
    blank = {"elements": [], "register": "", "hard_negative": ""}
    df = pd.DataFrame([{"id": i, "text": t, **blank} for i, t in rows])
    train, test = split_labels(df, split)
    assert list(test["id"]) == [test_id]
    assert list(train["id"]) == [train_ids[2]]


def test_split_rule_is_the_documented_hash() -> None:
    split = SplitConfig(modulus=4, remainder=0)
    # sha1("a0001") ends in ...; computed independently of the code under test
    import hashlib

    for pid in ["a0001", "a0002", "b0417", "x"]:
        expected = int(hashlib.sha1(pid.encode()).hexdigest(), 16) % 4 == 0
        assert in_test(pid, split) is expected


def test_bad_label_line_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "passages_x.jsonl").write_text(
        '{"id": "x1", "text": "Pupils took part.", "elements": ["cyp"]}\n'
        '{"id": "x2", "text": "Oops", "elements": ["not_an_element"]}\n',
        encoding="utf-8",
    )
    with pytest.raises(LabelError, match=r"passages_x.jsonl:2"):
        load_labels(tmp_path)


def test_no_label_passage_appears_in_the_sample_corpus(labels, sample_corpus: Path) -> None:
    """The sample corpus is the pipeline's test bed: no labelled passage may be in it."""
    label_file = sample_corpus / "sample_passage_labels.csv"
    if not label_file.exists():
        pytest.skip("sample corpus has no sample_passage_labels.csv")
    with open(label_file, encoding="utf-8", newline="") as handle:
        corpus_texts = [normalise_text(row["text"]).lower() for row in csv.DictReader(handle)]
    corpus_blob = "\n".join(corpus_texts)
    label_texts = [normalise_text(t).lower() for t in labels["text"]]
    inside = [t for t in label_texts if len(t) > 30 and t in corpus_blob]
    contains = [c for c in corpus_texts if len(c) > 30 and c in set(label_texts)]
    assert inside == [] and contains == []


def test_classifier_is_deterministic(labels) -> None:
    """Two fits with the same seed give the same probabilities (make train is repeatable)."""
    import numpy as np

    from pipeline.tag.classifier import fit_pipeline, predict_proba
    from pipeline.tag.labels import label_matrix

    cfg = default_tagger_config()
    train, test = split_labels(labels, cfg.split)
    texts, y = train["text"].tolist()[:300], label_matrix(train)[:300]
    keep = y.sum(axis=0) >= cfg.model.calibration_folds
    probe = test["text"].tolist()[:40]
    first = predict_proba(fit_pipeline(texts, y[:, keep], cfg.model, cfg.seed), probe)
    second = predict_proba(fit_pipeline(texts, y[:, keep], cfg.model, cfg.seed), probe)
    assert np.array_equal(first, second)
