"""Project paths and validated loading of the YAML resources analysts can edit.

Resources live in ``pipeline/resources`` and are installed with the package. Every YAML file
is validated by a pydantic model on load; a mistake is reported as one line naming the file,
the key and what was expected (:class:`ConfigError`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

RESOURCES = Path(__file__).resolve().parent / "resources"

Model = TypeVar("Model", bound=BaseModel)


# the sample corpus writes its hand-labelled passages here (beside its PDFs in data/raw/)
SAMPLE_PASSAGE_LABELS = "sample_passage_labels.csv"


class ConfigError(ValueError):
    """A resource file is malformed; the message is one line naming file and key."""


class StrictModel(BaseModel):
    """Base for config models: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _describe(error: Any) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"unknown key '{key}'"
    return f"key '{key}': {error['msg']} (got {error.get('input')!r})"


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with the same key twice (plain YAML keeps the last
    one silently, so a setting edited in two places would quietly lose one edit)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml_model(path: Path, model: type[Model]) -> Model:
    """Load ``path`` and validate it against ``model``; raise :class:`ConfigError` on mistakes."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}"
        ) from exc
    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        details = "; ".join(_describe(e) for e in exc.errors())
        raise ConfigError(f"{path}: {details}") from exc


class Element(StrictModel):
    id: str
    label: str
    review_wording: str | None = None


class ElementsFile(StrictModel):
    elements: list[Element]


@cache
def elements() -> tuple[Element, ...]:
    """The 13 Criterion 10 evidence elements, in the spec's order."""
    return tuple(load_yaml_model(RESOURCES / "elements.yaml", ElementsFile).elements)


def element_ids() -> list[str]:
    return [e.id for e in elements()]


def resource_hash(paths: list[Path] | None = None) -> str:
    """SHA-256 over every resource file (names and bytes), for provenance and cache keys."""
    digest = hashlib.sha256()
    files = (
        sorted(paths)
        if paths is not None
        else sorted(p for p in RESOURCES.rglob("*") if p.is_file())
    )
    for file in files:
        digest.update(
            str(file.relative_to(RESOURCES) if file.is_relative_to(RESOURCES) else file).encode()
        )
        digest.update(file.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Paths:
    """Where each stage reads and writes. Defaults follow the cookiecutter data layout."""

    raw: Path = Path("data/raw")
    interim: Path = Path("data/interim")
    processed: Path = Path("data/processed")
    reports: Path = Path("reports")
    models: Path = Path("models")
    reviewer: Path = Path("data/reviewer")
    labels: Path = Path("data/labels")

    @classmethod
    def under(cls, root: Path, **overrides: Path) -> Paths:
        """Every folder under ``root`` (for tests and scratch runs), with optional overrides."""
        root = Path(root)
        folders = {
            "raw": root / "raw",
            "interim": root / "interim",
            "processed": root / "processed",
            "reports": root / "reports",
            "models": root / "models",
            "reviewer": root / "reviewer",
            "labels": root / "labels",
        }
        return cls(**{**folders, **overrides})

    @property
    def manifest(self) -> Path:
        return self.processed / "manifest.csv"

    @property
    def blocks(self) -> Path:
        return self.interim / "blocks.parquet"

    @property
    def segments(self) -> Path:
        return self.interim / "segments.parquet"

    @property
    def passages(self) -> Path:
        return self.processed / "passages.parquet"

    @property
    def tagger_model(self) -> Path:
        return self.models / "tagger.skops"

    @property
    def ratings(self) -> Path:
        return self.reviewer / "ratings.csv"
