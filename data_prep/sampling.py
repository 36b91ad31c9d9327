"""Seeded, deterministic train/validation sampling, optionally stratified.

One ``numpy.random.default_rng(seed)`` draws the validation set first, then the training set from what is left, so
the two are disjoint and the same pool and seed always give the same sets in the same order. With strata, each
stratum gets a share of the sample proportional to its size (largest remainder, ties to the stratum that sorts
first); the drawn rows are then shuffled together so the files are not grouped by stratum.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from data_prep.records import DataPrepError, Problem

STRATA: dict[str, Callable[[Problem], str]] = {
    "source": lambda problem: problem.source,
    "difficulty": lambda problem: "unknown" if problem.difficulty is None else f"{problem.difficulty:g}",
    "subject": lambda problem: problem.subject or "unknown",
}


def stratum_key(problem: Problem, stratify: Sequence[str]) -> tuple[str, ...]:
    """The problem's stratum: one label per name in ``stratify`` (``()`` when not stratified)."""
    return tuple(STRATA[name](problem) for name in stratify)


def allocate(sizes: dict[tuple[str, ...], int], n: int) -> dict[tuple[str, ...], int]:
    """Split ``n`` over strata proportionally to ``sizes`` by largest remainder; keys are taken in sorted order.

    ``allocate({("a",): 3, ("b",): 1}, 2)`` -> ``{("a",): 2, ("b",): 0}`` (quotas 1.5 and 0.5; the tie goes to "a").
    """
    total = sum(sizes.values())
    keys = sorted(sizes)
    quotas = {key: n * sizes[key] / total for key in keys}
    shares = {key: int(quotas[key]) for key in keys}
    by_remainder = sorted(keys, key=lambda key: -(quotas[key] - shares[key]))
    for key in by_remainder[: n - sum(shares.values())]:
        shares[key] += 1
    return shares


def sample(pool: Sequence[Problem], n: int, rng: np.random.Generator, stratify: Sequence[str] = ()) -> list[int]:
    """Positions in ``pool`` of ``n`` problems drawn without replacement, in shuffled order."""
    strata: dict[tuple[str, ...], list[int]] = {}
    for position, problem in enumerate(pool):
        strata.setdefault(stratum_key(problem, stratify), []).append(position)
    chosen: list[int] = []
    for key, share in allocate({key: len(members) for key, members in strata.items()}, n).items():
        members = strata[key]
        chosen.extend(members[i] for i in sorted(rng.choice(len(members), size=share, replace=False)))
    return [chosen[i] for i in rng.permutation(len(chosen))]


def check_sampling_options(n_train: int, n_val: int, stratify: Sequence[str]) -> None:
    """Raise :class:`DataPrepError` naming the option when sizes or strata are invalid."""
    unknown = [name for name in stratify if name not in STRATA]
    if unknown:
        raise DataPrepError(f"--stratify: unknown {unknown}; choose from {', '.join(STRATA)}")
    if n_train < 1 or n_val < 0:
        raise DataPrepError(f"--n must be positive and --val-n non-negative, got {n_train} and {n_val}")


def split_train_val(
    pool: Sequence[Problem], n_train: int, n_val: int, seed: int, stratify: Sequence[str] = ()
) -> tuple[list[Problem], list[Problem]]:
    """(train, val): ``n_val`` problems drawn first, then ``n_train`` from the rest; disjoint and deterministic.

    Raises:
        DataPrepError: the pool is smaller than ``n_train + n_val`` or ``stratify`` names an unknown stratum.
    """
    check_sampling_options(n_train, n_val, stratify)
    if len(pool) < n_train + n_val:
        raise DataPrepError(
            f"only {len(pool)} problems are left after filtering, fewer than --n {n_train} + --val-n {n_val}; "
            "add sources, relax filters or lower --n/--val-n"
        )
    rng = np.random.default_rng(seed)
    val_positions = sample(pool, n_val, rng, stratify) if n_val else []
    taken = set(val_positions)
    rest = [problem for position, problem in enumerate(pool) if position not in taken]
    train_positions = sample(rest, n_train, rng, stratify)
    return [rest[i] for i in train_positions], [pool[i] for i in val_positions]
