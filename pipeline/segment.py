"""Segment stage: extracted blocks -> passages with page numbers and section headings.

A passage is what the tagger scores and what every judgement cites: a paragraph (or a window
of a few sentences of a long one), one list item, one call-out, or one table row. Each keeps
the page it starts on and the nearest heading above it. Paragraphs that an extractor split
across a column or page break are joined first, so evidence is not cut in half.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

import pandas as pd
import spacy
from spacy.language import Language

from pipeline import schemas
from pipeline.config import RESOURCES, Paths, StrictModel, load_yaml_model
from pipeline.storage import read_table, write_parquet

log = logging.getLogger(__name__)

_SPACE = re.compile(r"\s+")


class SegmentSettings(StrictModel):
    max_sentences: int = 4
    min_words: int = 4
    continuation_end: str = '.!?:;"”’)]'
    skip_sections: list[str] = []
    header_cell_max_words: int = 4


def load_settings() -> SegmentSettings:
    return load_yaml_model(RESOURCES / "segment.yaml", SegmentSettings)


@cache
def sentencizer() -> Language:
    """A blank English pipeline with a rule-based sentencizer (no model download)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


@dataclass
class _Block:
    page: int
    kind: str
    text: str
    section: str


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _is_continuation(previous: _Block, nxt: _Block, settings: SegmentSettings) -> bool:
    if previous.kind != "paragraph" or nxt.kind != "paragraph":
        return False
    tail = previous.text.rstrip()
    head = nxt.text.lstrip()
    return bool(tail and head) and tail[-1] not in settings.continuation_end and head[0].islower()


def _blocks_with_sections(blocks: pd.DataFrame) -> Iterator[_Block]:
    section = ""
    for row in blocks.itertuples(index=False):
        if row.kind == "heading":
            section = _clean(row.text)
            continue
        yield _Block(int(row.page), str(row.kind), str(row.text), section)


def _join_continuations(blocks: Iterable[_Block], settings: SegmentSettings) -> list[_Block]:
    joined: list[_Block] = []
    for block in blocks:
        if joined and _is_continuation(joined[-1], block, settings):
            joined[-1].text = joined[-1].text.rstrip() + " " + block.text.lstrip()
        else:
            joined.append(block)
    return joined


def _is_header_row(row: str, settings: SegmentSettings) -> bool:
    cells = [c.strip() for c in row.split("|")]
    return len(cells) > 1 and all(
        len(c.split()) <= settings.header_cell_max_words and not any(ch.isdigit() for ch in c)
        for c in cells
    )


def _table_rows(text: str, settings: SegmentSettings) -> list[str]:
    """Rows of a table block, one per line. A header row ("Priority | Action | Lead") names
    columns and carries no evidence of its own, so it is not a passage."""
    rows = [_clean(line) for line in text.splitlines() if _clean(line)]
    if rows and _is_header_row(rows[0], settings):
        rows = rows[1:]
    return rows


def _sentence_windows(text: str, size: int) -> list[str]:
    sentences = [s.text.strip() for s in sentencizer()(text).sents if s.text.strip()]
    if len(sentences) <= size:
        return [text]
    return [" ".join(sentences[i : i + size]) for i in range(0, len(sentences), size)]


def _passage_texts(block: _Block, settings: SegmentSettings) -> list[str]:
    if block.kind == "table":
        return _table_rows(block.text, settings)
    text = _clean(block.text)
    if block.kind == "paragraph":
        return _sentence_windows(text, settings.max_sentences)
    return [text]


def segment_plan(
    plan_id: str, cycle: str, blocks: pd.DataFrame, settings: SegmentSettings
) -> list[dict[str, object]]:
    """Passages of one plan, in reading order, with stable ids ``<plan>:p<page>:<n>``."""
    ordered = blocks.sort_values(["page", "block"], kind="stable")
    skip = [re.compile(p, re.IGNORECASE) for p in settings.skip_sections]
    rows: list[dict[str, object]] = []
    for block in _join_continuations(_blocks_with_sections(ordered), settings):
        if any(p.search(block.section) for p in skip):
            continue
        for text in _passage_texts(block, settings):
            if len(text.split()) < settings.min_words:
                continue
            rows.append(
                {
                    "passage_id": f"{plan_id}:p{block.page:03d}:{len(rows):04d}",
                    "plan_id": plan_id,
                    "cycle": cycle,
                    "page": block.page,
                    "section": block.section,
                    "kind": block.kind,
                    "text": text,
                }
            )
    return rows


def segment_blocks(
    blocks: pd.DataFrame, manifest: pd.DataFrame, settings: SegmentSettings | None = None
) -> pd.DataFrame:
    """All plans' passages (pure function: no I/O), validated against ``schemas.SEGMENTS``."""
    settings = settings or load_settings()
    cycles = dict(zip(manifest["plan_id"], manifest["cycle"], strict=True))
    rows: list[dict[str, object]] = []
    for plan_id, plan_blocks in blocks.groupby("plan_id", sort=True):
        rows.extend(
            segment_plan(str(plan_id), cycles.get(plan_id, "unspecified"), plan_blocks, settings)
        )
    columns = list(schemas.SEGMENTS.columns)
    table = pd.DataFrame(rows, columns=columns)
    table["page"] = table["page"].astype(int)
    return schemas.validate(table, schemas.SEGMENTS)


def run_segment(paths: Paths) -> pd.DataFrame:
    """Read the ingest outputs, write ``data/interim/segments.parquet``."""
    blocks = read_table(paths.blocks)
    manifest = read_table(paths.manifest)
    segments = segment_blocks(blocks, manifest)
    write_parquet(segments, paths.segments)
    log.info("segmented %d plans into %d passages", segments["plan_id"].nunique(), len(segments))
    return segments
