"""The gold-answer self-check: the ``rewards`` verifier must read the gold back and judge it equal to itself.

``score("\\boxed{" + gold + "}", gold)`` must be correct. A gold it cannot extract or parse is ``answer_unparseable``;
one it extracts but does not judge correct is ``answer_self_check_failed``. Each distinct gold is checked once,
through ``score_batch`` in chunks, so the verifier's in-process fast rules settle almost every gold.
"""

from __future__ import annotations

from collections.abc import Sequence

from tqdm import tqdm

from rewards import Verdict, score_batch

UNPARSEABLE = "answer_unparseable"
SELF_CHECK_FAILED = "answer_self_check_failed"
_UNPARSEABLE_REASONS = frozenset({"no_answer", "parse_error"})
CHUNK = 2000


def _reason(verdict: Verdict) -> str | None:
    if verdict.correct:
        return None
    if verdict.answer is None or verdict.reason in _UNPARSEABLE_REASONS:
        return UNPARSEABLE
    return SELF_CHECK_FAILED


def check_golds(golds: Sequence[str], progress: bool = False) -> dict[str, str | None]:
    """For each distinct gold in ``golds``: None when the verifier accepts it as its own answer, else the reason."""
    distinct = list(dict.fromkeys(golds))
    reasons: dict[str, str | None] = {}
    for start in tqdm(range(0, len(distinct), CHUNK), desc="answer self-check", disable=not progress):
        chunk = distinct[start : start + CHUNK]
        verdicts = score_batch(["\\boxed{" + gold + "}" for gold in chunk], chunk)
        reasons.update((gold, _reason(verdict)) for gold, verdict in zip(chunk, verdicts, strict=True))
    return reasons
