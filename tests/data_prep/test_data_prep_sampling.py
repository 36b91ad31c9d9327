"""Seeded sampling: disjoint, deterministic, proportional strata."""

from __future__ import annotations

from collections import Counter

import pytest

from data_prep.records import DataPrepError, Problem
from data_prep.sampling import allocate, split_train_val


def _pool(size: int, sources: tuple[str, ...] = ("s",)) -> list[Problem]:
    return [Problem(sources[i % len(sources)], i, f"problem {i}", str(i), difficulty=float(i % 3)) for i in range(size)]


def test_largest_remainder_allocation_ties_go_to_the_first_stratum():
    assert allocate({("a",): 3, ("b",): 1}, 2) == {("a",): 2, ("b",): 0}
    assert allocate({("a",): 1, ("b",): 1, ("c",): 1}, 2) == {("a",): 1, ("b",): 1, ("c",): 0}
    assert allocate({("x",): 10, ("y",): 30}, 8) == {("x",): 2, ("y",): 6}


def test_train_and_val_are_disjoint_and_of_the_asked_sizes():
    train, val = split_train_val(_pool(100), n_train=60, n_val=20, seed=0)
    assert (len(train), len(val)) == (60, 20)
    assert not {p.index for p in train} & {p.index for p in val}
    assert len({p.index for p in train}) == 60


def test_same_seed_same_sets_in_the_same_order_and_another_seed_differs():
    first = split_train_val(_pool(100), 60, 20, seed=3)
    assert split_train_val(_pool(100), 60, 20, seed=3) == first
    assert split_train_val(_pool(100), 60, 20, seed=4) != first


def test_stratified_sample_keeps_source_proportions():
    pool = _pool(90, sources=("a", "b", "b"))  # a: 30 rows, b: 60 rows
    train, val = split_train_val(pool, n_train=30, n_val=9, seed=0, stratify=("source",))
    assert Counter(p.source for p in val) == {"a": 3, "b": 6}
    assert Counter(p.source for p in train) == {"a": 10, "b": 20}


def test_stratified_output_is_shuffled_not_grouped():
    train, _ = split_train_val(_pool(90, sources=("a", "b")), n_train=40, n_val=0, seed=0, stratify=("source",))
    assert [p.source for p in train] != sorted(p.source for p in train)


def test_too_small_pool_is_an_error_naming_the_options():
    with pytest.raises(DataPrepError, match=r"only 10 problems .* --n 8 \+ --val-n 5"):
        split_train_val(_pool(10), n_train=8, n_val=5, seed=0)


def test_unknown_stratum_is_an_error_listing_the_known_ones():
    expected = r"--stratify: unknown \['topic'\]; choose from source, difficulty, subject"
    with pytest.raises(DataPrepError, match=expected):
        split_train_val(_pool(10), n_train=2, n_val=1, seed=0, stratify=("topic",))
