"""csp_review.xlsx in the Analysis Function's shape, read back with openpyxl and pandas."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries
from report_fixtures import build_processed

from pipeline.report import run_report
from pipeline.storage import read_table


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory):
    paths = build_processed(tmp_path_factory.mktemp("wb"), agreement=True)
    run_report(paths)
    return paths, paths.reports / "csp_review.xlsx"


def table_frame(path: Path, sheet: str) -> pd.DataFrame:
    """The sheet's one Excel table as a DataFrame (header row = first row of the table)."""
    ws = load_workbook(path)[sheet]
    (table,) = ws.tables.values()
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    rows = list(
        ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col,
                     values_only=True)
    )  # fmt: skip
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_sheet_order_and_names(workbook):
    _, xlsx = workbook
    wb = load_workbook(xlsx)
    names = wb.sheetnames
    assert names[:3] == ["Cover", "Contents", "Notes"]
    assert len(set(names)) == len(names)
    assert all(len(n) <= 31 for n in names)
    for expected in [
        "Plan scores",
        "Criterion 10 counts",
        "Missing items",
        "Third sector",
        "Advocacy",
        "Evidence",
        "Good practice",
        "Passages",
        "Reviewer agreement",
    ]:
        assert expected in names  # fmt: skip


def test_one_table_per_sheet_one_header_row_no_merged_cells(workbook):
    _, xlsx = workbook
    wb = load_workbook(xlsx)
    for ws in wb.worksheets:
        assert not ws.merged_cells.ranges, ws.title
        if ws.title == "Cover":
            continue
        assert len(ws.tables) == 1, ws.title
        (table,) = ws.tables.values()
        min_col, min_row, max_col, _ = range_boundaries(table.ref)
        header = [ws.cell(min_row, c).value for c in range(min_col, max_col + 1)]
        assert all(isinstance(h, str) and h for h in header), ws.title
        assert table.headerRowCount in (None, 1)


def test_plan_scores_sheet_equals_plan_scores_csv(workbook):
    paths, xlsx = workbook
    csv = read_table(paths.processed / "plan_scores.csv")
    sheet = table_frame(xlsx, "Plan scores")
    assert list(sheet.columns) == list(csv.columns)
    sheet = sheet.fillna("")  # Excel stores empty text as blank cells
    for col in csv.columns:
        if csv[col].dtype == float:
            assert sheet[col].astype(float).tolist() == pytest.approx(csv[col].tolist()), col
        elif csv[col].dtype == bool:
            assert sheet[col].astype(bool).tolist() == csv[col].tolist(), col
        else:
            assert sheet[col].astype(str).tolist() == csv[col].astype(str).tolist(), col


def test_pandas_reads_the_plan_scores_back(workbook):
    paths, xlsx = workbook
    ws = load_workbook(xlsx)["Plan scores"]
    (table,) = ws.tables.values()
    header_row = range_boundaries(table.ref)[1]
    frame = pd.read_excel(xlsx, sheet_name="Plan scores", header=header_row - 1)
    csv = read_table(paths.processed / "plan_scores.csv")
    assert frame["plan_id"].tolist() == csv["plan_id"].tolist()
    assert frame["criterion10"].tolist() == csv["criterion10"].tolist()


def test_counts_sheet_matches_the_counts_table(workbook):
    paths, xlsx = workbook
    sheet = table_frame(xlsx, "Criterion 10 counts")
    csv = read_table(paths.processed / "counts_criterion10.csv")
    assert sheet.astype(str).values.tolist() == csv.astype(str).values.tolist()


def test_cover_says_synthetic_and_carries_provenance(workbook):
    _, xlsx = workbook
    ws = load_workbook(xlsx)["Cover"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "SYNTHETIC" in text
    assert "git commit" in text and "Resources hash" in text and "Source" in text


def test_notes_are_numbered_not_symbols(workbook):
    _, xlsx = workbook
    wb = load_workbook(xlsx)
    notes = table_frame(xlsx, "Notes")
    numbers = notes.iloc[:, 0].astype(int).tolist()
    assert numbers == list(range(1, len(numbers) + 1))
    titles = " ".join(str(wb[n]["A1"].value) for n in wb.sheetnames[3:])
    cited = {int(n) for n in re.findall(r"\[note (\d+)\]", titles)}
    assert cited == set(numbers)  # every note is cited, every citation has a note
    assert "$$" not in titles
