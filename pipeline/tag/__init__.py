"""Evidence tagger: which Criterion 10 elements a passage shows, with a confidence and a reason.

Three parts (see each module):

- :mod:`pipeline.tag.rules`: spaCy patterns per element from ``resources/patterns/*.yaml``;
  every hit keeps its pattern id so an analyst sees why a passage was tagged.
- :mod:`pipeline.tag.context`: ConText-style modifiers from ``resources/context_rules.yaml``
  (negation, future promises, legal/clinical consultation, service names, adult advocacy,
  official quotes ...) that cancel rule hits.
- :mod:`pipeline.tag.classifier`: TF-IDF word + character n-grams and a calibrated linear model
  per element, trained by ``make train`` on the labelled passages (train split only).

How they combine (also in ``resources/tagger.yaml`` and :mod:`pipeline.tag.tagger`): with
model probability ``p``, an uncancelled rule hit raises the score to ``p + boost * (1 - p)``;
if the element's hits were all cancelled by context (or a passage-level veto category is
present and no rule survived) the score becomes ``p * veto``; otherwise it stays ``p``. The
element is asserted when the score reaches its threshold. ``boost``, ``veto`` and the threshold
are chosen per element from the grids in tagger.yaml on the training split only (out-of-fold
model probabilities), saved with the model and listed in models/metrics.json and
reports/tagger_evaluation.md.

Entry points: :func:`run_train` (``make train``), :func:`run_tag` (``make tag``),
:func:`tag_text_file` (``csp-review tag-text``), :func:`run_evaluate` (``make evaluate``) and
:func:`passages_per_second` for the benchmark.
"""

from pipeline.tag.stage import run_evaluate, run_tag, run_train, tag_text_file
from pipeline.tag.tagger import Tagger, TagResult, passages_per_second

__all__ = [
    "Tagger",
    "TagResult",
    "passages_per_second",
    "run_evaluate",
    "run_tag",
    "run_train",
    "tag_text_file",
]
