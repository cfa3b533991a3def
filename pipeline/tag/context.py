"""Context modifiers (ConText-style) that cancel evidence-rule hits: negation, future/promise,
and the look-alike senses (legal consultation, service names, adult advocacy, ...).

Rules and categories are data in ``resources/context_rules.yaml`` (see the comments there for
the coding conventions they encode). A modifier found in the text reaches the rule hits in its
scope: within its sentence (or table cell, bounded by ``|``), in its direction, up to
``max_scope`` tokens, and never past a terminator such as "but". A pseudo-modifier ("not only")
switches off any modifier it overlaps. A hit whose element is in the modifier category's
``applies_to`` is *cancelled* and does not count as rule evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import model_validator
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.config import RESOURCES, ConfigError, StrictModel, element_ids, load_yaml_model
from pipeline.tag.nlp import phrase_tokens
from pipeline.tag.rules import EVIDENCE_KEY, chain_hits, list_booleans

CONTEXT_FILE = RESOURCES / "context_rules.yaml"
CONTEXT_RULER = "csp_context_rules"
CONTEXT_KEY = "context"
CELL_BARS = {"|", "¦", "│"}

Direction = Literal["forward", "backward", "bidirectional", "terminate", "pseudo"]


class Category(StrictModel):
    applies_to: list[str]
    description: str = ""
    scope: Literal["sentence", "passage"] = "sentence"
    modifies_hits: bool = True

    def covers(self, element: str) -> bool:
        return "all" in self.applies_to or element in self.applies_to


class ContextRule(StrictModel):
    id: str
    category: str | None = None
    direction: Direction
    max_scope: int | None = None
    phrase: str | None = None
    tokens: list[dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _check(self) -> ContextRule:
        if (self.phrase is None) == (self.tokens is None):
            raise ValueError(f"context rule '{self.id}' needs exactly one of 'phrase' or 'tokens'")
        if self.tokens is not None and list_booleans(self.tokens):
            raise ValueError(f"context rule '{self.id}': a word list holds true/false: quote it")
        if self.direction != "terminate" and self.category is None:
            raise ValueError(f"context rule '{self.id}' needs a category")
        return self


class ContextRules(StrictModel):
    categories: dict[str, Category]
    rules: list[ContextRule]

    @model_validator(mode="after")
    def _check(self) -> ContextRules:
        known = set(element_ids()) | {"all"}
        for name, category in self.categories.items():
            unknown = set(category.applies_to) - known
            if unknown:
                raise ValueError(
                    f"category '{name}' applies to unknown elements {sorted(unknown)}"
                )
        ids = [r.id for r in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError("context rule ids must be unique")
        for rule in self.rules:
            if rule.category is not None and rule.category not in self.categories:
                raise ValueError(f"rule '{rule.id}' uses unknown category '{rule.category}'")
        return self


def load_context_rules(path: Path = CONTEXT_FILE) -> ContextRules:
    return load_yaml_model(path, ContextRules)


@cache
def default_context_rules() -> ContextRules:
    return load_context_rules()


def add_context_ruler(nlp: Language, rules: ContextRules) -> Language:
    """Add a SpanRuler whose spans carry the context rule id (label = rule id)."""
    ruler = nlp.add_pipe(
        "span_ruler",
        name=CONTEXT_RULER,
        config={
            "spans_key": CONTEXT_KEY,
            "validate": True,
            "overwrite": False,
        },
    )
    patterns = [
        {
            "label": r.id,
            "pattern": phrase_tokens(nlp, r.phrase) if r.phrase is not None else r.tokens,
        }
        for r in rules.rules
    ]
    try:
        ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    except ValueError as exc:
        raise ConfigError(f"{CONTEXT_FILE}: invalid context pattern: {exc}") from exc
    return nlp


@dataclass(frozen=True)
class RuleHit:
    """One evidence pattern match and the context categories that cancel it (if any)."""

    pattern_id: str
    element: str
    start: int
    end: int
    cancelled_by: tuple[str, ...] = ()

    @property
    def supports(self) -> bool:
        return not self.cancelled_by


@dataclass(frozen=True)
class Evidence:
    """What the rules saw in one passage."""

    hits: tuple[RuleHit, ...]
    modifiers: tuple[str, ...]  # context categories found (in first-seen order, unique)
    pattern_ids: tuple[str, ...] = field(default=())

    def supported(self, element: str) -> bool:
        """True when at least one hit for ``element`` survived every context modifier."""
        return any(h.element == element and h.supports for h in self.hits)

    def cancelled(self, element: str) -> bool:
        """True when ``element`` had hits and every one of them was cancelled."""
        hits = [h for h in self.hits if h.element == element]
        return bool(hits) and not any(h.supports for h in hits)


def _segments(doc: Doc) -> list[tuple[int, int]]:
    """Token ranges of sentences, further cut at table cell bars."""
    out = []
    for sent in doc.sents:
        start = sent.start
        for token in sent:
            if token.text in CELL_BARS:
                if token.i > start:
                    out.append((start, token.i))
                start = token.i + 1
        if sent.end > start:
            out.append((start, sent.end))
    return out


def _scope(
    mod: Span, rule: ContextRule, seg: tuple[int, int], terminators: list[Span]
) -> tuple[int, int]:
    """Token range a modifier reaches, clipped by its segment, terminators and max_scope."""
    lo, hi = seg
    for term in terminators:
        if term.start >= mod.end:
            hi = min(hi, term.start)
        elif term.end <= mod.start:
            lo = max(lo, term.end)
    if rule.max_scope is not None:
        lo = max(lo, mod.start - rule.max_scope)
        hi = min(hi, mod.end + rule.max_scope)
    if rule.direction == "forward":
        lo = mod.start
    elif rule.direction == "backward":
        hi = mod.end
    return lo, hi


def analyse_doc(
    doc: Doc, rules: ContextRules, windows: dict[str, list[int]] | None = None
) -> Evidence:
    """Collect evidence hits from ``doc.spans`` and decide which ones context cancels."""
    by_id = {r.id: r for r in rules.rules}
    mods = [s for s in doc.spans.get(CONTEXT_KEY, []) if s.label_ in by_id]
    pseudo = [s for s in mods if by_id[s.label_].direction == "pseudo"]
    terms = [s for s in mods if by_id[s.label_].direction == "terminate"]
    active = [
        s
        for s in mods
        if by_id[s.label_].direction not in ("pseudo", "terminate")
        and not any(p.start < s.end and s.start < p.end for p in pseudo)
    ]
    segments = _segments(doc)

    def segment_of(i: int) -> tuple[int, int]:
        for seg in segments:
            if seg[0] <= i < seg[1]:
                return seg
        return (i, i + 1)

    scopes = []  # (category name, Category, lo, hi)
    found: dict[str, None] = {}
    for mod in sorted(active, key=lambda s: (s.start, s.end, s.label_)):
        rule = by_id[mod.label_]
        category = rules.categories[rule.category or ""]
        found.setdefault(rule.category or "", None)
        if not category.modifies_hits:
            continue
        if category.scope == "passage":
            scopes.append((rule.category, category, 0, len(doc)))
            continue
        seg = segment_of(mod.start)
        seg_terms = [t for t in terms if seg[0] <= t.start < seg[1]]
        lo, hi = _scope(mod, rule, seg, seg_terms)
        scopes.append((rule.category, category, lo, hi))

    hits = []
    for pid, element, start, end in chain_hits(
        list(doc.spans.get(EVIDENCE_KEY, [])), windows or {}
    ):
        cancelled = tuple(
            dict.fromkeys(
                str(name)
                for name, category, lo, hi in scopes
                if category.covers(element) and start < hi and lo < end
            )
        )
        hits.append(RuleHit(pid, element, start, end, cancelled))
    pattern_ids = tuple(dict.fromkeys(h.pattern_id for h in hits if h.supports))
    return Evidence(tuple(hits), tuple(found), pattern_ids)
