"""Atomic table writes and content hashes.

Every file a stage publishes is written to a temporary file in the same folder and then
renamed, so a crash never leaves a half-written table in data/processed or reports/.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes owner-only files; published tables are for every reader.
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(target: Path, text: str) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def write_bytes(target: Path, data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


def write_csv(df: pd.DataFrame, target: Path) -> Path:
    """CSV with a stable layout: no index, UTF-8, LF line endings."""
    with atomic_path(target) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n")
    return target


def write_parquet(df: pd.DataFrame, target: Path) -> Path:
    """Parquet without the pandas index and without write timestamps (byte-stable)."""
    with atomic_path(target) as tmp:
        df.reset_index(drop=True).to_parquet(tmp, index=False, engine="pyarrow")
    return target


def write_table(df: pd.DataFrame, target_stem: Path) -> tuple[Path, Path]:
    """Write ``<stem>.csv`` and ``<stem>.parquet`` side by side."""
    stem = Path(target_stem)
    return (
        write_csv(df, stem.with_suffix(".csv")),
        write_parquet(df, stem.with_suffix(".parquet")),
    )


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet table written by :func:`write_table`."""
    path = Path(path)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, keep_default_na=False)
