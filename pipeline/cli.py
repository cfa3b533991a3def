"""The ``csp-review`` command: one sub-command per pipeline stage.

Each command is a thin wrapper over a stage function (``run_*``) that reads and writes the
tables named in :mod:`pipeline.schemas`. Stage modules are imported inside each command so
``csp-review --help`` stays fast and nothing runs at import time.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from pipeline import __version__
from pipeline.config import ConfigError, Paths

app = typer.Typer(
    name="csp-review",
    help=(
        "Review Children's Services Plans (PDFs) against Criterion 10, 'Engagement and "
        "ownership of the Plan'. Stages run in order: ingest -> segment -> tag -> score -> "
        "excerpts -> report; `run` does them all. Put plan PDFs in data/raw/ (or a folder per "
        "planning cycle, e.g. data/raw/2023-26/) or point --raw at any folder of PDFs."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

log = logging.getLogger("csp_review")

RawOpt = Annotated[Path, typer.Option("--raw", help="Folder of plan PDFs (read-only).")]
InterimOpt = Annotated[Path, typer.Option("--interim", help="Per-plan caches.")]
ProcessedOpt = Annotated[Path, typer.Option("--processed", help="Canonical output tables.")]
ReportsOpt = Annotated[Path, typer.Option("--reports", help="Generated reports and figures.")]
ModelsOpt = Annotated[Path, typer.Option("--models", help="Trained tagger model folder.")]
ReviewerOpt = Annotated[
    Path, typer.Option("--reviewer", help="Folder holding an analyst's ratings.csv (optional).")
]
LabelsOpt = Annotated[Path, typer.Option("--labels", help="Labelled passages for training.")]


def _paths(
    raw: Path = Path("data/raw"),
    interim: Path = Path("data/interim"),
    processed: Path = Path("data/processed"),
    reports: Path = Path("reports"),
    models: Path = Path("models"),
    reviewer: Path = Path("data/reviewer"),
    labels: Path = Path("data/labels"),
) -> Paths:
    return Paths(raw, interim, processed, reports, models, reviewer, labels)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        typer.echo(f"csp-review {__version__}")
        raise typer.Exit()
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    for noisy in ("pdfminer", "matplotlib", "PIL", "fontTools", "weasyprint"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", help="Where to write the PDFs.")] = Path(
        "data/raw"
    ),
) -> None:
    """Write the SYNTHETIC sample corpus (fictional partnerships) and its intended labels."""
    from pipeline.sample_corpus import build_sample_corpus

    written = build_sample_corpus(out)
    typer.echo(f"wrote {len(written)} synthetic sample plans to {out}")


@app.command()
def ingest(
    raw: RawOpt = Path("data/raw"),
    interim: InterimOpt = Path("data/interim"),
    processed: ProcessedOpt = Path("data/processed"),
    workers: Annotated[int, typer.Option(help="Worker processes (0 = all cores).")] = 0,
    strict: Annotated[bool, typer.Option(help="Exit non-zero if any file failed.")] = False,
) -> None:
    """Extract page-aware text blocks from every PDF under --raw; write the manifest.

    Unchanged files are read from the cache in --interim (keyed by SHA-256). Bad files
    (encrypted, corrupt, not a PDF, no text layer) get one line each and a row in the
    manifest; the run goes on with the others.
    """
    from pipeline.ingest import run_ingest

    manifest = run_ingest(_paths(raw, interim, processed), workers=workers or None)
    failed = manifest[manifest["status"] == "failed"]
    typer.echo(
        f"ingested {len(manifest)} files: {int((manifest['status'] == 'ok').sum())} ok, "
        f"{int((manifest['status'] == 'warning').sum())} with warnings, {len(failed)} failed"
    )
    if strict and len(failed):
        raise typer.Exit(code=1)


@app.command()
def segment(
    interim: InterimOpt = Path("data/interim"),
    processed: ProcessedOpt = Path("data/processed"),
) -> None:
    """Split extracted blocks into passages with page numbers and section headings."""
    from pipeline.segment import run_segment

    segments = run_segment(_paths(interim=interim, processed=processed))
    typer.echo(f"segmented {segments['plan_id'].nunique()} plans into {len(segments)} passages")


@app.command()
def train(
    labels: LabelsOpt = Path("data/labels"),
    models: ModelsOpt = Path("models"),
) -> None:
    """Train the evidence classifier from the labelled passages (deterministic)."""
    from pipeline.tag import run_train

    metrics = run_train(_paths(models=models, labels=labels))
    typer.echo(f"trained tagger: {metrics.get('summary', '')}")


@app.command()
def tag(
    interim: InterimOpt = Path("data/interim"),
    processed: ProcessedOpt = Path("data/processed"),
    models: ModelsOpt = Path("models"),
) -> None:
    """Tag every passage with Criterion 10 evidence elements (rules + trained model)."""
    from pipeline.tag import run_tag

    passages = run_tag(_paths(interim=interim, processed=processed, models=models))
    n_tagged = int((passages["tags"] != "").sum())
    typer.echo(f"tagged {len(passages)} passages; {n_tagged} carry evidence")


@app.command("tag-text")
def tag_text(
    source: Annotated[Path, typer.Argument(help='JSONL lines {"id": ..., "text": ...}')],
    target: Annotated[Path, typer.Argument(help="JSONL output with scores, tags and rules")],
    models: ModelsOpt = Path("models"),
) -> None:
    """Tag passages that are not in a PDF (web pages, consultation reports)."""
    from pipeline.tag import tag_text_file

    n = tag_text_file(source, target, _paths(models=models))
    typer.echo(f"tagged {n} passages -> {target}")


@app.command()
def evaluate(
    labels: LabelsOpt = Path("data/labels"),
    models: ModelsOpt = Path("models"),
    reports: ReportsOpt = Path("reports"),
) -> None:
    """Measure the tagger on the held-out split: rules, model and combined, per element."""
    from pipeline.tag import run_evaluate

    typer.echo(run_evaluate(_paths(models=models, labels=labels, reports=reports)))


@app.command()
def score(
    processed: ProcessedOpt = Path("data/processed"),
    reviewer: ReviewerOpt = Path("data/reviewer"),
) -> None:
    """Rate each plan: criterion10, what is missing, third sector, advocacy, with evidence."""
    from pipeline.score import run_score

    scores = run_score(_paths(processed=processed, reviewer=reviewer))
    counts = scores["criterion10"].value_counts().to_dict()
    typer.echo(f"scored {len(scores)} plans: {counts}")


@app.command()
def excerpts(processed: ProcessedOpt = Path("data/processed")) -> None:
    """Pick good-practice excerpts, with page citations, for plans that fully meet it."""
    from pipeline.excerpt import run_excerpts

    table = run_excerpts(_paths(processed=processed))
    typer.echo(f"selected {len(table)} excerpts")


@app.command()
def report(
    raw: RawOpt = Path("data/raw"),
    processed: ProcessedOpt = Path("data/processed"),
    reports: ReportsOpt = Path("reports"),
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print summary.html to summary.pdf (WeasyPrint).")
    ] = False,
) -> None:
    """Write the summary report (HTML, Markdown), workbook and figures from processed tables."""
    from pipeline.report import html_to_pdf, run_report

    written = run_report(_paths(raw=raw, processed=processed, reports=reports))
    if pdf:
        written.append(html_to_pdf(reports / "summary.html", reports / "summary.pdf"))
    typer.echo(f"wrote {len(written)} report files to {reports}")


@app.command()
def run(
    raw: RawOpt = Path("data/raw"),
    interim: InterimOpt = Path("data/interim"),
    processed: ProcessedOpt = Path("data/processed"),
    reports: ReportsOpt = Path("reports"),
    models: ModelsOpt = Path("models"),
    reviewer: ReviewerOpt = Path("data/reviewer"),
    labels: LabelsOpt = Path("data/labels"),
    workers: Annotated[int, typer.Option(help="Worker processes (0 = all cores).")] = 0,
) -> None:
    """Run every stage in order (trains the tagger first if no model exists)."""
    from pipeline.excerpt import run_excerpts
    from pipeline.ingest import run_ingest
    from pipeline.report import run_report
    from pipeline.score import run_score
    from pipeline.segment import run_segment
    from pipeline.tag import run_tag, run_train

    paths = _paths(raw, interim, processed, reports, models, reviewer, labels)
    run_ingest(paths, workers=workers or None)
    run_segment(paths)
    if not paths.tagger_model.exists():
        run_train(paths)
    run_tag(paths)
    run_score(paths)
    run_excerpts(paths)
    written = run_report(paths)
    typer.echo(f"review complete: {len(written)} report files in {reports}")


@app.command()
def areas(
    processed: ProcessedOpt = Path("data/processed"),
    reports: ReportsOpt = Path("reports"),
) -> None:
    """Sort third-sector evidence into the toolkit's three areas of focus (table + chart)."""
    from pipeline.third_sector import run_areas

    try:
        table = run_areas(_paths(processed=processed, reports=reports))
    except FileNotFoundError as exc:
        _fail(str(exc))
    totals = table.groupby("area_of_focus")["n_passages"].sum().to_dict()
    typer.echo(
        f"areas of focus for {table['plan_id'].nunique()} plans: passages per area {totals}"
    )


@app.command()
def briefing(
    plan_id: Annotated[
        str | None, typer.Argument(help="Plan to brief on (file stem, e.g. area-2023-26).")
    ] = None,
    all_plans: Annotated[bool, typer.Option("--all", help="Write a briefing for every plan.")] = (
        False
    ),
    raw: RawOpt = Path("data/raw"),
    processed: ProcessedOpt = Path("data/processed"),
    reports: ReportsOpt = Path("reports"),
) -> None:
    """Briefing paper on a plan's third-sector participation, for a toolkit project team."""
    from pipeline.briefing import BriefingError, write_all_briefings, write_briefing

    if (plan_id is None) == (not all_plans):
        _fail("give either a PLAN_ID or --all")
    paths = _paths(raw=raw, processed=processed, reports=reports)
    try:
        written = write_all_briefings(paths) if all_plans else write_briefing(paths, plan_id or "")
    except BriefingError as exc:
        _fail(str(exc))
    typer.echo(f"wrote {len(written)} briefing files to {reports / 'briefings'}")


@app.command()
def sessions(
    file: Annotated[Path, typer.Argument(help="Session records CSV (or the aggregated table).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("reports/sessions"),
    notes: Annotated[
        Path | None, typer.Option("--notes", help="Optional CSV of session notes to theme.")
    ] = None,
) -> None:
    """Participants table, total checks and sector chart from toolkit session records."""
    from pipeline.sessions import SessionsError, run_session_notes, run_sessions

    try:
        result = run_sessions(file, out)
        themes = run_session_notes(notes, out) if notes is not None else None
    except SessionsError as exc:
        _fail(str(exc))
    body = result.table[result.table["locality"] != "Total"]
    typer.echo(f"{len(body)} localities, {int(result.table['total'].iloc[-1])} participants")
    if themes is not None:
        typer.echo(f"themed {int(themes['n_notes'].sum())} notes into {out}/session_themes.csv")
    for line in result.problems:
        typer.echo(line)
    if result.problems:
        typer.echo(f"{len(result.problems)} row(s) do not add up; outputs written to {out}")
        raise typer.Exit(code=1)
    typer.echo(f"every total adds up; outputs written to {out}")


def entry() -> None:
    """Console entry point that turns configuration and contract errors into one line."""
    from pipeline.schemas import TableSchemaError

    try:
        app()
    except (ConfigError, TableSchemaError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
