"""The tagger's own settings (``resources/tagger.yaml``), validated on load."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from pipeline.config import RESOURCES, StrictModel, element_ids, load_yaml_model

TAGGER_FILE = RESOURCES / "tagger.yaml"


class SplitConfig(StrictModel):
    modulus: int = Field(ge=2)
    remainder: int = Field(ge=0)
    near_duplicate_ratio: float = Field(default=85.0, gt=0, le=100)


class ModelConfig(StrictModel):
    word_ngrams: tuple[int, int]
    char_ngrams: tuple[int, int]
    min_df: int = Field(ge=1)
    max_features_word: int = Field(ge=100)
    max_features_char: int = Field(ge=100)
    C: float = Field(gt=0)
    class_weight: Literal["balanced"] | None = "balanced"
    calibration: Literal["sigmoid", "isotonic"] = "sigmoid"
    calibration_folds: int = Field(ge=2)
    n_jobs: int = Field(default=1, ge=1)
    cooccurrence_C: float = Field(default=0.0, ge=0)  # 0 = no second stage


class CombineConfig(StrictModel):
    rule_boost_grid: list[float] = Field(min_length=1)
    veto_factor_grid: list[float] = Field(min_length=1)
    default_threshold: float = Field(gt=0, lt=1)
    tune_thresholds: bool = True
    threshold_grid: list[float]
    tuning_folds: int = Field(ge=2)
    passage_veto: dict[str, list[str]] = Field(default_factory=dict)
    hard_veto: dict[str, list[str]] = Field(default_factory=dict)
    hard_veto_factor: float = Field(default=0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _elements(self) -> CombineConfig:
        for name in ("rule_boost_grid", "veto_factor_grid", "threshold_grid"):
            if not all(0.0 <= v <= 1.0 for v in getattr(self, name)):
                raise ValueError(f"{name}: values must lie in [0, 1]")
        for name in ("passage_veto", "hard_veto"):
            for category, elements in getattr(self, name).items():
                unknown = set(elements) - set(element_ids())
                if unknown:
                    raise ValueError(f"{name}.{category}: unknown elements {sorted(unknown)}")
        return self


class RuntimeConfig(StrictModel):
    batch_size: int = Field(ge=1)


class TaggerConfig(StrictModel):
    seed: int
    split: SplitConfig
    model: ModelConfig
    combine: CombineConfig
    runtime: RuntimeConfig


def load_tagger_config(path: Path = TAGGER_FILE) -> TaggerConfig:
    return load_yaml_model(path, TaggerConfig)


@cache
def default_tagger_config() -> TaggerConfig:
    return load_tagger_config()
