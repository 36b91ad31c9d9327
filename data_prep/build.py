"""The build pipeline: read sources -> filter -> sample train/val -> write parquet and ``manifest.json``."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from data_prep.decontaminate import DEFAULT_BOILERPLATE_PROBLEMS, DEFAULT_NGRAM, NgramIndex, load_benchmark_problems
from data_prep.filters import FilterOptions, apply_filters
from data_prep.records import DataPrepError, Problem
from data_prep.sampling import check_sampling_options, split_train_val
from data_prep.sources import DEFAULT_SOURCE, FieldMap, load_source, sha256_file
from data_prep.writer import write_parquet
from eval.prompts import DEFAULT_TEMPLATE, get_template

MANIFEST_VERSION = 1
TRAIN_FILE, VAL_FILE, MANIFEST_FILE = "train.parquet", "val.parquet", "manifest.json"


@dataclass(frozen=True)
class BuildOptions:
    """Everything that decides the output (all recorded in the manifest).

    Attributes:
        out: output directory (created if missing).
        sources: ``--source`` values: local parquet/jsonl/json files or Hub dataset names.
        n / val_n: training and held-out validation set sizes.
        seed: sampling seed.
        template: prompt template name in :mod:`eval.prompts`.
        fields: column mapping for local files and unknown Hub datasets.
        split / revision: Hub split and revision.
        filters: filter settings.
        decontaminate: drop problems sharing a ``ngram``-word n-gram with any of ``benchmarks`` (empty = all in
            ``eval.benchmarks.BENCHMARKS``) loaded from ``benchmark_dir`` (None = the files shipped in ``eval/data``),
            or from the Hugging Face Hub with ``benchmark_hub``; n-grams in ``boilerplate_problems`` or more
            benchmark problems are ignored (0 = none ignored).
        stratify: strata for sampling, any of ``source``, ``difficulty``, ``subject``; empty = uniform.
        strict: raise on the first invalid row instead of counting it.
    """

    out: Path
    sources: tuple[str, ...] = (DEFAULT_SOURCE,)
    n: int = 5000
    val_n: int = 500
    seed: int = 0
    template: str = DEFAULT_TEMPLATE
    fields: FieldMap = field(default_factory=FieldMap)
    split: str = "train"
    revision: str | None = None
    filters: FilterOptions = field(default_factory=FilterOptions)
    decontaminate: bool = True
    benchmark_dir: Path | None = None
    benchmark_hub: bool = False
    benchmarks: tuple[str, ...] = ()
    ngram: int = DEFAULT_NGRAM
    boilerplate_problems: int = DEFAULT_BOILERPLATE_PROBLEMS
    stratify: tuple[str, ...] = ()
    strict: bool = False


def distribution(problems: Sequence[Problem]) -> dict[str, dict[str, int]]:
    """Counts by data_source, difficulty and subject (keys sorted; ``unknown`` where a problem has none)."""
    columns = {
        "data_source": [p.source for p in problems],
        "difficulty": ["unknown" if p.difficulty is None else f"{p.difficulty:g}" for p in problems],
        "subject": [p.subject or "unknown" for p in problems],
    }
    return {name: dict(sorted(Counter(values).items())) for name, values in columns.items()}


def _versions() -> dict[str, str]:
    names = ("asyppo", "datasets", "numpy", "pyarrow", "math-verify")
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _options_record(options: BuildOptions) -> dict[str, Any]:
    record = asdict(options)
    record["out"] = str(options.out)
    record["benchmark_dir"] = None if options.benchmark_dir is None else str(options.benchmark_dir)
    return record


def build(options: BuildOptions, progress: bool = False) -> dict[str, Any]:
    """Build ``train.parquet``, ``val.parquet`` and ``manifest.json`` in ``options.out``; return the manifest as
    written (JSON types). Options and benchmarks are checked before any pool is read.

    Raises:
        DataPrepError: bad options or input; the message names the option, file, row or field.
    """
    try:
        template = get_template(options.template)
    except KeyError as error:
        raise DataPrepError(f"--template: {error.args[0]}") from None
    check_sampling_options(options.n, options.val_n, options.stratify)
    index = None
    benchmark_counts: dict[str, int] = {}
    if options.decontaminate:
        benchmark_problems = load_benchmark_problems(options.benchmark_dir, options.benchmarks, options.benchmark_hub)
        benchmark_counts = {name: len(texts) for name, texts in benchmark_problems.items()}
        index = NgramIndex(benchmark_problems, options.ngram, options.boilerplate_problems)
    loaded = [
        load_source(spec, options.fields, options.split, options.revision, options.strict, progress)
        for spec in options.sources
    ]
    problems = [problem for source in loaded for problem in source.problems]
    drops = [dropped for source in loaded for dropped in source.dropped]
    pool, report = apply_filters(problems, drops, options.filters, index, progress)
    train, val = split_train_val(pool, options.n, options.val_n, options.seed, options.stratify)

    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    write_parquet(train, template, "train", out / TRAIN_FILE)
    write_parquet(val, template, "val", out / VAL_FILE)
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "options": _options_record(options),
        "versions": _versions(),
        "inputs": [
            {"source": s.spec, "kind": s.kind, "rows": s.rows, "files": s.files, "content_sha256": s.content_sha256}
            for s in loaded
        ],
        "decontamination": {
            "enabled": options.decontaminate,
            "ngram": options.ngram,
            "benchmark_problems": benchmark_counts,
            "boilerplate_ngrams_ignored": index.boilerplate if index is not None else 0,
            "removed_sharing_ngram_with": dict(sorted(report.contaminated_by_benchmark.items())),
        },
        "counts": {
            "rows_read": sum(s.rows for s in loaded),
            "removed": report.removed,
            "removed_total": sum(report.removed.values()),
            "no_single_answer_by_kind": dict(sorted(report.no_single_answer_by_kind.items())),
            "difficulty_unknown_kept": report.difficulty_unknown_kept,
            "pool_after_filters": len(pool),
            "train": len(train),
            "val": len(val),
        },
        "removed_examples": report.examples,
        "outputs": {
            name: {"rows": len(rows), "sha256": sha256_file(out / name), "distribution": distribution(rows)}
            for name, rows in ((TRAIN_FILE, train), (VAL_FILE, val))
        },
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (out / MANIFEST_FILE).write_text(text, encoding="utf-8")
    return json.loads(text)

