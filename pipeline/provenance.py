"""Run provenance: which code, configuration, packages and inputs produced an output.

Recorded in reports/run_log.json, the HTML footer and the workbook cover so a reader can tell
exactly what made a number. Nothing here carries a time stamp: the caller adds times to the run
log only, so that tables stay byte-identical between runs on the same input.
"""

from __future__ import annotations

import importlib.metadata as md
import platform
import re
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pipeline import __version__
from pipeline.config import RESOURCES, resource_hash
from pipeline.storage import sha256_file

REPO_ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTION = "csp-review"


def _git(*args: str) -> str | None:
    """Output of a read-only git command in the repository, or None when git cannot answer."""
    try:
        done = subprocess.run(
            ["git", "-C", str(REPO_ROOT), *args],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_state() -> dict[str, Any]:
    """Commit hash and whether the working tree has uncommitted changes."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain")
    return {
        "commit": commit or "unknown (no commit or not a git repository)",
        "dirty": bool(status) if status is not None else None,
    }


def resource_files() -> dict[str, str]:
    """SHA-256 of every resource file (rubric, lexicons, palettes), keyed by relative path."""
    files = sorted(p for p in RESOURCES.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return {p.relative_to(RESOURCES).as_posix(): sha256_file(p) for p in files}


def rubric_info() -> dict[str, str]:
    """Version key and SHA-256 of the rubric file (criterion10.yaml), when it exists."""
    path = RESOURCES / "criterion10.yaml"
    if not path.exists():
        return {"file": "criterion10.yaml", "version": "none", "sha256": "none"}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    version = str(raw.get("version", "unversioned")) if isinstance(raw, dict) else "unversioned"
    return {"file": "criterion10.yaml", "version": version, "sha256": sha256_file(path)}


def _requirement_name(spec: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", spec, maxsplit=1)[0]


def package_versions() -> dict[str, str]:
    """Installed versions of the project's declared dependencies (not hard-coded)."""
    try:
        requires = md.requires(DISTRIBUTION) or []
    except md.PackageNotFoundError:
        requires = []
    names = sorted({_requirement_name(r) for r in requires if "extra ==" not in r}, key=str.lower)
    versions: dict[str, str] = {}
    for name in names:
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def input_hashes(manifest: pd.DataFrame) -> list[dict[str, str]]:
    """The raw files' SHA-256 as recorded by ingestion, one entry per file, sorted."""
    cols = ["file", "plan_id", "cycle", "status", "sha256"]
    rows = manifest[cols].astype(str).sort_values(["file", "plan_id"], kind="stable")
    return rows.to_dict(orient="records")


def inputs_digest(manifest: pd.DataFrame) -> str:
    """One SHA-256 over all input hashes, short enough to print in a footer."""
    import hashlib

    digest = hashlib.sha256()
    for row in input_hashes(manifest):
        digest.update(f"{row['file']}\t{row['sha256']}\n".encode())
    return digest.hexdigest()


def collect(manifest: pd.DataFrame) -> dict[str, Any]:
    """Everything needed to say which code, configuration and inputs made this run's outputs."""
    return {
        "pipeline_version": __version__,
        "git": git_state(),
        "rubric": rubric_info(),
        "resource_hash": resource_hash(),
        "resource_files": resource_files(),
        "python": platform.python_version(),
        "packages": package_versions(),
        "inputs_digest": inputs_digest(manifest),
        "inputs": input_hashes(manifest),
    }
