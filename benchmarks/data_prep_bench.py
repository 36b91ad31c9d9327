"""Run time and peak memory of ``python -m data_prep build`` on a 100k-row pool, in one run.

The pool is synthesised from the MATH training pool in verl's schema (``--math-pool``: the 7,500-row
math/train.parquet of eric-haibin-lin/verl-data, see ``tests/data/README.md``): copy 0 is the pool itself; every
further copy shifts each integer in the problem and in integer golds by the copy number (new problems and new golds,
so the verifier self-check sees tens of thousands of distinct golds), and every 25th row of a copy is also written
again with doubled spaces (a near duplicate). Each build runs as a subprocess (peak memory is its maximum resident
set size) with decontamination against every benchmark shipped in ``eval/data``. A second table times the gold
self-check on the 100k golds the way the build does it (distinct golds through ``score_batch``) against one
``rewards.score`` call per row, on the same rows. Run:

    python benchmarks/data_prep_bench.py --math-pool math_train.parquet [--rows 100000]
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
_INTEGER = re.compile(r"(?<![\d.])\d+(?![\d.])")


def synthesise_pool(math_pool: Path, rows: int, out: Path) -> None:
    """Write ``rows`` verl-schema rows built by repeating and perturbing ``math_pool`` (see the module docstring)."""
    source = pq.read_table(math_pool).to_pylist()
    synthetic = []
    copy = 0
    while len(synthetic) < rows:
        for row in source:
            if len(synthetic) >= rows:
                break
            content = row["prompt"][0]["content"]
            gold = row["reward_model"]["ground_truth"]
            if copy:
                content = _INTEGER.sub(lambda match, shift=copy: str(int(match.group()) + shift), content)
                gold = str(int(gold) + copy) if gold.isdigit() else gold
            if copy and len(synthetic) % 25 == 0:
                content = content.replace(" ", "  ")
            synthetic.append({
                "data_source": row["data_source"],
                "prompt": [{"role": "user", "content": content}],
                "ability": "math",
                "reward_model": {"style": "rule", "ground_truth": gold},
                "extra_info": {"index": len(synthetic), "split": "train"},
                "level": row["level"],
                "type": row["type"],
            })
        copy += 1
    pq.write_table(pa.Table.from_pylist(synthetic), out)


def timed_build(pool: Path, out: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MiB) of ``python -m data_prep build`` on ``pool`` in a subprocess.

    CPU seconds (user + system) are reported beside wall time because the machine's cores may be shared.
    """
    command = [
        sys.executable, "-c",
        "import resource, runpy, sys; sys.argv = ['data_prep'] + sys.argv[1:];"
        "code = 0\ntry:\n    runpy.run_module('data_prep', run_name='__main__')\nexcept SystemExit as e:\n"
        "    code = e.code\nprint('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(code)",
        "build", "--source", str(pool), "--out", str(out), "--no-progress",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"build failed:\n{result.stderr}")
    peak_kb = int(re.search(r"MAXRSS_KB (\d+)", result.stderr).group(1))
    return wall, cpu, peak_kb / 1024


def self_check_times(pool: Path, sample: int) -> tuple[float, float, int]:
    """(seconds for check_golds on all golds, seconds per-row score() on ``sample`` rows scaled to all, distinct)."""
    from data_prep.answer_check import check_golds
    from rewards import score
    from rewards.scoring import clear_cache

    golds = [row["ground_truth"] for row in pq.read_table(pool, columns=["reward_model"]).column(0).to_pylist()]
    golds = [gold for gold in golds if gold.strip()]
    clear_cache()
    start = time.perf_counter()
    check_golds(golds)
    batched = time.perf_counter() - start
    clear_cache()
    start = time.perf_counter()
    for gold in golds[:sample]:
        score("\\boxed{" + gold + "}", gold)
    per_row = (time.perf_counter() - start) * len(golds) / sample
    return batched, per_row, len(set(golds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--math-pool", type=Path, required=True,
                        help="MATH train in verl's schema (7,500 rows; verl-data's math/train.parquet)")
    parser.add_argument("--score-sample", type=int, default=5000, help="rows timed with per-row score()")
    args = parser.parse_args()
    math_pool = args.math_pool
    math_rows = pq.read_metadata(math_pool).num_rows
    with tempfile.TemporaryDirectory() as tmp:
        pool = Path(tmp) / "pool.parquet"
        synthesise_pool(math_pool, args.rows, pool)
        small_wall, small_cpu, small_rss = timed_build(math_pool, Path(tmp) / "small")
        big_wall, big_cpu, big_rss = timed_build(pool, Path(tmp) / "big")
        batched, per_row, distinct = self_check_times(pool, args.score_sample)
        summary = subprocess.run(
            [sys.executable, "-m", "data_prep", "inspect", str(Path(tmp) / "big"), "--rows", "0"],
            cwd=REPO, capture_output=True, text=True, check=True,
        ).stdout
    print("| pool | rows | build wall (s) | build CPU (s) | peak RSS (MiB) |\n|---|---|---|---|---|")
    print(f"| MATH | {math_rows} | {small_wall:.1f} | {small_cpu:.1f} | {small_rss:.0f} |")
    print(f"| synthetic | {args.rows} | {big_wall:.1f} | {big_cpu:.1f} | {big_rss:.0f} |")
    print(f"ratio synthetic/MATH for {args.rows / math_rows:.1f}x rows: wall {big_wall / small_wall:.2f}x, "
          f"CPU {big_cpu / small_cpu:.2f}x, peak RSS {big_rss / small_rss:.2f}x")
    print(f"\n| gold self-check on {args.rows} rows ({distinct} distinct golds) | seconds |\n|---|---|")
    print(f"| distinct golds through score_batch (as the build does) | {batched:.2f} |")
    print(f"| one score() per row (timed on {args.score_sample} rows, scaled) | {per_row:.2f} |")
    print(f"ratio per-row / batched: {per_row / batched:.1f}x")
    print("\nsynthetic build summary:\n" + summary)


if __name__ == "__main__":
    main()
