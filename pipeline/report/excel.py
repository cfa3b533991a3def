"""The analysts' workbook, reports/csp_review.xlsx, in the Analysis Function's shape.

Built with gptables: a Cover sheet (title, contents, source, provenance, SYNTHETIC warning when
it applies), a Contents sheet, a Notes sheet, then one table per sheet with one header row.
Notes are referenced as [note n]. Tables with no rows are left out (and the cover says so).
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gptables as gpt
import pandas as pd

from pipeline.storage import atomic_path

log = logging.getLogger(__name__)

EXCEL_CELL_LIMIT = 32_000
ALNUM = re.compile(r"[A-Za-z0-9]")
BLANKS = (
    "This worksheet contains one table. Blank cells mean none: no item applies (for example "
    "no missing items, no flags, no page). Notes are on the Notes worksheet."
)
NOTES = {
    "synthetic": "The plans in this corpus are SYNTHETIC: fictional partnerships written to "
    "test csp-review. No figure here is a finding about real plans or places.",
    "confidence": "Confidence and score columns are the pipeline's estimates between 0 and 1; "
    "they are not probabilities calibrated against reviewers.",
    "lists": "Cells listing several items (missing, good_practice, tags, rules, context) "
    "separate them with semicolons.",
    "pages": "Page numbers are 1-based pages of the PDF file, which can differ from the "
    "page numbers printed in the plan.",
    "override": "The overridden column names the reviewer rating that replaced the "
    "pipeline's rating; it is empty where the pipeline's rating stands.",
    "tools": "A plan counts for an engagement tool when a passage tagged as describing "
    "engagement methods contains one of the tool's terms (pipeline/resources/report.yaml).",
}


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its label, table name and title, and the notes its title cites."""

    label: str
    name: str
    title: str
    table: pd.DataFrame
    notes: tuple[str, ...] = ()


def _excel_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Truncate over-long text (Excel's cell limit) and make column names strings."""
    out = df.copy()
    out.columns = [str(c) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith(("str", "string")):
            out[col] = out[col].map(
                lambda v: (
                    v[:EXCEL_CELL_LIMIT] + " [truncated]"
                    if isinstance(v, str) and len(v) > EXCEL_CELL_LIMIT
                    else v
                )
            )
    return out.reset_index(drop=True)


def _title(text: str, notes: tuple[str, ...]) -> str:
    return text + "".join(f"$${n}$$" for n in notes)


def build_cover(
    title: str,
    synthetic: bool,
    provenance: dict[str, Any],
    run_date: str,
    source: str,
    omitted: list[str],
) -> gpt.Cover:
    git = provenance["git"]
    commit = git["commit"] + (" (with uncommitted changes)" if git.get("dirty") else "")
    intro: list[Any] = [
        "This workbook holds the tables behind the Criterion 10 (engagement and ownership of "
        "the Plan) review of Children's Services Plans: plan ratings, counts, evidence "
        "passages with page numbers, good-practice excerpts and reviewer agreement.",
    ]
    if synthetic:
        intro.insert(0, [{"bold": True}, "SYNTHETIC SAMPLE: " + NOTES["synthetic"]])
    about = [
        [{"bold": True}, "Source"],
        source,
        [{"bold": True}, "Date produced"],
        run_date,
        [{"bold": True}, "Provenance"],
        f"Pipeline version: csp-review {provenance['pipeline_version']}",
        f"Code version (git commit): {commit}",
        f"Rubric: version {provenance['rubric']['version']}, SHA-256 "
        f"{provenance['rubric']['sha256']}",
        f"Resources hash (rubric, lexicons, palettes): {provenance['resource_hash']}",
        f"Inputs: {len(provenance['inputs'])} files, combined SHA-256 "
        f"{provenance['inputs_digest']}",
        "Full record, with every input file's hash: reports/run_log.json",
        [{"bold": True}, "Notes"],
        "Notes are referenced in table titles as [note 1], [note 2] and so on, and are "
        "listed on the Notes sheet.",
    ]
    if omitted:
        about += ["Tables with no rows in this run are left out: " + ", ".join(omitted) + "."]
    return gpt.Cover(title=title, intro=intro, about=about, cover_label="Cover")


def write_workbook(
    target: Path,
    sheets: list[Sheet],
    *,
    title: str,
    synthetic: bool,
    provenance: dict[str, Any],
    run_date: str,
    source: str,
) -> Path:
    """Write the workbook atomically; sheets with empty tables are skipped and listed."""
    kept = [s for s in sheets if len(s.table)]
    omitted = [s.label for s in sheets if not len(s.table)]
    labels = [s.label for s in kept]
    if len(set(labels)) != len(labels) or any(len(label) > 31 for label in labels):
        raise ValueError(f"sheet labels must be unique and at most 31 characters: {labels}")
    extra = ("synthetic",) if synthetic else ()
    gp_sheets = {
        s.label: gpt.GPTable(
            table=_excel_safe(s.table),
            table_name=s.name,
            title=_title(s.title, extra + s.notes),
            subtitles=[],
            instructions=BLANKS,
            scope="Children's Services Plans, Criterion 10",
            source=source,
        )
        for s in kept
    }
    used = list(dict.fromkeys(n for s in kept for n in (*extra, *s.notes)))
    notes = pd.DataFrame(
        {"Note reference": used, "Note text": [NOTES[n] for n in used]},
        columns=["Note reference", "Note text"],
    )
    cover = build_cover(title, synthetic, provenance, run_date, source, omitted)
    with atomic_path(Path(target)) as tmp, warnings.catch_warnings():
        # blank cells are explained in every sheet's instructions (BLANKS)
        warnings.filterwarnings("ignore", message=r"\s*Empty or null cell", category=UserWarning)
        # gptables 2.0 uses pandas options that pandas 3 deprecates; not ours to fix
        warnings.filterwarnings("ignore", module=r"gptables\.")
        gpt.write_workbook(
            filename=str(tmp),
            sheets=gp_sheets,
            cover=cover,
            notes_table=notes,
            contentsheet_options={"additional_elements": ["subtitles", "scope"]},
            auto_width=True,
        )
    log.info("wrote workbook %s (%d sheets)", target, len(kept) + 3)
    return Path(target)
