"""Report charts (matplotlib, object API: no pyplot global state), saved as PNG and SVG.

Charts follow the SG conventions: palette order from palette.yaml, hatching and direct labels
so they read in grayscale, horizontal text, a subtitle naming the corpus (and saying when it is
synthetic), the source under the chart. The headline goes in the page text, not the image;
each chart comes with alt text, a caption and its data table (:class:`Chart`).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib import rc_context
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from pipeline.config import elements
from pipeline.report.settings import Palette, ReportSettings
from pipeline.storage import atomic_path

# Typed loosely: matplotlib types rc keys as a closed Literal set.
STYLE: Any = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "hatch.linewidth": 0.8,
    "svg.hashsalt": "csp-review",  # stable element ids in SVG output
    "svg.fonttype": "none",  # keep text as text in SVG (searchable, accessible)
}


@dataclass(frozen=True)
class Chart:
    """A saved figure and everything the page needs to present it accessibly."""

    name: str
    title: str
    alt: str
    caption: str
    png: Path
    svg: Path


@dataclass(frozen=True)
class ChartContext:
    """What every chart's subtitle and source line say."""

    corpus: str
    synthetic: bool
    source: str

    def subtitle(self, what: str) -> str:
        tag = "\nSYNTHETIC sample: fictional plans, not findings about real places."
        return f"{what}.\n{self.corpus}.{tag if self.synthetic else ''}"


def _text_colour(fill: str, palette: Palette) -> str:
    """Dark or light label text, whichever contrasts more with the fill."""
    r, g, b = to_rgb(fill)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return palette.text_dark if luminance > 0.45 else palette.text_light


def _box(
    left: float, width: float, top: float, body: float, bottom: float
) -> tuple[float, float, float, float]:
    """Axes rectangle with fixed margins in inches (title above, legend/source below)."""
    height = top + body + bottom
    return (left, bottom / height, width, body / height)


def _frame(fig: Figure, title: str, subtitle: str, source: str) -> None:
    height = fig.get_figheight()
    fig.suptitle(title, x=0.01, y=1 - 0.1 / height, ha="left", va="top", fontsize=13,
                 fontweight="bold")  # fmt: skip
    fig.text(0.01, 1 - 0.42 / height, subtitle, ha="left", va="top", fontsize=9)
    fig.text(0.01, 0.08 / height, f"Source: {source}", ha="left", va="bottom", fontsize=8)


def save(fig: Figure, out_dir: Path, name: str) -> tuple[Path, Path]:
    """Write ``name``.png and ``name``.svg atomically, without time stamps in the files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
        target = out_dir / f"{name}.{ext}"
        with atomic_path(target) as tmp, rc_context(STYLE):
            fig.savefig(tmp, format=ext, dpi=150, metadata=meta)
        written.append(target)
    return written[0], written[1]


def stacked_bars(
    table: pd.DataFrame,
    categories: list[str],
    labels: dict[str, str],
    *,
    palette: Palette,
    title: str,
    subtitle: str,
    source: str,
    xlabel: str,
) -> Figure:
    """Horizontal stacked bars, one per cycle, ordered categories in the sequential palette."""
    with rc_context(STYLE):
        n = len(table)
        top, body, bottom = 1.3, 0.6 * max(n, 1), 1.2
        fig = Figure(figsize=(9, top + body + bottom))
        ax = fig.add_axes(_box(0.14, 0.83, top, body, bottom))
        left = [0] * n
        y = list(range(n))
        for i, cat in enumerate(categories):
            values = table[cat].astype(int).tolist()
            fill = palette.sequential[i % len(palette.sequential)]
            bars = ax.barh(
                y,
                values,
                left=left,
                color=fill,
                hatch=palette.hatches[i % len(palette.hatches)],
                edgecolor=palette.text_dark,
                linewidth=0.6,
                label=labels[cat],
                height=0.6,
            )
            for bar, v in zip(bars, values, strict=True):
                if v > 0:
                    ax.text(
                        bar.get_x() + bar.get_width() / 2,
                        bar.get_y() + bar.get_height() / 2,
                        str(v),
                        ha="center",
                        va="center",
                        fontsize=10,
                        fontweight="bold",
                        color=_text_colour(fill, palette),
                        bbox={"boxstyle": "round,pad=0.15", "fc": fill, "ec": "none"},
                    )
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_yticks(y, table["cycle"].tolist())
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Planning cycle")
        ax.set_xlim(0, max(left + [1]))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        handles = [
            Patch(
                facecolor=palette.sequential[i % len(palette.sequential)],
                hatch=palette.hatches[i % len(palette.hatches)],
                edgecolor=palette.text_dark,
                label=labels[c],
            )
            for i, c in enumerate(categories)
        ]
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0, -0.6 / body),
            ncol=len(categories),
            frameon=False,
        )
        _frame(fig, title, subtitle, source)
    return fig


def grouped_hbars(
    table: pd.DataFrame,
    *,
    category: str,
    value: str,
    palette: Palette,
    title: str,
    subtitle: str,
    source: str,
    xlabel: str,
) -> Figure:
    """Horizontal bars per category, one series per cycle, with value labels at bar ends."""
    with rc_context(STYLE):
        cats = list(dict.fromkeys(table[category].tolist()))
        cycles = sorted(table["cycle"].unique().tolist())
        colours = palette.series(len(cycles))
        height = 0.8 / max(len(cycles), 1)
        top, body, bottom = 1.25, 0.34 * len(cats) * max(len(cycles), 1) + 0.2, 1.3
        fig = Figure(figsize=(9, top + body + bottom))
        ax = fig.add_axes(_box(0.36, 0.6, top, body, bottom))
        vmax = max(int(table[value].max()) if len(table) else 0, 1)
        for j, cycle in enumerate(cycles):
            sub = table[table["cycle"] == cycle].set_index(category).reindex(cats)
            vals = sub[value].fillna(0).astype(int).tolist()
            ys = [i + (j - (len(cycles) - 1) / 2) * height for i in range(len(cats))]
            ax.barh(
                ys,
                vals,
                height=height * 0.92,
                color=colours[j],
                edgecolor=palette.text_dark,
                linewidth=0.5,
                hatch=palette.hatches[j % len(palette.hatches)],
                label=cycle,
            )
            for yv, v in zip(ys, vals, strict=True):
                ax.text(v + vmax * 0.01, yv, str(v), va="center", ha="left", fontsize=9)
        ax.set_yticks(range(len(cats)), [textwrap.fill(str(c), 34) for c in cats])
        ax.invert_yaxis()
        ax.set_xlim(0, vmax * 1.12)
        ax.set_xlabel(xlabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(cycles) > 1:
            ax.legend(
                title="Planning cycle",
                loc="upper left",
                bbox_to_anchor=(0, -0.55 / body),
                ncol=len(cycles),
                frameon=False,
            )
        _frame(fig, title, subtitle, source)
    return fig


def _wrap_id(element_id: str) -> str:
    return element_id.replace("_", "\n").replace("coproduction", "co-\nproduction")


def heatmap(
    matrix: pd.DataFrame,
    row_labels: list[str],
    *,
    palette: Palette,
    settings: ReportSettings,
    title: str,
    subtitle: str,
    source: str,
) -> Figure:
    """Elements x plans: each cell shaded by status AND marked with a letter (grayscale-safe)."""
    statuses = ["evidenced", "promised", "absent"]
    fills = {
        "evidenced": palette.sequential[0],
        "promised": palette.sequential[2],
        "absent": palette.empty,
    }
    marks = settings.element_status_marks
    with rc_context(STYLE):
        n_rows, n_cols = matrix.shape
        top, body, bottom = 1.85, 0.3 * max(n_rows, 1), 0.7
        fig = Figure(figsize=(11, top + body + bottom))
        ax = fig.add_axes(_box(0.22, 0.76, top, body, bottom))
        for i, plan in enumerate(matrix.index):
            for j, element in enumerate(matrix.columns):
                status = matrix.loc[plan, element]
                fill = fills[status]
                ax.add_patch(
                    Rectangle((j, i), 1, 1, facecolor=fill, edgecolor=palette.grid, linewidth=0.8)
                )
                ax.text(
                    j + 0.5,
                    i + 0.5,
                    marks[status],
                    ha="center",
                    va="center",
                    fontsize=9,
                    color=_text_colour(fill, palette),
                    fontweight="bold",
                )
        ax.set_xlim(0, n_cols)
        ax.set_ylim(n_rows, 0)
        ax.set_xticks([j + 0.5 for j in range(n_cols)], [_wrap_id(c) for c in matrix.columns])
        ax.xaxis.tick_top()
        ax.tick_params(axis="x", labelsize=7.5, length=0)
        ax.set_yticks([i + 0.5 for i in range(n_rows)], row_labels)
        ax.tick_params(axis="y", labelsize=9, length=0)
        # row heading written horizontally above the plan names, not as a rotated axis label
        ax.text(-0.01, 1.01, "Plan (planning cycle)", transform=ax.transAxes, ha="right",
                va="bottom", fontsize=9, fontweight="bold")  # fmt: skip
        ax.set_xlabel("Evidence element")
        ax.xaxis.set_label_position("top")
        for side in ("left", "bottom", "top", "right"):
            ax.spines[side].set_visible(False)
        handles = [
            Patch(
                facecolor=fills[s],
                edgecolor=palette.text_dark,
                label=f"{marks[s]}: {settings.element_status_labels[s]}",
            )
            for s in statuses
        ]
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0, -0.05 / body),
            ncol=3,
            frameon=False,
        )
        _frame(fig, title, subtitle, source)
    return fig


def element_label(element_id: str) -> str:
    return {e.id: e.label for e in elements()}.get(element_id, element_id)
