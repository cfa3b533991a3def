"""Training: fit the classifier on the TRAIN split and choose thresholds on TRAIN only.

Thresholds come from cross-validated model probabilities on the training passages (the test
split is never looked at), combined with the rule evidence exactly as at tagging time; for each
element the grid value with the best F1 wins (ties go to the value nearest the default).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold

from pipeline.tag.classifier import fit_pipeline, predict_proba
from pipeline.tag.cooccurrence import Cooccurrence, cross_val_cooccurrence, fit_cooccurrence
from pipeline.tag.settings import CombineConfig, TaggerConfig
from pipeline.tag.tagger import apply_hard_veto, combine_scores

log = logging.getLogger(__name__)


def cross_val_proba(texts: list[str], y: np.ndarray, cfg: TaggerConfig) -> np.ndarray:
    """Out-of-fold probabilities on the training passages (deterministic folds)."""
    folds = KFold(n_splits=cfg.combine.tuning_folds, shuffle=True, random_state=cfg.seed)
    out = np.zeros(y.shape, dtype=float)
    for fit_idx, held_idx in folds.split(texts):
        pipeline = fit_pipeline([texts[i] for i in fit_idx], y[fit_idx], cfg.model, cfg.seed)
        out[held_idx] = predict_proba(pipeline, [texts[i] for i in held_idx])
    return out


def fit_second_stage(
    oof: np.ndarray, y: np.ndarray, cfg: TaggerConfig
) -> tuple[Cooccurrence | None, np.ndarray]:
    """(co-occurrence stage or None, the out-of-fold probabilities thresholds are tuned on).

    With the stage switched on, thresholds are tuned on its own out-of-fold output, so neither
    stage has seen the passages whose scores choose the thresholds."""
    C = cfg.model.cooccurrence_C
    if C <= 0:
        return None, oof
    folds = cfg.combine.tuning_folds
    stage = fit_cooccurrence(oof, y, C, cfg.seed, folds)
    return stage, cross_val_cooccurrence(oof, y, C, cfg.seed, folds)


def _f1(y: np.ndarray, guess: np.ndarray) -> float:
    return float(f1_score(y, guess, zero_division=0.0))


def best_threshold(y: np.ndarray, scores: np.ndarray, grid: Sequence[float], default: float):
    """Grid value maximising F1 for one element; ties go to the value nearest ``default``."""
    ranked = sorted(grid, key=lambda t: (-_f1(y, scores >= t), abs(t - default), t))
    return float(ranked[0])


def best_combination(
    y: np.ndarray, p: np.ndarray, rules: np.ndarray, veto: np.ndarray, combine: CombineConfig
) -> dict[str, float]:
    """(boost, veto, threshold) with the best F1 for one element; ties go to earlier grid values
    and to the threshold nearest the default."""
    best: tuple | None = None
    for bi, boost in enumerate(combine.rule_boost_grid):
        for vi, factor in enumerate(combine.veto_factor_grid):
            scores = combine_scores(p, rules, veto, float(boost), float(factor))
            for threshold in combine.threshold_grid:
                key = (
                    -_f1(y, scores >= threshold),
                    bi,
                    vi,
                    abs(threshold - combine.default_threshold),
                    threshold,
                )
                if best is None or key < best[0]:
                    best = (key, {"boost": boost, "veto": factor, "threshold": threshold})
    assert best is not None
    return {k: float(v) for k, v in best[1].items()}


def tune_thresholds(
    y: np.ndarray,
    p: np.ndarray,
    rules: np.ndarray,
    veto: np.ndarray,
    elements: Sequence[str],
    cfg: TaggerConfig,
    hard: np.ndarray | None = None,
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """(model-alone threshold per element, combination parameters per element).

    ``hard`` marks hard-vetoed cells (see ``tagger.hard_veto_matrix``): the combination is
    tuned on the probabilities the tagger will combine, the model-alone threshold on raw ones."""
    combine = cfg.combine
    if not combine.tune_thresholds:
        model_t = {e: combine.default_threshold for e in elements}
        fixed = {
            "boost": combine.rule_boost_grid[0],
            "veto": combine.veto_factor_grid[0],
            "threshold": combine.default_threshold,
        }
        return model_t, {e: dict(fixed) for e in elements}
    grid, default = combine.threshold_grid, combine.default_threshold
    model_t = {e: best_threshold(y[:, j], p[:, j], grid, default) for j, e in enumerate(elements)}
    p_comb = p if hard is None else apply_hard_veto(p, hard, combine.hard_veto_factor)
    combination = {
        e: best_combination(y[:, j], p_comb[:, j], rules[:, j], veto[:, j], combine)
        for j, e in enumerate(elements)
    }
    return model_t, combination
