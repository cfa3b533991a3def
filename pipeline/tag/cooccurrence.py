"""Second stage of the classifier: each element re-read in the light of the other twelve.

The one-vs-rest classifier scores every element on its own, but the elements travel together:
writing the plan is co-production *and* influence, a quote box is quotes and findings, a
young inspectors' visit is children and evaluation. A logistic regression per element over the
logits of all 13 first-stage probabilities learns those links from the training split. It is
fitted on out-of-fold first-stage probabilities (what the classifier says about passages it
has not seen), so it learns how far to trust each score, not how the classifier memorised its
own training passages. Stored as plain arrays: ``p' = sigmoid(logit(p) @ coef.T + intercept)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

_EPS = 1e-4


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, _EPS, 1.0 - _EPS)
    return np.log(q / (1.0 - q))


@dataclass(frozen=True)
class Cooccurrence:
    """Fitted second stage: ``coef`` (k, k) and ``intercept`` (k,) over first-stage logits."""

    coef: np.ndarray
    intercept: np.ndarray

    def transform(self, p: np.ndarray) -> np.ndarray:
        """Second-stage probabilities for first-stage probabilities ``p`` (n, k)."""
        if len(p) == 0:
            return p
        z = _logit(p) @ self.coef.T + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


def _regression(C: float, seed: int) -> LogisticRegression:
    return LogisticRegression(C=C, max_iter=2000, random_state=seed)


def _learnable(column: np.ndarray, folds: int) -> bool:
    """Both classes present often enough for stratified folds; otherwise the element keeps
    its first-stage probability (identity row)."""
    positives = int(column.sum())
    return folds <= positives <= len(column) - folds


def fit_cooccurrence(
    oof: np.ndarray, y: np.ndarray, C: float, seed: int, folds: int
) -> Cooccurrence:
    """One logistic regression per element on the logits of all out-of-fold probabilities."""
    k = y.shape[1]
    z = _logit(oof)
    coef, intercept = np.eye(k), np.zeros(k)
    for j in range(k):
        if not _learnable(y[:, j], folds):
            continue
        model = _regression(C, seed).fit(z, y[:, j])
        coef[j], intercept[j] = model.coef_[0], model.intercept_[0]
    return Cooccurrence(coef=coef, intercept=intercept)


def cross_val_cooccurrence(
    oof: np.ndarray, y: np.ndarray, C: float, seed: int, folds: int
) -> np.ndarray:
    """Out-of-fold second-stage probabilities on the training split, for threshold tuning
    (the thresholds must be chosen on scores the second stage did not see either)."""
    z = _logit(oof)
    out = oof.copy()
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for j in range(y.shape[1]):
        if not _learnable(y[:, j], folds):
            continue
        out[:, j] = cross_val_predict(
            _regression(C, seed), z, y[:, j], cv=splitter, method="predict_proba"
        )[:, 1]
    return out
