"""The labelled passage set and its fixed train/test split.

Labels are JSON lines in ``data/labels/passages_*.jsonl``: ``{"id", "text", "elements",
"register", "hard_negative", "note"}``. The held-out TEST split is every passage whose
``int(sha1(id), 16) % modulus == remainder`` (``tagger.yaml`` split: 4 and 0, i.e. about a
quarter); it depends on the id alone, so adding passages never moves old ones between splits.
A training passage whose normalised text is a near-duplicate of a TEST passage (rapidfuzz
token-sort ratio at or above ``split.near_duplicate_ratio``) is dropped from training, so a
reworded copy can never leak the answer.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from pipeline.config import ConfigError, element_ids
from pipeline.storage import sha256_file
from pipeline.tag.nlp import normalise_text
from pipeline.tag.settings import SplitConfig

LABEL_GLOB = "passages_*.jsonl"


class LabelError(ConfigError):
    """A label file line is malformed; the message names file and line."""


def label_files(directory: Path) -> list[Path]:
    return sorted(Path(directory).glob(LABEL_GLOB))


def _parse_line(line: str, where: str) -> dict:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LabelError(f"{where}: not valid JSON ({exc.msg})") from exc
    if not isinstance(row, dict) or not isinstance(row.get("id"), str):
        raise LabelError(f"{where}: expected an object with a string 'id'")
    if not isinstance(row.get("text"), str) or not row["text"].strip():
        raise LabelError(f"{where}: 'text' must be a non-empty string")
    elements = row.get("elements")
    if not isinstance(elements, list) or not set(elements) <= set(element_ids()):
        raise LabelError(f"{where}: 'elements' must be a list of {element_ids()}")
    return row


def parse_element_list(joined: str, where: str) -> list[str]:
    """Elements written as ``"cyp;methods"`` (CSV label files), in spec order; an unknown
    element raises :class:`LabelError` naming ``where``."""
    known = element_ids()
    elements = set(filter(None, joined.split(";")))
    unknown = elements - set(known)
    if unknown:
        raise LabelError(f"{where}: unknown elements {sorted(unknown)}")
    return sorted(elements, key=known.index)


def load_labels(directory: Path) -> pd.DataFrame:
    """All labelled passages: id, text, elements (list), register, hard_negative, file."""
    rows = []
    for path in label_files(directory):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            row = _parse_line(line, f"{path}:{number}")
            rows.append(
                {
                    "id": row["id"],
                    "text": row["text"],
                    "elements": sorted(set(row["elements"]), key=element_ids().index),
                    "register": str(row.get("register") or ""),
                    "hard_negative": str(row.get("hard_negative") or ""),
                    "file": path.name,
                }
            )
    if not rows:
        raise LabelError(f"no labelled passages found in {directory}/{LABEL_GLOB}")
    df = pd.DataFrame(rows)
    dupes = df["id"][df["id"].duplicated()].tolist()
    if dupes:
        raise LabelError(f"duplicate label ids: {dupes[:10]}")
    return df.sort_values("id", kind="stable").reset_index(drop=True)


def in_test(passage_id: str, split: SplitConfig) -> bool:
    digest = int(hashlib.sha1(passage_id.encode("utf-8")).hexdigest(), 16)
    return digest % split.modulus == split.remainder


def near_test_duplicates(
    train_texts: list[str], test_texts: list[str], ratio: float
) -> np.ndarray:
    """Booleans over ``train_texts``: True where some test text scores >= ``ratio`` (0-100)."""
    if not train_texts or not test_texts:
        return np.zeros(len(train_texts), dtype=bool)
    clean = [[normalise_text(t).lower() for t in texts] for texts in (train_texts, test_texts)]
    scores = process.cdist(*clean, scorer=fuzz.token_sort_ratio, score_cutoff=ratio, workers=1)
    return np.asarray(scores.max(axis=1) >= ratio)


def split_labels(df: pd.DataFrame, split: SplitConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) with train passages that (nearly) duplicate a test passage removed."""
    is_test = df["id"].map(lambda i: in_test(i, split)).to_numpy(dtype=bool)
    test = df[is_test].reset_index(drop=True)
    candidates = df[~is_test]
    leaks = near_test_duplicates(
        candidates["text"].tolist(), test["text"].tolist(), split.near_duplicate_ratio
    )
    return candidates[~leaks].reset_index(drop=True), test


def label_matrix(df: pd.DataFrame) -> np.ndarray:
    """Binary (n_passages x 13) matrix in element order."""
    ids = element_ids()
    y = np.zeros((len(df), len(ids)), dtype=int)
    for row, elements in enumerate(df["elements"]):
        for element in elements:
            y[row, ids.index(element)] = 1
    return y


def label_provenance(directory: Path) -> dict[str, str]:
    """SHA-256 of every label file, for models/metrics.json."""
    return {p.name: sha256_file(p) for p in label_files(directory)}
