"""Locality briefing papers for partnerships about to use the third-sector toolkit.

Before engagement sessions, a project team sends participants a short paper on what the
current Children's Services Plan says. ``csp-review briefing PLAN_ID`` writes that paper from
the pipeline's own tables: the plan's third-sector evidence under each of the toolkit's three
areas of focus (quoted, with PDF page numbers), where the plan is silent, the plan's
Criterion 10 judgements, and discussion prompts derived from the gaps. The prompts are the
pipeline's, not the toolkit's challenge questions.

Outputs go to ``reports/briefings/<plan_id>.html`` and ``.md`` (and ``.pdf`` when the report
stage offers ``pipeline.report.html_to_pdf``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from tqdm import tqdm

from pipeline import __version__
from pipeline.config import RESOURCES, Paths, elements
from pipeline.storage import read_table, write_text
from pipeline.third_sector import (
    AREAS_FILE,
    AreasFile,
    areas_outputs,
    assign_areas,
    build_classifier,
    read_plan_scores,
    strongest_first,
)

log = logging.getLogger(__name__)

TEMPLATES = RESOURCES / "briefing"


class BriefingError(ValueError):
    """The briefing cannot be written (unknown plan, missing inputs); one-line message."""


@dataclass(frozen=True)
class BriefingInputs:
    passages: pd.DataFrame
    assigned: pd.DataFrame
    plan_scores: pd.DataFrame | None
    manifest: pd.DataFrame | None
    synthetic: bool


# --------------------------------------------------------------------------------- inputs
def corpus_is_synthetic(paths: Paths, manifest: pd.DataFrame | None) -> bool:
    """True when the raw folder carries SYNTHETIC_CORPUS.md or the manifest says synthetic."""
    raw = Path(paths.raw)
    if (raw / "SYNTHETIC_CORPUS.md").exists() or any(raw.glob("*/SYNTHETIC_CORPUS.md")):
        return True
    if manifest is None or manifest.empty:
        return False
    text = manifest.astype(str)
    return bool(text.apply(lambda col: col.str.contains("synthetic", case=False)).any().any())


def load_inputs(paths: Paths, config_path: Path = AREAS_FILE) -> BriefingInputs:
    """Passages, their areas (from run_areas' table, or computed now), scores and manifest."""
    if not paths.passages.exists():
        raise BriefingError(f"{paths.passages} not found: run `csp-review tag` first")
    passages = read_table(paths.passages)
    assigned_path = areas_outputs(paths)["passages"]
    if assigned_path.exists():
        assigned = read_table(assigned_path)
        assigned["page"] = assigned["page"].astype(int)
        assigned["area_of_focus"] = assigned["area_of_focus"].astype(int)
    else:
        log.info("%s not found; assigning areas of focus now", assigned_path)
        assigned = assign_areas(passages, build_classifier(config_path))
    manifest = read_table(paths.manifest) if paths.manifest.exists() else None
    return BriefingInputs(
        passages, assigned, read_plan_scores(paths), manifest, corpus_is_synthetic(paths, manifest)
    )


def plan_ids(inputs: BriefingInputs) -> list[str]:
    ids = set(inputs.passages["plan_id"].astype(str))
    if inputs.plan_scores is not None:
        ids |= set(inputs.plan_scores["plan_id"].astype(str))
    return sorted(ids)


# -------------------------------------------------------------------------------- content
def shorten(text: str, limit: int) -> str:
    """One line, cut at a word boundary with an ellipsis when longer than ``limit``.

    pdfminer writes glyphs it cannot map (often bullets) as ``(cid:NNN)``; they are dropped.
    """
    flat = re.sub(r"\s+", " ", re.sub(r"\(cid:\d+\)", " ", str(text))).strip()
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{cut} …"


def _row(df: pd.DataFrame | None, plan_id: str) -> dict[str, Any] | None:
    if df is None or df.empty:
        return None
    hit = df[df["plan_id"].astype(str) == plan_id]
    return None if hit.empty else hit.iloc[0].to_dict()


def plan_title(plan_id: str, inputs: BriefingInputs) -> tuple[str, str]:
    """(area name, cycle) from plan scores, then the manifest, then the passages."""
    for source in (inputs.plan_scores, inputs.manifest):
        row = _row(source, plan_id)
        if row and str(row.get("area", "")).strip():
            return str(row["area"]), str(row.get("cycle", ""))
    cycles = inputs.passages.loc[inputs.passages["plan_id"] == plan_id, "cycle"]
    return plan_id, str(cycles.iloc[0]) if len(cycles) else ""


def judgement_rows(scores: dict[str, Any] | None, config: AreasFile) -> list[dict[str, str]]:
    """The plan's Criterion 10 judgements as label/value rows (empty when not scored)."""
    if scores is None:
        return []
    labels = config.judgement_labels
    wording = {e.id: e.review_wording or e.label for e in elements()}
    missing = [m for m in str(scores.get("missing", "")).split(";") if m.strip()]
    rows = [
        {
            "label": "Criterion 10 rating",
            "value": labels.criterion10.get(scores["criterion10"], scores["criterion10"]),
        },
        {
            "label": "Third sector participation",
            "value": labels.third_sector.get(scores["third_sector"], scores["third_sector"]),
        },
        {
            "label": "Advocacy for children and young people",
            "value": labels.advocacy.get(scores["advocacy"], scores["advocacy"]),
        },
        {
            "label": "Would have benefitted from adding",
            "value": "; ".join(wording.get(m.strip(), m.strip()) for m in missing)
            or "Nothing listed",
        },
    ]
    for key, label in (
        ("explanation", "Why (Criterion 10)"),
        ("third_sector_explanation", "Why (third sector)"),
    ):
        if str(scores.get(key, "")).strip():
            rows.append({"label": label, "value": str(scores[key])})
    return rows


def area_sections(plan: pd.DataFrame, config: AreasFile) -> list[dict[str, Any]]:
    """Per area: count, pages, the strongest quotes with page and section, silent/thin flags."""
    s = config.settings
    ranked = strongest_first(plan)
    sections = []
    for area in config.areas:
        hits = ranked[ranked["area_of_focus"] == area.id]
        quotes = [
            {
                "text": shorten(r["text"], s.briefing_quote_chars),
                "page": int(r["page"]),
                "section": str(r["section"]).strip(),
                "passage_id": str(r["passage_id"]),
            }
            for _, r in hits.head(s.briefing_quotes_per_area)
            .sort_values(["page", "passage_id"], kind="mergesort")
            .iterrows()
        ]
        n = len(hits)
        sections.append(
            {
                "id": area.id,
                "name": area.name,
                "description": area.description,
                "n": n,
                "pages": ", ".join(str(p) for p in sorted(set(hits["page"].astype(int)))),
                "quotes": quotes,
                "more": max(0, n - len(quotes)),
                "silent": n == 0,
                "thin": 0 < n <= s.thin_max_passages,
            }
        )
    return sections


def discussion_prompts(
    sections: list[dict[str, Any]], scores: dict[str, Any] | None, config: AreasFile
) -> list[str]:
    """Prompts from the gaps: silent or thin areas first, then the plan's judgements."""
    by_id = {a.id: a for a in config.areas}
    prompts = []
    for sec in sections:
        area = by_id[sec["id"]]
        if sec["silent"]:
            prompts.append(f"Area {area.id} ({area.name}): {area.prompts.silent}")
        elif sec["thin"]:
            prompts.append(f"Area {area.id} ({area.name}): {area.prompts.thin}")
    if scores is not None:
        jp = config.judgement_prompts
        for key, table in (("third_sector", jp.third_sector), ("advocacy", jp.advocacy)):
            if str(scores.get(key, "")) in table:
                prompts.append(table[str(scores[key])])
        for item in str(scores.get("missing", "")).split(";"):
            if item.strip() in jp.missing:
                prompts.append(jp.missing[item.strip()])
    return prompts


def briefing_context(plan_id: str, inputs: BriefingInputs, config: AreasFile) -> dict[str, Any]:
    """Everything the templates need; no formatting decisions beyond shortening quotes."""
    known = plan_ids(inputs)
    if plan_id not in known:
        raise BriefingError(
            f"unknown plan '{plan_id}'; known plans: {', '.join(known[:10])}"
            + (" …" if len(known) > 10 else "")
        )
    area_name, cycle = plan_title(plan_id, inputs)
    plan = inputs.assigned[inputs.assigned["plan_id"].astype(str) == plan_id]
    scores = _row(inputs.plan_scores, plan_id)
    sections = area_sections(plan, config)
    n_pages = inputs.passages.loc[inputs.passages["plan_id"] == plan_id, "page"]
    return {
        "plan_id": plan_id,
        "area": area_name,
        "cycle": cycle,
        "synthetic": inputs.synthetic,
        "n_passages": len(plan),
        "last_page": int(n_pages.max()) if len(n_pages) else 0,
        "sections": sections,
        "silent": [s for s in sections if s["silent"]],
        "judgements": judgement_rows(scores, config),
        "prompts": discussion_prompts(sections, scores, config),
        "version": __version__,
    }


# ------------------------------------------------------------------------------ rendering
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md_cell"] = lambda v: str(v).replace("|", "\\|").replace("\n", " ")
    return env


def render(context: dict[str, Any]) -> tuple[str, str]:
    """(HTML, Markdown) for one plan."""
    env = _environment()
    return (
        env.get_template("briefing.html.j2").render(**context),
        env.get_template("briefing.md.j2").render(**context),
    )


def _pdf(html_path: Path, pdf_path: Path) -> Path | None:
    """PDF through the report stage's converter when WeasyPrint is installed; else skip.

    Without WeasyPrint (an optional extra: `make report-pdf` installs it) there is nothing
    to warn about per plan: the HTML and Markdown are the briefing.
    """
    from pipeline.report import html_to_pdf
    from pipeline.report.html import weasyprint_available

    if not weasyprint_available():
        return None
    try:
        html_to_pdf(html_path, pdf_path)
    except (OSError, RuntimeError, ValueError) as exc:
        log.warning("no PDF for %s: %s", html_path.name, exc)
        return None
    return pdf_path if pdf_path.exists() else None


def safe_name(plan_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", plan_id)


def write_briefing(
    paths: Paths,
    plan_id: str,
    inputs: BriefingInputs | None = None,
    config_path: Path = AREAS_FILE,
    pdf: bool = True,
) -> list[Path]:
    """Write reports/briefings/<plan_id>.html, .md (and .pdf when asked for and possible)."""
    config = build_classifier(config_path).config
    inputs = inputs or load_inputs(paths, config_path)
    html, markdown = render(briefing_context(plan_id, inputs, config))
    out = Path(paths.reports) / "briefings" / safe_name(plan_id)
    written = [
        write_text(out.with_suffix(".html"), html),
        write_text(out.with_suffix(".md"), markdown),
    ]
    printed = _pdf(written[0], out.with_suffix(".pdf")) if pdf else None
    if printed is not None:
        written.append(printed)
    log.info("wrote briefing for %s: %s", plan_id, ", ".join(p.name for p in written))
    return written


def write_all_briefings(
    paths: Paths, config_path: Path = AREAS_FILE, pdf: bool = True
) -> list[Path]:
    """A briefing for every plan (inputs read once)."""
    from pipeline.report.html import weasyprint_available

    inputs = load_inputs(paths, config_path)
    if pdf and not weasyprint_available():
        log.info("briefings as HTML and Markdown only: WeasyPrint (make report-pdf) not installed")
    written: list[Path] = []
    for plan_id in tqdm(plan_ids(inputs), desc="briefings", unit="plan", leave=False):
        written += write_briefing(paths, plan_id, inputs, config_path, pdf=pdf)
    return written
