"""Render the summary report (HTML and Markdown) with Jinja2; optional PDF via WeasyPrint.

Passage text comes from PDFs we do not control, so HTML templates autoescape everything; the
Markdown template escapes table-breaking characters with the ``md`` filter.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from pipeline.report.content import Content
from pipeline.storage import atomic_path, write_text


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith((".html.j2", ".html"))


def md_escape(value: Any) -> str:
    """Text safe inside a Markdown table cell or line: no pipes, newlines or raw HTML."""
    text = "" if value is None else str(value)
    text = re.sub(r"\s*\n\s*", " ", text)
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("pipeline.report", "templates"),
        autoescape=_autoescape,
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    return env


def render_html(content: Content, run_date: str) -> str:
    return environment().get_template("summary.html.j2").render(c=content, run_date=run_date)


def render_markdown(content: Content, run_date: str) -> str:
    text = environment().get_template("summary.md.j2").render(c=content, run_date=run_date)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def write_reports(content: Content, reports: Path, run_date: str) -> list[Path]:
    """Write reports/summary.html and reports/summary.md atomically."""
    return [
        write_text(reports / "summary.html", render_html(content, run_date)),
        write_text(reports / "summary.md", render_markdown(content, run_date)),
    ]


def weasyprint_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def html_to_pdf(html: Path, pdf: Path) -> Path:
    """Print the HTML report to PDF with WeasyPrint (figures resolved relative to the HTML)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        raise RuntimeError(
            "WeasyPrint is not installed (pip install weasyprint; it needs Debian's Pango)"
        ) from exc
    html = Path(html)
    with atomic_path(Path(pdf)) as tmp:
        HTML(filename=str(html), base_url=str(html.parent.resolve())).write_pdf(str(tmp))
    return Path(pdf)
