"""Shared fixtures: the shared benchmark/training data directory and tiny locally built models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """``$ASYPPO_DATA_DIR`` or ``../shared/data`` beside the repository (benchmarks/ and train/)."""
    data_dir = Path(os.environ.get("ASYPPO_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
    if not (data_dir / "benchmarks").is_dir():
        pytest.fail(f"shared data not found at {data_dir}; set ASYPPO_DATA_DIR to the directory holding benchmarks/")
    return data_dir


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(actor_dir, critic_dir): a tiny random Qwen2 actor and a smaller critic base sharing one tokenizer."""
    from recipe.asyppo.tiny_models import build_actor_and_critic

    return build_actor_and_critic(tmp_path_factory.mktemp("tiny_models"))
