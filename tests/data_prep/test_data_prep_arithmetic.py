"""The synthetic arithmetic set: right answers, graded levels in equal shares, disjoint splits, determinism."""

from __future__ import annotations

import operator
import re

import pyarrow.parquet as pq
import pytest

from data_prep.__main__ import main
from data_prep.arithmetic import LEVELS, build_arithmetic, make_problems, parse_levels
from data_prep.records import DataPrepError

_QUESTION = re.compile(r"What is (\d+) ([+*-]) (\d+)\?")
_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}


def _rows(path):
    return pq.read_table(path).to_pylist()


def test_every_answer_is_the_value_of_its_question():
    problems = make_problems(120, parse_levels(tuple(LEVELS)), seed=3)
    for problem in problems:
        a, op, b = _QUESTION.fullmatch(problem.problem).groups()
        assert problem.answer == str(_OPS[op](int(a), int(b)))


def test_a_hand_checked_level_draw():
    level = LEVELS["sub2"]
    question, answer = level.draw(_FixedRandom([12, 85]))  # a < b: swapped so the difference is not negative
    assert (question, answer) == ("What is 85 - 12?", "73")


class _FixedRandom:
    def __init__(self, values):
        self.values = list(values)

    def randint(self, low, high):
        return self.values.pop(0)


def test_levels_get_equal_shares_and_the_remainder_goes_to_the_first():
    problems = make_problems(7, parse_levels(("add1", "add2", "mul21")), seed=0)
    counts = {name: sum(p.subject == name for p in problems) for name in ("add1", "add2", "mul21")}
    assert counts == {"add1": 3, "add2": 2, "mul21": 2}
    assert {p.source for p in problems} == {"arith_add1", "arith_add2", "arith_mul21"}
    assert {p.difficulty for p in problems if p.subject == "add2"} == {4.0}  # position in LEVELS, 1-based


def test_no_validation_question_is_in_the_training_split(tmp_path):
    train, val = build_arithmetic(tmp_path, num_train=300, num_val=40, levels=("add1", "mul1"))
    val_questions = {row["extra_info"]["problem"] for row in _rows(val)}
    train_questions = {row["extra_info"]["problem"] for row in _rows(train)}
    assert len(_rows(train)) == 300 and len(val_questions) > 20
    assert not val_questions & train_questions
    indices = [row["extra_info"]["index"] for row in _rows(val) + _rows(train)]
    assert sorted(indices) == list(range(340))


def test_rows_use_the_template_and_one_source_when_asked(tmp_path):
    _, val = build_arithmetic(tmp_path, 4, 2, levels=("add1",), template="short_answer", source="arith")
    row = _rows(val)[0]
    assert row["data_source"] == "arith"
    instruction = " Respond with just the number, no explanation."
    assert row["prompt"][0]["content"] == row["extra_info"]["problem"] + instruction


def test_the_same_seed_gives_identical_files_and_another_seed_other_rows(tmp_path):
    first = build_arithmetic(tmp_path / "a", 20, 5, seed=1)
    again = build_arithmetic(tmp_path / "b", 20, 5, seed=1)
    other = build_arithmetic(tmp_path / "c", 20, 5, seed=2)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    assert _rows(first[0]) != _rows(other[0])


@pytest.mark.parametrize(("levels", "counts", "message"), [
    (("add1", "div3"), (4, 2), "unknown level.*div3"),
    (("add1", "add1"), (4, 2), "named twice"),
    ((), (4, 2), "at least one"),
    (("add1",), (0, 2), "--train and --val must be >= 1"),
])
def test_bad_options_are_rejected_naming_the_option(tmp_path, levels, counts, message):
    with pytest.raises(DataPrepError, match=message):
        build_arithmetic(tmp_path, *counts, levels=levels)


def test_cli_writes_both_splits(tmp_path, capsys):
    assert main(["arithmetic", "--out", str(tmp_path), "--train", "10", "--val", "5", "--levels", "add1,mul1"]) == 0
    assert len(_rows(tmp_path / "train.parquet")) == 10 and len(_rows(tmp_path / "val.parquet")) == 5
    assert main(["arithmetic", "--out", str(tmp_path), "--template", "nope"]) == 2
    assert "unknown prompt template 'nope'" in capsys.readouterr().err
