"""The trained part of the tagger: one calibrated linear classifier per element.

``TfidfVectorizer`` word n-grams + ``char_wb`` n-grams -> ``OneVsRestClassifier`` of
``CalibratedClassifierCV(LinearSVC)``: small, fast, deterministic (fixed ``random_state``, no
shuffling that depends on anything but the seed) and gives a probability per element. Saved
with ``skops.io`` (no arbitrary pickle); on load only scikit-learn, NumPy and SciPy types are
trusted.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import skops.io as sio
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from pipeline.config import ConfigError
from pipeline.storage import atomic_path
from pipeline.tag.cooccurrence import Cooccurrence
from pipeline.tag.settings import ModelConfig

TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.")


class ModelError(ConfigError):
    """The saved model is missing or cannot be trusted (the CLI prints it as one line)."""


def build_pipeline(cfg: ModelConfig, seed: int) -> Pipeline:
    """Unfitted TF-IDF + calibrated one-vs-rest linear model."""
    features = FeatureUnion(
        [
            (
                "word",
                TfidfVectorizer(
                    ngram_range=tuple(cfg.word_ngrams),
                    min_df=cfg.min_df,
                    max_features=cfg.max_features_word,
                    sublinear_tf=True,
                    lowercase=True,
                    token_pattern=r"(?u)\b\w+\b",
                    dtype=np.float32,
                ),
            ),
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=tuple(cfg.char_ngrams),
                    min_df=cfg.min_df,
                    max_features=cfg.max_features_char,
                    sublinear_tf=True,
                    lowercase=True,
                    dtype=np.float32,
                ),
            ),
        ]
    )
    base = LinearSVC(C=cfg.C, class_weight=cfg.class_weight, random_state=seed, max_iter=5000)
    folds = StratifiedKFold(n_splits=cfg.calibration_folds, shuffle=True, random_state=seed)
    calibrated = CalibratedClassifierCV(base, method=cfg.calibration, cv=folds)
    return Pipeline([("features", features), ("clf", OneVsRestClassifier(calibrated))])


def fit_pipeline(texts: list[str], y: np.ndarray, cfg: ModelConfig, seed: int) -> Pipeline:
    """Fit with ``cfg.n_jobs`` workers (one binary problem each, so the result does not depend
    on the worker count), then reset to one worker so tagging never spawns processes."""
    pipeline = build_pipeline(cfg, seed)
    pipeline.set_params(clf__n_jobs=cfg.n_jobs)
    pipeline.fit(texts, y)
    pipeline.set_params(clf__n_jobs=None)
    for _, vectorizer in pipeline.named_steps["features"].transformer_list:
        # the pruned-term list is for introspection only; NumPy ints in the vocabulary would
        # be saved by skops as one file each (tens of thousands): plain ints load 20x faster
        vectorizer.stop_words_ = None
        vectorizer.vocabulary_ = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
    return pipeline


def predict_proba(pipeline: Pipeline, texts: list[str]) -> np.ndarray:
    """(n, n_elements) probabilities, float64, clipped to [0, 1]."""
    if not texts:
        return np.zeros((0, len(pipeline.named_steps["clf"].estimators_)))
    return np.clip(np.asarray(pipeline.predict_proba(texts), dtype=float), 0.0, 1.0)


@dataclass(frozen=True)
class ModelBundle:
    """What ``make train`` saves: the fitted pipeline, its element order, the co-occurrence
    stage (or None), and per element the model-alone threshold and the combination parameters
    (boost, veto, threshold)."""

    pipeline: Pipeline
    elements: list[str]
    thresholds_model: dict[str, float]
    combination: dict[str, dict[str, float]]
    cooccurrence: Cooccurrence | None = None

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """(n, k) model probabilities: the classifier, then the co-occurrence stage."""
        p = predict_proba(self.pipeline, texts).reshape(len(texts), len(self.elements))
        return p if self.cooccurrence is None else self.cooccurrence.transform(p)

    def to_dict(self) -> dict:
        stage = self.cooccurrence
        return {
            "pipeline": self.pipeline,
            "elements": list(self.elements),
            "thresholds_model": dict(self.thresholds_model),
            "combination": {e: dict(v) for e, v in self.combination.items()},
            "cooccurrence": None
            if stage is None
            else {"coef": stage.coef, "intercept": stage.intercept},
        }


def save_bundle(bundle: ModelBundle, target: Path) -> Path:
    with atomic_path(Path(target)) as tmp:
        sio.dump(bundle.to_dict(), tmp, compression=zipfile.ZIP_DEFLATED)
    return Path(target)


def load_bundle(source: Path) -> ModelBundle:
    """Load a saved bundle, trusting only scikit-learn / NumPy / SciPy types."""
    source = Path(source)
    if not source.exists():
        raise ModelError(
            f"no trained tagger model at {source}: run `make train` (or `csp-review train`) first"
        )
    untrusted = sio.get_untrusted_types(file=source)
    refused = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
    if refused:
        raise ModelError(f"{source} contains types that are not trusted: {refused}")
    data = sio.load(source, trusted=untrusted)
    stage = data.get("cooccurrence")
    return ModelBundle(
        pipeline=data["pipeline"],
        elements=list(data["elements"]),
        thresholds_model={k: float(v) for k, v in data["thresholds_model"].items()},
        combination={
            e: {k: float(v) for k, v in params.items()}
            for e, params in data["combination"].items()
        },
        cooccurrence=None
        if stage is None
        else Cooccurrence(
            coef=np.asarray(stage["coef"], dtype=float),
            intercept=np.asarray(stage["intercept"], dtype=float),
        ),
    )
