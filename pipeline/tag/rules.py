"""Evidence rules: spaCy token and phrase patterns per element, loaded from YAML.

Each file ``resources/patterns/<element>.yaml`` lists patterns with an id
(``<element>.<name>``), an optional description, and either a ``phrase`` (matched on
lower-case token text) or ``tokens`` (a spaCy Matcher pattern over lower-case lemmas, ``LOWER``
etc.); a phrase is turned into a ``LOWER`` token pattern so every rule runs through one Matcher.
Word sets shared between patterns live in ``patterns/_lexicon.yaml`` and are referenced as
``"@name"`` in place of a list. The patterns go into one :class:`spacy.pipeline.SpanRuler`
(``validate=True``, so a typo in a pattern key fails at load) whose spans keep the pattern id,
so every hit says which pattern fired.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator
from spacy.language import Language

from pipeline.config import RESOURCES, ConfigError, StrictModel, element_ids, load_yaml_model
from pipeline.tag.nlp import phrase_tokens

PATTERN_DIR = RESOURCES / "patterns"
LEXICON_FILE = "_lexicon.yaml"
EVIDENCE_RULER = "csp_evidence_rules"
EVIDENCE_KEY = "evidence"
WINDOW = re.compile(r"^\{0,(\d+)\}$")


class Lexicon(StrictModel):
    sets: dict[str, list[str]] = Field(default_factory=dict)


class Pattern(StrictModel):
    id: str
    description: str | None = None
    phrase: str | None = None
    tokens: list[dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Pattern:
        if (self.phrase is None) == (self.tokens is None):
            raise ValueError(f"pattern '{self.id}' needs exactly one of 'phrase' or 'tokens'")
        return self


class PatternFile(StrictModel):
    element: str
    patterns: list[Pattern]

    @model_validator(mode="after")
    def _ids_match(self) -> PatternFile:
        if self.element not in element_ids():
            raise ValueError(f"unknown element '{self.element}' (expected one of {element_ids()})")
        for pattern in self.patterns:
            if not pattern.id.startswith(f"{self.element}."):
                raise ValueError(f"pattern id '{pattern.id}' must start with '{self.element}.'")
        return self


def list_booleans(value: Any) -> bool:
    """True if a list inside ``value`` holds a boolean: YAML reads unquoted yes/no/on/off as
    booleans, which would silently never match a word."""
    if isinstance(value, dict):
        return any(list_booleans(v) for v in value.values())
    if isinstance(value, list):
        return any(isinstance(v, bool) or list_booleans(v) for v in value)
    return False


def _expand(value: Any, sets: dict[str, list[str]], where: str) -> Any:
    """Replace ``"@name"`` references by the lexicon list, recursively."""
    if isinstance(value, list) and any(isinstance(v, bool) for v in value):
        raise ConfigError(f'{where}: a word list holds true/false: quote yes/no/on/off ("on")')
    if isinstance(value, str) and value.startswith("@"):
        if value[1:] not in sets:
            raise ConfigError(f"{where}: unknown lexicon set '{value}'")
        return list(sets[value[1:]])
    if isinstance(value, dict):
        return {key: _expand(item, sets, where) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand(item, sets, where) for item in value]
    return value


def load_pattern_files(directory: Path = PATTERN_DIR) -> list[PatternFile]:
    """Every element's pattern file, in spec element order, lexicon references expanded."""
    lexicon = load_yaml_model(directory / LEXICON_FILE, Lexicon).sets
    files = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == LEXICON_FILE:
            continue
        loaded = load_yaml_model(path, PatternFile)
        if loaded.element in files:
            raise ConfigError(f"{path}: element '{loaded.element}' already has a pattern file")
        patterns = [
            p.model_copy(update={"tokens": _expand(p.tokens, lexicon, f"{path}: {p.id}")})
            if p.tokens is not None
            else p
            for p in loaded.patterns
        ]
        files[loaded.element] = PatternFile(element=loaded.element, patterns=patterns)
    seen: set[str] = set()
    for pattern_file in files.values():
        for pattern in pattern_file.patterns:
            if pattern.id in seen:
                raise ConfigError(f"{directory}: pattern id '{pattern.id}' is used twice")
            seen.add(pattern.id)
    return [files[e] for e in element_ids() if e in files]


@cache
def default_patterns() -> tuple[PatternFile, ...]:
    return tuple(load_pattern_files())


def split_windows(tokens: list[dict[str, Any]], where: str) -> tuple[list[list[dict]], list[int]]:
    """Cut a token pattern at its pure wildcard windows ``{OP: "{0,N}"}``.

    spaCy's Matcher enumerates every way a window can match, which made window patterns the
    slowest part of tagging; matching the pieces and chaining them here (:func:`chain_hits`)
    is the same rule at a fraction of the cost. Returns (pieces, gaps) with
    ``len(gaps) == len(pieces) - 1``.
    """
    pieces: list[list[dict]] = [[]]
    gaps: list[int] = []
    for token in tokens:
        window = WINDOW.match(str(token.get("OP", ""))) if set(token) == {"OP"} else None
        if window is not None:
            gaps.append(int(window.group(1)))
            pieces.append([])
        else:
            pieces[-1].append(token)
    if any(not piece for piece in pieces):
        raise ConfigError(f"{where}: a window {{0,N}} cannot start or end a pattern")
    return pieces, gaps


def ruler_patterns(
    nlp: Language, pattern_files: list[PatternFile] | tuple[PatternFile, ...]
) -> tuple[list[dict], dict[str, list[int]]]:
    """SpanRuler pattern dicts (label = element, id = pattern id, or ``id#k`` for the k-th
    piece of a windowed pattern) and the windows between pieces per pattern id."""
    out = []
    windows: dict[str, list[int]] = {}
    for pattern_file in pattern_files:
        for p in pattern_file.patterns:
            if p.phrase is not None:
                out.append(
                    {
                        "label": pattern_file.element,
                        "id": p.id,
                        "pattern": phrase_tokens(nlp, p.phrase),
                    }
                )
                continue
            pieces, gaps = split_windows(p.tokens or [], f"{PATTERN_DIR}: {p.id}")
            if not gaps:
                out.append({"label": pattern_file.element, "id": p.id, "pattern": pieces[0]})
                continue
            windows[p.id] = gaps
            for k, piece in enumerate(pieces):
                out.append({"label": pattern_file.element, "id": f"{p.id}#{k}", "pattern": piece})
    return out, windows


def chain_hits(spans: list, windows: dict[str, list[int]]) -> list[tuple[str, str, int, int]]:
    """(pattern id, element, start, end) for every evidence match, windowed pieces chained.

    Piece k+1 must start at most ``N`` tokens after piece k ends (the Matcher's own meaning of
    ``{0,N}``; like the Matcher, a window may run past a sentence end, which lets a quotation
    reach its attribution). One hit per pattern id and start token.
    """
    whole: dict[tuple[str, int], tuple[str, str, int, int]] = {}
    pieces: dict[str, dict[int, list[tuple[int, int]]]] = {}
    for span in spans:
        pid, _, piece = span.id_.partition("#")
        if not piece:
            key = (pid, span.start)
            if key not in whole or span.end < whole[key][3]:
                whole[key] = (pid, span.label_, span.start, span.end)
            continue
        pieces.setdefault(pid, {}).setdefault(int(piece), []).append((span.start, span.end))
    labels = {span.id_.partition("#")[0]: span.label_ for span in spans}
    for pid, found in pieces.items():
        gaps = windows[pid]
        if len(found) < len(gaps) + 1:
            continue
        ordered = {k: sorted(v) for k, v in found.items()}  # sort once, then bisect per start
        for start, end in ordered[0]:
            cursor = end
            for k, gap in enumerate(gaps, start=1):
                candidates = ordered.get(k, [])
                at = bisect_left(candidates, (cursor, -1))
                if at == len(candidates) or candidates[at][0] > cursor + gap:
                    break
                cursor = candidates[at][1]
            else:
                if (pid, start) not in whole:
                    whole[(pid, start)] = (pid, labels[pid], start, cursor)
    return sorted(whole.values(), key=lambda h: (h[2], h[3], h[0]))


def add_evidence_ruler(
    nlp: Language, pattern_files: list[PatternFile] | tuple
) -> dict[str, list[int]]:
    """Add the evidence SpanRuler (every match kept, no overlap filter, so all ids show);
    return the windows of the windowed patterns for :func:`chain_hits`."""
    ruler = nlp.add_pipe(
        "span_ruler",
        name=EVIDENCE_RULER,
        config={
            "spans_key": EVIDENCE_KEY,
            "validate": True,
            "overwrite": False,
        },
    )
    patterns, windows = ruler_patterns(nlp, pattern_files)
    try:
        ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    except ValueError as exc:  # spaCy's own validation message names the bad key
        raise ConfigError(f"{PATTERN_DIR}: invalid evidence pattern: {exc}") from exc
    return windows
