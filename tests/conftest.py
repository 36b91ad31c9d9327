"""Shared fixtures: the benchmark files shipped with ``eval``, the committed MATH-pool sample and tiny local models.

Tests read only what is in the repository: nothing beside it and no network.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_DATA_DIR = REPO_ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def benchmarks_dir() -> Path:
    """``eval/data``: ``<folder>/test.jsonl`` for every benchmark of the ``eval`` registry."""
    from eval.benchmarks import DATA_DIR

    return DATA_DIR


@pytest.fixture(scope="session")
def math_pool() -> Path:
    """400 rows of the MATH training pool in verl's schema (``tests/data/README.md`` says which and why)."""
    return TEST_DATA_DIR / "math_train_sample.parquet"


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(actor_dir, critic_dir): a tiny random Qwen2 actor and a smaller critic base sharing one tokenizer."""
    from recipe.asyppo.tools.tiny_models import build_actor_and_critic

    return build_actor_and_critic(tmp_path_factory.mktemp("tiny_models"))
