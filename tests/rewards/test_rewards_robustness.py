"""Specification of the verifier under stress: threads, time limits, stuck workers, hostile input."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewards import Verdict, score, score_batch
from rewards.pool import get_pool
from rewards.verdict import REASONS

MIXED = [
    (r"\boxed{\sqrt{117}}", r"3\sqrt{13}"),
    (r"\boxed{40_2}", "40_9"),
    (r"\boxed{27}", 27.0),
    (r"\boxed{(b+2)(a+5)}", "(a+5)(b+2)"),
    (r"\boxed{x^3+3x+6}", "x^3+3x-6"),
    ("no answer here", "5"),
]
SLACK_S = 3.0  # scheduling on a loaded 2-core machine


def _warm_pool() -> None:
    """Wait until a worker is up (a killed worker's replacement needs seconds to import SymPy)."""
    get_pool().judge([("x+y", "y+x")], 1, 60.0)


def test_math_verify_signal_timeouts_fail_outside_the_main_thread():
    """The failure mode this package exists to avoid: Math-Verify's default timeouts need the main thread."""
    from math_verify import parse

    with ThreadPoolExecutor(1) as pool, pytest.raises(ValueError, match="threaded environment"):
        pool.submit(parse, "$1$").result()


def test_verdicts_from_threads_equal_main_thread_verdicts():
    expected = [score(response, gold) for response, gold in MIXED]
    with ThreadPoolExecutor(4) as pool:
        from_threads = list(pool.map(lambda pair: score(*pair), MIXED * 3))
    assert from_threads == expected * 3
    assert [v.correct for v in expected] == [True, False, True, True, False, False]


def test_score_batch_keeps_order_with_two_workers():
    verdicts = score_batch([r for r, _ in MIXED], [g for _, g in MIXED], workers=2)
    assert verdicts == [score(r, g) for r, g in MIXED]


def test_repeated_pairs_are_judged_once(monkeypatch):
    pool = get_pool()
    calls = []
    original = pool.judge
    monkeypatch.setattr(pool, "judge", lambda tasks, *a: calls.append(list(tasks)) or original(tasks, *a))
    answer = r"\frac{\sqrt{2}+\sqrt{8}}{\sqrt{2}} + 0 \cdot 17"  # symbolic, and not seen by earlier tests
    verdicts = score_batch([rf"\boxed{{{answer}}}"] * 50, ["3"] * 50, workers=2)
    assert verdicts == [Verdict(True, answer, "symbolic", "boxed")] * 50
    assert calls == [[("3", answer)]]
    score(rf"\boxed{{{answer}}}", "3")
    assert len(calls) == 1  # the second call is served from the cache


STUCK = r"\sum_{k=1}^{9999} k^{k^{2}}"  # within every limit of rewards.limits, yet SymPy never finishes it


@pytest.mark.parametrize("answer", [STUCK, r"(x+1)^{1000}"])
def test_pathological_answer_times_out_within_the_limit(answer):
    _warm_pool()
    start = time.perf_counter()
    verdict = score(rf"\boxed{{{answer}}}", r"3\sqrt{13}", timeout_s=1.0)
    assert time.perf_counter() - start < 1.0 + SLACK_S
    assert verdict in (Verdict(False, answer, "timeout", "boxed"), Verdict(False, answer, "wrong", "boxed"))


@pytest.mark.parametrize(
    "answer",
    [
        r"(10^{10^{10}})!",
        r"9^{9^{9^{9^9}}}",
        r"\sum_{n=1}^{10^{12}} n^{n}",
        r"\prod_{n=1}^{10^{8}} n",
        r"(x+2)^{10^{6}}",
        r"\binom{10^{100}}{10^{50}}",
        r"e^{e^{e^{e^{e^{10}}}}}",
        "(" * 60 + "x" + ")" * 60,
        r"\frac{1}{" * 60 + "2" + "}" * 60,
    ],
)
def test_answers_too_large_to_evaluate_are_refused_before_sympy(answer, monkeypatch):
    monkeypatch.setattr(get_pool(), "judge", lambda *args: pytest.fail("sent to a worker"))
    assert score(rf"\boxed{{{answer}}}", "5") == Verdict(False, answer, "too_large", "boxed")


def test_stuck_worker_is_killed_and_replaced():
    score(r"\boxed{\sqrt{2}}", r"\sqrt{2}+0")  # make sure a worker exists
    pool = get_pool()
    before = pool.worker_pids
    verdict = score(rf"\boxed{{{STUCK}}}", r"3\sqrt{14}", timeout_s=0.5)  # a pair no other test caches
    assert verdict == Verdict(False, STUCK, "timeout", "boxed")
    assert len(before - pool.worker_pids) == 1  # exactly the stuck one was killed
    assert score(r"\boxed{\sqrt{117}}", r"3\sqrt{13}") == Verdict(True, r"\sqrt{117}", "symbolic", "boxed")


def test_timeout_in_a_thread_is_a_verdict_not_a_crash():
    with ThreadPoolExecutor(1) as pool:
        verdict = pool.submit(score, rf"\boxed{{{STUCK}}}", r"3\sqrt{15}", timeout_s=0.5).result()
    assert verdict == Verdict(False, STUCK, "timeout", "boxed")


def test_megabyte_responses_get_a_verdict_quickly():
    start = time.perf_counter()
    huge_box = r"\boxed{" + "1+" * 500_000 + "1}"
    no_box = "x" * 1_000_000
    verdicts = score_batch([huge_box, no_box, "y" * 1_000_000 + r"\boxed{5}"], ["5", "5", "5"])
    assert [(v.correct, v.reason) for v in verdicts] == [(False, "wrong"), (False, "no_answer"), (True, "exact")]
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (r"\boxed{\frac{1}{2}", "no_answer"),
        (r"\boxed{(1, 2}", "wrong"),
        (r"\boxed{\frac{1}{2}}}}}", "numeric"),
        (r"\boxed{\left( 1, 2}", "wrong"),
        (r"\boxed{{{{}}}", "no_answer"),
    ],
)
def test_unbalanced_braces_get_a_verdict(response, reason):
    verdict = score(response, "0.5")
    assert verdict.reason in (reason, "parse_error")
    assert verdict.correct == (reason == "numeric")


@pytest.mark.parametrize("bad", [(["a"], ["a", "b"]), ([], [1])])
def test_batches_of_different_length_are_rejected(bad):
    with pytest.raises(ValueError, match="differ in length"):
        score_batch(*bad)


@pytest.mark.parametrize(("workers", "timeout_s"), [(0, 5.0), (1, 0.0), (1, -1.0)])
def test_invalid_limits_are_rejected(workers, timeout_s):
    with pytest.raises(ValueError):
        score_batch([r"\boxed{1}"], ["1"], workers=workers, timeout_s=timeout_s)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=300), gold=st.sampled_from(["5", r"\frac{1}{2}", "(1,2]", "x^2+1", "40_9"]))
def test_random_bytes_get_a_verdict_within_the_limit(raw, gold):
    text = raw.decode("utf-8", errors="replace")
    _warm_pool()
    start = time.perf_counter()
    for response in (text, rf"\boxed{{{text}}}"):
        verdict = score(response, gold, timeout_s=1.0)
        assert verdict.reason in REASONS
    assert time.perf_counter() - start < 2 * (1.0 + SLACK_S)


@pytest.mark.parametrize(
    "answer",
    [
        "1\\pm" * 400 + "1",  # 2**400 sign choices if expanded naively
        "\\{" + "1," * 990 + "1\\}",
        ",".join(f"x_{i}" for i in range(64)),  # a 64 x 64 matching
        "a_" + "^(" * 999,  # regex backtracking bait
        "2^" * 999 + "2",
    ],
)
def test_fast_path_stays_fast_on_hostile_structures(answer):
    from rewards.compare import compare

    start = time.perf_counter()
    compare(",".join(f"x_{i}" for i in range(63, -1, -1)), answer)
    assert time.perf_counter() - start < 1.0
