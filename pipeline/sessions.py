"""Engagement-session records for the third-sector self-evaluation toolkit.

A project team running toolkit sessions records each one in a CSV; this module turns that into
the participants table a learning report uses (per locality: third sector including TSI staff,
statutory, total, and a Total row), checks that every stated total equals the sum of its parts
(naming each row that does not, with the difference), and plots participation by sector.

Two input shapes are accepted (headers are matched case-insensitively, spaces = underscores):

* session records: ``locality, session, date, area_of_focus, third_sector, tsi_staff,
  statutory`` and optionally ``third_sector_incl_tsi`` and ``total``;
* a pre-aggregated table: a first column naming the area or locality, then columns whose
  headings contain "third" (third sector including TSI), "statutory" and "total", usually
  with a final "Total" row.

In either shape a row whose locality is "Total" is checked against the sum of the other rows.
Optional: session notes (``locality, session, note``) are grouped by area of focus with the
same classifier as the plan evidence and summarised as themes for a "what will we do" column.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from pipeline.storage import write_csv, write_text
from pipeline.third_sector import (
    AREAS_FILE,
    AreaClassifier,
    Sector,
    build_classifier,
    legend_and_source,
    save_figure,
)

log = logging.getLogger(__name__)

SESSION_REQUIRED = ["locality", "session", "third_sector", "tsi_staff", "statutory"]
SESSION_OPTIONAL = ["date", "area_of_focus", "third_sector_incl_tsi", "total"]
NOTES_REQUIRED = ["locality", "session", "note"]
TOTAL_LABEL = "total"
TABLE_COLUMNS = ["locality", "third_sector_incl_tsi", "statutory", "total"]
TABLE_HEADINGS = {
    "locality": "Locality",
    "third_sector_incl_tsi": "Third sector participants (including TSI staff)",
    "statutory": "Participants from statutory services",
    "total": "Total participants",
}
PART_NAMES = {
    "third_sector": "third sector",
    "tsi_staff": "TSI staff",
    "statutory": "statutory",
    "third_sector_incl_tsi": "third sector incl. TSI",
}


class SessionsError(ValueError):
    """The sessions file cannot be read as either accepted shape; message is one line."""


@dataclass
class SessionsResult:
    table: pd.DataFrame
    problems: list[str]
    shape: str
    written: list[Path] = field(default_factory=list)


def normalise_header(name: object) -> str:
    """'Third sector participants (including TSI staff)' -> 'third_sector_participants_...'."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def read_sessions_csv(path: Path) -> pd.DataFrame:
    """Read as text (counts parsed later, so a typo is reported, not silently NaN)."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=True)
    except (FileNotFoundError, pd.errors.EmptyDataError) as exc:
        raise SessionsError(f"{path}: {exc}") from exc
    df.columns = [normalise_header(c) for c in df.columns]
    return df


def detect_shape(columns: list[str]) -> str:
    """'sessions' when the record columns are present, 'aggregated' for the report's shape."""
    if all(c in columns for c in SESSION_REQUIRED):
        return "sessions"
    has = {k: any(k in c for c in columns) for k in ("third", "statutory", "total")}
    if all(has.values()) and "session" not in columns:
        return "aggregated"
    missing = [c for c in SESSION_REQUIRED if c not in columns]
    raise SessionsError(
        f"columns {columns} are neither session records (missing {missing}) nor an aggregated "
        "table (needs columns naming third sector, statutory and total)"
    )


def _count(value: str, line: int, column: str, problems: list[str]) -> int | None:
    """A non-negative whole number, or None (blank); a bad value becomes a problem line."""
    text = str(value).strip().replace(",", "")
    if text == "":
        return None
    if not re.fullmatch(r"\d+(\.0+)?", text):
        problems.append(f"row {line}: {column} '{value}' is not a whole number of people")
        return None
    return int(float(text))


def _sum_problem(stated: int, parts: dict[str, int], what: str) -> str | None:
    """'total 49 is 10 more than third sector 22 + statutory 17 = 39', or None if it adds up."""
    expected = sum(parts.values())
    if stated == expected:
        return None
    diff = stated - expected
    direction = "more" if diff > 0 else "less"
    terms = " + ".join(f"{PART_NAMES.get(k, k)} {v}" for k, v in parts.items())
    return f"{what} {stated} is {abs(diff)} {direction} than {terms} = {expected}"


def _column_problem(stated: int, expected: int, what: str) -> str | None:
    if stated == expected:
        return None
    diff = stated - expected
    direction = "more" if diff > 0 else "less"
    return (
        f"{what} {stated} is {abs(diff)} {direction} than the sum of the rows above ({expected})"
    )


def _is_total(label: str) -> bool:
    return normalise_header(label) in {TOTAL_LABEL, "totals", "grand_total", "all", "overall"}


def _row_name(line: int, label: str, session: str = "") -> str:
    extra = f", session {session}" if session else ""
    return f"row {line} ({label}{extra})"


# ---------------------------------------------------------------------- session records
def parse_session_records(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Session rows with integer counts, and one problem line per row that does not add up.

    ``line`` is the row number as a spreadsheet shows it (header = row 1).
    """
    problems: list[str] = []
    records = []
    for i, raw in enumerate(df.to_dict("records")):
        line = i + 2
        row_problems: list[str] = []
        counts = {
            c: _count(raw.get(c, ""), line, c, row_problems)
            for c in ("third_sector", "tsi_staff", "statutory", "third_sector_incl_tsi", "total")
        }
        for c in ("third_sector", "tsi_staff", "statutory"):
            if counts[c] is None and not any(
                p.startswith(f"row {line}: {c}") for p in row_problems
            ):
                row_problems.append(f"row {line}: {c} is blank (counted as 0)")
        parts = {c: counts[c] or 0 for c in ("third_sector", "tsi_staff", "statutory")}
        checks = []
        if counts["third_sector_incl_tsi"] is not None:
            checks.append(
                _sum_problem(
                    counts["third_sector_incl_tsi"],
                    {k: parts[k] for k in ("third_sector", "tsi_staff")},
                    "third sector incl. TSI",
                )
            )
        if counts["total"] is not None:
            checks.append(_sum_problem(counts["total"], parts, "total"))
        records.append(
            {
                "line": line,
                "locality": str(raw.get("locality", "")).strip(),
                "session": str(raw.get("session", "")).strip(),
                "date": str(raw.get("date", "")).strip(),
                "area_of_focus": str(raw.get("area_of_focus", "")).strip(),
                **parts,
                "stated_total": counts["total"],
                "stated_incl": counts["third_sector_incl_tsi"],
                "checks": [c for c in checks if c],
            }
        )
        problems.extend(row_problems)
    frame = pd.DataFrame(records)
    if frame.empty:
        raise SessionsError("the sessions file has no rows")
    if (frame["locality"] == "").any():
        lines = frame.loc[frame["locality"] == "", "line"].tolist()
        problems.append(f"rows {lines}: locality is blank")
    problems.extend(_total_row_checks(frame, ["third_sector", "tsi_staff", "statutory"]))
    return frame, problems


def _total_row_checks(frame: pd.DataFrame, parts: list[str]) -> list[str]:
    """One line per row with problems: own sum, and (for Total rows) column sums."""
    lines = []
    is_total = frame["locality"].map(_is_total)
    body = frame[~is_total]
    for row in frame.itertuples(index=False):
        issues = list(row.checks)
        if _is_total(row.locality):
            for part in parts:
                issues.append(
                    _column_problem(
                        int(getattr(row, part)), int(body[part].sum()), PART_NAMES.get(part, part)
                    )
                )
            if row.stated_total is not None and not pd.isna(row.stated_total):
                body_total = int(sum(body[p].sum() for p in parts))
                body_stated = body["stated_total"].dropna()
                if len(body_stated) == len(body):
                    issues.append(
                        _column_problem(int(row.stated_total), int(body_stated.sum()), "total")
                    )
                elif int(row.stated_total) != body_total:
                    issues.append(_column_problem(int(row.stated_total), body_total, "total"))
        issues = list(dict.fromkeys(i for i in issues if i))
        if issues:
            session = getattr(row, "session", "")
            lines.append(f"{_row_name(row.line, row.locality, session)}: " + "; ".join(issues))
    return lines


# ------------------------------------------------------------------------ aggregated table
def parse_aggregated(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The learning report's shape: label, third sector incl. TSI, statutory, total."""
    columns = list(df.columns)
    label_col = columns[0]
    third = next(c for c in columns if "third" in c)
    statutory = next(c for c in columns if "statutory" in c)
    total = next(c for c in columns if "total" in c and c not in (third, statutory, label_col))
    problems: list[str] = []
    records = []
    for i, raw in enumerate(df.to_dict("records")):
        line = i + 2
        row_problems: list[str] = []
        t = _count(raw[third], line, third, row_problems) or 0
        s = _count(raw[statutory], line, statutory, row_problems) or 0
        stated = _count(raw[total], line, total, row_problems)
        check = (
            _sum_problem(stated, {"third_sector_incl_tsi": t, "statutory": s}, "total")
            if stated is not None
            else None
        )
        records.append(
            {
                "line": line,
                "locality": str(raw[label_col]).strip(),
                "session": "",
                "third_sector_incl_tsi": t,
                "statutory": s,
                "stated_total": stated,
                "checks": [check] if check else [],
            }
        )
        problems.extend(row_problems)
    frame = pd.DataFrame(records)
    if frame.empty:
        raise SessionsError("the table has no rows")
    problems.extend(_total_row_checks(frame, ["third_sector_incl_tsi", "statutory"]))
    return frame, problems


# ---------------------------------------------------------------------- participants table
def participants_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per locality (first-seen order): third sector incl. TSI, statutory, total; Total row.

    Totals are recomputed from the parts, so this table always adds up; stated totals are
    only checked, never copied.
    """
    body = frame[~frame["locality"].map(_is_total)].copy()
    if "third_sector_incl_tsi" not in body:
        body["third_sector_incl_tsi"] = body["third_sector"] + body["tsi_staff"]
    order = list(dict.fromkeys(body["locality"]))
    grouped = body.groupby("locality", sort=False)[["third_sector_incl_tsi", "statutory"]].sum()
    table = grouped.reindex(order).reset_index()
    table["total"] = table["third_sector_incl_tsi"] + table["statutory"]
    total_row = {
        "locality": "Total",
        **{c: int(table[c].sum()) for c in ("third_sector_incl_tsi", "statutory", "total")},
    }
    table = pd.concat([table, pd.DataFrame([total_row])], ignore_index=True)
    return table[TABLE_COLUMNS].astype({c: int for c in TABLE_COLUMNS[1:]})


def sector_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-locality counts by the finest sectors the input has (for the chart)."""
    body = frame[~frame["locality"].map(_is_total)]
    parts = (
        ["third_sector", "tsi_staff", "statutory"]
        if "tsi_staff" in body
        else ["third_sector_incl_tsi", "statutory"]
    )
    order = list(dict.fromkeys(body["locality"]))
    return body.groupby("locality", sort=False)[parts].sum().reindex(order)


def table_markdown(table: pd.DataFrame, problems: list[str]) -> str:
    """The participants table and the check result as Markdown."""
    headings = [TABLE_HEADINGS[c] for c in TABLE_COLUMNS]
    lines = [
        "# Participants in toolkit engagement sessions",
        "",
        "| " + " | ".join(headings) + " |",
        "|" + "|".join(["---"] + ["---:"] * 3) + "|",
    ]
    for row in table.itertuples(index=False):
        label = f"**{row.locality}**" if row.locality == "Total" else row.locality
        lines.append(f"| {label} | {row.third_sector_incl_tsi} | {row.statutory} | {row.total} |")
    lines += ["", "Totals in this table are recomputed from their parts.", ""]
    lines += ["## Check of stated totals", ""]
    lines += [f"- {p}" for p in problems] if problems else ["Every stated total adds up."]
    return "\n".join(lines) + "\n"


def sectors_figure(counts: pd.DataFrame, sectors: list[Sector], source: str) -> Figure:
    """Grouped horizontal bars by locality and sector; colour AND hatch per sector."""
    by_key = {s.key: s for s in sectors}
    incl = Sector(
        key="third_sector_incl_tsi",
        label="Third sector (including TSI staff)",
        colour=by_key["third_sector"].colour,
        hatch=by_key["third_sector"].hatch,
    )
    by_key.setdefault(incl.key, incl)
    keys = list(counts.columns)
    localities = list(counts.index)[::-1]
    height = max(2.6, 0.3 * len(localities) * len(keys) + 1.6)
    fig = Figure(figsize=(8, height))
    ax = fig.add_subplot()
    bar = 0.8 / len(keys)
    y = np.arange(len(localities))
    for k, key in enumerate(keys):
        sector = by_key[key]
        values = counts.loc[localities, key].to_numpy(dtype=float)
        offset = (len(keys) - 1 - k) * bar - 0.4 + bar / 2
        bars = ax.barh(
            y + offset,
            values,
            height=bar,
            color=sector.colour,
            hatch=sector.hatch,
            edgecolor="white",
            linewidth=0.6,
            label=sector.label,
        )
        ax.bar_label(bars, labels=[str(int(v)) for v in values], padding=2, fontsize=8)
    ax.set_yticks(y, localities)
    ax.set_xlabel("Participants (attendances summed over sessions)")
    ax.set_ylabel("Locality")
    ax.set_title(
        "Participation in toolkit engagement sessions, by sector", loc="left", fontsize=11
    )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    handles = [
        Patch(
            facecolor=by_key[k].colour,
            hatch=by_key[k].hatch,
            edgecolor="white",
            label=by_key[k].label,
        )
        for k in keys
    ]
    legend_and_source(ax, handles, source)
    return fig


def check_sessions(path: Path) -> tuple[pd.DataFrame, list[str], str]:
    """Parse either shape; return the parsed rows, the problem lines and the shape."""
    df = read_sessions_csv(path)
    shape = detect_shape(list(df.columns))
    frame, problems = parse_session_records(df) if shape == "sessions" else parse_aggregated(df)
    return frame, problems, shape


def run_sessions(
    file: Path, out_dir: Path = Path("reports/sessions"), config_path: Path = AREAS_FILE
) -> SessionsResult:
    """Participants table (CSV, Markdown), check lines and the sector chart into ``out_dir``."""
    frame, problems, shape = check_sessions(Path(file))
    table = participants_table(frame)
    out_dir = Path(out_dir)
    written = [
        write_csv(table, out_dir / "participants.csv"),
        write_text(out_dir / "participants.md", table_markdown(table, problems)),
        write_text(out_dir / "participants_check.txt", "".join(f"{p}\n" for p in problems)),
    ]
    sectors = build_classifier(config_path).config.sectors
    figure = sectors_figure(sector_counts(frame), sectors, f"session records, {Path(file).name}")
    written += save_figure(figure, out_dir / "participants_by_sector")
    log.info("read %d %s rows from %s; %d problems", len(frame), shape, file, len(problems))
    return SessionsResult(table=table, problems=problems, shape=shape, written=written)


# ------------------------------------------------------------------------- session notes
def read_notes(path: Path) -> pd.DataFrame:
    df = read_sessions_csv(path)
    missing = [c for c in NOTES_REQUIRED if c not in df.columns]
    if missing:
        raise SessionsError(
            f"{path}: session notes need columns {NOTES_REQUIRED}; missing {missing}"
        )
    df = df[df["note"].str.strip() != ""].reset_index(drop=True)
    return df


def classify_notes(notes: pd.DataFrame, classifier: AreaClassifier) -> pd.DataFrame:
    """Each note with the area of focus the plan-evidence classifier gives it."""
    scored = classifier.score(notes["note"].astype(str).tolist())
    names = {a.id: a.name for a in classifier.config.areas}
    out = notes[["locality", "session", "note"]].copy()
    out["area_of_focus"] = scored["area_of_focus"].astype(int).to_numpy()
    out["area_name"] = out["area_of_focus"].map(names)
    out["area_score"] = scored["area_score"].to_numpy()
    return out


def note_themes(classified: pd.DataFrame, classifier: AreaClassifier) -> pd.DataFrame:
    """Per area: note count, top TF-IDF terms, representative notes, empty 'what will we do'.

    Top terms are those most over-represented in the area's notes compared with all notes;
    representative notes are those closest (cosine) to the area's mean TF-IDF vector.
    """
    s = classifier.config.settings
    stop = sorted(ENGLISH_STOP_WORDS | set(classifier.config.theme_stop_words))
    vectoriser = TfidfVectorizer(
        stop_words=stop, ngram_range=(1, 2), sublinear_tf=True, min_df=1, strip_accents="unicode"
    )
    matrix = vectoriser.fit_transform(classified["note"].astype(str))
    vocab = np.array(vectoriser.get_feature_names_out())
    overall = np.asarray(matrix.mean(axis=0)).ravel()
    rows = []
    for area in classifier.config.areas:
        idx = np.flatnonzero(classified["area_of_focus"].to_numpy() == area.id)
        terms, reps = "", ""
        if len(idx):
            sub = matrix[idx]
            centroid = np.asarray(sub.mean(axis=0)).ravel()
            lift = centroid - overall
            top = sorted(range(len(vocab)), key=lambda j: (-lift[j], vocab[j]))
            terms = "; ".join(vocab[j] for j in top[: s.theme_terms] if lift[j] > 0)
            sims = np.asarray(sub @ centroid).ravel()
            order = sorted(range(len(idx)), key=lambda k: (-sims[k], int(idx[k])))
            reps = " | ".join(classified["note"].iloc[idx[k]] for k in order[: s.theme_notes])
        rows.append(
            {
                "area_of_focus": area.id,
                "area_name": area.name,
                "n_notes": len(idx),
                "top_terms": terms,
                "representative_notes": reps,
                "what_will_we_do": "",
            }
        )
    return pd.DataFrame(rows)


def run_session_notes(
    file: Path, out_dir: Path = Path("reports/sessions"), config_path: Path = AREAS_FILE
) -> pd.DataFrame:
    """Classify notes into areas of focus; write the notes and the themes template."""
    classifier = build_classifier(config_path)
    classified = classify_notes(read_notes(Path(file)), classifier)
    themes = note_themes(classified, classifier)
    write_csv(classified, Path(out_dir) / "session_notes_by_area.csv")
    write_csv(themes, Path(out_dir) / "session_themes.csv")
    log.info(
        "grouped %d notes into areas of focus %s",
        len(classified),
        classified["area_of_focus"].value_counts().sort_index().to_dict(),
    )
    return themes
