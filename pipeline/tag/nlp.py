"""The offline spaCy pipeline the tagger runs on, and the text clean-up applied before it.

``spacy.blank("en")`` + ``sentencizer`` + lookup ``lemmatizer`` (spacy-lookups-data): no model
download. The lookup table is keyed by exact text, so "Parents" keeps its capital and is not
lemmatised; the ``csp_lower_lemma`` component looks such tokens up again in lower case, so every
lemma is lower-case and patterns can say ``{LEMMA: "parent"}`` once.
"""

from __future__ import annotations

import logging
import re

import spacy
from spacy.language import Language
from spacy.tokens import Doc

LOWER_LEMMA = "csp_lower_lemma"

_HYPHEN_BREAK = re.compile(r"(\w)-[ \t]*\r?\n[ \t]*(\w)")
_LINE_BREAK = re.compile(r"[ \t]*\r?\n[ \t]*")
_SPACES = re.compile(r"[ \t\u00a0]+")


def normalise_text(text: str) -> str:
    """Undo PDF line wrapping: rejoin words hyphenated across a break, then join the lines.

    A passage extracted from a page keeps the line breaks of its column; "engage-\\nment" and
    "young people\\ntook part" must read as the words they are for both rules and model.
    """
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    text = _LINE_BREAK.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def _lower_lemma(doc: Doc) -> Doc:
    """Give capitalised tokens the lemma of their lower-case form (lookup tables are cased)."""
    table = (
        doc.vocab.lookups.get_table("lemma_lookup")
        if doc.vocab.lookups.has_table("lemma_lookup")
        else None
    )
    for token in doc:
        lemma = token.lemma_
        if lemma and lemma != lemma.lower():
            low = token.lower_
            lemma = table.get(low, low) if table is not None else low
        token.lemma_ = lemma.lower()
    return doc


def build_nlp() -> Language:
    """Blank English pipeline with sentence splitting and lower-case lookup lemmas."""
    if not Language.has_factory(LOWER_LEMMA):
        Language.component(LOWER_LEMMA, func=_lower_lemma)
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    spacy_log = logging.getLogger("spacy")
    level = spacy_log.level
    spacy_log.setLevel(logging.WARNING)  # initialize() logs "Created vocabulary" at INFO
    try:
        nlp.initialize()
    finally:
        spacy_log.setLevel(level)
    # the lookup table lives on the lemmatizer; share it through the vocab for csp_lower_lemma
    table = lemmatizer.lookups.get_table("lemma_lookup")  # type: ignore[attr-defined]
    if not nlp.vocab.lookups.has_table("lemma_lookup"):
        nlp.vocab.lookups.set_table("lemma_lookup", table)
    nlp.add_pipe(LOWER_LEMMA)
    return nlp


def phrase_tokens(nlp: Language, phrase: str) -> list[dict[str, str]]:
    """A phrase as a case-insensitive token pattern (tokenised like the text it must match)."""
    return [{"LOWER": token.lower_} for token in nlp.make_doc(phrase)]
