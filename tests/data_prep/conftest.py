"""The MATH-pool build shared by the data_prep tests: built once per session, read by many."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_prep.build import BuildOptions, build


@pytest.fixture(scope="session")
def math_pool(shared_data_dir: Path) -> Path:
    """The shared MATH training pool in verl's schema (7,500 rows)."""
    return shared_data_dir / "train" / "math_train.parquet"


@pytest.fixture(scope="session")
def math_build(math_pool: Path, shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """(output dir, manifest) of the default build from the MATH pool: 5,000 train + 500 val, seed 0."""
    out = tmp_path_factory.mktemp("math_build")
    options = BuildOptions(out=out, sources=(str(math_pool),), benchmark_dir=shared_data_dir / "benchmarks")
    return out, build(options)
