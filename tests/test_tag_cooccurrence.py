"""The co-occurrence stage: elements that travel together inform each other's probability."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from pipeline.tag.classifier import load_bundle, save_bundle
from pipeline.tag.cooccurrence import cross_val_cooccurrence, fit_cooccurrence
from pipeline.tag.settings import default_tagger_config
from pipeline.tag.train import fit_second_stage


def _linked_elements(n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """Element 1 is present exactly when element 0 is; the first stage reads element 0 well
    and element 1 barely; element 2 never occurs."""
    rng = np.random.default_rng(3)
    y0 = rng.random(n) < 0.4
    y = np.column_stack([y0, y0, np.zeros(n, dtype=bool)]).astype(int)
    p0 = np.clip(np.where(y0, 0.75, 0.25) + rng.normal(0, 0.15, n), 0.01, 0.99)
    p1 = np.clip(0.5 + 0.05 * (y0 - 0.5) + rng.normal(0, 0.2, n), 0.01, 0.99)
    p2 = np.clip(rng.normal(0.1, 0.05, n), 0.01, 0.99)
    return np.column_stack([p0, p1, p2]), y


def test_second_stage_lets_a_linked_element_borrow_strength() -> None:
    oof, y = _linked_elements()
    before = roc_auc_score(y[:, 1], oof[:, 1])
    after = roc_auc_score(y[:, 1], cross_val_cooccurrence(oof, y, C=1.0, seed=1, folds=5)[:, 1])
    assert before < 0.75 < after
    stage = fit_cooccurrence(oof, y, C=1.0, seed=1, folds=5)
    assert stage.coef[1, 0] > abs(stage.coef[1, 2])  # element 1 leans on element 0
    # an element with no positives cannot be learnt: it keeps its first-stage probability
    assert np.allclose(stage.transform(oof)[:, 2], oof[:, 2], atol=1e-3)


def test_second_stage_is_deterministic_and_can_be_switched_off() -> None:
    oof, y = _linked_elements()
    a = cross_val_cooccurrence(oof, y, C=1.0, seed=1, folds=5)
    b = cross_val_cooccurrence(oof, y, C=1.0, seed=1, folds=5)
    assert np.array_equal(a, b)
    cfg = default_tagger_config()
    off = cfg.model_copy(update={"model": cfg.model.model_copy(update={"cooccurrence_C": 0.0})})
    stage, tuned_on = fit_second_stage(oof, y, off)
    assert stage is None and tuned_on is oof


def test_saved_model_keeps_the_second_stage(trained_models: Path, tmp_path: Path) -> None:
    bundle = load_bundle(trained_models / "tagger.skops")
    assert bundle.cooccurrence is not None
    assert bundle.cooccurrence.coef.shape == (len(bundle.elements), len(bundle.elements))
    copy = load_bundle(save_bundle(bundle, tmp_path / "copy.skops"))
    texts = ["Young carers wrote the chapter on caring with us, and it changed two actions."]
    assert np.array_equal(bundle.probabilities(texts), copy.probabilities(texts))
    raw = bundle.pipeline.predict_proba(texts)
    assert not np.allclose(bundle.probabilities(texts), raw)  # the stage is applied
