"""Classify why a file could not be read, in words an analyst can act on.

Every bad file becomes one :class:`IngestFailure` with a one-line ``reason``; nothing is
dropped. ``deterministic`` says whether the same bytes would fail the same way again (then
the failure is cached by content hash); time-outs, read errors and crashes are retried on
the next run.
"""

from __future__ import annotations

import os
from pathlib import Path

_SNIFF = (
    (b"<!doctype html", "an HTML page"),
    (b"<html", "an HTML page"),
    (b"\x89png", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"pk\x03\x04", "a ZIP archive or Office document"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
    (b"{\\rtf", "an RTF document"),
)


class IngestFailure(Exception):
    """A file that cannot be reviewed; ``reason`` is the one line shown to the analyst."""

    def __init__(self, reason: str, *, deterministic: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.deterministic = deterministic


class IngestTimeout(Exception):
    """Raised inside a worker when a file exceeds its time limit."""


def precheck(path: Path) -> None:
    """Fail fast on paths that are not readable PDF files, before any parser sees them."""
    if path.is_symlink() and not path.exists():
        raise IngestFailure("unreadable path (a broken symbolic link)", deterministic=False)
    if path.is_dir():
        raise IngestFailure("not a file (it is a directory)", deterministic=False)
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except PermissionError as exc:
        raise IngestFailure("unreadable path (permission denied)", deterministic=False) from exc
    except OSError as exc:
        raise IngestFailure(
            f"unreadable path ({exc.strerror or type(exc).__name__})", deterministic=False
        ) from exc
    if not head:
        raise IngestFailure("empty file (0 bytes)")
    if b"%PDF-" not in head:
        raise IngestFailure(f"not a PDF (the file looks like {_looks_like(head)})")


def _looks_like(head: bytes) -> str:
    lowered = head.lstrip()[:32].lower()
    for magic, name in _SNIFF:
        if lowered.startswith(magic):
            return name
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "binary data of another kind"
    return "plain text"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        nested = [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        current = current.__cause__ or current.__context__ or (nested[0] if nested else None)
    return seen


def classify(exc: BaseException) -> IngestFailure:
    """Map a parser exception (pdfminer via pdfplumber, or pypdfium2) to a reason."""
    if isinstance(exc, IngestFailure):
        return exc
    names = [type(e).__name__ for e in _chain(exc)]
    text = " ".join(str(e) for e in _chain(exc))
    if "PDFPasswordIncorrect" in names or "password" in text.lower():
        return IngestFailure("encrypted (a password is needed to open it)")
    if "PDFEncryptionError" in names:
        return IngestFailure("encrypted with an unsupported method")
    if {"PSEOF", "PDFNoValidXRef"} & set(names):
        return IngestFailure(
            "truncated or corrupt PDF (the file ends early or its index is broken)"
        )
    if "PDFNotImplementedError" in names:
        return IngestFailure(f"uses a PDF feature the reader does not support ({exc})")
    if "PDFSyntaxError" in names or "Data format error" in text:
        return IngestFailure("corrupt PDF (its structure cannot be parsed)")
    if isinstance(exc, MemoryError):
        return IngestFailure("out of memory while reading", deterministic=False)
    if isinstance(exc, OSError):
        reason = exc.strerror or os.strerror(exc.errno or 0) or type(exc).__name__
        return IngestFailure(f"unreadable path ({reason})", deterministic=False)
    detail = str(exc).splitlines()[0][:160] if str(exc) else ""
    # not cached: an unexpected error may be ours, and a fixed release should re-read the file
    return IngestFailure(
        f"unreadable PDF ({type(exc).__name__}{': ' + detail if detail else ''})",
        deterministic=False,
    )
