"""The combined tagger: rule evidence + context modifiers + the trained classifier.

Combination (the same rule is documented in ``resources/tagger.yaml``), per element e::

    p = model probability: the calibrated classifier, re-read by the co-occurrence stage
        (cooccurrence.py) when tagger.yaml switches it on
    R = an evidence pattern for e fired and no context modifier cancelled it
    C = every pattern hit for e was cancelled, or a passage-veto category for e was found
        while no pattern for e survived
    H = every hit for e was cancelled and one of them by a hard category (negation): p is
        first scaled by hard_veto_factor, whatever veto[e] was tuned to
    s = p + boost[e] * (1 - p)   if R      (rule evidence raises the score)
        p * veto[e]              elif C    (negation, promise, wrong sense veto)
        p                        otherwise (paraphrase: the model alone)
    tag e when s >= threshold[e]

boost, veto and threshold are chosen per element on the training split (see train.py).

``s`` is the per-element confidence written to ``score_<e>``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from spacy.language import Language

from pipeline.config import element_ids
from pipeline.tag.classifier import ModelBundle, load_bundle
from pipeline.tag.context import (
    ContextRules,
    Evidence,
    add_context_ruler,
    analyse_doc,
    default_context_rules,
)
from pipeline.tag.nlp import build_nlp, normalise_text
from pipeline.tag.rules import PatternFile, add_evidence_ruler, default_patterns
from pipeline.tag.settings import CombineConfig, TaggerConfig, default_tagger_config


@dataclass(frozen=True)
class TagResult:
    """The tagger's verdict on one passage."""

    scores: dict[str, float]  # combined confidence per element, spec order
    tags: list[str]  # asserted elements, spec order
    rules: list[str]  # ids of patterns that fired and survived context
    context: list[str]  # context categories found in the passage
    model: dict[str, float]  # model probability per element


class RuleEngine:
    """The spaCy side of the tagger: evidence patterns + context modifiers."""

    def __init__(
        self,
        patterns: Sequence[PatternFile] | None = None,
        context_rules: ContextRules | None = None,
        batch_size: int = 256,
    ) -> None:
        self.context_rules = context_rules or default_context_rules()
        self.nlp: Language = build_nlp()
        self.windows = add_evidence_ruler(self.nlp, tuple(patterns or default_patterns()))
        add_context_ruler(self.nlp, self.context_rules)
        self.batch_size = batch_size

    def analyse(self, texts: Iterable[str]) -> list[Evidence]:
        """Evidence for each (already normalised) text, batched through ``nlp.pipe``."""
        return [
            analyse_doc(doc, self.context_rules, self.windows)
            for doc in self.nlp.pipe(texts, batch_size=self.batch_size)
        ]


def rule_matrix(evidence: Sequence[Evidence], elements: Sequence[str]) -> np.ndarray:
    """(n, k) booleans: element supported by an uncancelled rule hit."""
    return np.array([[ev.supported(e) for e in elements] for ev in evidence], dtype=bool).reshape(
        len(evidence), len(elements)
    )


def veto_matrix(
    evidence: Sequence[Evidence], elements: Sequence[str], combine: CombineConfig
) -> np.ndarray:
    """(n, k) booleans: context vetoes the model for this element (see module docstring)."""
    out = np.zeros((len(evidence), len(elements)), dtype=bool)
    for i, ev in enumerate(evidence):
        found = set(ev.modifiers)
        for j, element in enumerate(elements):
            if ev.supported(element):
                continue
            passage = any(element in combine.passage_veto.get(category, []) for category in found)
            out[i, j] = ev.cancelled(element) or passage
    return out


def hard_veto_matrix(
    evidence: Sequence[Evidence], elements: Sequence[str], combine: CombineConfig
) -> np.ndarray:
    """(n, k) booleans: no hit for the element survived and one was cancelled by a category
    that ``combine.hard_veto`` lists for that element (negation: the spec says it never
    counts)."""
    out = np.zeros((len(evidence), len(elements)), dtype=bool)
    for j, element in enumerate(elements):
        hard = {c for c, listed in combine.hard_veto.items() if element in listed}
        if not hard:
            continue
        for i, ev in enumerate(evidence):
            out[i, j] = ev.cancelled(element) and any(
                hard & set(h.cancelled_by) for h in ev.hits if h.element == element
            )
    return out


def apply_hard_veto(p: np.ndarray, hard: np.ndarray, factor: float) -> np.ndarray:
    """Model probabilities with hard-vetoed cells scaled by ``factor`` before combination."""
    return np.where(hard, p * factor, p)


def combine_scores(
    p: np.ndarray,
    rules: np.ndarray,
    veto: np.ndarray,
    boost: np.ndarray | float,
    factor: np.ndarray | float,
) -> np.ndarray:
    """Combined confidence: rules raise, context vetoes, otherwise the model score.

    ``boost`` and ``factor`` broadcast against ``p`` (a scalar or one value per element).
    """
    boosted = p + boost * (1.0 - p)
    vetoed = p * factor
    return np.clip(np.where(rules, boosted, np.where(veto, vetoed, p)), 0.0, 1.0)


def threshold_vector(thresholds: dict[str, float], elements: Sequence[str], default: float):
    return np.array([thresholds.get(e, default) for e in elements], dtype=float)


def combination_vectors(
    combination: dict[str, dict[str, float]], elements: Sequence[str], combine: CombineConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(boost, veto factor, threshold) per element, defaults for elements not listed."""
    default = {
        "boost": combine.rule_boost_grid[0],
        "veto": combine.veto_factor_grid[0],
        "threshold": combine.default_threshold,
    }
    rows = [{**default, **combination.get(e, {})} for e in elements]
    boost, veto, threshold = (
        np.array([r[k] for r in rows], dtype=float) for k in ("boost", "veto", "threshold")
    )
    return boost, veto, threshold


class Tagger:
    """Scores passages for the 13 Criterion 10 elements; see the module docstring."""

    def __init__(
        self,
        bundle: ModelBundle,
        config: TaggerConfig | None = None,
        engine: RuleEngine | None = None,
    ) -> None:
        self.config = config or default_tagger_config()
        self.bundle = bundle
        self.elements = list(bundle.elements)
        if self.elements != element_ids():
            raise ValueError(
                f"model elements {self.elements} differ from elements.yaml: retrain (make train)"
            )
        self.engine = engine or RuleEngine(batch_size=self.config.runtime.batch_size)
        self.boost, self.veto, self.thresholds = combination_vectors(
            bundle.combination, self.elements, self.config.combine
        )

    @classmethod
    def load(cls, model_path: Path, config: TaggerConfig | None = None) -> Tagger:
        return cls(load_bundle(model_path), config)

    def score_arrays(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[Evidence]]:
        """(model probabilities, combined scores, rule evidence) for raw texts."""
        clean = [normalise_text(t) for t in texts]
        evidence = self.engine.analyse(clean)
        p = self.bundle.probabilities(clean)
        rules = rule_matrix(evidence, self.elements)
        combine = self.config.combine
        veto = veto_matrix(evidence, self.elements, combine)
        hard = hard_veto_matrix(evidence, self.elements, combine)
        p_vetoed = apply_hard_veto(p, hard, combine.hard_veto_factor)
        return p, combine_scores(p_vetoed, rules, veto, self.boost, self.veto), evidence

    def tag(self, texts: Sequence[str]) -> list[TagResult]:
        p, scores, evidence = self.score_arrays(texts)
        results = []
        for i, ev in enumerate(evidence):
            results.append(
                TagResult(
                    scores={e: round(float(scores[i, j]), 4) for j, e in enumerate(self.elements)},
                    tags=[
                        e
                        for j, e in enumerate(self.elements)
                        if scores[i, j] >= self.thresholds[j]
                    ],
                    rules=list(ev.pattern_ids),
                    context=list(ev.modifiers),
                    model={e: round(float(p[i, j]), 4) for j, e in enumerate(self.elements)},
                )
            )
        return results


def passages_per_second(tagger: Tagger, texts: Sequence[str]) -> float:
    """Throughput of the full tagger (rules + model + combination) on ``texts``.

    The benchmark (``make bench``) calls this; tests never time anything.
    """
    start = time.perf_counter()
    tagger.tag(texts)
    elapsed = time.perf_counter() - start
    return len(texts) / elapsed if elapsed > 0 else float("inf")
