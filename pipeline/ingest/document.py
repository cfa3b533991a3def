"""One file -> a :class:`FileResult` (status, reason, page counts, blocks). Runs in a worker.

Order of work: cheap checks (directory, empty, not a PDF), then both parsers open the file
and their page counts are cross-checked; pdfplumber reads each page with layout; a page
pdfplumber loses (zero pages, fewer pages, an exception mid-document) is read by pypdfium2
instead and the file is marked ``warning``; a page with no usable text layer is OCR'd. A
zero-page result never passes as ``ok``. The whole file runs under a wall-clock limit.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.ingest.layout import PageLines, build_blocks, order_page
from pipeline.ingest.settings import IngestSettings
from pipeline.ingest.triage import IngestFailure, IngestTimeout, classify, precheck
from pipeline.storage import sha256_file


@dataclass
class FileResult:
    """Everything the manifest and the blocks table need from one file."""

    status: str
    reason: str
    pages: int = 0
    pages_without_text: int = 0
    pages_ocr: int = 0
    sha256: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    cacheable: bool = True


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`IngestTimeout` after ``seconds`` (main thread only; else no limit).

    pdfminer is pure Python, so the alarm interrupts a parser stuck in a loop.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _alarm(signum: int, frame: Any) -> None:
        raise IngestTimeout

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def page_list(pages: list[int]) -> str:
    """``p. 7`` / ``pp. 3-5, 9``: compact page references for reasons."""
    runs: list[list[int]] = []
    for p in sorted(pages):
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    text = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
    return f"{'p.' if len(pages) == 1 else 'pp.'} {text}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def worker_setup() -> None:
    """Quiet the parsers' own loggers in worker processes."""
    for name in ("pdfminer", "pdfplumber", "PIL"):
        logging.getLogger(name).setLevel(logging.ERROR)


def ingest_file(task: tuple[str, IngestSettings]) -> FileResult:
    """Read one file; never raises (every problem becomes a ``failed`` result)."""
    path_text, settings = task
    path = Path(path_text)
    try:
        with time_limit(settings.limits.timeout_seconds):
            return _read(path, settings)
    except IngestTimeout:
        return FileResult(
            "failed",
            f"timed out after {settings.limits.timeout_seconds:g} s "
            "(limits.timeout_seconds in ingest.yaml)",
            cacheable=False,
        )
    except Exception as exc:  # noqa: BLE001 - classified into one line
        failure = classify(exc)
        return FileResult("failed", failure.reason, cacheable=failure.deterministic)


def _read(path: Path, settings: IngestSettings) -> FileResult:
    import pypdfium2 as pdfium

    from pipeline.ingest import fast, plumber

    try:
        precheck(path)
        sha = sha256_file(path)
    except IngestFailure as failure:
        return FileResult("failed", failure.reason, cacheable=failure.deterministic)
    doc = pdf = None
    notes: list[str] = []
    try:
        try:
            doc = fast.open_document(path)
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise classify(exc) from exc
        try:
            pdf = plumber.open_pdf(path)
        except IngestTimeout:
            raise
        except Exception as exc:
            if doc is None:
                raise classify(exc) from exc
            notes.append(
                f"pdfplumber could not open it ({classify(exc).reason}): "
                "read with pypdfium2 only (no table detection)"
            )
        result = _read_pages(doc, pdf, settings, notes)
        result.sha256 = sha
        return result
    except IngestFailure as failure:
        return FileResult("failed", failure.reason, sha256=sha, cacheable=failure.deterministic)
    finally:
        if pdf is not None:
            pdf.close()
        if doc is not None:
            doc.close()


def _read_pages(doc: Any, pdf: Any, settings: IngestSettings, notes: list[str]) -> FileResult:
    import pypdfium2 as pdfium

    from pipeline.ingest import fast, ocr, plumber

    n_pdfium = len(doc) if doc is not None else 0
    n_plumber = len(pdf.pages) if pdf is not None else 0
    n_pages = max(n_pdfium, n_plumber)
    if n_pages == 0:
        raise IngestFailure("no pages (the page tree is empty or unreadable)")
    if n_pages > settings.limits.max_pages:
        raise IngestFailure(
            f"too many pages ({n_pages} > {settings.limits.max_pages}; "
            "raise limits.max_pages in ingest.yaml to read it)"
        )
    pages: list[PageLines] = []
    if pdf is not None and doc is not None and n_plumber != n_pdfium:
        notes.append(f"page counts differ (pdfplumber {n_plumber}, pypdfium2 {n_pdfium})")
    fallback: list[int] = []
    lost: list[int] = []
    no_text: list[int] = []
    ocr_done: list[int] = []
    ocr_errors: list[str] = []
    plumber_error: str | None = None
    for index in range(n_pages):
        page_no = index + 1
        read = None
        if settings.fast_path.enabled and doc is not None and index < n_pdfium:
            try:
                quick = fast.read_fast(doc, index)
            except pdfium.PdfiumError:
                quick = None  # let pdfplumber try this page
            if quick is not None and quick.paths <= settings.fast_path.max_paths:
                read = _from_runs(quick, page_no, settings)
        if read is None and pdf is not None and plumber_error is None and index < n_plumber:
            page = pdf.pages[index]
            try:
                read = plumber.read_page(page, page_no, settings)
            except IngestTimeout:
                raise
            except Exception as exc:  # noqa: BLE001 - recovered below with pdfium
                plumber_error = f"{type(exc).__name__} on p. {page_no}"
            finally:
                page.close()
        if read is None:
            if doc is None or index >= n_pdfium:
                lost.append(page_no)
                continue
            read = _from_runs(fast.read_fast(doc, index), page_no, settings)
            read.visual = True
            fallback.append(page_no)
        if read.body_chars < settings.text_layer.min_chars and read.visual:
            no_text.append(page_no)
            if settings.ocr.enabled and ocr.tesseract_version() and doc is not None:
                try:
                    image = fast.render(doc, index, settings.ocr.dpi)
                    words = ocr.ocr_words(image, settings.ocr)
                except IngestTimeout:
                    raise
                except Exception as exc:  # noqa: BLE001 - reported as a lost page below
                    ocr_errors.append(f"{type(exc).__name__} on p. {page_no}")
                else:
                    read.lines = order_page(
                        page_no, (read.width, read.height), words, [], [], settings, "ocr"
                    )
                    ocr_done.append(page_no)
        pages.append(PageLines(page_no, read.width, read.height, read.lines))

    cacheable = True
    if fallback and pdf is not None:
        why = f"pdfplumber failed ({plumber_error})" if plumber_error else "pdfplumber lost them"
        notes.append(f"{why}: {page_list(fallback)} read with pypdfium2 (no table detection)")
    if lost:
        notes.append(f"{_plural(len(lost), 'page')} could not be read ({page_list(lost)})")
    if no_text:
        head = f"{_plural(len(no_text), 'page')} without a text layer ({page_list(no_text)})"
        missed = [p for p in no_text if p not in ocr_done]
        if not missed:
            notes.append(f"{head}: OCR used")
        else:
            cacheable = False  # re-try once tesseract is installed or OCR switched on
            if not settings.ocr.enabled:
                why = "OCR switched off in ingest.yaml"
            elif not ocr.tesseract_version():
                why = "no OCR available (tesseract not found)"
            elif ocr_errors:
                why = f"OCR failed ({'; '.join(ocr_errors[:3])})"
            else:
                why = "no page renderer (pypdfium2 could not open the file)"
            lost_pages = page_list(missed).split(" ", 1)[1]
            notes.append(
                f"{head}: {why}: {'page' if len(missed) == 1 else 'pages'} {lost_pages} text lost"
            )
    blocks = build_blocks(pages, settings)
    if not blocks and not notes:
        notes.append("no text found on any page")
    return FileResult(
        status="warning" if notes else "ok",
        reason="; ".join(notes),
        pages=n_pages,
        pages_without_text=len(no_text),
        pages_ocr=len(ocr_done),
        blocks=blocks,
        cacheable=cacheable,
    )


def _from_runs(quick: Any, page_no: int, settings: IngestSettings) -> Any:
    """A pypdfium2 page (text runs) through the same layout code as a pdfplumber page."""
    from pipeline.ingest.plumber import PageRead, body_char_count

    lines = order_page(page_no, (quick.width, quick.height), quick.runs, [], [], settings)
    body = body_char_count(quick.runs, quick.height, settings)
    visual = bool(quick.images) or (not quick.runs and bool(quick.paths))
    return PageRead(lines, quick.width, quick.height, body, visual=visual)
