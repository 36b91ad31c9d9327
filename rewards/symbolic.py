"""Math-Verify / SymPy equality with its signal-based timeouts switched off.

Only meant to run inside a worker process of ``rewards.pool``, which enforces the time limit by killing the process;
called anywhere else it has no time limit.
"""

from __future__ import annotations

import logging

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

from rewards.compare import Outcome, compare

_GOLD_TARGETS = (LatexExtractionConfig(),)
_ANSWER_TARGETS = (LatexExtractionConfig(), ExprExtractionConfig())

logging.getLogger("math_verify").setLevel(logging.CRITICAL)


def symbolic_equal(gold: str, answer: str) -> bool | None:
    """Whether Math-Verify judges the cleaned LaTeX ``answer`` equal to ``gold``; None if either does not parse."""
    parsed_gold = parse(f"${gold}$", _GOLD_TARGETS, parsing_timeout=None)
    parsed_answer = parse(f"${answer}$", _ANSWER_TARGETS, parsing_timeout=None)
    if not parsed_gold or not parsed_answer:
        return None
    return bool(verify(parsed_gold, parsed_answer, timeout_seconds=None))


_WARM_UP_PAIRS = (
    ("1+2i", "2i+1"),
    (r"\frac{\sqrt{3}}{3}", r"\frac{1}{\sqrt{3}}"),
    (r"\cos x + e^{-2t}", r"\sin x + \exp(t)"),
    (r"\frac{\log 2}{\log 3}", r"\log_3 2"),
    (r"\begin{pmatrix} 1 & 0 \\ 0 & 1 \end{pmatrix}", r"\begin{pmatrix} 1 & 0 \\ 0 & 2 \end{pmatrix} + 1"),
    ("y = 2x + 3", "2x - y + 3 = 0"),
)


def warm_up() -> None:
    """Run a few typical comparisons so SymPy's lazy imports and caches are filled before real work (the first
    comparison of each kind otherwise costs up to seconds)."""
    for gold, answer in _WARM_UP_PAIRS:
        judge(gold, answer)


def judge(gold: str, answer: str) -> Outcome:
    """The full comparison (fast rules, then Math-Verify for the atoms they cannot settle)."""
    try:
        return compare(gold, answer, symbolic_equal)
    except Exception:  # a SymPy/ANTLR failure on odd input is an unparseable answer, not a crash
        return Outcome(False, "parse_error")
