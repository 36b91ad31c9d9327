"""``python -m data_prep inspect DIR``: the manifest summary and a few rows of the built training set."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from data_prep.build import MANIFEST_FILE, TRAIN_FILE
from data_prep.records import DataPrepError


def summary(out_dir: str | Path, rows: int = 3) -> str:
    """Text summary of a build directory: inputs, counts removed per filter, outputs and ``rows`` example rows.

    Raises:
        DataPrepError: the directory has no readable ``manifest.json`` or ``train.parquet``.
    """
    out = Path(out_dir)
    try:
        manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise DataPrepError(f"{out / MANIFEST_FILE}: cannot read the manifest ({error})") from error
    counts = manifest["counts"]
    lines = ["inputs:"]
    lines += [f"  {item['source']} ({item['kind']}): {item['rows']} rows" for item in manifest["inputs"]]
    lines.append(f"rows read: {counts['rows_read']}; removed: {counts['removed_total']}")
    lines += [f"  {reason}: {count}" for reason, count in counts["removed"].items() if count]
    by_benchmark = manifest["decontamination"]["removed_sharing_ngram_with"]
    if by_benchmark:
        shared = ", ".join(f"{name} {count}" for name, count in by_benchmark.items())
        lines.append(f"  contaminated, sharing an n-gram with: {shared}")
    lines.append(f"pool after filters: {counts['pool_after_filters']}")
    for name, output in manifest["outputs"].items():
        lines.append(f"{name}: {output['rows']} rows, sha256 {output['sha256']}")
        for column, counter in output["distribution"].items():
            top = sorted(counter.items(), key=lambda item: -item[1])[:8]
            lines.append(f"  {column}: " + ", ".join(f"{key} {value}" for key, value in top))
    try:
        table = pq.read_table(out / TRAIN_FILE).slice(0, rows).to_pylist()
    except Exception as error:  # pyarrow raises several types for missing or damaged files
        raise DataPrepError(f"{out / TRAIN_FILE}: cannot read ({error})") from error
    for row in table:
        problem = row["extra_info"]["problem"].replace("\n", " ")
        lines.append(f"- [{row['data_source']} #{row['extra_info']['index']}] {problem[:160]}")
        lines.append(f"  ground truth: {row['reward_model']['ground_truth']}")
    return "\n".join(lines)
