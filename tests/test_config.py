"""Configuration an analyst can edit safely: broken YAML gets one line naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import (
    RESOURCES,
    ConfigError,
    ElementsFile,
    element_ids,
    load_yaml_model,
    resource_hash,
)
from pipeline.segment import SegmentSettings


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_elements_are_the_spec_thirteen() -> None:
    assert element_ids() == [
        "cyp",
        "families",
        "workforce",
        "community",
        "third_sector",
        "advocacy",
        "methods",
        "findings",
        "influence",
        "coproduction",
        "specific_groups",
        "evaluation",
        "quotes",
    ]


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "max_sentences: 4\nmin_wrods: 3\n")
    with pytest.raises(ConfigError) as err:
        load_yaml_model(path, SegmentSettings)
    message = str(err.value)
    assert str(path) in message and "unknown key 'min_wrods'" in message
    assert "\n" not in message


def test_wrong_type_names_key_and_expectation(tmp_path: Path) -> None:
    path = _write(tmp_path, "max_sentences: four\n")
    with pytest.raises(ConfigError, match=r"key 'max_sentences': .*integer.*'four'"):
        load_yaml_model(path, SegmentSettings)


def test_nested_mistake_names_the_path(tmp_path: Path) -> None:
    path = _write(tmp_path, "elements:\n  - id: cyp\n  - label: no id here\n")
    with pytest.raises(ConfigError, match=r"key 'elements\.0\.label'.*|key 'elements\.1\.id'"):
        load_yaml_model(path, ElementsFile)


def test_invalid_yaml_syntax_gives_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "max_sentences: 4\n  min_words: [3\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d+"):
        load_yaml_model(path, SegmentSettings)


def test_a_key_given_twice_is_an_error_not_a_silent_overwrite(tmp_path: Path) -> None:
    path = _write(tmp_path, "max_sentences: 4\nmin_words: 4\nmax_sentences: 9\n")
    with pytest.raises(
        ConfigError, match=r"not valid YAML at line 3: duplicate key 'max_sentences'"
    ):
        load_yaml_model(path, SegmentSettings)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_yaml_model(tmp_path / "nope.yaml", SegmentSettings)


def test_resource_hash_changes_when_a_resource_changes(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text("x: 1\n")
    before = resource_hash([first])
    first.write_text("x: 2\n")
    assert resource_hash([first]) != before
    assert len(resource_hash()) == 64 and RESOURCES.is_dir()
