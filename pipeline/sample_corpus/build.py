"""Build the SYNTHETIC sample corpus: PDFs, plan labels, passage labels and a README.

Every file is written atomically (temporary file beside the target, then renamed) and the
output is deterministic: building twice gives byte-identical files.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from pipeline.config import SAMPLE_PASSAGE_LABELS
from pipeline.sample_corpus.compose import (
    PlanLabels,
    compose_plan,
    load_shared,
    load_yaml,
    plan_files,
    plan_labels,
)
from pipeline.sample_corpus.render import Passage, plain, render_plan
from pipeline.storage import atomic_path

LABEL_COLUMNS = [
    "plan_id",
    "cycle",
    "area",
    "criterion10",
    "missing",
    "third_sector",
    "advocacy",
    "rationale",
]
PASSAGE_COLUMNS = ["plan_id", "page", "text", "elements"]

README = """\
# SYNTHETIC sample corpus

Every PDF in this folder describes a FICTIONAL children's services planning partnership. The
plans were written and rendered by csp-review (`csp-review sample`) to test the pipeline. They
are not real Children's Services Plans, the areas and people in them do not exist, and any
figure computed from them is not a finding about real plans or real places.

- `<cycle>/<area>-<cycle>.pdf` - the plans (plan_id = file stem)
- `sample_labels.csv` - the plan-level Criterion 10 labels each plan was written to carry
- `sample_passage_labels.csv` - passages written as evidence (with their evidence elements)
  or as hard negatives (empty elements), with the 1-based PDF page each landed on

Some plans deliberately carry ingestion hazards: an image-only "scanned" appendix page with
no text layer (its passages are still listed, for OCR), two-column pages, tables split across
pages, words hyphenated at line ends and a faux-bold heading drawn twice.
"""


def _write_text(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def _csv_text(header: list[str], rows: list[list[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _label_row(lab: PlanLabels) -> list[object]:
    return [
        lab.plan_id,
        lab.cycle,
        lab.area,
        lab.criterion10,
        ";".join(lab.missing),
        lab.third_sector,
        lab.advocacy,
        lab.rationale,
    ]


def _passage_rows(plan_id: str, passages: list[Passage]) -> list[list[Any]]:
    return [[plan_id, p.page, plain(p.text), ";".join(p.elements)] for p in passages]


def build(out_dir: Path) -> list[Path]:
    """Render every plan data file; write labels and README; return the sorted PDF paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shared = load_shared()
    pdfs: list[Path] = []
    label_rows: list[list[object]] = []
    passage_rows: list[list[Any]] = []
    for path in plan_files():
        plan = load_yaml(path)
        labels = plan_labels(plan)
        doc = compose_plan(plan, shared)
        target = out_dir / labels.cycle / f"{labels.plan_id}.pdf"
        with atomic_path(target) as tmp:
            passages = render_plan(doc, tmp)
            pdfs.append(target)
        label_rows.append(_label_row(labels))
        passage_rows.extend(_passage_rows(labels.plan_id, passages))
    label_rows.sort(key=lambda r: str(r[0]))
    passage_rows.sort(key=lambda r: (str(r[0]), int(r[1])))  # stable: keeps reading order
    _write_text(out_dir / "sample_labels.csv", _csv_text(LABEL_COLUMNS, label_rows))
    _write_text(out_dir / SAMPLE_PASSAGE_LABELS, _csv_text(PASSAGE_COLUMNS, passage_rows))
    _write_text(out_dir / "SYNTHETIC_CORPUS.md", README)
    return sorted(pdfs)
