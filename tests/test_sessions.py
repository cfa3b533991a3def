"""Engagement-session records: participants table, total checks, chart and session notes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.sessions import (
    SessionsError,
    check_sessions,
    run_session_notes,
    run_sessions,
)

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "data" / "examples" / "sessions_example.csv"
NOTES_EXAMPLE = REPO / "data" / "examples" / "session_notes_example.csv"

HEADER = (
    "Area,Third sector participants (including TSI staff),"
    "Participants from statutory services,Total participants\n"
)


def _csv(tmp_path: Path, text: str, name: str = "table.csv") -> Path:
    target = tmp_path / name
    target.write_text(text, encoding="utf-8")
    return target


def test_total_row_off_by_ten_is_named(tmp_path: Path) -> None:
    table = _csv(
        tmp_path,
        HEADER
        + "Ardlochan,15,7,22\nCarnbeg,11,12,23\nKilbrannan Shore,20,14,34\nTotal,46,33,89\n",
    )
    _, problems, shape = check_sessions(table)
    assert shape == "aggregated"
    assert problems == [
        "row 5 (Total): total 89 is 10 more than third sector incl. TSI 46 + statutory 33 = 79; "
        "total 89 is 10 more than the sum of the rows above (79)"
    ]


def test_row_and_total_both_overstated_like_the_learning_report(tmp_path: Path) -> None:
    """One locality's total overstated by 10, carried into the Total row: both rows named."""
    table = _csv(
        tmp_path,
        HEADER
        + "Ardlochan,15,7,22\nCarnbeg,11,12,23\nKilbrannan Shore,20,14,44\nTotal,46,33,89\n",
    )
    result = run_sessions(table, tmp_path / "out")
    assert result.problems == [
        "row 4 (Kilbrannan Shore): total 44 is 10 more than third sector incl. TSI 20 + "
        "statutory 14 = 34",
        "row 5 (Total): total 89 is 10 more than third sector incl. TSI 46 + statutory 33 = 79",
    ]
    # The table we write is recomputed from the parts, so it adds up.
    out = result.table.set_index("locality")
    assert out.loc["Kilbrannan Shore", "total"] == 34
    assert out.loc["Total"].tolist() == [46, 33, 79]


def test_total_row_parts_checked_against_column_sums(tmp_path: Path) -> None:
    table = _csv(tmp_path, HEADER + "Ardlochan,15,7,22\nCarnbeg,11,12,23\nTotal,26,17,43\n")
    _, problems, _ = check_sessions(table)
    assert len(problems) == 1
    assert problems[0].startswith("row 4 (Total): ")
    assert "statutory 17 is 2 less than the sum of the rows above (19)" in problems[0]


def test_example_sessions_add_up_and_give_the_report_shape(tmp_path: Path) -> None:
    result = run_sessions(EXAMPLE, tmp_path)
    assert result.shape == "sessions" and result.problems == []
    table = result.table
    assert list(table.columns) == ["locality", "third_sector_incl_tsi", "statutory", "total"]
    assert table["locality"].tolist() == ["Ardlochan", "Carnbeg", "Kilbrannan Shore", "Total"]
    body, total = table.iloc[:-1], table.iloc[-1]
    assert (body["total"] == body["third_sector_incl_tsi"] + body["statutory"]).all()
    for column in ("third_sector_incl_tsi", "statutory", "total"):
        assert total[column] == body[column].sum()
    # Ardlochan: third sector 12+10+9 plus TSI staff 2+2+1; statutory 6+5+6.
    assert table.iloc[0].tolist() == ["Ardlochan", 36, 17, 53]
    for name in (
        "participants.csv",
        "participants.md",
        "participants_check.txt",
        "participants_by_sector.png",
        "participants_by_sector.svg",
    ):
        assert (tmp_path / name).exists(), name
    md = (tmp_path / "participants.md").read_text(encoding="utf-8")
    assert "| **Total** | 81 | 55 | 136 |" in md and "Every stated total adds up." in md
    svg = (tmp_path / "participants_by_sector.svg").read_text(encoding="utf-8")
    assert "Third Sector Interface staff" in svg and "Locality" in svg


def test_session_row_that_does_not_add_up_names_locality_and_session(tmp_path: Path) -> None:
    rows = EXAMPLE.read_text(encoding="utf-8").splitlines()
    rows[4] = rows[4].rsplit(",", 1)[0] + ",25"  # Carnbeg session 1: parts 14+1+12 = 27
    _, problems, _ = check_sessions(_csv(tmp_path, "\n".join(rows) + "\n"))
    assert problems == [
        "row 5 (Carnbeg, session 1): total 25 is 2 less than third sector 14 + TSI staff 1 + "
        "statutory 12 = 27"
    ]


def test_optional_incl_tsi_column_is_checked(tmp_path: Path) -> None:
    text = (
        "locality,session,third_sector,tsi_staff,statutory,third_sector_incl_tsi\n"
        "Ardlochan,1,10,2,5,12\nArdlochan,2,8,1,4,10\n"
    )
    _, problems, _ = check_sessions(_csv(tmp_path, text))
    assert problems == [
        "row 3 (Ardlochan, session 2): third sector incl. TSI 10 is 1 more than third sector 8 "
        "+ TSI staff 1 = 9"
    ]


def test_bad_counts_and_unknown_shape(tmp_path: Path) -> None:
    text = "locality,session,third_sector,tsi_staff,statutory\nArdlochan,1,ten,2,5\n"
    _, problems, _ = check_sessions(_csv(tmp_path, text))
    assert problems == ["row 2: third_sector 'ten' is not a whole number of people"]
    with pytest.raises(SessionsError, match="neither session records"):
        check_sessions(_csv(tmp_path, "place,people\nArdlochan,3\n", "other.csv"))


def test_cli_sessions_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(app, ["sessions", str(EXAMPLE), "--out", str(tmp_path / "a")])
    assert good.exit_code == 0, good.output
    assert "every total adds up" in good.output
    bad_csv = _csv(tmp_path, HEADER + "Ardlochan,15,7,22\nTotal,15,7,32\n")
    bad = runner.invoke(app, ["sessions", str(bad_csv), "--out", str(tmp_path / "b")])
    assert bad.exit_code == 1
    assert "row 3 (Total): total 32 is 10 more" in bad.output
    missing = runner.invoke(app, ["sessions", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2


def test_session_notes_grouped_by_area_with_empty_action_column(tmp_path: Path) -> None:
    themes = run_session_notes(NOTES_EXAMPLE, tmp_path)
    assert themes["area_of_focus"].tolist() == [1, 2, 3]
    n_notes = sum(1 for _ in NOTES_EXAMPLE.open(encoding="utf-8")) - 1
    assert int(themes["n_notes"].sum()) == n_notes
    assert (themes["what_will_we_do"] == "").all()
    assert (themes["top_terms"] != "").all() and (themes["representative_notes"] != "").all()
    assert "board" in themes.loc[0, "top_terms"]
    notes = (tmp_path / "session_notes_by_area.csv").read_text(encoding="utf-8")
    board_line = next(line for line in notes.splitlines() if "partnership board." in line)
    assert ",1,Leadership," in board_line
    again = run_session_notes(NOTES_EXAMPLE, tmp_path / "again")
    assert themes.equals(again)
