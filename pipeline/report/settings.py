"""Validated report configuration: wording (report.yaml) and chart palette (palette.yaml)."""

from __future__ import annotations

import re
from fractions import Fraction
from functools import cache

import yaml
from pydantic import Field, field_validator

from pipeline.config import RESOURCES, StrictModel, load_yaml_model

REPORT_FILE = RESOURCES / "report.yaml"
PALETTE_FILE = RESOURCES / "palette.yaml"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def _check_hex(values: list[str]) -> list[str]:
    bad = [v for v in values if not _HEX.match(v)]
    if bad:
        raise ValueError(f"not #rrggbb colours: {bad}")
    return values


class Focus(StrictModel):
    highlight: str
    other: str


class Palette(StrictModel):
    """SG chart palettes; order matters (first colour for the first series)."""

    main: list[str] = Field(min_length=4, max_length=4)
    main_extended: list[str] = Field(min_length=8)
    sequential: list[str] = Field(min_length=3)
    focus: Focus
    single: str
    hatches: list[str] = Field(min_length=4)
    text_dark: str
    text_light: str
    grid: str
    empty: str

    @field_validator("main", "main_extended", "sequential")
    @classmethod
    def _colours(cls, values: list[str]) -> list[str]:
        return _check_hex(values)

    @field_validator("single", "text_dark", "text_light", "grid", "empty")
    @classmethod
    def _colour(cls, value: str) -> str:
        return _check_hex([value])[0]

    def series(self, n: int) -> list[str]:
        """Colours for ``n`` unordered series: main palette, extended only when unavoidable."""
        if n <= 1:
            return [self.single]
        source = self.main if n <= len(self.main) else self.main_extended
        if n > len(source):
            raise ValueError(f"{n} series is more than the palette's {len(source)} colours")
        return source[:n]


class Tool(StrictModel):
    id: str
    label: str
    terms: list[str] = Field(min_length=1)

    def pattern(self) -> re.Pattern[str]:
        """Whole-word, case-insensitive match of any term, allowing a plural ending."""
        alts = "|".join(re.escape(t.lower()) for t in sorted(self.terms, key=len, reverse=True))
        return re.compile(rf"(?<![\w-])(?:{alts})(?:s|es)?(?![\w-])", re.IGNORECASE)


class FractionBand(StrictModel):
    below: str
    words: str

    @field_validator("below")
    @classmethod
    def _fraction(cls, value: str) -> str:
        frac = Fraction(value)
        if not 0 < frac <= 1:
            raise ValueError("must be a fraction in (0, 1]")
        return value


class ReportSettings(StrictModel):
    title: str
    short_title: str
    source: str
    criterion10_labels: dict[str, str]
    third_sector_labels: dict[str, str]
    element_status_labels: dict[str, str]
    element_status_marks: dict[str, str]
    excerpts_per_plan: int = Field(ge=0)
    tools_in_sentence: int = Field(ge=1)
    tools: list[Tool] = Field(min_length=1)
    fraction_bands: list[FractionBand] = Field(min_length=1)

    @field_validator("criterion10_labels")
    @classmethod
    def _c10(cls, value: dict[str, str]) -> dict[str, str]:
        from pipeline.schemas import CRITERION10

        if sorted(value) != sorted(CRITERION10):
            raise ValueError(f"needs exactly the keys {CRITERION10}")
        return value

    @field_validator("third_sector_labels")
    @classmethod
    def _ts(cls, value: dict[str, str]) -> dict[str, str]:
        from pipeline.schemas import THIRD_SECTOR

        if sorted(value) != sorted(THIRD_SECTOR):
            raise ValueError(f"needs exactly the keys {THIRD_SECTOR}")
        return value

    @field_validator("element_status_labels", "element_status_marks")
    @classmethod
    def _es(cls, value: dict[str, str]) -> dict[str, str]:
        from pipeline.schemas import ELEMENT_STATUS

        if sorted(value) != sorted(ELEMENT_STATUS):
            raise ValueError(f"needs exactly the keys {ELEMENT_STATUS}")
        return value

    @field_validator("tools")
    @classmethod
    def _unique_tools(cls, value: list[Tool]) -> list[Tool]:
        ids = [t.id for t in value]
        if len(set(ids)) != len(ids):
            raise ValueError("tool ids must be unique")
        return value

    @field_validator("fraction_bands")
    @classmethod
    def _ordered(cls, value: list[FractionBand]) -> list[FractionBand]:
        bounds = [Fraction(b.below) for b in value]
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise ValueError("bands must be in increasing order of `below`")
        return value


@cache
def rubric_summary() -> dict[str, object]:
    """Version and good-practice flag labels from the rubric (criterion10.yaml), if present.

    The scorer owns and validates the rubric; the report only reads its version and labels so
    the two never disagree on wording.
    """
    path = RESOURCES / "criterion10.yaml"
    if not path.exists():
        return {"version": "none", "good_practice": {}}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    flags = {
        str(f["id"]): str(f.get("label", f["id"]))
        for f in raw.get("good_practice", [])
        if isinstance(f, dict) and "id" in f
    }
    return {"version": str(raw.get("version", "unversioned")), "good_practice": flags}


def good_practice_label(flag: str) -> str:
    labels = rubric_summary()["good_practice"]
    assert isinstance(labels, dict)
    return str(labels.get(flag, flag.replace("_", " ").capitalize()))


@cache
def report_settings() -> ReportSettings:
    return load_yaml_model(REPORT_FILE, ReportSettings)


@cache
def palette() -> Palette:
    return load_yaml_model(PALETTE_FILE, Palette)
