"""A tiny synthetic arithmetic train/val set in verl's RL parquet schema, for CPU demo runs and end-to-end tests.

Each row asks "What is a + b?" (or a - b, a * b) through the shared ``base`` prompt template and stores the answer as
``reward_model.ground_truth``. Rows are a deterministic function of the seed; nothing is downloaded. The parquet is
written by ``data_prep.writer`` (the schema of the real training set).
"""

from __future__ import annotations

import argparse
import operator
import random
from pathlib import Path

from data_prep.records import Problem
from data_prep.writer import write_parquet
from eval.prompts import DEFAULT_TEMPLATE, get_template

DATA_SOURCE = "tiny_arith"
_OPERATIONS = {"+": operator.add, "-": operator.sub, "*": operator.mul}


def make_problems(num_rows: int, seed: int) -> list[Problem]:
    """``num_rows`` one-digit arithmetic questions (ints 0..9, ops + - *) with their answers."""
    rng = random.Random(seed)
    problems = []
    for index in range(num_rows):
        a, b, op = rng.randint(0, 9), rng.randint(0, 9), rng.choice(sorted(_OPERATIONS))
        problems.append(Problem(source=DATA_SOURCE, index=index, problem=f"What is {a} {op} {b}?",
                                answer=str(_OPERATIONS[op](a, b))))
    return problems


def build_tiny_data(out_dir: str | Path, num_train: int = 64, num_val: int = 16, seed: int = 0) -> tuple[Path, Path]:
    """Write ``train.parquet`` and ``val.parquet`` under ``out_dir``; return their paths."""
    if num_train < 1 or num_val < 1:
        raise ValueError(f"num_train and num_val must be >= 1, got {num_train} and {num_val}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    template = get_template(DEFAULT_TEMPLATE)
    paths = []
    for split, count, split_seed in (("train", num_train, seed), ("val", num_val, seed + 1)):
        path = out_dir / f"{split}.parquet"
        write_parquet(make_problems(count, split_seed), template, split, path)
        paths.append(path)
    return paths[0], paths[1]


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a tiny arithmetic train/val parquet pair in verl's schema.")
    parser.add_argument("out_dir")
    parser.add_argument("--num-train", type=int, default=64)
    parser.add_argument("--num-val", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train, val = build_tiny_data(args.out_dir, args.num_train, args.num_val, args.seed)
    print(f"train: {train}\nval: {val}")


if __name__ == "__main__":
    main()
