"""Shared, session-scoped fixtures: the sample corpus, a trained tagger, a full review run.

Each is built once per test session in a temporary folder, so tests never depend on what
`make review` left in data/ and never write into the working tree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import Paths

REPO = Path(__file__).resolve().parents[1]
SHARED_PDFS = REPO.parent / "shared" / "pdfs"
LABELS = REPO / "data" / "labels"


def paths_under(root: Path, **overrides: Path) -> Paths:
    """A Paths whose folders all live under ``root``; labels default to the repository's."""
    return Paths.under(root, **{"labels": LABELS, **overrides})


@pytest.fixture(scope="session")
def sample_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic sample corpus, rendered once into a temporary folder."""
    from pipeline.sample_corpus import build_sample_corpus

    out = tmp_path_factory.mktemp("sample") / "raw"
    build_sample_corpus(out)
    return out


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tagger trained once from the repository's labelled passages."""
    from pipeline.tag import run_train

    models = tmp_path_factory.mktemp("models")
    run_train(paths_under(models.parent, models=models))
    return models


@pytest.fixture(scope="session")
def reviewed(
    sample_corpus: Path, trained_models: Path, tmp_path_factory: pytest.TempPathFactory
) -> Paths:
    """Every stage run on the sample corpus; returns the Paths of that run."""
    from pipeline.excerpt import run_excerpts
    from pipeline.ingest import run_ingest
    from pipeline.report import run_report
    from pipeline.score import run_score
    from pipeline.segment import run_segment
    from pipeline.tag import run_tag

    root = tmp_path_factory.mktemp("review")
    paths = paths_under(root, raw=sample_corpus, models=trained_models)
    run_ingest(paths, workers=2)
    run_segment(paths)
    run_tag(paths)
    run_score(paths)
    run_excerpts(paths)
    try:
        from pipeline.third_sector import run_areas
    except ImportError:  # pragma: no cover - the areas stage is optional for the report
        pass
    else:
        run_areas(paths)
    run_report(paths)
    return paths
