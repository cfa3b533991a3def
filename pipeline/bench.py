"""``make bench``: ingest speed and memory against the plain extractors, in one run.

Usage: ``python -m pipeline.bench --raw data/raw [--extra ../shared/pdfs] [--out FILE]``

Each variant runs in its own subprocess so its peak RSS (the process and, via
``RUSAGE_CHILDREN``, its largest worker) is its own:

(a) the project's ingest, cold (empty cache), all cores; (a') the same with OCR switched off,
so its pages compare like for like with (c); (b) warm (everything cached); (c) pdfplumber
``extract_text`` alone, one process; (d) pypdfium2 raw text alone, one process.

Other stages add their own rows with :func:`write_report` (e.g. the tagger's
passages/second): a row is a :class:`BenchRow`, whatever its unit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.storage import write_text

VARIANTS = {
    "cold": "(a) csp-review ingest, cold cache, all cores",
    "cold-no-ocr": "(a') csp-review ingest, cold cache, all cores, OCR off",
    "warm": "(b) csp-review ingest, warm cache",
    "plumber": "(c) pdfplumber extract_text, 1 process",
    "pdfium": "(d) pypdfium2 raw text, 1 process",
    "tag": "(e) csp-review tag (rules + model), 1 process",
    "tokenize": "(f) spaCy blank tokenizer + sentencizer alone, 1 process",
}
MODEL = Path("models/tagger.skops")


@dataclass(frozen=True)
class BenchRow:
    """One measured variant. ``unit`` is what ``count`` counts (pages, passages, ...)."""

    name: str
    count: int
    unit: str
    seconds: float
    peak_rss_mb: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("nan")


def machine() -> dict[str, str]:
    """Cores, CPU model, RAM and load: the context every number here depends on."""
    model = "unknown"
    ram = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return {
        "cores": str(len(os.sched_getaffinity(0))),
        "cpu": model,
        "ram": ram,
        "python": platform.python_version(),
        "load average before the run (1, 5, 15 min)": load,
    }


def render(rows: Sequence[BenchRow], info: dict[str, str], ratios: Sequence[str] = ()) -> str:
    """The Markdown report: machine, one table row per variant, then ratios."""
    out = ["# csp-review benchmark", ""]
    out += [f"- {key}: {value}" for key, value in info.items()]
    out += [
        "",
        "| variant | units | seconds | units/s | peak RSS, largest process (MB) | note |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        out.append(
            f"| {row.name} | {row.count:,} {row.unit} | {row.seconds:.2f} | {row.rate:.1f} "
            f"| {row.peak_rss_mb:.0f} | {row.note} |"
        )
    if ratios:
        out += ["", *[f"- {r}" for r in ratios]]
    return "\n".join(out) + "\n"


def write_report(
    rows: Sequence[BenchRow],
    target: Path = Path("reports/bench.md"),
    info: dict[str, str] | None = None,
    ratios: Sequence[str] = (),
) -> Path:
    """Hook for every stage's benchmark: render ``rows`` and write them atomically."""
    return write_text(target, render(rows, info or machine(), ratios))


# ------------------------------------------------------------------------------------------
# variants (each runs inside its own subprocess)


def _pdfs(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.suffix.lower() == ".pdf" and p.is_file())


def _variant_plumber(corpus: Path) -> tuple[int, str]:
    import logging

    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    pages = failed = 0
    for path in _pdfs(corpus):
        try:
            with pdfplumber.open(path) as pdf:
                for page in pdf.pages:
                    try:
                        page.extract_text()
                        pages += 1
                    finally:
                        page.close()
        except Exception:  # noqa: BLE001 - counted, as the ingest would
            failed += 1
    return pages, f"{failed} files raised" if failed else ""


def _variant_pdfium(corpus: Path) -> tuple[int, str]:
    import pypdfium2 as pdfium

    pages = failed = 0
    for path in _pdfs(corpus):
        try:
            doc = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError:
            failed += 1
            continue
        try:
            for i in range(len(doc)):
                page = doc[i]
                textpage = page.get_textpage()
                textpage.get_text_range()
                textpage.close()
                page.close()
                pages += 1
        finally:
            doc.close()
    return pages, f"{failed} files raised" if failed else ""


def _variant_ingest(corpus: Path, interim: Path, ocr: bool) -> tuple[int, str]:
    import logging

    from pipeline.config import Paths
    from pipeline.ingest import run_ingest
    from pipeline.ingest.settings import load_settings

    logging.basicConfig(level=logging.ERROR)
    settings = load_settings()
    if not ocr:
        settings = settings.model_copy(
            update={"ocr": settings.ocr.model_copy(update={"enabled": False})}
        )
    paths = Paths(raw=corpus, interim=interim, processed=interim / "processed")
    manifest = run_ingest(paths, settings=settings)
    counts = manifest["status"].value_counts().to_dict()
    note = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    ocr_pages = int(manifest["pages_ocr"].sum())
    if ocr_pages:
        note += f"; {ocr_pages} pages OCR'd"
    return int(manifest["pages"].sum()), note


def _passage_texts(interim: Path) -> list[str]:
    """Passages of the cold ingest run (segmented here; segmenting is not timed)."""
    from pipeline.config import Paths
    from pipeline.segment import run_segment

    segments = run_segment(Paths(interim=interim, processed=interim / "processed"))
    return segments["text"].tolist()


def _variant_tag(texts: list[str]) -> tuple[int, str]:
    from pipeline.tag import Tagger, passages_per_second

    tagger = Tagger.load(MODEL)
    rate = passages_per_second(tagger, texts)
    return len(texts), f"{rate:.0f} passages/s measured inside the tagger"


def _variant_tokenize(texts: list[str]) -> tuple[int, str]:
    from pipeline.segment import sentencizer

    nlp = sentencizer()
    for _ in nlp.pipe(texts, batch_size=256):
        pass
    return len(texts), ""


def _run_variant(name: str, corpus: Path, interim: Path) -> dict[str, object]:
    if name in ("tag", "tokenize"):
        texts = _passage_texts(interim)
        start = time.perf_counter()
        count, note = (_variant_tag if name == "tag" else _variant_tokenize)(texts)
        seconds = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"count": count, "seconds": seconds, "rss_kb": rss, "note": note}
    start = time.perf_counter()
    if name == "plumber":
        count, note = _variant_plumber(corpus)
    elif name == "pdfium":
        count, note = _variant_pdfium(corpus)
    else:
        count, note = _variant_ingest(corpus, interim, ocr=name != "cold-no-ocr")
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"count": count, "seconds": seconds, "rss_kb": max(own, kids), "note": note}


def _measure(name: str, corpus: Path, interim: Path) -> BenchRow:
    cmd = [
        sys.executable,
        "-m",
        "pipeline.bench",
        "--variant",
        name,
        "--corpus",
        str(corpus),
        "--interim",
        str(interim),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark variant {name} failed:\n{done.stderr[-2000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return BenchRow(
        VARIANTS[name],
        int(data["count"]),
        "passages" if name in ("tag", "tokenize") else "pages",
        float(data["seconds"]),
        float(data["rss_kb"]) / 1024,
        str(data["note"]),
    )


def _link_corpus(sources: Sequence[tuple[str, Path]], target: Path) -> int:
    """One folder of symlinks to every PDF of the sources (keeps the sources read-only)."""
    n = 0
    for label, source in sources:
        for pdf in _pdfs(source):
            link = target / label / pdf.relative_to(source)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(pdf.resolve())
            n += 1
    return n


def run_benchmark(raw: Path, extra: Path | None, out: Path) -> list[BenchRow]:
    """Measure every variant on the same corpus and write the report to ``out``."""
    info = machine()
    sources = [("sample", raw)] + ([("extra", extra)] if extra and extra.is_dir() else [])
    with tempfile.TemporaryDirectory(prefix="csp-bench-") as tmp:
        corpus = Path(tmp) / "raw"
        n_files = _link_corpus(sources, corpus)
        if n_files == 0:
            raise SystemExit(f"no PDFs under {raw}: run `csp-review sample` first")
        info["corpus"] = ", ".join(f"{label}: {path}" for label, path in sources)
        info["files"] = str(n_files)
        rows = []
        names = ["cold", "warm", "cold-no-ocr", "plumber", "pdfium"]
        if MODEL.exists():
            names += ["tag", "tokenize"]
        else:
            print(f"bench: {MODEL} missing (make train): tagger not measured", file=sys.stderr)
        for name in names:
            interim = Path(tmp) / ("interim-no-ocr" if name == "cold-no-ocr" else "interim")
            print(f"bench: {VARIANTS[name]} ...", file=sys.stderr, flush=True)
            rows.append(_measure(name, corpus, interim))
    by = {row.name: row for row in rows}
    cold, no_ocr = by[VARIANTS["cold"]], by[VARIANTS["cold-no-ocr"]]
    plumber, pdfium = by[VARIANTS["plumber"]], by[VARIANTS["pdfium"]]
    ratios = [
        f"(a)/(c) pages/s: {cold.rate / plumber.rate:.2f}x (target >= 1.6x; stretch 5x)",
        f"(a')/(c) pages/s, like for like without OCR: {no_ocr.rate / plumber.rate:.2f}x",
        f"(a)/(d) pages/s: {cold.rate / pdfium.rate:.3f}x",
        f"(b) warm re-run: {by[VARIANTS['warm']].seconds:.2f} s (target < 3 s for 30 plans)",
    ]
    if VARIANTS["tag"] in by:
        tag, tok = by[VARIANTS["tag"]], by[VARIANTS["tokenize"]]
        ratios.append(
            f"(e) tagger: {tag.rate:.0f} passages/s; (e)/(f) against tokenizing alone: "
            f"{tag.rate / tok.rate:.3f}x"
        )
    write_report(rows, out, info, ratios)
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.bench", description=__doc__)
    parser.add_argument("--raw", type=Path, default=Path("data/raw"))
    parser.add_argument("--extra", type=Path, default=None, help="e.g. ../shared/pdfs")
    parser.add_argument("--out", type=Path, default=Path("reports/bench.md"))
    parser.add_argument("--variant", choices=sorted(VARIANTS), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--interim", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.variant:
        print(json.dumps(_run_variant(args.variant, args.corpus, args.interim)))
        return
    run_benchmark(args.raw, args.extra, args.out)
    print(args.out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
