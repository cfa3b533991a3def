"""The `csp-review` command: help for every stage, and one-line errors for bad configuration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()

COMMANDS = [
    "sample",
    "ingest",
    "segment",
    "train",
    "tag",
    "tag-text",
    "evaluate",
    "score",
    "excerpts",
    "report",
    "run",
    "areas",
    "briefing",
    "sessions",
]


def test_top_level_help_lists_every_stage() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_schema_violation_is_one_line_without_traceback(tmp_path: Path) -> None:
    """A broken hand-off table stops the command with one line naming table and column."""
    processed = tmp_path / "processed"
    interim = tmp_path / "interim"
    processed.mkdir()
    interim.mkdir()
    (processed / "manifest.csv").write_text(
        "file,plan_id,cycle,area,status,reason,pages,pages_without_text,pages_ocr,sha256\n"
        "a.pdf,a,2023-26,a,ok,,2,0,0,abc\n"
    )
    import pandas as pd

    pd.DataFrame(
        {
            "plan_id": ["a"],
            "page": [0],
            "block": [0],
            "kind": ["paragraph"],
            "text": ["Pupils from every school answered the survey in May."],
            "font_size": [10.0],
            "bold": [False],
            "source": ["text"],
        }
    ).to_parquet(interim / "blocks.parquet")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "segment",
            "--interim",
            str(interim),
            "--processed",
            str(processed),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and "segments" in error_lines[0] and "page" in error_lines[0]
