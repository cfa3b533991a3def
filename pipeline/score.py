"""Plan-level Criterion 10 judgements from tagged passages, by the rubric in criterion10.yaml.

Why this shape: analysts must be able to defend every rating, so each one is derived from
named thresholds in a data file (:class:`Rubric`), cites the passages it rests on, says what
is missing, and carries a confidence that is low exactly when the rating sits near one of
those thresholds. :func:`score_plans` is pure (no I/O) so notebooks can vary thresholds with
:func:`with_thresholds`; :func:`run_score` reads and writes the processed tables and applies
an analyst's ratings (see :mod:`pipeline.reviewer`).

Flow per plan: passages -> element status (evidenced / promised / absent, with a confidence)
-> criterion10 + missing, third_sector, advocacy, good-practice flags -> explanation, evidence.

Evidence rows (``processed/evidence.csv``) are grouped by ``judgement``: ``criterion10``,
``third_sector`` and ``advocacy`` cite what their rating rests on (nothing for not_met / none
/ no); ``good_practice:<flag>`` cites what each fired flag rests on; ``element`` cites the top
passages of every evidenced element and ``promised`` the promises behind a promised element.

Confidence is 0.5 at a threshold and rises with the distance from it (scores relative to
``passage_min_score``, passage counts in steps of ``confidence_step_per_passage``). A plan's
rating takes the confidence of the element that would flip it most easily, so a rating that
rests on one weak passage, or misses a level by one near-miss passage, is listed for review.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import Field, model_validator

from pipeline import schemas
from pipeline.config import (
    RESOURCES,
    ConfigError,
    Paths,
    StrictModel,
    element_ids,
    elements,
    load_yaml_model,
)
from pipeline.storage import read_table, write_csv, write_table

log = logging.getLogger(__name__)

RUBRIC_PATH = RESOURCES / "criterion10.yaml"
SCORED_STATUSES = ("ok", "warning")


# ------------------------------------------------------------------------------------------
# the rubric (validated YAML)


class Thresholds(StrictModel):
    """Every number the scorer uses; documented in criterion10.yaml."""

    passage_min_score: float = Field(ge=0.0, le=1.0)
    element_min_passages: int = Field(ge=1)
    element_strong_score: float = Field(gt=0.0, le=1.0)
    promise_min_score: float = Field(ge=0.0, le=1.0)
    confidence_step_per_passage: float = Field(gt=0.0, le=0.5)
    review_below_confidence: float = Field(ge=0.5, le=1.0)
    cite_top_passages: int = Field(ge=1)
    ts_robust_min_passages: int = Field(ge=1)
    ts_robust_min_linked: int = Field(ge=0)
    ts_mention_min_score: float = Field(ge=0.0, le=1.0)
    section_min_passages: int = Field(ge=1)
    section_min_density: float = Field(ge=0.0, le=1.0)
    excerpt_max_per_plan: int = Field(ge=0)
    excerpt_near_duplicate_ratio: float = Field(ge=0.0, le=100.0)
    excerpt_min_chars: int = Field(ge=0)


class Modifiers(StrictModel):
    promise: list[str]
    negation: list[str]
    need_rule_when_modified: bool


class Criterion10Rule(StrictModel):
    stakeholders: list[str]
    min_groups_evidenced: int = Field(ge=1)
    fully_requires: list[str]
    missing_items: list[str]


class ThirdSectorRule(StrictModel):
    element: str
    linked_elements: list[str]
    participation_patterns: list[str]
    mention_patterns: list[str]


class AdvocacyRule(StrictModel):
    element: str


class FlagRule(StrictModel):
    id: str
    label: str
    requires: list[str] = []
    section: bool = False
    anchor: str | None = None
    linked_to: list[list[str]] = []
    scope: Literal["passage", "section"] = "passage"

    @model_validator(mode="after")
    def _anchor_needs_links(self) -> FlagRule:
        if bool(self.anchor) != bool(self.linked_to):
            raise ValueError(f"flag '{self.id}': 'anchor' and 'linked_to' go together")
        return self


class SpecificityFeature(StrictModel):
    id: str
    label: str
    pattern: str
    weight: float


class ExcerptRule(StrictModel):
    elements: list[str]
    specificity: list[SpecificityFeature]
    quote_priority_bonus: float = Field(ge=0.0)


class ReviewerRule(StrictModel):
    aliases: dict[str, str] = {}


class Rubric(StrictModel):
    """The Criterion 10 rubric. Change numbers with :func:`with_thresholds`."""

    version: int
    thresholds: Thresholds
    exclude_kinds: list[str]
    modifiers: Modifiers
    criterion10: Criterion10Rule
    third_sector: ThirdSectorRule
    advocacy: AdvocacyRule
    good_practice: list[FlagRule]
    section_elements: list[str]
    section_patterns: list[str]
    phrases: dict[str, str]
    excerpts: ExcerptRule
    reviewer: ReviewerRule

    @model_validator(mode="after")
    def _known_elements(self) -> Rubric:
        known = set(element_ids())
        used: dict[str, list[str]] = {
            "criterion10.stakeholders": self.criterion10.stakeholders,
            "criterion10.fully_requires": self.criterion10.fully_requires,
            "criterion10.missing_items": self.criterion10.missing_items,
            "third_sector.element": [self.third_sector.element],
            "third_sector.linked_elements": self.third_sector.linked_elements,
            "advocacy.element": [self.advocacy.element],
            "section_elements": self.section_elements,
            "excerpts.elements": self.excerpts.elements,
        }
        for flag in self.good_practice:
            used[f"good_practice.{flag.id}"] = [
                *flag.requires,
                *([flag.anchor] if flag.anchor else []),
                *(e for group in flag.linked_to for e in group),
            ]
        for key, values in used.items():
            unknown = sorted(set(values) - known)
            if unknown:
                raise ValueError(f"{key}: unknown element(s) {unknown}")
        missing_phrases = sorted(known - set(self.phrases))
        if missing_phrases:
            raise ValueError(f"phrases: no phrase for {missing_phrases}")
        patterns = [
            *self.third_sector.participation_patterns,
            *self.third_sector.mention_patterns,
            *self.section_patterns,
            *(f.pattern for f in self.excerpts.specificity),
        ]
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
        return self


def load_rubric(path: Path | None = None) -> Rubric:
    """Load and validate the rubric (default: the packaged criterion10.yaml)."""
    return load_yaml_model(Path(path) if path else RUBRIC_PATH, Rubric)


def with_thresholds(rubric: Rubric, **changes: Any) -> Rubric:
    """A copy of ``rubric`` with some thresholds changed, validated like the YAML file.

    >>> r = with_thresholds(load_rubric(), passage_min_score=0.7)  # doctest: +SKIP
    """
    merged = {**rubric.thresholds.model_dump(), **changes}
    unknown = sorted(set(changes) - set(Thresholds.model_fields))
    if unknown:
        raise ConfigError(f"with_thresholds: unknown threshold(s) {unknown}")
    return rubric.model_copy(update={"thresholds": Thresholds.model_validate(merged)})


@dataclass(frozen=True)
class _Compiled:
    """Regular expressions of a rubric, compiled once per scoring run."""

    participation: re.Pattern[str]
    mention: re.Pattern[str]
    section: re.Pattern[str]


def _any_of(patterns: list[str]) -> re.Pattern[str]:
    if not patterns:
        return re.compile(r"(?!x)x")  # matches nothing
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def _compile(rubric: Rubric) -> _Compiled:
    return _Compiled(
        participation=_any_of(rubric.third_sector.participation_patterns),
        mention=_any_of(rubric.third_sector.mention_patterns),
        section=_any_of(rubric.section_patterns),
    )


# ------------------------------------------------------------------------------------------
# passage helpers


def split_list(value: str) -> list[str]:
    """Split a semicolon-separated cell ("cyp;methods") into clean items."""
    return [part.strip() for part in str(value or "").split(";") if part.strip()]


def modifiers_for(context: str, element: str, scoped_only: bool = False) -> set[str]:
    """Context modifiers that apply to ``element`` in one passage.

    A bare modifier ("future") applies to the whole passage; a scoped one ("future:cyp" or
    "cyp:future") only to that element. ``scoped_only`` keeps just the scoped ones.
    """
    found: set[str] = set()
    for token in split_list(context):
        if ":" not in token:
            if not scoped_only:
                found.add(token.lower())
            continue
        left, right = (part.strip() for part in token.split(":", 1))
        if left == element:
            found.add(right.lower())
        elif right == element:
            found.add(left.lower())
    return found


def rule_fired(rules: str, element: str) -> bool:
    """True when a fired pattern id belongs to ``element`` (id equal or prefixed by it)."""
    for rule in split_list(rules):
        if rule == element:
            return True
        if (
            rule.startswith(element)
            and rule[len(element)] in ".:/#-_"
            and not any(
                rule.startswith(other) and len(other) > len(element) for other in element_ids()
            )
        ):
            return True
    return False


def where(series: pd.Series, test: Callable[[Any], bool]) -> pd.Series:
    """Boolean Series of ``test`` over ``series`` (plain bools, whatever the column dtype)."""
    return pd.Series([bool(test(v)) for v in series], index=series.index, dtype=bool)


def _norm_text(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip()


def format_pages(pages: list[int] | pd.Series, limit: int = 6) -> str:
    """'p. 4' / 'pp. 3, 5, 9' (at most ``limit`` pages, then 'and more')."""
    unique = sorted({int(p) for p in pages})
    if not unique:
        return ""
    shown = ", ".join(str(p) for p in unique[:limit])
    more = " and more" if len(unique) > limit else ""
    return f"p. {shown}" if len(unique) == 1 else f"pp. {shown}{more}"


def _join_words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ------------------------------------------------------------------------------------------
# element status


@dataclass
class ElementEvidence:
    """How one element stands in one plan, and how sure we are."""

    element: str
    status: str
    passages: pd.DataFrame  # distinct qualifying passages, strongest first
    promises: pd.DataFrame  # promise passages (status promised), strongest first
    best_other: float  # best score among passages that did not qualify (near misses)
    confidence: float
    note: str  # which threshold decides, and by how much

    @property
    def evidenced(self) -> bool:
        return self.status == "evidenced"

    @property
    def n(self) -> int:
        return len(self.passages) if self.evidenced else len(self.promises)

    @property
    def max_score(self) -> float:
        col = f"score_{self.element}"
        if self.evidenced:
            return float(self.passages[col].max())
        if self.status == "promised":
            return float(self.promises[col].max())
        return float(self.best_other)

    @property
    def pages(self) -> list[int]:
        source = self.passages if self.evidenced else self.promises
        return sorted({int(p) for p in source["page"]})


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def _above(value: float, bar: float) -> float:
    """Confidence that ``value`` >= ``bar`` holds: 0.5 at the bar, 1.0 at the top of the scale."""
    return 0.5 + 0.5 * _clamp((value - bar) / max(1.0 - bar, 1e-9))


def _below(value: float, bar: float) -> float:
    """Confidence that ``value`` < ``bar`` holds: 0.5 at the bar, 1.0 at zero."""
    return 0.5 + 0.5 * _clamp((bar - value) / max(bar, 1e-9))


def count_confidence(distance: int, rubric: Rubric) -> float:
    """0.5 at a count threshold, rising by ``confidence_step_per_passage`` per passage away."""
    return _clamp(0.5 + rubric.thresholds.confidence_step_per_passage * max(distance, 0))


def _distinct(df: pd.DataFrame, score_col: str) -> pd.DataFrame:
    """One row per normalised text (the strongest), strongest first, then by page."""
    if df.empty:
        return df
    ordered = df.assign(_norm=df["text"].map(_norm_text)).sort_values(
        [score_col, "page", "passage_id"], ascending=[False, True, True], kind="mergesort"
    )
    return ordered.drop_duplicates("_norm").drop(columns="_norm")


def _modifier_sets(rubric: Rubric) -> tuple[set[str], set[str]]:
    return (
        {m.lower() for m in rubric.modifiers.promise},
        {m.lower() for m in rubric.modifiers.negation},
    )


def qualifying(plan: pd.DataFrame, element: str, rubric: Rubric) -> pd.Series:
    """Passages that count as evidence for ``element`` (see criterion10.yaml, "qualifying").

    Tagged, scoring at least ``passage_min_score``, not of an excluded kind (headings name a
    topic, they do not report engagement), and, in a passage carrying a promise or negation
    modifier, supported by an uncancelled rule hit: the model alone cannot tell whether the
    modifier's scope covers the element, and intent is not evidence.
    """
    promise_set, negation_set = _modifier_sets(rubric)
    tagged = where(plan["tags"], lambda v: element in split_list(v))
    strong_enough = plan[f"score_{element}"] >= rubric.thresholds.passage_min_score
    kind_ok = ~plan["kind"].isin(rubric.exclude_kinds)
    mask = tagged & strong_enough & kind_ok
    if rubric.modifiers.need_rule_when_modified:
        modified = where(
            plan["context"],
            lambda v: bool(modifiers_for(v, element) & (promise_set | negation_set)),
        )
        ruled = where(plan["rules"], lambda v: rule_fired(v, element))
        mask &= ~modified | ruled
    return mask


def assess_element(plan: pd.DataFrame, element: str, rubric: Rubric) -> ElementEvidence:
    """Decide evidenced / promised / absent for one element of one plan.

    Evidenced = at least ``element_min_passages`` distinct qualifying passages, or one
    qualifying passage scoring at least ``element_strong_score``.
    """
    t = rubric.thresholds
    col = f"score_{element}"
    qual = qualifying(plan, element, rubric)
    passages = _distinct(plan[qual], col)
    promise_set, negation_set = _modifier_sets(rubric)
    mods = [modifiers_for(v, element) for v in plan["context"]]
    is_promise = pd.Series(
        [bool(m & promise_set) and not m & negation_set for m in mods],
        index=plan.index,
        dtype=bool,
    )
    about = (
        (plan[col] >= t.promise_min_score)
        | where(plan["rules"], lambda v: rule_fired(v, element))
        | where(plan["context"], lambda v: bool(modifiers_for(v, element, True) & promise_set))
    )
    promises = _distinct(plan[is_promise & about & ~qual], col)
    # Near misses: passages that did not qualify and are not promises or negations, which the
    # coding convention excludes on purpose rather than by a threshold.
    modified = pd.Series(
        [bool(m & (promise_set | negation_set)) for m in mods], index=plan.index, dtype=bool
    )
    others = _distinct(plan[~qual & ~modified & ~plan["kind"].isin(rubric.exclude_kinds)], col)
    near = [float(x) for x in others[col]]  # strongest first
    best_other = near[0] if near else 0.0
    n = len(passages)
    qual_scores = [float(x) for x in passages[col]]  # strongest first
    top = qual_scores[0] if n else 0.0
    thr, strong, k = t.passage_min_score, t.element_strong_score, t.element_min_passages
    if n >= k or (n > 0 and top >= strong):
        # it stops being evidenced only when every route fails, so take the safer route
        routes = []
        if n >= k:
            weakest = qual_scores[k - 1]
            routes.append(max(count_confidence(n - k + 1, rubric), _above(weakest, thr)))
        if top >= strong:
            routes.append(_above(top, strong))
        confidence = max(routes)
        note = (
            f"'{element}' rests on {n} distinct qualifying passage(s) (element_min_passages {k}, "
            f"passage_min_score {thr:.2f}); top score {top:.2f} is {top - strong:+.2f} from "
            f"element_strong_score {strong:.2f}"
        )
        status = "evidenced"
    else:
        # it becomes evidenced when the next (k - n) passages reach passage_min_score, or when
        # its best passage reaches element_strong_score
        needed = k - n
        pool = [min(x, thr) for x in near]
        kth = pool[needed - 1] if len(pool) >= needed else 0.0
        best_any = max(top, best_other)
        confidence = min(_below(kth, thr), _below(min(best_any, strong), strong))
        nexts = ", ".join(f"{x:.2f}" for x in near[:needed]) or "none"
        note = (
            f"'{element}' has {n} distinct qualifying passage(s), {needed} short of "
            f"element_min_passages {k}; the next best score(s) {nexts} against passage_min_score "
            f"{thr:.2f}; best score {best_any:.2f} against element_strong_score {strong:.2f}"
        )
        status = "promised" if len(promises) else "absent"
    return ElementEvidence(
        element=element,
        status=status,
        passages=passages if status == "evidenced" else plan.iloc[0:0],
        promises=promises,
        best_other=best_other,
        confidence=round(confidence, 4),
        note=note,
    )


# ------------------------------------------------------------------------------------------
# plan judgements


@dataclass
class Judgement:
    rating: str
    confidence: float
    reason: str  # the threshold that decides, for the review list


@dataclass
class PlanAssessment:
    """All the scorer knows about one plan; the tables are views of it."""

    plan_id: str
    cycle: str
    area: str
    passages: pd.DataFrame
    elements: dict[str, ElementEvidence]
    criterion10: Judgement
    missing: list[str]
    third_sector: Judgement
    third_sector_passages: pd.DataFrame
    third_sector_explanation: str
    advocacy: Judgement
    flags: dict[str, pd.DataFrame] = field(default_factory=dict)


def judge_criterion10(
    ev: dict[str, ElementEvidence], rubric: Rubric
) -> tuple[Judgement, list[str]]:
    """fully / partially / not_met plus the review's list of missing items."""
    rule = rubric.criterion10
    groups = [e for e in rule.stakeholders if ev[e].evidenced]
    missing = [e for e in rule.missing_items if not ev[e].evidenced]
    lacking = [e for e in rule.fully_requires if not ev[e].evidenced]
    if len(groups) < rule.min_groups_evidenced:
        # not_met flips to partially if any stakeholder group were evidenced.
        weakest = min(rule.stakeholders, key=lambda e: (ev[e].confidence, e))
        return Judgement("not_met", ev[weakest].confidence, ev[weakest].note), missing
    if not lacking:
        weakest = min(rule.fully_requires, key=lambda e: (ev[e].confidence, e))
        return Judgement("fully", ev[weakest].confidence, ev[weakest].note), []
    # partially: not fully while at least one lacking item is surely lacking; not not_met while
    # at least one evidenced group is surely evidenced.
    to_fully = max(ev[e].confidence for e in lacking)
    to_not_met = max(ev[e].confidence for e in groups)
    if to_fully <= to_not_met:
        reason = "near fully: " + "; ".join(ev[e].note for e in lacking)
    else:
        reason = "near not_met: " + "; ".join(ev[e].note for e in groups)
    return Judgement("partially", min(to_fully, to_not_met), reason), missing


def _third_sector_mentions(plan: pd.DataFrame, rubric: Rubric, compiled: _Compiled) -> pd.Series:
    """Passages that name the third sector, tagged or not (mention, not participation)."""
    element = rubric.third_sector.element
    col = f"score_{element}"
    negated = where(
        plan["context"],
        lambda v: bool(modifiers_for(v, element) & {m.lower() for m in rubric.modifiers.negation}),
    )
    by_word = where(plan["text"], lambda t: bool(compiled.mention.search(t)))
    by_rule = where(plan["rules"], lambda v: rule_fired(v, element))
    by_tag = qualifying(plan, element, rubric)
    by_score = plan[col] >= rubric.thresholds.ts_mention_min_score
    return (by_word | by_rule | by_tag | by_score) & ~negated


def judge_third_sector(
    plan: pd.DataFrame, rubric: Rubric, compiled: _Compiled
) -> tuple[Judgement, pd.DataFrame, str]:
    """robust / needs_more / none, the passages cited, and a one-line explanation."""
    t = rubric.thresholds
    rule = rubric.third_sector
    col = f"score_{rule.element}"
    # robustness counts qualifying passages even when fewer than element_min_passages
    evidence = _distinct(plan[qualifying(plan, rule.element, rubric)], col)
    linked_by_tag = where(
        evidence["tags"], lambda v: bool(set(split_list(v)) & set(rule.linked_elements))
    )
    linked_by_words = where(evidence["text"], lambda s: bool(compiled.participation.search(s)))
    linked = evidence[linked_by_tag | linked_by_words]
    n_ev, n_linked = len(evidence), len(linked)
    mentions = _distinct(plan[_third_sector_mentions(plan, rubric, compiled)], col)
    short = max(t.ts_robust_min_passages - n_ev, 0) + max(t.ts_robust_min_linked - n_linked, 0)
    named = format_pages(mentions["page"]) if len(mentions) else ""
    if short == 0:
        surplus = min(n_ev - t.ts_robust_min_passages, n_linked - t.ts_robust_min_linked)
        conf = count_confidence(surplus + 1, rubric)
        how = format_pages(linked["page"])
        reason = (
            f"{n_ev} third-sector passage(s) (ts_robust_min_passages {t.ts_robust_min_passages}), "
            f"{n_linked} saying how they took part (ts_robust_min_linked {t.ts_robust_min_linked})"
        )
        text = (
            f"Robust: third sector organisations take part ({format_pages(evidence['page'])}), "
            f"with an account of how they took part ({how})."
        )
        return Judgement("robust", conf, reason), evidence, text
    if len(mentions):
        # needs_more flips to robust when the shortfall closes, to none if the mentions vanish
        to_robust = count_confidence(short, rubric)
        firm = where(mentions["text"], lambda s: bool(compiled.mention.search(s))) | qualifying(
            mentions, rule.element, rubric
        )
        if firm.any():
            to_none = 1.0
        else:
            top = float(mentions[col].max())
            to_none = 0.5 + 0.5 * _clamp(
                (top - t.ts_mention_min_score) / max(1.0 - t.ts_mention_min_score, 1e-9)
            )
        conf = min(to_robust, to_none)
        if to_robust <= to_none:
            reason = (
                f"near robust: {n_ev} third-sector passage(s) of ts_robust_min_passages "
                f"{t.ts_robust_min_passages}, {n_linked} of ts_robust_min_linked "
                f"{t.ts_robust_min_linked} say how they took part ({short} short)"
            )
        else:
            reason = (
                f"near none: only mention scores {float(mentions[col].max()):.2f} against "
                f"ts_mention_min_score {t.ts_mention_min_score:.2f}"
            )
        as_partner = mentions["text"].str.contains(r"\bpartner", case=False, regex=True).any()
        role = " as partners" if as_partner else ""
        if n_linked:
            detail = f"and how they took part is described only on {format_pages(linked['page'])}"
        else:
            detail = "but no account of how they took part"
        text = f"Needs more: third sector named{role} on {named}, {detail}."
        cited = evidence if n_ev else mentions
        return Judgement("needs_more", conf, reason), cited, text
    top = float(plan[col].max()) if len(plan) else 0.0
    conf = 0.5 + 0.5 * _clamp((t.ts_mention_min_score - top) / max(t.ts_mention_min_score, 1e-9))
    reason = (
        f"near needs_more: best third_sector score {top:.2f} is "
        f"{t.ts_mention_min_score - top:.2f} below ts_mention_min_score "
        f"{t.ts_mention_min_score:.2f}"
    )
    return Judgement("none", conf, reason), plan.iloc[0:0], "None: no mention of the third sector."


def judge_advocacy(ev: dict[str, ElementEvidence], rubric: Rubric) -> Judgement:
    adv = ev[rubric.advocacy.element]
    return Judgement("yes" if adv.evidenced else "no", adv.confidence, adv.note)


def dedicated_sections(
    plan: pd.DataFrame, ev: dict[str, ElementEvidence], rubric: Rubric, compiled: _Compiled
) -> pd.DataFrame:
    """Evidence passages inside sections whose heading names engagement and that are dense."""
    t = rubric.thresholds
    if plan.empty:
        return plan
    ids = {
        pid
        for e in rubric.section_elements
        if ev[e].evidenced
        for pid in ev[e].passages["passage_id"]
    }
    chosen = []
    for section, group in plan.groupby("section", sort=True):
        if not section or not compiled.section.search(str(section)):
            continue
        hits = group[group["passage_id"].isin(ids)]
        if len(hits) >= t.section_min_passages and len(hits) / len(group) >= t.section_min_density:
            chosen.append(hits)
    return pd.concat(chosen) if chosen else plan.iloc[0:0]


def _linked(anchor: pd.DataFrame, others: pd.DataFrame, scope: str) -> pd.DataFrame:
    """Anchor passages that share a passage (or section heading) with ``others``."""
    if anchor.empty or others.empty:
        return anchor.iloc[0:0]
    key = "passage_id" if scope == "passage" else "section"
    keys = set(others[key])
    hits = anchor[anchor[key].isin(keys)]
    if scope == "section":
        hits = hits[hits["section"] != ""]
    return hits


def good_practice_flags(
    plan: pd.DataFrame, ev: dict[str, ElementEvidence], rubric: Rubric, compiled: _Compiled
) -> dict[str, pd.DataFrame]:
    """Flags that fire, each with the passages that support it."""
    flags: dict[str, pd.DataFrame] = {}
    for rule in rubric.good_practice:
        if not all(ev[e].evidenced for e in rule.requires):
            continue
        support: list[pd.DataFrame] = [ev[e].passages for e in rule.requires]
        if rule.section:
            sections = dedicated_sections(plan, ev, rubric, compiled)
            if sections.empty:
                continue
            support = [sections]
        if rule.anchor:
            anchor = ev[rule.anchor].passages
            pieces = []
            for group in rule.linked_to:
                others = [ev[e].passages for e in group if ev[e].evidenced]
                if rule.anchor in group:  # the anchor passage itself must carry another member
                    others = [
                        ev[e].passages for e in group if e != rule.anchor and ev[e].evidenced
                    ]
                hits = _linked(
                    anchor, pd.concat(others) if others else anchor.iloc[0:0], rule.scope
                )
                if hits.empty:
                    break
                pieces.append(hits)
            else:
                support = pieces
                flags[rule.id] = _distinct(
                    pd.concat(support).drop_duplicates("passage_id"), f"score_{rule.anchor}"
                )
            continue
        flags[rule.id] = pd.concat(support).drop_duplicates("passage_id")
    return flags


def assess_plan(
    plan_id: str,
    cycle: str,
    area: str,
    plan: pd.DataFrame,
    rubric: Rubric,
    compiled: _Compiled | None = None,
) -> PlanAssessment:
    """Every judgement for one plan from its passages."""
    compiled = compiled or _compile(rubric)
    plan = plan.sort_values(["page", "passage_id"], kind="mergesort").reset_index(drop=True)
    ev = {e: assess_element(plan, e, rubric) for e in element_ids()}
    c10, missing = judge_criterion10(ev, rubric)
    ts, ts_passages, ts_text = judge_third_sector(plan, rubric, compiled)
    return PlanAssessment(
        plan_id=plan_id,
        cycle=cycle,
        area=area,
        passages=plan,
        elements=ev,
        criterion10=c10,
        missing=missing,
        third_sector=ts,
        third_sector_passages=ts_passages,
        third_sector_explanation=ts_text,
        advocacy=judge_advocacy(ev, rubric),
        flags=good_practice_flags(plan, ev, rubric, compiled),
    )


# ------------------------------------------------------------------------------------------
# explanations


def _with_pages(items: list[str], ev: dict[str, ElementEvidence], rubric: Rubric) -> list[str]:
    return [f"{rubric.phrases[e]} ({format_pages(ev[e].pages)})" for e in items]


def explain(a: PlanAssessment, rubric: Rubric) -> str:
    """A short, review-style account of the criterion10 rating and what it rests on."""
    ev = a.elements
    rule = rubric.criterion10
    wording = {e.id: e.review_wording for e in elements()}
    groups = [e for e in rule.stakeholders if ev[e].evidenced]
    described = [e for e in rule.fully_requires if e not in rule.stakeholders and ev[e].evidenced]
    promised = [e for e in rule.fully_requires if ev[e].status == "promised"]
    parts: list[str] = []
    if a.criterion10.rating == "fully":
        parts.append(
            "Fully met: the plan evidences engagement with "
            + _join_words(_with_pages(groups, ev, rubric))
            + "; it describes "
            + _join_words(_with_pages(described, ev, rubric))
            + "."
        )
    elif a.criterion10.rating == "partially":
        parts.append(
            "Partially met: the plan evidences engagement with "
            + _join_words(_with_pages(groups, ev, rubric))
            + "."
        )
        if described:
            parts.append("It reports " + _join_words(_with_pages(described, ev, rubric)) + ".")
        if not ev["cyp"].evidenced and "cyp" in rule.stakeholders:
            parts.append(
                "There is no evidence that children and young people themselves were engaged."
            )
        if a.missing:
            lacking = [wording.get(e) or rubric.phrases[e] for e in a.missing]
            parts.append(
                "Would have benefitted from adding more detail on: " + "; ".join(lacking) + "."
            )
    else:
        parts.append("Not met: no meaningful evidence of engagement that took place was found.")
    if promised:
        pages = format_pages([p for e in promised for p in ev[e].pages])
        parts.append(
            "The plan states intentions about "
            + _join_words([rubric.phrases[e] for e in promised])
            + f" ({pages}); intentions are not evidence of engagement."
        )
    adv = ev[rubric.advocacy.element]
    if adv.evidenced:
        parts.append(
            "Advocacy support for children and young people is described "
            f"({format_pages(adv.pages)})."
        )
    return " ".join(parts)


# ------------------------------------------------------------------------------------------
# tables


@dataclass
class ScoreResult:
    """The three tables of the score stage (pipeline ratings, before any analyst override)."""

    plan_scores: pd.DataFrame
    element_status: pd.DataFrame
    evidence: pd.DataFrame
    assessments: dict[str, PlanAssessment] = field(default_factory=dict, repr=False)

    @cached_property
    def evidence_summary(self) -> dict[tuple[str, str], str]:
        """(plan_id, judgement) -> 'p. 4: text...; p. 7: ...' for disagreement listings."""
        out: dict[tuple[str, str], str] = {}
        for (plan_id, judgement), group in self.evidence.groupby(["plan_id", "judgement"]):
            # the strongest passage per element, so every element the rating rests on shows
            seen = group.drop_duplicates("element").head(8)
            out[(plan_id, judgement)] = " | ".join(
                f"p. {r.page} [{r.element}]: {_short(r.text)}" for r in seen.itertuples()
            )
        return out


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _flag_element(tags: str, rule: FlagRule) -> str:
    """The element a good-practice passage is cited for: the flag's own elements first."""
    carried = split_list(tags)
    preferred = [*rule.requires, *([rule.anchor] if rule.anchor else [])]
    preferred += [e for group in rule.linked_to for e in group]
    return next((e for e in preferred if e in carried), carried[0] if carried else "")


def _evidence_rows(a: PlanAssessment, rubric: Rubric) -> list[dict[str, Any]]:
    """The passages each judgement rests on (top ``cite_top_passages`` per element)."""
    k = rubric.thresholds.cite_top_passages
    rows: list[dict[str, Any]] = []

    def cite(judgement: str, df: pd.DataFrame, elements: list[str]) -> None:
        top = df.head(k)
        for element, pid, page, section, text, score in zip(
            elements[: len(top)],
            top["passage_id"],
            top["page"],
            top["section"],
            top["text"],
            (float(top.iloc[i][f"score_{e}"]) for i, e in enumerate(elements[: len(top)])),
            strict=True,
        ):
            rows.append(
                {
                    "plan_id": a.plan_id,
                    "judgement": judgement,
                    "element": element,
                    "passage_id": pid,
                    "page": int(page),
                    "section": section,
                    "text": text,
                    "score": score,
                }
            )

    def cite_element(judgement: str, element: str, df: pd.DataFrame) -> None:
        cite(judgement, df, [element] * min(len(df), k))

    ev = a.elements
    if a.criterion10.rating != "not_met":
        for e in rubric.criterion10.fully_requires:
            if ev[e].evidenced:
                cite_element("criterion10", e, ev[e].passages)
    if a.third_sector.rating != "none":
        cite_element("third_sector", rubric.third_sector.element, a.third_sector_passages)
    if a.advocacy.rating == "yes":
        cite_element("advocacy", rubric.advocacy.element, ev[rubric.advocacy.element].passages)
    rules = {f.id: f for f in rubric.good_practice}
    for flag_id, support in sorted(a.flags.items()):
        support = support.sort_values(["page", "passage_id"], kind="mergesort")
        cite(
            f"good_practice:{flag_id}",
            support,
            [_flag_element(t, rules[flag_id]) for t in support["tags"].head(k)],
        )
    for e in element_ids():
        if ev[e].evidenced:
            cite_element("element", e, ev[e].passages)
        elif ev[e].status == "promised":
            cite_element("promised", e, ev[e].promises)
    return rows


def _review(a: PlanAssessment, rubric: Rubric) -> tuple[bool, str]:
    below = rubric.thresholds.review_below_confidence
    reasons = [
        f"{name} {j.rating} (confidence {j.confidence:.2f}): {j.reason}"
        for name, j in (
            ("criterion10", a.criterion10),
            ("third_sector", a.third_sector),
            ("advocacy", a.advocacy),
        )
        if j.confidence < below
    ]
    return bool(reasons), " || ".join(reasons)


def _plan_row(a: PlanAssessment, rubric: Rubric) -> dict[str, Any]:
    needs, reason = _review(a, rubric)
    return {
        "plan_id": a.plan_id,
        "cycle": a.cycle,
        "area": a.area,
        "criterion10": a.criterion10.rating,
        "criterion10_confidence": round(a.criterion10.confidence, 4),
        "missing": ";".join(a.missing) if a.criterion10.rating == "partially" else "",
        "third_sector": a.third_sector.rating,
        "third_sector_confidence": round(a.third_sector.confidence, 4),
        "advocacy": a.advocacy.rating,
        "advocacy_confidence": round(a.advocacy.confidence, 4),
        "good_practice": ";".join(f.id for f in rubric.good_practice if f.id in a.flags),
        "explanation": explain(a, rubric),
        "third_sector_explanation": a.third_sector_explanation,
        "needs_review": needs,
        "review_reason": reason,
        "overridden": "",
    }


def _status_rows(a: PlanAssessment) -> list[dict[str, Any]]:
    return [
        {
            "plan_id": a.plan_id,
            "element": e,
            "status": x.status,
            "n_passages": int(x.n),
            "max_score": round(float(x.max_score), 4),
            "pages": ";".join(str(p) for p in x.pages),
        }
        for e, x in a.elements.items()
    ]


def _frame(rows: list[dict[str, Any]], schema: Any) -> pd.DataFrame:
    columns = list(schema.columns)
    df = pd.DataFrame(rows, columns=columns)
    for name, col in schema.columns.items():
        if str(col.dtype) in {"int64", "int"}:
            df[name] = df[name].astype("int64")
        elif str(col.dtype) in {"float64", "float"}:
            df[name] = df[name].astype("float64")
        elif str(col.dtype) == "bool":
            df[name] = df[name].astype(bool)
        else:
            df[name] = df[name].astype(str)
    return df


def scored_plans(manifest: pd.DataFrame) -> pd.DataFrame:
    """Manifest rows the scorer rates: ingested ok or with warnings (failed plans lack text)."""
    keep = manifest[manifest["status"].isin(SCORED_STATUSES)]
    return keep.sort_values("plan_id", kind="mergesort").reset_index(drop=True)


def score_plans(passages: pd.DataFrame, manifest: pd.DataFrame, rubric: Rubric) -> ScoreResult:
    """Rate every scorable plan in ``manifest`` from ``passages``; pure, deterministic."""
    compiled = _compile(rubric)
    plans = scored_plans(manifest)
    stray = sorted(set(passages["plan_id"]) - set(plans["plan_id"]))
    if stray:
        log.warning(
            "ignoring passages of %d plan(s) not scorable in the manifest: %s",
            len(stray),
            stray[:5],
        )
    by_plan = {pid: df for pid, df in passages.groupby("plan_id", sort=True)}
    empty = passages.iloc[0:0]
    assessments: dict[str, PlanAssessment] = {}
    for row in plans.itertuples(index=False):
        assessments[row.plan_id] = assess_plan(
            row.plan_id,
            str(row.cycle),
            str(row.area),
            by_plan.get(row.plan_id, empty),
            rubric,
            compiled,
        )
    plan_scores = _frame([_plan_row(a, rubric) for a in assessments.values()], schemas.PLAN_SCORES)
    status = _frame(
        [r for a in assessments.values() for r in _status_rows(a)], schemas.ELEMENT_STATUS_TABLE
    )
    evidence = _frame(
        [r for a in assessments.values() for r in _evidence_rows(a, rubric)], schemas.EVIDENCE
    )
    return ScoreResult(
        plan_scores=schemas.validate(plan_scores, schemas.PLAN_SCORES),
        element_status=schemas.validate(status, schemas.ELEMENT_STATUS_TABLE),
        evidence=schemas.validate(evidence, schemas.EVIDENCE),
        assessments=assessments,
    )


# ------------------------------------------------------------------------------------------
# the stage


REVIEW_OUTPUTS = (
    "plan_scores_pipeline.csv",
    "agreement.csv",
    "confusion.csv",
    "disagreements.csv",
)


def run_score(paths: Paths, rubric: Rubric | None = None) -> pd.DataFrame:
    """Score every plan, apply an analyst's ratings if present, write the tables; return scores."""
    from pipeline import reviewer

    rubric = rubric or load_rubric()
    passages = read_table(paths.passages)
    manifest = read_table(paths.manifest)
    result = score_plans(passages, manifest, rubric)
    final = result.plan_scores
    out = paths.processed
    if Path(paths.ratings).exists():
        ratings = reviewer.load_ratings(paths.ratings, set(final["plan_id"]), rubric)
        final = reviewer.apply_ratings(result.plan_scores, ratings, rubric)
        write_csv(result.plan_scores, out / "plan_scores_pipeline.csv")
        write_csv(reviewer.agreement(result.plan_scores, ratings), out / "agreement.csv")
        write_csv(reviewer.confusion(result.plan_scores, ratings), out / "confusion.csv")
        write_csv(
            reviewer.disagreements(result.plan_scores, ratings, result.evidence_summary),
            out / "disagreements.csv",
        )
        n_over = int((final["overridden"] != "").sum())
        log.info("applied analyst ratings from %s: %d plan(s) overridden", paths.ratings, n_over)
    else:
        for name in REVIEW_OUTPUTS:
            stale = out / name
            if stale.exists():
                stale.unlink()
                log.info("removed %s: no analyst ratings at %s", stale, paths.ratings)
    final = schemas.validate(final, schemas.PLAN_SCORES)
    write_csv(result.element_status, out / "element_status.csv")
    write_csv(result.evidence, out / "evidence.csv")
    write_table(final, out / "plan_scores")
    counts = final["criterion10"].value_counts().to_dict()
    log.info(
        "scored %d plans %s; %d need human review",
        len(final),
        counts,
        int(final["needs_review"].sum()),
    )
    return final
