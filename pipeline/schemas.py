"""The contracts between stages: every table a stage hands on, its columns and checks.

Stages call :func:`validate` before writing; a violation raises :class:`TableSchemaError`
naming the table, the column and the offending rows, and the run stops before anything is
published. Empty text values are the empty string, never NaN.

Flow: ingest -> ``manifest`` (processed) + ``blocks`` (interim) -> segment -> ``segments``
(interim) -> tag -> ``passages`` (processed) -> score -> ``element_status``, ``plan_scores``,
``evidence`` (processed) -> excerpt -> ``excerpts`` (processed) -> report.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

from pipeline.config import element_ids

STATUSES = ["ok", "warning", "failed"]
BLOCK_KINDS = ["heading", "paragraph", "list_item", "table", "callout", "caption"]
CRITERION10 = ["fully", "partially", "not_met"]
THIRD_SECTOR = ["robust", "needs_more", "none"]
ADVOCACY = ["yes", "no"]
ELEMENT_STATUS = ["evidenced", "promised", "absent"]


class TableSchemaError(ValueError):
    """A stage produced a table that breaks its contract."""


def _text(**kw: object) -> pa.Column:
    return pa.Column(str, nullable=False, **kw)  # type: ignore[arg-type]


def _page() -> pa.Column:
    return pa.Column(int, pa.Check.ge(1), nullable=False)


def _prob() -> pa.Column:
    return pa.Column(float, [pa.Check.ge(0.0), pa.Check.le(1.0)], nullable=False)


MANIFEST = pa.DataFrameSchema(
    {
        "file": _text(),
        "plan_id": _text(unique=True),
        "cycle": _text(),
        "area": _text(),
        "status": _text(checks=pa.Check.isin(STATUSES)),
        "reason": _text(),
        "pages": pa.Column(int, pa.Check.ge(0)),
        "pages_without_text": pa.Column(int, pa.Check.ge(0)),
        "pages_ocr": pa.Column(int, pa.Check.ge(0)),
        "sha256": _text(),
    },
    strict=True,
    ordered=True,
    name="manifest",
)

BLOCKS = pa.DataFrameSchema(
    {
        "plan_id": _text(),
        "page": _page(),
        "block": pa.Column(int, pa.Check.ge(0)),
        "kind": _text(checks=pa.Check.isin(BLOCK_KINDS)),
        "text": _text(),
        "font_size": pa.Column(float, nullable=False),
        "bold": pa.Column(bool),
        "source": _text(checks=pa.Check.isin(["text", "ocr"])),
    },
    strict=True,
    ordered=True,
    name="blocks",
)

_SEGMENT_COLUMNS = {
    "passage_id": _text(unique=True),
    "plan_id": _text(),
    "cycle": _text(),
    "page": _page(),
    "section": _text(),
    "kind": _text(checks=pa.Check.isin(BLOCK_KINDS)),
    "text": _text(checks=pa.Check.str_length(min_value=1)),
}

SEGMENTS = pa.DataFrameSchema(_SEGMENT_COLUMNS, strict=True, ordered=True, name="segments")


def passages_schema() -> pa.DataFrameSchema:
    """Segments plus one ``score_<element>`` per element, asserted ``tags``, fired ``rules``."""
    columns = dict(_SEGMENT_COLUMNS)
    columns.update({f"score_{e}": _prob() for e in element_ids()})
    columns.update({"tags": _text(), "rules": _text(), "context": _text()})
    return pa.DataFrameSchema(columns, strict=True, ordered=True, name="passages")


ELEMENT_STATUS_TABLE = pa.DataFrameSchema(
    {
        "plan_id": _text(),
        "element": _text(checks=pa.Check.isin(element_ids())),
        "status": _text(checks=pa.Check.isin(ELEMENT_STATUS)),
        "n_passages": pa.Column(int, pa.Check.ge(0)),
        "max_score": _prob(),
        "pages": _text(),
    },
    strict=True,
    ordered=True,
    unique=["plan_id", "element"],
    name="element_status",
)

PLAN_SCORES = pa.DataFrameSchema(
    {
        "plan_id": _text(unique=True),
        "cycle": _text(),
        "area": _text(),
        "criterion10": _text(checks=pa.Check.isin(CRITERION10)),
        "criterion10_confidence": _prob(),
        "missing": _text(),
        "third_sector": _text(checks=pa.Check.isin(THIRD_SECTOR)),
        "third_sector_confidence": _prob(),
        "advocacy": _text(checks=pa.Check.isin(ADVOCACY)),
        "advocacy_confidence": _prob(),
        "good_practice": _text(),
        "explanation": _text(),
        "third_sector_explanation": _text(),
        "needs_review": pa.Column(bool),
        "review_reason": _text(),
        "overridden": _text(),
    },
    strict=True,
    ordered=True,
    name="plan_scores",
)

EVIDENCE = pa.DataFrameSchema(
    {
        "plan_id": _text(),
        "judgement": _text(),
        "element": _text(),
        "passage_id": _text(),
        "page": _page(),
        "section": _text(),
        "text": _text(),
        "score": _prob(),
    },
    strict=True,
    ordered=True,
    name="evidence",
)

EXCERPTS = pa.DataFrameSchema(
    {
        "plan_id": _text(),
        "rank": pa.Column(int, pa.Check.ge(1)),
        "element": _text(),
        "passage_id": _text(),
        "page": _page(),
        "section": _text(),
        "text": _text(),
        "strength": pa.Column(float, nullable=False),
    },
    strict=True,
    ordered=True,
    name="excerpts",
)


def validate(df: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """Check ``df`` against ``schema``; raise one readable error naming table, column, rows."""
    try:
        return schema.validate(df, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        lines = []
        for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=True):
            rows = sorted({int(i) for i in group["index"].dropna()})[:10]
            values = list(group["failure_case"].astype(str).head(3))
            lines.append(f"column '{column}' fails {check} at rows {rows} (values {values})")
        raise TableSchemaError(f"table '{schema.name}': " + "; ".join(lines)) from exc
    except SchemaError as exc:  # pragma: no cover - lazy=True collects into SchemaErrors
        raise TableSchemaError(f"table '{schema.name}': {exc}") from exc
