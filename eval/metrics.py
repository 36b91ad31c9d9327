"""Sampling metrics over k scored samples per problem: avg@k, unbiased pass@k, maj@k, and counts of responses with no
answer, truncated responses and answers read by the verifier's last-number fallback (a model that states no answer).

All accuracies are fractions in [0, 1]; reports multiply by 100.

- avg@k: mean accuracy over all k samples of every problem (the paper's metric; *not* the first sample only).
- pass@k: Chen et al. (2021) unbiased estimator ``1 - C(n - c, k) / C(n, k)`` per problem, averaged over problems,
  for n samples of which c are correct and any k <= n.
- maj@k: majority vote over the extracted answers of the k samples. Samples without an extracted answer do not vote;
  a problem where no sample has an answer counts as wrong. Answers are grouped by exact string equality of the
  extracted answer. Tie rule: among answers with the most votes, the one whose first occurrence has the lowest sample
  index wins. The vote is correct when that answer's samples were scored correct.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import comb

FALLBACK_SOURCE = "fallback"  # rewards.Verdict.source when the answer is the last sentence's final math


@dataclass(frozen=True)
class ScoredSample:
    """One scored response: its sample index, extracted answer (None if none), verdict, finish reason and where the
    answer was read (``rewards.Verdict.source``)."""

    sample_index: int
    answer: str | None
    correct: bool
    finish_reason: str = "stop"
    answer_source: str | None = None


def pass_at_k(num_samples: int, num_correct: int, k: int) -> float:
    """Unbiased pass@k for one problem with ``num_samples`` samples of which ``num_correct`` are correct.

    Raises:
        ValueError: ``k`` outside 1..num_samples or ``num_correct`` outside 0..num_samples.
    """
    if not 1 <= k <= num_samples:
        raise ValueError(f"pass@k needs 1 <= k <= n, got k={k}, n={num_samples}")
    if not 0 <= num_correct <= num_samples:
        raise ValueError(f"pass@k needs 0 <= c <= n, got c={num_correct}, n={num_samples}")
    if num_samples - num_correct < k:
        return 1.0
    return 1.0 - comb(num_samples - num_correct, k) / comb(num_samples, k)


def majority_vote_correct(samples: Sequence[ScoredSample]) -> bool:
    """Whether the majority answer among ``samples`` is correct (tie rule in the module docstring)."""
    votes: dict[str, int] = {}
    first_index: dict[str, int] = {}
    correct: dict[str, bool] = {}
    for sample in sorted(samples, key=lambda s: s.sample_index):
        if sample.answer is None or sample.answer == "":
            continue
        votes[sample.answer] = votes.get(sample.answer, 0) + 1
        first_index.setdefault(sample.answer, sample.sample_index)
        correct[sample.answer] = correct.get(sample.answer, False) or sample.correct
    if not votes:
        return False
    winner = min(votes, key=lambda answer: (-votes[answer], first_index[answer]))
    return correct[winner]


def default_pass_ks(num_samples: int) -> list[int]:
    """The pass@k values reported for n samples: 1, powers of two below n, and n."""
    ks = {1, num_samples}
    power = 2
    while power < num_samples:
        ks.add(power)
        power *= 2
    return sorted(ks)


@dataclass(frozen=True)
class BenchmarkMetrics:
    """Metrics of one benchmark (fractions in [0, 1]; counts are sample counts)."""

    num_problems: int
    num_samples: int
    avg_at_k: float
    pass_at: dict[int, float]
    maj_at_k: float
    no_answer: int
    truncated: int
    fallback_answers: int = 0

    @property
    def k(self) -> int:
        """Samples per problem."""
        return self.num_samples // self.num_problems

    def to_json(self) -> dict:
        k = self.k
        return {
            "num_problems": self.num_problems,
            "num_samples": self.num_samples,
            "k": k,
            f"avg@{k}": self.avg_at_k,
            **{f"pass@{kk}": value for kk, value in sorted(self.pass_at.items())},
            f"maj@{k}": self.maj_at_k,
            "no_answer": self.no_answer,
            "truncated": self.truncated,
            "fallback_answers": self.fallback_answers,
        }


def benchmark_metrics(problems: dict[str, Sequence[ScoredSample]]) -> BenchmarkMetrics:
    """Metrics over ``problems``: problem id -> its scored samples (every problem must have the same count).

    Raises:
        ValueError: no problems, or problems with different sample counts (names one of each).
    """
    if not problems:
        raise ValueError("no scored problems to compute metrics over")
    counts = {problem_id: len(samples) for problem_id, samples in problems.items()}
    k = next(iter(counts.values()))
    uneven = [problem_id for problem_id, count in counts.items() if count != k]
    if uneven or k == 0:
        first = next(iter(counts))
        bad = uneven[0] if uneven else first
        raise ValueError(
            f"every problem needs the same number of samples: problem '{first}' has {k}, '{bad}' has {counts[bad]}"
        )
    ks = default_pass_ks(k)
    num_correct = [sum(sample.correct for sample in samples) for samples in problems.values()]
    all_samples = [sample for samples in problems.values() for sample in samples]
    return BenchmarkMetrics(
        num_problems=len(problems),
        num_samples=len(all_samples),
        avg_at_k=sum(num_correct) / len(all_samples),
        pass_at={kk: sum(pass_at_k(k, c, kk) for c in num_correct) / len(problems) for kk in ks},
        maj_at_k=sum(majority_vote_correct(samples) for samples in problems.values()) / len(problems),
        no_answer=sum(sample.answer is None or sample.answer == "" for sample in all_samples),
        truncated=sum(sample.finish_reason == "length" for sample in all_samples),
        fallback_answers=sum(sample.answer_source == FALLBACK_SOURCE for sample in all_samples),
    )


def overall_metrics(per_benchmark: dict[str, BenchmarkMetrics]) -> dict:
    """Unweighted mean over benchmarks of each accuracy metric (how papers report "Avg."), summed counts.

    Raises:
        ValueError: benchmarks were sampled with different k (their avg@k are not comparable).
    """
    if not per_benchmark:
        raise ValueError("no benchmarks to average")
    ks = {metrics.k for metrics in per_benchmark.values()}
    if len(ks) != 1:
        raise ValueError(f"benchmarks have different samples per problem {sorted(ks)}; cannot average them")
    k = ks.pop()
    values = list(per_benchmark.values())
    count = len(values)
    return {
        "num_benchmarks": count,
        "num_problems": sum(m.num_problems for m in values),
        "num_samples": sum(m.num_samples for m in values),
        "k": k,
        f"avg@{k}": sum(m.avg_at_k for m in values) / count,
        **{f"pass@{kk}": sum(m.pass_at[kk] for m in values) / count for kk in default_pass_ks(k)},
        f"maj@{k}": sum(m.maj_at_k for m in values) / count,
        "no_answer": sum(m.no_answer for m in values),
        "truncated": sum(m.truncated for m in values),
        "fallback_answers": sum(m.fallback_answers for m in values),
    }
