"""Ingest stage: every file under data/raw -> manifest (processed) + text blocks (interim).

``run_ingest`` finds the files, names them (plan id, cycle, area), reads unchanged files from
the per-file cache (``interim/cache/<sha256>-<settings version>.parquet``), sends the rest
to worker processes (:func:`pipeline.ingest.document.ingest_file`), logs one line per bad
file, and writes both tables atomically. Heavy parsers are imported only in the workers, so
a fully cached run stays fast.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from pipeline import schemas
from pipeline.config import Paths
from pipeline.ingest.document import FileResult, ingest_file, worker_setup
from pipeline.ingest.settings import IngestSettings, load_settings
from pipeline.ingest.triage import IngestFailure, precheck
from pipeline.parallel import default_workers, map_unordered
from pipeline.storage import atomic_path, sha256_file, write_csv, write_parquet

log = logging.getLogger(__name__)

BLOCK_COLUMNS = ["page", "block", "kind", "text", "font_size", "bold", "source"]
_META_KEY = b"csp_review_ingest"

__all__ = ["PlanFile", "discover", "run_ingest"]


@dataclass(frozen=True)
class PlanFile:
    """A file under raw and the names the rest of the pipeline knows it by."""

    path: Path
    file: str  # path relative to raw, POSIX separators
    plan_id: str
    cycle: str
    area: str


def _walk(raw: Path, settings: IngestSettings) -> list[Path]:
    """Every candidate file under ``raw``; a directory named ``*.pdf`` is a candidate too."""
    skip = re.compile(settings.patterns.skip_names, re.IGNORECASE)
    found: list[Path] = []
    for folder, dirs, files in os.walk(raw):
        here = Path(folder)
        for name in list(dirs):
            if name.lower().endswith(".pdf"):
                found.append(here / name)
                dirs.remove(name)
            elif name.startswith("."):
                dirs.remove(name)
        found += [here / n for n in files if not n.startswith(".") and not skip.match(n)]
    return sorted(found, key=lambda p: p.relative_to(raw).as_posix())


def _area_name(slug: str) -> str:
    """'east-glenmorrow_csp' -> 'East Glenmorrow Csp': readable, and the same in every cycle."""
    words = re.split(r"[-_\s]+", slug.strip("-_ "))
    return " ".join(w[:1].upper() + w[1:] for w in words if w) or slug


def discover(raw: Path, settings: IngestSettings | None = None) -> list[PlanFile]:
    """Files under ``raw`` with plan id, cycle and area; plan ids are unique.

    The cycle is the first folder under raw when it looks like ``2023-26``, else a cycle
    token in the file name, else ``unspecified``. Two files with one stem in different
    cycles get ``<cycle>_`` prefixes; any clash left gets the relative path.
    """
    settings = settings or load_settings()
    raw = Path(raw)
    folder_cycle = re.compile(settings.patterns.cycle_folder)
    cycle_token = re.compile(settings.patterns.cycle)
    trailing = re.compile(r"[\s_-]*" + settings.patterns.cycle + r"[\s_-]*$")
    rows = []
    for path in _walk(raw, settings):
        rel = path.relative_to(raw)
        stem = path.stem if path.suffix.lower() == ".pdf" else path.name
        match = cycle_token.search(stem)
        if len(rel.parts) > 1 and folder_cycle.match(rel.parts[0]):
            cycle = rel.parts[0]
        elif match:
            cycle = f"{match.group(1)}-{match.group(2)}"
        else:
            cycle = "unspecified"
        area = _area_name(trailing.sub("", stem) or stem)
        rows.append((path, rel.as_posix(), stem, cycle, area))
    counts = pd.Series([r[2] for r in rows], dtype=str).value_counts()
    ids = [f"{cycle}_{stem}" if counts.get(stem, 0) > 1 else stem for _, _, stem, cycle, _ in rows]
    id_counts = pd.Series(ids, dtype=str).value_counts()
    files = []
    for (path, rel_text, _, cycle, area), plan_id in zip(rows, ids, strict=True):
        if id_counts[plan_id] > 1:
            plan_id = re.sub(r"[^\w.-]+", "_", rel_text)
        files.append(PlanFile(path, rel_text, plan_id, cycle, area))
    return files


# ------------------------------------------------------------------------------------------
# cache


def _cache_path(paths: Paths, sha: str, settings: IngestSettings) -> Path:
    return paths.interim / "cache" / f"{sha}-{settings.cache_version()}.parquet"


def _blocks_frame(blocks: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(blocks, columns=BLOCK_COLUMNS)
    return frame.astype(
        {
            "page": "int64",
            "block": "int64",
            "kind": str,
            "text": str,
            "font_size": "float64",
            "bold": bool,
            "source": str,
        }
    )


def _write_cache(target: Path, result: FileResult) -> None:
    meta = {
        k: getattr(result, k)
        for k in ("status", "reason", "pages", "pages_without_text", "pages_ocr", "sha256")
    }
    table = pa.Table.from_pandas(_blocks_frame(result.blocks), preserve_index=False)
    table = table.replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp)


def _read_cache(target: Path) -> FileResult | None:
    try:
        table = pq.read_table(target)
        meta = json.loads(table.schema.metadata[_META_KEY])
        frame = table.to_pandas()
    except Exception as exc:  # noqa: BLE001 - a damaged cache entry is simply re-extracted
        log.debug("ignoring unreadable cache entry %s: %s", target, exc)
        return None
    return FileResult(blocks=frame[BLOCK_COLUMNS].to_dict("records"), **meta)


# ------------------------------------------------------------------------------------------
# the stage


def _log_result(shown: Path, result: FileResult) -> None:
    if result.status == "failed":
        log.error("failed: %s: %s", shown, result.reason)
    elif result.status == "warning":
        log.warning("warning: %s: %s", shown, result.reason)


def _hash_if_file(path: Path) -> str:
    """SHA-256 of a rejected file when it is a readable regular file, else empty."""
    try:
        return sha256_file(path) if path.is_file() else ""
    except OSError:
        return ""


def _page_estimate(path: Path) -> int:
    from pipeline.ingest.fast import page_count

    return page_count(path) or 0


def run_ingest(
    paths: Paths,
    *,
    workers: int | None = None,
    strict: bool = False,
    settings: IngestSettings | None = None,
) -> pd.DataFrame:
    """Ingest every file under ``paths.raw``; write manifest and blocks; return the manifest.

    ``strict`` is accepted for symmetry with the CLI, which turns failures into exit 1.
    """
    del strict  # the CLI decides the exit status from the returned manifest
    settings = settings or load_settings()
    files = discover(paths.raw, settings)
    results: dict[int, FileResult] = {}
    todo: list[int] = []
    n_cached = 0
    for i, plan in enumerate(files):
        try:
            precheck(plan.path)
            sha = sha256_file(plan.path)
        except IngestFailure as failure:
            results[i] = FileResult("failed", failure.reason, sha256=_hash_if_file(plan.path))
            continue
        except OSError as exc:
            results[i] = FileResult("failed", f"unreadable path ({exc.strerror})", cacheable=False)
            continue
        cached = _read_cache(_cache_path(paths, sha, settings))
        if cached is not None:
            results[i] = cached
            n_cached += 1
        else:
            todo.append(i)
    n_workers = min(workers or default_workers(), max(len(todo), 1))
    log.info(
        "ingest: %d files under %s: %d rejected by pre-checks, %d cached, %d to read with %d "
        "worker(s)",
        len(files),
        paths.raw,
        len(files) - n_cached - len(todo),
        n_cached,
        len(todo),
        n_workers,
    )
    if todo:
        # longest files first, so one big file does not run alone at the end
        estimate = {i: _page_estimate(files[i].path) for i in todo}
        todo.sort(key=lambda i: (-estimate[i], files[i].file))
        total = sum(estimate.values())
        tasks = [(str(files[i].path), settings) for i in todo]
        with logging_redirect_tqdm(), tqdm(total=total, unit="page", desc="ingest") as bar:
            for k, outcome in map_unordered(
                ingest_file,
                tasks,
                workers=n_workers,
                tasks_per_child=settings.workers.tasks_per_child,
                initializer=worker_setup,
            ):
                i = todo[k]
                if isinstance(outcome, BaseException):
                    outcome = FileResult("failed", f"worker error ({outcome})", cacheable=False)
                results[i] = outcome
                if outcome.sha256 and outcome.cacheable:
                    _write_cache(_cache_path(paths, outcome.sha256, settings), outcome)
                bar.update(outcome.pages)
    for i, plan in enumerate(files):
        _log_result(paths.raw / plan.file, results[i])
    manifest = _manifest(files, results)
    blocks = _blocks(files, results)
    schemas.validate(manifest, schemas.MANIFEST)
    schemas.validate(blocks, schemas.BLOCKS)
    write_parquet(blocks, paths.blocks)
    write_csv(manifest, paths.manifest)
    counts = manifest["status"].value_counts().to_dict()
    log.info("ingest: %s; %d blocks from %d pages", counts, len(blocks), manifest["pages"].sum())
    return manifest


def _manifest(files: list[PlanFile], results: dict[int, FileResult]) -> pd.DataFrame:
    rows = []
    for i, plan in enumerate(files):
        r = results[i]
        rows.append(
            {
                "file": plan.file,
                "plan_id": plan.plan_id,
                "cycle": plan.cycle,
                "area": plan.area,
                "status": r.status,
                "reason": r.reason,
                "pages": int(r.pages),
                "pages_without_text": int(r.pages_without_text),
                "pages_ocr": int(r.pages_ocr),
                "sha256": r.sha256,
            }
        )
    frame = pd.DataFrame(rows, columns=list(schemas.MANIFEST.columns))
    frame = frame.astype({"pages": "int64", "pages_without_text": "int64", "pages_ocr": "int64"})
    return frame.sort_values("file", kind="stable").reset_index(drop=True)


def _blocks(files: list[PlanFile], results: dict[int, FileResult]) -> pd.DataFrame:
    frames = []
    for i, plan in enumerate(files):
        if results[i].status == "failed" or not results[i].blocks:
            continue
        frame = _blocks_frame(results[i].blocks)
        frame.insert(0, "plan_id", plan.plan_id)
        frames.append(frame)
    if not frames:
        empty = _blocks_frame([])
        empty.insert(0, "plan_id", pd.Series(dtype=str))
        return empty
    blocks = pd.concat(frames, ignore_index=True)
    return blocks.sort_values(["plan_id", "page", "block"], kind="stable").reset_index(drop=True)
