"""Fixtures for the eval tests: a tiny model loaded once into the HF backend."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_actor(tiny_models: tuple[Path, Path]) -> Path:
    return tiny_models[0]


@pytest.fixture(scope="session")
def hf_backend(tiny_actor: Path):
    from eval.hf_backend import HFBackend

    return HFBackend(tiny_actor, batch_size=4, show_progress=False)



_saved_threads: list[int] = []


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Run each eval test (and the fixtures it builds) on one torch thread, restored afterwards.

    Tiny-model CPU generation and model building are ~10x faster on one thread when the shared cores are busy.
    """
    import torch

    _saved_threads.append(torch.get_num_threads())
    torch.set_num_threads(1)


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    import torch

    if _saved_threads:
        torch.set_num_threads(_saved_threads.pop())
