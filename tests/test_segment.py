"""Segment stage: blocks become passages with pages and sections, joined across breaks."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline import schemas
from pipeline.segment import SegmentSettings, segment_blocks


def _blocks(rows: list[tuple[int, str, str]], plan_id: str = "glen-2023-26") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "plan_id": plan_id,
                "page": page,
                "block": i,
                "kind": kind,
                "text": text,
                "font_size": 16.0 if kind == "heading" else 10.0,
                "bold": kind == "heading",
                "source": "text",
            }
            for i, (page, kind, text) in enumerate(rows)
        ]
    )


def _manifest(plan_id: str = "glen-2023-26") -> pd.DataFrame:
    return pd.DataFrame({"plan_id": [plan_id], "cycle": ["2023-26"]})


def test_sections_follow_headings_and_headings_are_not_passages() -> None:
    blocks = _blocks(
        [
            (1, "heading", "Foreword"),
            (1, "paragraph", "This plan sets out how partners will work together for children."),
            (2, "heading", "How we engaged"),
            (2, "paragraph", "Over two hundred pupils answered our online survey in March."),
        ]
    )
    passages = segment_blocks(blocks, _manifest())
    assert list(passages["section"]) == ["Foreword", "How we engaged"]
    assert list(passages["page"]) == [1, 2]
    assert "How we engaged" not in set(passages["text"])


def test_paragraph_split_across_pages_is_joined_and_keeps_first_page() -> None:
    blocks = _blocks(
        [
            (3, "paragraph", "Young carers met with the planning group at the Ferry Road"),
            (4, "paragraph", "community hall and told us that respite was their first concern."),
        ]
    )
    passages = segment_blocks(blocks, _manifest())
    assert len(passages) == 1
    assert passages.iloc[0]["page"] == 3
    assert "Ferry Road community hall" in passages.iloc[0]["text"]


def test_table_rows_become_passages_without_header_or_short_fragments() -> None:
    blocks = _blocks(
        [
            (
                5,
                "table",
                "Priority | Action | Lead\nMental health | Open two youth drop-ins | NHS",
            ),
            (5, "paragraph", "12"),
        ]
    )
    passages = segment_blocks(blocks, _manifest())
    assert list(passages["kind"]) == ["table"]
    assert passages.iloc[0]["text"] == "Mental health | Open two youth drop-ins | NHS"


def test_long_paragraph_is_windowed_by_sentences() -> None:
    text = " ".join(f"Sentence number {i} is about the plan." for i in range(9))
    passages = segment_blocks(_blocks([(1, "paragraph", text)]), _manifest(), SegmentSettings())
    assert len(passages) == 3
    assert passages["passage_id"].is_unique


def test_output_breaks_contract_loudly() -> None:
    bad = _blocks([(1, "paragraph", "A perfectly ordinary paragraph about the plan.")])
    bad["page"] = 0
    with pytest.raises(schemas.TableSchemaError, match="segments.*page"):
        segment_blocks(bad, _manifest())


def test_table_of_contents_lines_are_not_passages() -> None:
    blocks = _blocks(
        [
            (2, "heading", "Contents"),
            (2, "list_item", "4. How we listened to children and young people"),
            (3, "heading", "How we listened"),
            (
                3,
                "paragraph",
                "Two hundred pupils took part in workshops in every secondary school.",
            ),
        ]
    )
    passages = segment_blocks(blocks, _manifest())
    assert list(passages["section"]) == ["How we listened"]
