"""The exploration notebooks: stored clean, and executed top to bottom on a real review run.

Each notebook is run in memory with nbclient (the stored file is never rewritten) against the
processed tables of the session's ``reviewed`` fixture, which the notebooks find through the
CSP_PROCESSED / CSP_RAW / CSP_RATINGS environment variables the kernel inherits.
"""

from __future__ import annotations

import copy
import os
import re
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from pipeline import explore
from pipeline.config import Paths
from pipeline.score import load_rubric
from pipeline.storage import read_table

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = {
    "01_explore_corpus.ipynb",
    "02_rubric_sensitivity.ipynb",
    "03_reviewer_agreement.ipynb",
}


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _errors(nb: nbformat.NotebookNode) -> list[str]:
    return [
        f"{o.get('ename')}: {o.get('evalue')}"
        for cell in nb.cells
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]


def _all_text(nb: nbformat.NotebookNode) -> str:
    """Every text/plain, text/html and stream output, joined (what an analyst would read)."""
    parts: list[str] = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                parts.append(o.get("text", ""))
            data = o.get("data", {})
            parts.extend(str(data[k]) for k in ("text/plain", "text/markdown") if k in data)
    return "\n".join(parts)


def _images(nb: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in o.get("data", {}) for cell in nb.cells for o in cell.get("outputs", [])
    )


def test_the_three_notebooks_are_there() -> None:
    assert {p.name for p in NOTEBOOKS} >= EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    nb = _read(path)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell was saved with outputs"
            assert cell.execution_count is None, f"{path.name}: execution count saved"
    # what the pre-commit hook would write is exactly what is stored
    from nbstripout import strip_output

    stripped = strip_output(copy.deepcopy(nb), keep_output=False, keep_count=False, keep_id=False)
    assert stripped == nb, f"{path.name}: run `.venv/bin/nbstripout {path}` before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_starts_by_saying_what_it_answers_and_needs(path: Path) -> None:
    first = _read(path).cells[0]
    assert first.cell_type == "markdown"
    assert "**Question.**" in first.source and "**Needs.**" in first.source
    assert re.search(r"`make [a-z-]+`", first.source), "name the make target to run first"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_code_uses_the_package_not_copies(path: Path) -> None:
    """Notebooks import the pipeline; they never define functions (that code belongs in it)."""
    code = "\n".join(c.source for c in _read(path).cells if c.cell_type == "code")
    assert "from pipeline" in code
    assert not re.search(r"^\s*(def|class) ", code, re.MULTILINE)


def _execute(
    path: Path, env: dict[str, str], parameters: str | None = None
) -> nbformat.NotebookNode:
    """Run a copy of the notebook top to bottom in the venv's kernel; raise on any error.

    ``parameters`` is code run right after the cell tagged ``parameters`` (as papermill
    injects values), to keep slow defaults out of the test without changing the notebook.
    """
    from nbclient import NotebookClient

    nb = _read(path)
    if parameters:
        at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
        nb.cells.insert(at + 1, nbformat.v4.new_code_cell(parameters))
    # proves the kernel is this interpreter's environment (the venv), not a system Python
    nb.cells.append(
        nbformat.v4.new_code_cell(f"import sys\nassert sys.prefix == {sys.prefix!r}, sys.prefix")
    )
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel process inherits these
    try:
        NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
        ).execute()
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert not _errors(nb)
    return nb


def _env(paths: Paths, ratings: Path) -> dict[str, str]:
    return {
        "CSP_PROCESSED": str(paths.processed),
        "CSP_RAW": str(paths.raw),
        "CSP_RATINGS": str(ratings),
    }


@pytest.mark.slow
def test_explore_corpus_runs_and_shows_evidence_and_heatmap(
    reviewed: Paths, tmp_path: Path
) -> None:
    nb = _execute(NOTEBOOK_DIR / "01_explore_corpus.ipynb", _env(reviewed, tmp_path / "none"))
    text = _all_text(nb)
    assert "SYNTHETIC sample corpus" in text
    scores = read_table(reviewed.processed / "plan_scores.csv")
    assert all(plan_id in text for plan_id in scores["plan_id"])  # the headline table
    assert _images(nb) >= 1  # the heatmap


@pytest.mark.slow
def test_rubric_sensitivity_runs_and_its_sweep_moves_the_counts(
    reviewed: Paths, tmp_path: Path
) -> None:
    # one threshold, two values, instead of the notebook's grid: scoring takes seconds per
    # setting; the alternative (element_min_passages 3) is then reused from the cache
    nb = _execute(
        NOTEBOOK_DIR / "02_rubric_sensitivity.ipynb",
        _env(reviewed, tmp_path / "none"),
        parameters='SWEEPS = {"element_min_passages": [2, 3]}',
    )
    assert _images(nb) >= 1
    assert re.search(r"\d+ of \d+ plans change rating with", _all_text(nb))


@pytest.mark.slow
def test_reviewer_agreement_falls_back_to_the_sample_labels(
    reviewed: Paths, tmp_path: Path
) -> None:
    nb = _execute(NOTEBOOK_DIR / "03_reviewer_agreement.ipynb", _env(reviewed, tmp_path / "none"))
    text = _all_text(nb)
    assert "SYNTHETIC sample corpus's intended labels" in text
    assert "problem:" not in text  # the labels file is a valid ratings file once mapped
    assert re.search(r"\d+ disagreement\(s\)", text)
    assert _images(nb) >= 1


@pytest.mark.slow
def test_reviewer_agreement_reads_an_analyst_file_and_reports_bad_rows(
    reviewed: Paths, tmp_path: Path
) -> None:
    scores = read_table(reviewed.processed / "plan_scores.csv").sort_values("plan_id")
    first, second = scores.iloc[0], scores.iloc[1]
    flipped = "not_met" if first["criterion10"] != "not_met" else "fully"
    ratings = tmp_path / "ratings.csv"
    ratings.write_text(
        "plan_id,criterion10,third_sector,advocacy,note\n"
        f"{first['plan_id']},{flipped},,,Invented note: I read pages 2 to 4 differently\n"
        f"{second['plan_id']},{second['criterion10']},,,\n"
        "no-such-plan-2020-23,fully,,,\n",
        encoding="utf-8",
    )
    nb = _execute(NOTEBOOK_DIR / "03_reviewer_agreement.ipynb", _env(reviewed, ratings))
    text = _all_text(nb)
    assert f"analyst ratings: {ratings}" in text
    assert "unknown plan_id 'no-such-plan-2020-23'" in text
    assert "1 disagreement(s)" in text
    assert "Invented note: I read pages 2 to 4 differently" in text


# ------------------------------------------------------------------------------------------
# the helpers the notebooks rely on (pipeline.explore), on the same real run


def test_project_path_resolves_from_the_repo_root_whatever_the_cwd(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CSP_PROCESSED", raising=False)
    assert explore.project_path("CSP_PROCESSED", "data/processed", start=NOTEBOOK_DIR) == (
        REPO / "data" / "processed"
    )
    monkeypatch.setenv("CSP_PROCESSED", "/somewhere/else")
    assert explore.project_path("CSP_PROCESSED", "data/processed") == Path("/somewhere/else")


@pytest.mark.slow
def test_threshold_sweep_reproduces_the_stored_run_and_moves_with_the_threshold(
    reviewed: Paths,
) -> None:
    passages, manifest = read_table(reviewed.passages), read_table(reviewed.manifest)
    stored = read_table(reviewed.processed / "plan_scores.csv")  # no analyst ratings in this run
    rubric = load_rubric()
    scored: dict = {}
    sweep = explore.threshold_sweep(
        passages, manifest, rubric, {"element_min_passages": [2, 3]}, cache=scored
    )
    assert list(sweep["value"]) == [2, 3]
    assert list(sweep["is_default"]) == [True, False]
    assert (sweep[["fully", "partially", "not_met"]].sum(axis=1) == len(stored)).all()
    default = sweep.iloc[0]
    counts = explore.criterion10_counts(stored)
    assert {k: int(default[k]) for k in counts} == counts
    # demanding more passages per element can only keep or lower the fully met count
    assert sweep.iloc[1]["fully"] <= default["fully"]
    # the current rubric is reused from the cache, not scored again
    assert len(scored) == 2
    again = explore.rescore(passages, manifest, rubric, cache=scored)
    assert again is explore.rescore(
        passages, manifest, rubric, {"element_min_passages": 2}, scored
    )
    assert len(scored) == 2
    with pytest.raises(ValueError, match="unknown threshold"):
        explore.threshold_sweep(passages, manifest, rubric, {"no_such_threshold": [1]})


@pytest.mark.slow
def test_evidence_for_keeps_only_asserted_tags_unless_asked(reviewed: Paths) -> None:
    passages = read_table(reviewed.passages)
    plan_id = sorted(passages["plan_id"].unique())[0]
    asserted = explore.evidence_for(passages, element="cyp", plan_id=plan_id)
    assert len(asserted) > 0
    assert all("cyp" in tags.split(";") for tags in asserted["tags"])
    assert (asserted["score"] >= 0.5).all() and (asserted["plan_id"] == plan_id).all()
    near = explore.evidence_for(passages, element="cyp", plan_id=plan_id, tagged=False)
    assert set(asserted.index) <= set(near.index)
    page = int(asserted["page"].iloc[0])
    assert (explore.evidence_for(passages, plan_id=plan_id, page=page)["page"] == page).all()
    with pytest.raises(ValueError, match="unknown element"):
        explore.evidence_for(passages, element="no_such_element")


def test_rating_changes_lists_only_moved_plans() -> None:
    before = pd.DataFrame(
        {
            "plan_id": ["a-2020-23", "b-2020-23"],
            "cycle": ["2020-23", "2020-23"],
            "area": ["A", "B"],
            "criterion10": ["fully", "partially"],
            "missing": ["", "methods"],
        }
    )
    after = before.assign(criterion10=["partially", "partially"], missing=["findings", "methods"])
    moved = explore.rating_changes(before, after)
    assert moved["plan_id"].tolist() == ["a-2020-23"]
    assert moved.iloc[0][
        ["criterion10_before", "criterion10_after", "missing_after"]
    ].tolist() == [
        "fully",
        "partially",
        "findings",
    ]
