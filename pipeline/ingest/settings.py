"""Validated ingest settings (``pipeline/resources/ingest.yaml``) and the cache version key."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from pydantic import Field, field_validator

from pipeline.config import RESOURCES, StrictModel, load_yaml_model
from pipeline.storage import sha256_text

SETTINGS_FILE = RESOURCES / "ingest.yaml"


class Limits(StrictModel):
    max_pages: int = Field(gt=0)
    timeout_seconds: float = Field(gt=0)


class Workers(StrictModel):
    tasks_per_child: int = Field(gt=0)


class FastPath(StrictModel):
    enabled: bool
    max_paths: int = Field(ge=0)


class TextLayer(StrictModel):
    min_chars: int = Field(ge=0)


class Ocr(StrictModel):
    enabled: bool
    dpi: int = Field(ge=72, le=600)
    language: str
    timeout_seconds: float = Field(gt=0)
    min_confidence: float = Field(ge=0, le=100)


class Layout(StrictModel):
    y_tolerance: float = Field(gt=0)
    header_band: float = Field(ge=0, le=0.5)
    footer_band: float = Field(ge=0, le=0.5)
    repeat_fraction: float = Field(gt=0, le=1)
    repeat_min_pages: int = Field(ge=2)
    repeat_y_tolerance: float = Field(gt=0)
    gutter_min_width: float = Field(gt=0)
    gutter_max_cross: float = Field(ge=0, lt=1)
    column_min_lines: int = Field(ge=1)
    gutter_search: tuple[float, float]
    paragraph_gap: float = Field(gt=0)
    size_tolerance: float = Field(ge=0)
    heading_size_ratio: float = Field(ge=1)
    heading_max_words: int = Field(gt=0)
    heading_max_lines: int = Field(gt=0)
    callout_min_area: float = Field(ge=0)
    callout_max_page_share: float = Field(gt=0, le=1)
    bold_font_markers: tuple[str, ...]


class Tables(StrictModel):
    min_rows: int = Field(ge=1)
    min_cols: int = Field(ge=1)
    cell_separator: str
    row_separator: str


class Patterns(StrictModel):
    bullet: str
    caption: str
    page_number: str
    cycle: str
    cycle_folder: str
    skip_names: str

    @field_validator("*")
    @classmethod
    def _compiles(cls, value: str) -> str:
        re.compile(value)
        return value


class IngestSettings(StrictModel):
    version: int = Field(ge=1)
    limits: Limits
    workers: Workers
    fast_path: FastPath
    text_layer: TextLayer
    ocr: Ocr
    layout: Layout
    tables: Tables
    patterns: Patterns

    def cache_version(self) -> str:
        """Declared version plus a hash of the extraction settings: any edit re-extracts.

        Run-time knobs (time limit, worker recycling) are left out: they change how a file
        is read, not what a successful read yields, and timed-out results are never cached.
        """
        payload = self.model_dump(
            mode="json", exclude={"workers": True, "limits": {"timeout_seconds"}}
        )
        digest = sha256_text(json.dumps(payload, sort_keys=True))[:10]
        return f"v{self.version}-{digest}"


@cache
def _load(path: Path) -> IngestSettings:
    return load_yaml_model(path, IngestSettings)


def load_settings(path: Path | None = None) -> IngestSettings:
    """Settings from ``path`` (default: the packaged ``ingest.yaml``), validated."""
    return _load(Path(path or SETTINGS_FILE).resolve())
