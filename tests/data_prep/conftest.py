"""The build from the MATH-pool sample shared by the data_prep tests: built once per session, read by many."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_prep.build import BuildOptions, build

SAMPLE_TRAIN, SAMPLE_VAL = 300, 50


@pytest.fixture(scope="session")
def math_build(math_pool: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """(output dir, manifest) of the default build from the 400-row MATH sample: 300 train + 50 val, seed 0."""
    out = tmp_path_factory.mktemp("math_build")
    return out, build(BuildOptions(out=out, sources=(str(math_pool),), n=SAMPLE_TRAIN, val_n=SAMPLE_VAL))
