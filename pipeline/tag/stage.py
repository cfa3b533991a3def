"""The tag stage's entry points, called by the CLI: train, tag, tag-text, evaluate."""

from __future__ import annotations

import json
import logging
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import spacy
from tqdm.auto import tqdm

from pipeline import schemas
from pipeline.config import SAMPLE_PASSAGE_LABELS, ConfigError, element_ids
from pipeline.storage import read_table, sha256_file, write_parquet, write_text
from pipeline.tag.classifier import ModelBundle, fit_pipeline, load_bundle, save_bundle
from pipeline.tag.evaluate import (
    Predictions,
    format_table,
    report_markdown,
    sample_section,
    score_predictions,
    second_labeller_section,
)
from pipeline.tag.labels import (
    LabelError,
    in_test,
    label_matrix,
    label_provenance,
    load_labels,
    parse_element_list,
    split_labels,
)
from pipeline.tag.nlp import normalise_text
from pipeline.tag.settings import TAGGER_FILE, SplitConfig, TaggerConfig, default_tagger_config
from pipeline.tag.tagger import (
    RuleEngine,
    Tagger,
    hard_veto_matrix,
    rule_matrix,
    threshold_vector,
    veto_matrix,
)
from pipeline.tag.train import cross_val_proba, fit_second_stage, tune_thresholds

log = logging.getLogger(__name__)

SECOND_LABELLER_FILE = Path("checks") / "second_labeller_sample.csv"

CHUNK = 2048  # passages per tagging chunk (progress bar granularity)


def metrics_path(paths) -> Path:
    return Path(paths.models) / "metrics.json"


def predict_split(tagger: Tagger, df: pd.DataFrame) -> Predictions:
    """Rules-alone, model-alone and combined predictions for a labelled split."""
    texts = df["text"].tolist()
    p, scores, evidence = tagger.score_arrays(texts)
    elements = tagger.elements
    model_t = threshold_vector(
        tagger.bundle.thresholds_model, elements, tagger.config.combine.default_threshold
    )
    return Predictions(
        ids=df["id"].tolist(),
        texts=texts,
        y=label_matrix(df),
        rules=rule_matrix(evidence, elements).astype(int),
        model=(p >= model_t).astype(int),
        combined=(scores >= tagger.thresholds).astype(int),
        scores=scores,
        fired=[list(ev.pattern_ids) for ev in evidence],
        context=[list(ev.modifiers) for ev in evidence],
    )


def run_train(paths, config: TaggerConfig | None = None) -> dict:
    """Fit the classifier on the train split, tune thresholds on train, save model + metrics."""
    cfg = config or default_tagger_config()
    elements = element_ids()
    labels = load_labels(paths.labels)
    train, test = split_labels(labels, cfg.split)
    texts = [normalise_text(t) for t in train["text"]]
    y = label_matrix(train)
    missing = [e for j, e in enumerate(elements) if y[:, j].sum() < cfg.model.calibration_folds]
    if missing:
        raise ValueError(f"too few training positives to train elements {missing}")
    started = time.perf_counter()
    log.info("training on %d passages (%d held out for test)", len(train), len(test))
    engine = RuleEngine(batch_size=cfg.runtime.batch_size)
    evidence = engine.analyse(texts)
    rules = rule_matrix(evidence, elements)
    veto = veto_matrix(evidence, elements, cfg.combine)
    hard = hard_veto_matrix(evidence, elements, cfg.combine)
    needs_oof = cfg.combine.tune_thresholds or cfg.model.cooccurrence_C > 0
    oof = cross_val_proba(texts, y, cfg) if needs_oof else np.zeros(y.shape)
    cooccurrence, oof = fit_second_stage(oof, y, cfg)
    model_t, combination = tune_thresholds(y, oof, rules, veto, elements, cfg, hard)
    pipeline = fit_pipeline(texts, y, cfg.model, cfg.seed)
    bundle = ModelBundle(pipeline, elements, model_t, combination, cooccurrence)
    target = Path(paths.tagger_model)
    save_bundle(bundle, target)
    seconds = time.perf_counter() - started

    tagger = Tagger(bundle, cfg, engine)
    pred = predict_split(tagger, test)
    scores = score_predictions(pred, elements, cfg.seed)
    table, macro = scores.table, scores.macro
    metrics = {
        "model_file": target.name,
        "model_sha256": sha256_file(target),
        "labels": label_provenance(paths.labels),
        "tagger_yaml_sha256": sha256_file(TAGGER_FILE),
        "n_labelled": len(labels),
        "n_train": len(train),
        "n_test": len(test),
        "seed": cfg.seed,
        "split": cfg.split.model_dump(),
        "thresholds_model": model_t,
        "combination": combination,
        "train_seconds": round(seconds, 1),
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "spacy": spacy.__version__,
            "numpy": np.__version__,
        },
        "test_macro_f1": {k: round(v, 4) for k, v in macro.items()},
        "test_macro_f1_combined_95ci": [round(v, 4) for v in scores.interval],
        "test_per_element": json.loads(table.round(4).to_json(orient="records")),
    }
    write_text(metrics_path(paths), json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    summary = (
        f"{len(train)} train / {len(test)} test passages, {seconds:.0f}s; held-out macro-F1 "
        f"combined {macro['combined']:.3f} (rules {macro['rules']:.3f}, model "
        f"{macro['model']:.3f}) -> {target}"
    )
    log.info("trained tagger: %s", summary)
    return {**metrics, "summary": summary}


def _tag_frame(tagger: Tagger, texts: list[str]) -> pd.DataFrame:
    """Score columns, tags, rules and context for a list of texts (chunked, with progress)."""
    parts = []
    with tqdm(total=len(texts), desc="tagging", unit="passage", disable=None) as bar:
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start : start + CHUNK]
            for result in tagger.tag(chunk):
                row: dict[str, object] = {f"score_{e}": result.scores[e] for e in tagger.elements}
                row["tags"] = ";".join(result.tags)
                row["rules"] = ";".join(result.rules)
                row["context"] = ";".join(result.context)
                parts.append(row)
            bar.update(len(chunk))
    columns = [f"score_{e}" for e in tagger.elements] + ["tags", "rules", "context"]
    return pd.DataFrame(parts, columns=columns)


def run_tag(paths, config: TaggerConfig | None = None) -> pd.DataFrame:
    """Tag every segment; write processed/passages.parquet (schema ``passages``)."""
    tagger = Tagger.load(paths.tagger_model, config)
    segments = read_table(paths.segments)
    segments = schemas.validate(segments, schemas.SEGMENTS).reset_index(drop=True)
    started = time.perf_counter()
    tagged = _tag_frame(tagger, segments["text"].tolist())
    seconds = time.perf_counter() - started
    passages = pd.concat([segments, tagged], axis=1)
    for e in tagger.elements:
        passages[f"score_{e}"] = passages[f"score_{e}"].astype(float)
    passages = schemas.validate(passages, schemas.passages_schema())
    write_parquet(passages, paths.passages)
    rate = len(passages) / seconds if seconds > 0 else float("inf")
    log.info(
        "tagged %d passages in %.1fs (%.0f passages/s); %d carry evidence -> %s",
        len(passages),
        seconds,
        rate,
        int((passages["tags"] != "").sum()),
        paths.passages,
    )
    return passages


class TagInputError(ConfigError):
    """A line of a tag-text input file is not ``{"id": ..., "text": "..."}``."""


def _read_text_jsonl(source: Path) -> tuple[list[str], list[str]]:
    ids, texts = [], []
    for number, line in enumerate(Path(source).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TagInputError(f"{source}: line {number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or "text" not in row or not isinstance(row["text"], str):
            raise TagInputError(f'{source}: line {number}: expected {{"id": ..., "text": "..."}}')
        ids.append(str(row.get("id", number)))
        texts.append(row["text"])
    return ids, texts


def tag_text_file(source: Path, target: Path, paths) -> int:
    """Tag JSONL ``{"id","text"}`` lines; write ``{"id","elements","tags","rules","context"}``."""
    ids, texts = _read_text_jsonl(source)
    tagger = Tagger.load(paths.tagger_model)
    results = tagger.tag(texts) if texts else []
    lines = [
        json.dumps(
            {
                "id": pid,
                "elements": r.scores,
                "tags": r.tags,
                "rules": r.rules,
                "context": r.context,
            },
            ensure_ascii=False,
        )
        for pid, r in zip(ids, results, strict=True)
    ]
    write_text(Path(target), "".join(line + "\n" for line in lines))
    log.info("tagged %d passages from %s -> %s", len(lines), source, target)
    return len(lines)


def run_evaluate(paths, config: TaggerConfig | None = None) -> str:
    """P/R/F1 per element on the test split; writes reports/tagger_evaluation.md."""
    cfg = config or default_tagger_config()
    bundle = load_bundle(paths.tagger_model)
    tagger = Tagger(bundle, cfg)
    labels = load_labels(paths.labels)
    _, test = split_labels(labels, cfg.split)
    pred = predict_split(tagger, test)
    held_out = score_predictions(pred, tagger.elements, cfg.seed)
    provenance = {
        "model": str(paths.tagger_model),
        "labels": label_provenance(paths.labels),
        "combination": bundle.combination,
        "thresholds_model": bundle.thresholds_model,
    }
    report = report_markdown(
        pred, held_out.table, held_out.macro, tagger.elements, provenance, held_out.interval
    )
    text = format_table(held_out.table, held_out.macro, len(test), interval=held_out.interval)
    sample_file = Path(paths.raw) / SAMPLE_PASSAGE_LABELS
    if sample_file.exists():
        sample = load_sample_passages(sample_file)
        scored = score_predictions(predict_split(tagger, sample), tagger.elements, cfg.seed)
        report += sample_section(
            scored.table, scored.macro, str(sample_file), len(sample), scored.interval
        )
        title = f"sample corpus passages ({sample_file.name}, synthetic)"
        text += "\n\n" + format_table(
            scored.table, scored.macro, len(sample), title, scored.interval
        )
    second_file = Path(paths.labels) / SECOND_LABELLER_FILE
    if second_file.exists():
        report += second_labeller_report(tagger, labels, second_file, cfg.split)
    target = Path(paths.reports) / "tagger_evaluation.md"
    write_text(target, report)
    log.info("wrote %s", target)
    return text


def second_labeller_report(
    tagger: Tagger, labels: pd.DataFrame, source: Path, split: SplitConfig
) -> str:
    """The second-labeller section: ``source`` has ``id, elements_second_labeller``."""
    second = pd.read_csv(source, dtype=str, keep_default_na=False)
    unknown_ids = sorted(set(second["id"]) - set(labels["id"]))
    if unknown_ids:
        raise LabelError(f"{source}: ids not in the label set {unknown_ids[:5]}")
    first = labels.set_index("id").loc[second["id"]].reset_index()
    again = first.assign(
        elements=[parse_element_list(e, str(source)) for e in second["elements_second_labeller"]]
    )
    y_tagger = predict_split(tagger, first).combined
    is_test = first["id"].map(lambda i: in_test(i, split)).to_numpy(dtype=bool)
    return second_labeller_section(
        label_matrix(first), label_matrix(again), y_tagger, tagger.elements, is_test
    )


def load_sample_passages(source: Path) -> pd.DataFrame:
    """The sample corpus's hand-labelled passages (``plan_id, page, text, elements`` with
    elements joined by ``;``) as a frame shaped like the labelled set."""
    table = pd.read_csv(source, dtype=str, keep_default_na=False)
    elements = [parse_element_list(e, str(source)) for e in table["elements"]]
    ids = [
        f"{plan}#p{page}#{i}"
        for i, (plan, page) in enumerate(zip(table["plan_id"], table["page"], strict=True))
    ]
    return pd.DataFrame({"id": ids, "text": table["text"], "elements": elements})
