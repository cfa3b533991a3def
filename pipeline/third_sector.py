"""Map third-sector evidence to the self-evaluation toolkit's three areas of focus.

Partnerships using the "How good is our third sector participation in Children's Services
Planning?" toolkit choose an area of focus (1 Leadership; 2 strategic planning and delivery of
services and support; 3 measuring success and demonstrating impact). This stage takes every
passage the tagger marked ``third_sector`` and gives it one area, using the patterns and
labelled examples in ``resources/areas_of_focus.yaml`` (a deterministic TF-IDF + logistic
regression model is fitted from the examples at run time, so analysts change behaviour by
editing data, not code).

Outputs: ``third_sector_passages.csv`` (one row per passage with its area and scores),
``third_sector_areas.csv``/``.parquet`` (plan x area, including zero rows so that silence is
visible) and the chart ``reports/figures/third_sector_areas.png``/``.svg``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import ScaledTranslation
from pydantic import Field, field_validator, model_validator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from pipeline import schemas
from pipeline.config import RESOURCES, Paths, StrictModel, load_yaml_model
from pipeline.storage import atomic_path, read_table, write_csv, write_table

log = logging.getLogger(__name__)

AREAS_FILE = RESOURCES / "areas_of_focus.yaml"
THIRD_SECTOR_TAG = "third_sector"


# --------------------------------------------------------------------------- configuration
class AreaPattern(StrictModel):
    id: str
    regex: str
    weight: float = Field(gt=0.0, le=1.0)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value


class AreaPrompts(StrictModel):
    silent: str
    thin: str


class Area(StrictModel):
    id: int = Field(ge=1)
    key: str
    name: str
    description: str
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    hatch: str
    patterns: list[AreaPattern] = Field(min_length=1)
    examples: list[str] = Field(min_length=2)
    prompts: AreaPrompts


class AreaSettings(StrictModel):
    pattern_weight: float = Field(ge=0.0, le=1.0)
    model_weight: float = Field(ge=0.0, le=1.0)
    max_ngram: int = Field(ge=1, le=3)
    c: float = Field(gt=0.0)
    thin_max_passages: int = Field(ge=0)
    briefing_quotes_per_area: int = Field(ge=1)
    briefing_quote_chars: int = Field(ge=80)
    theme_terms: int = Field(ge=1)
    theme_notes: int = Field(ge=1)


class JudgementPrompts(StrictModel):
    third_sector: dict[str, str] = {}
    advocacy: dict[str, str] = {}
    missing: dict[str, str] = {}


class Sector(StrictModel):
    key: str
    label: str
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    hatch: str


class JudgementLabels(StrictModel):
    criterion10: dict[str, str]
    third_sector: dict[str, str]
    advocacy: dict[str, str]


class AreasFile(StrictModel):
    version: int
    settings: AreaSettings
    areas: list[Area] = Field(min_length=2)
    sectors: list[Sector] = Field(min_length=1)
    theme_stop_words: list[str] = []
    judgement_labels: JudgementLabels
    judgement_prompts: JudgementPrompts = JudgementPrompts()

    @model_validator(mode="after")
    def _unique_ids(self) -> AreasFile:
        ids = [a.id for a in self.areas]
        if len(set(ids)) != len(ids) or len({a.key for a in self.areas}) != len(ids):
            raise ValueError(f"area ids and keys must be unique (ids {ids})")
        return self


def load_areas(path: Path = AREAS_FILE) -> AreasFile:
    """The validated areas-of-focus file (areas sorted by id)."""
    config = load_yaml_model(path, AreasFile)
    return config.model_copy(update={"areas": sorted(config.areas, key=lambda a: a.id)})


# ------------------------------------------------------------------------------ classifier
@dataclass(frozen=True)
class AreaClassifier:
    """Patterns plus a model fitted on the YAML examples; one area per text."""

    config: AreasFile

    @cached_property
    def _compiled(self) -> list[list[tuple[str, re.Pattern[str], float]]]:
        return [
            [(p.id, re.compile(p.regex, re.IGNORECASE), p.weight) for p in area.patterns]
            for area in self.config.areas
        ]

    @cached_property
    def model(self) -> Pipeline:
        """TF-IDF + logistic regression over the examples; lbfgs is deterministic."""
        texts = [text for area in self.config.areas for text in area.examples]
        labels = [area.id for area in self.config.areas for _ in area.examples]
        model = make_pipeline(
            TfidfVectorizer(
                lowercase=True,
                ngram_range=(1, self.config.settings.max_ngram),
                sublinear_tf=True,
                strip_accents="unicode",
            ),
            LogisticRegression(C=self.config.settings.c, max_iter=2000),
        )
        return model.fit(texts, labels)

    @property
    def area_ids(self) -> list[int]:
        return [a.id for a in self.config.areas]

    def pattern_scores(self, texts: list[str]) -> tuple[np.ndarray, list[str]]:
        """Noisy-OR of matching pattern weights per area, and the ids of patterns that fired."""
        scores = np.zeros((len(texts), len(self.config.areas)))
        fired: list[str] = []
        for row, text in enumerate(texts):
            hits = []
            for col, patterns in enumerate(self._compiled):
                miss = 1.0
                for pid, regex, weight in patterns:
                    if regex.search(text):
                        miss *= 1.0 - weight
                        hits.append(f"{self.config.areas[col].id}:{pid}")
                scores[row, col] = 1.0 - miss
            fired.append(";".join(hits))
        return scores, fired

    def score(self, texts: list[str]) -> pd.DataFrame:
        """Per-text combined score for every area, the winning area and the fired patterns."""
        s = self.config.settings
        pattern, fired = self.pattern_scores(texts)
        if texts:
            probs = self.model.predict_proba(texts)
            order = [list(self.model.classes_).index(i) for i in self.area_ids]
            model_prob = probs[:, order]
        else:
            model_prob = np.zeros((0, len(self.area_ids)))
        combined = s.pattern_weight * pattern + s.model_weight * model_prob
        total = s.pattern_weight + s.model_weight
        combined = combined / total if total > 0 else combined
        winner = np.argmax(combined, axis=1) if texts else np.zeros(0, dtype=int)
        out = pd.DataFrame(
            {f"score_area{i}": combined[:, k].round(4) for k, i in enumerate(self.area_ids)}
        )
        out["area_of_focus"] = [self.area_ids[k] for k in winner]
        out["area_score"] = [round(float(combined[r, k]), 4) for r, k in enumerate(winner)]
        out["patterns"] = fired
        return out

    def classify(self, text: str) -> int:
        """The area id for one text (convenience for tests and the notebook)."""
        return int(self.score([text])["area_of_focus"].iloc[0])


def build_classifier(path: Path = AREAS_FILE) -> AreaClassifier:
    return AreaClassifier(load_areas(path))


# --------------------------------------------------------------------------------- tables
def _int_col() -> pa.Column:
    return pa.Column(int, pa.Check.ge(0), nullable=False)


def _score_col() -> pa.Column:
    return pa.Column(float, [pa.Check.ge(0.0), pa.Check.le(1.0)], nullable=False)


def passages_table_schema(area_ids: list[int]) -> pa.DataFrameSchema:
    """Contract of ``third_sector_passages.csv``: one row per third-sector passage."""
    columns: dict[str, pa.Column] = {
        "passage_id": pa.Column(str, unique=True, nullable=False),
        "plan_id": pa.Column(str, nullable=False),
        "cycle": pa.Column(str, nullable=False),
        "page": pa.Column(int, pa.Check.ge(1), nullable=False),
        "section": pa.Column(str, nullable=False),
        "text": pa.Column(str, nullable=False),
        "score_third_sector": _score_col(),
        "area_of_focus": pa.Column(int, pa.Check.isin(area_ids), nullable=False),
        "area_name": pa.Column(str, nullable=False),
        "area_score": _score_col(),
        "strength": _score_col(),
        "patterns": pa.Column(str, nullable=False),
    }
    columns.update({f"score_area{i}": _score_col() for i in area_ids})
    return pa.DataFrameSchema(columns, strict=True, ordered=True, name="third_sector_passages")


def areas_table_schema(area_ids: list[int]) -> pa.DataFrameSchema:
    """Contract of ``third_sector_areas``: plan x area, zero rows included."""
    return pa.DataFrameSchema(
        {
            "plan_id": pa.Column(str, nullable=False),
            "cycle": pa.Column(str, nullable=False),
            "area_of_focus": pa.Column(int, pa.Check.isin(area_ids), nullable=False),
            "area_name": pa.Column(str, nullable=False),
            "n_passages": _int_col(),
            "strongest_passage_id": pa.Column(str, nullable=False),
            "strongest_text": pa.Column(str, nullable=False),
            "page": pa.Column(int, pa.Check.ge(0), nullable=False),
        },
        strict=True,
        ordered=True,
        unique=["plan_id", "area_of_focus"],
        name="third_sector_areas",
    )


def third_sector_passages(passages: pd.DataFrame) -> pd.DataFrame:
    """Passages whose semicolon-separated ``tags`` assert ``third_sector``."""
    tags = passages["tags"].fillna("").astype(str)
    mask = tags.map(lambda t: THIRD_SECTOR_TAG in {x.strip() for x in t.split(";")})
    return passages.loc[mask].reset_index(drop=True)


def assign_areas(passages: pd.DataFrame, classifier: AreaClassifier) -> pd.DataFrame:
    """One row per third-sector passage with its area of focus, scores and strength.

    Strength (used to pick the strongest passage per plan and area) is the tagger's
    third-sector score times the area score: confidently third sector AND clearly in the area.
    """
    ts = third_sector_passages(passages)
    names = {a.id: a.name for a in classifier.config.areas}
    scored = classifier.score(ts["text"].astype(str).tolist())
    ts_score = ts["score_third_sector"].astype(float)
    out = pd.DataFrame(
        {
            "passage_id": ts["passage_id"].astype(str),
            "plan_id": ts["plan_id"].astype(str),
            "cycle": ts["cycle"].astype(str),
            "page": ts["page"].astype(int),
            "section": ts["section"].fillna("").astype(str),
            "text": ts["text"].astype(str),
            "score_third_sector": ts_score.round(4),
            "area_of_focus": scored["area_of_focus"].astype(int),
            "area_name": scored["area_of_focus"].map(names).astype(str),
            "area_score": scored["area_score"].astype(float),
            "strength": (ts_score * scored["area_score"]).round(4),
            "patterns": scored["patterns"].astype(str),
        }
    )
    for i in classifier.area_ids:
        out[f"score_area{i}"] = scored[f"score_area{i}"].astype(float)
    out = out.sort_values(["plan_id", "page", "passage_id"], kind="mergesort")
    return schemas.validate(out.reset_index(drop=True), passages_table_schema(classifier.area_ids))


def strongest_first(assigned: pd.DataFrame) -> pd.DataFrame:
    """Passages ordered strongest first; ties by page then id, so the choice is stable."""
    return assigned.sort_values(
        ["strength", "page", "passage_id"], ascending=[False, True, True], kind="mergesort"
    )


def area_table(
    assigned: pd.DataFrame, plans: pd.DataFrame, classifier: AreaClassifier
) -> pd.DataFrame:
    """Plan x area counts with the strongest passage; every plan gets every area (zeros too).

    ``plans`` has ``plan_id`` and ``cycle`` for every plan reviewed, so a plan with no
    third-sector evidence still shows three zero rows.
    """
    ranked = strongest_first(assigned)
    rows = []
    for plan in plans.sort_values("plan_id").itertuples(index=False):
        mine = ranked[ranked["plan_id"] == plan.plan_id]
        for area in classifier.config.areas:
            hits = mine[mine["area_of_focus"] == area.id]
            top = hits.iloc[0] if len(hits) else None
            rows.append(
                {
                    "plan_id": str(plan.plan_id),
                    "cycle": str(plan.cycle),
                    "area_of_focus": area.id,
                    "area_name": area.name,
                    "n_passages": len(hits),
                    "strongest_passage_id": "" if top is None else str(top["passage_id"]),
                    "strongest_text": "" if top is None else str(top["text"]),
                    "page": 0 if top is None else int(top["page"]),
                }
            )
    table = pd.DataFrame(rows, columns=list(areas_table_schema(classifier.area_ids).columns))
    table = table.astype({"area_of_focus": int, "n_passages": int, "page": int})
    return schemas.validate(table, areas_table_schema(classifier.area_ids))


def plan_list(passages: pd.DataFrame, plan_scores: pd.DataFrame | None) -> pd.DataFrame:
    """Every plan reviewed (from passages and, when present, plan scores) with its cycle."""
    frames = [passages[["plan_id", "cycle"]]]
    if plan_scores is not None and len(plan_scores):
        frames.append(plan_scores[["plan_id", "cycle"]])
    plans = pd.concat(frames).astype(str).drop_duplicates("plan_id", keep="first")
    return plans.sort_values("plan_id", kind="mergesort").reset_index(drop=True)


# ---------------------------------------------------------------------------------- chart
def areas_alt_text(table: pd.DataFrame, classifier: AreaClassifier) -> str:
    """Alt text for the chart: what it shows and the totals per area."""
    totals = table.groupby("area_of_focus")["n_passages"].sum()
    parts = [
        f"area {a.id} ({a.name}): {int(totals.get(a.id, 0))} passages"
        for a in classifier.config.areas
    ]
    n_plans = table["plan_id"].nunique()
    return (
        f"Horizontal stacked bar chart of third-sector evidence passages for {n_plans} plans, "
        f"split by the toolkit's areas of focus. Totals: {'; '.join(parts)}."
    )


def areas_figure(table: pd.DataFrame, classifier: AreaClassifier) -> Figure:
    """Stacked horizontal bars per plan; colour AND hatch per area so grey print still reads."""
    pivot = (
        table.pivot_table(
            index="plan_id", columns="area_of_focus", values="n_passages", aggfunc="sum"
        )
        .reindex(columns=classifier.area_ids, fill_value=0)
        .fillna(0)
        .sort_index(ascending=False)
    )
    height = max(2.8, 0.38 * len(pivot) + 1.9)
    fig = Figure(figsize=(8.5, height))
    ax = fig.add_subplot()
    left = np.zeros(len(pivot))
    for area in classifier.config.areas:
        values = pivot[area.id].to_numpy(dtype=float)
        bars = ax.barh(
            pivot.index,
            values,
            left=left,
            color=area.colour,
            hatch=area.hatch,
            edgecolor="white",
            linewidth=0.6,
            label=f"{area.id}. {area.name}",
        )
        labels = [str(int(v)) if v else "" for v in values]
        ax.bar_label(
            bars,
            labels=labels,
            label_type="center",
            color="white",
            fontsize=8,
            bbox={"boxstyle": "round,pad=0.15", "fc": "#1a1a1a", "ec": "none", "alpha": 0.75},
        )
        left += values
    for y, total in enumerate(left):
        if total == 0:
            ax.text(
                0.05, y, "no third-sector evidence found", va="center", fontsize=8, color="#333333"
            )
    ax.set_xlabel("Third-sector evidence passages (count)")
    ax.set_ylabel("Plan")
    ax.set_title(
        "Third-sector evidence by the toolkit's area of focus, per plan", loc="left", fontsize=11
    )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    handles = [
        Patch(facecolor=a.colour, hatch=a.hatch, edgecolor="white", label=f"{a.id}. {a.name}")
        for a in classifier.config.areas
    ]
    legend_and_source(
        ax, handles, "csp-review, passages tagged third_sector; areas from areas_of_focus.yaml."
    )
    return fig


def legend_and_source(ax: Axes, handles: list[Patch], source: str) -> None:
    """Legend under the x-axis label and the source line under the legend, in points, so
    they never overlap whatever the figure height (saved with a tight bounding box)."""
    below = ScaledTranslation(0, -42 / 72, ax.figure.dpi_scale_trans)
    legend = ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0, 0),
        bbox_transform=ax.transAxes + below,
        fontsize=8,
        frameon=False,
    )
    ax.annotate(
        f"Source: {source}",
        xy=(0, 0),
        xycoords=legend,
        xytext=(0, -4),
        textcoords="offset points",
        va="top",
        fontsize=7,
        color="#333333",
    )


def save_figure(fig: Figure, stem: Path) -> list[Path]:
    """PNG and SVG, written atomically; SVG ids and metadata fixed so reruns are identical."""
    import matplotlib as mpl

    written = []
    with mpl.rc_context({"svg.hashsalt": "csp-review", "svg.fonttype": "none"}):
        for suffix, meta in ((".png", {"Software": None}), (".svg", {"Date": None})):
            target = stem.with_suffix(suffix)
            with atomic_path(target) as tmp:
                fig.savefig(
                    tmp,
                    format=suffix[1:],
                    dpi=150,
                    metadata=meta,
                    bbox_inches="tight",
                    pad_inches=0.15,
                )
            written.append(target)
    return written


# -------------------------------------------------------------------------------- stage
def areas_outputs(paths: Paths) -> dict[str, Path]:
    return {
        "passages": paths.processed / "third_sector_passages.csv",
        "areas": paths.processed / "third_sector_areas.csv",
        "figure": paths.reports / "figures" / "third_sector_areas",
    }


def read_plan_scores(paths: Paths) -> pd.DataFrame | None:
    target = paths.processed / "plan_scores.csv"
    return read_table(target) if target.exists() else None


def run_areas(paths: Paths, config_path: Path = AREAS_FILE) -> pd.DataFrame:
    """Classify third-sector passages into areas of focus; write tables and the chart."""
    if not paths.passages.exists():
        raise FileNotFoundError(f"{paths.passages} not found: run `csp-review tag` first")
    passages = read_table(paths.passages)
    classifier = build_classifier(config_path)
    assigned = assign_areas(passages, classifier)
    table = area_table(assigned, plan_list(passages, read_plan_scores(paths)), classifier)
    out = areas_outputs(paths)
    write_csv(assigned, out["passages"])
    write_table(table, out["areas"].with_suffix(""))
    if len(table):
        save_figure(areas_figure(table, classifier), out["figure"])
    counts = assigned["area_of_focus"].value_counts().sort_index().to_dict()
    log.info(
        "assigned %d third-sector passages from %d plans to areas of focus %s",
        len(assigned),
        table["plan_id"].nunique(),
        counts,
    )
    return table
