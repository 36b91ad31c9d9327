"""A tiny synthetic arithmetic train/val set in verl's RL parquet schema, for CPU demo runs and end-to-end tests.

One-digit questions (``What is a + b?``, ``a - b``, ``a * b``, ints 0..9) from :mod:`data_prep.arithmetic`, all under
the data source ``tiny_arith``, asked through the default ``boxed`` prompt template. Rows are a deterministic function
of the seed; nothing is downloaded.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from data_prep.arithmetic import TINY_LEVELS, build_arithmetic
from eval.prompts import DEFAULT_TEMPLATE

DATA_SOURCE = "tiny_arith"


def build_tiny_data(out_dir: str | Path, num_train: int = 64, num_val: int = 16, seed: int = 0) -> tuple[Path, Path]:
    """Write ``train.parquet`` and ``val.parquet`` under ``out_dir``; return their paths."""
    return build_arithmetic(out_dir, num_train, num_val, TINY_LEVELS, seed, DEFAULT_TEMPLATE, DATA_SOURCE)


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
