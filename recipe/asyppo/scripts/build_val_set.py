"""Build the validation parquet of the paper's six benchmarks for avg@4 validation during training.

``python -m recipe.asyppo.scripts.build_val_set --out DATA_DIR/val_paper6.parquet [--benchmark-dir DIR | --hub]``

Rows use verl's RL schema (``data_prep.writer``) with ``data_source`` = the benchmark name, so verl logs validation
scores per benchmark (``val-core/<benchmark>/...``). Prompts use the same template as the training set
(``eval.prompts``), gold answers come from ``eval.benchmarks.load_benchmark``: by default from the benchmark files
shipped in ``eval/data``, with ``--benchmark-dir`` from another copy, with ``--hub`` from the Hugging Face Hub.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from data_prep.records import Problem
from data_prep.writer import write_parquet
from eval.benchmarks import load_benchmark, resolve_benchmark_names
from eval.prompts import DEFAULT_TEMPLATE, get_template

SPLIT = "test"


def benchmark_problems(names: list[str], benchmark_dir: Path | None, hub: bool = False) -> list[Problem]:
    """Every problem of ``names`` in order, as training-set records with ``source`` = benchmark name.

    ``index`` is the row position within its benchmark and ``source_id`` the benchmark's own problem id.
    """
    problems: list[Problem] = []
    for name in names:
        for index, item in enumerate(load_benchmark(name, benchmark_dir, hub=hub)):
            problems.append(Problem(source=name, index=index, problem=item.problem, answer=item.gold,
                                    source_id=item.id))
    return problems


def build_val_set(out: Path, benchmarks: str = "paper", benchmark_dir: Path | None = None,
                  template: str = DEFAULT_TEMPLATE, hub: bool = False) -> Counter:
    """Write the validation parquet to ``out``; return the number of rows per benchmark.

    ``benchmark_dir`` None reads the files shipped in ``eval/data``; ``hub`` loads the Hub copies instead.
    """
    problems = benchmark_problems(resolve_benchmark_names(benchmarks), benchmark_dir, hub)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_parquet(problems, get_template(template), SPLIT, out)
    return Counter(problem.source for problem in problems)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipe.asyppo.scripts.build_val_set", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output parquet file")
    parser.add_argument("--benchmarks", default="paper", help="comma list or alias (default: paper, the six sets)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--benchmark-dir", type=Path,
                        help="directory with <benchmark>/test.jsonl (default: the files shipped in eval/data)")
    source.add_argument("--hub", action="store_true", help="load the benchmarks from the Hugging Face Hub instead")
    parser.add_argument("--template", default=DEFAULT_TEMPLATE, help=f"prompt template (default {DEFAULT_TEMPLATE})")
    args = parser.parse_args(argv)
    try:
        counts = build_val_set(args.out, args.benchmarks, args.benchmark_dir, args.template, args.hub)
    except (ValueError, KeyError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for name, count in counts.items():
        print(f"{name}: {count} problems")
    print(f"wrote {sum(counts.values())} rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
