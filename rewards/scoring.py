"""The public verbs: ``is_equivalent``, ``score`` and ``score_batch``.

Every (gold, answer) pair goes through the fast rules in this process first; only pairs they cannot settle go to the
worker pool (Math-Verify under a hard per-pair time limit). Verdicts of repeated pairs come from a bounded cache.
"""

from __future__ import annotations

import math
import numbers
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence

from rewards.compare import Outcome, answer_count, compare
from rewards.extract import Extraction, all_boxed, extract, final_statement, last_boxed, listed_boxes
from rewards.normalize import clean_latex, is_plain_number, key, to_number
from rewards.pool import get_pool
from rewards.verdict import Verdict

DEFAULT_TIMEOUT_S = 5.0
"""Default hard time limit, in seconds, on each symbolic comparison (one worker-pool call); the one definition that
the verbs, the CLIs, the verl adapters and ``eval`` use."""

CACHE_SIZE = 100_000
"""How many (gold, answer) outcomes the process keeps (least recently used evicted; timeouts are kept too, so a
pathological answer costs its time limit once per process)."""

_UNCLOSED_BOX = re.compile(r"\\+(?:boxed|fbox)\s*\{")

_cache: OrderedDict[tuple[str, str], Outcome] = OrderedDict()
_cache_lock = threading.Lock()


def gold_text(gold: object) -> str | None:
    """A gold answer as a string: numbers (also NumPy scalars) via ``str`` (``27.0``), a list/tuple/array of several
    golds joined by commas (they are then compared as a set), a gold holding boxes reduced to the last box and the
    boxes listed with it (``rewards.extract.listed_boxes``; several are several answers, joined by commas; a box that
    never closes, as in a truncated source row, to the text after its opening), a worked solution with a final-answer
    phrase reduced to that answer (``rewards.extract.final_statement``); None when there is none."""
    if hasattr(gold, "tolist") and not isinstance(gold, str):  # NumPy scalars and arrays (verl's parquet rows)
        gold = gold.tolist()
    if isinstance(gold, bool) or gold is None:
        return None
    if isinstance(gold, numbers.Real):
        return str(gold) if math.isfinite(gold) else None
    if isinstance(gold, (list, tuple)):
        parts = [gold_text(g) for g in gold]
        if not parts or any(p is None for p in parts):
            return None
        return ",".join(parts)  # type: ignore[arg-type]
    if not isinstance(gold, str):
        return None
    if "\\boxed" in gold or "\\fbox" in gold:
        boxes = list({key(clean_latex(box)): box for box in listed_boxes(gold)}.values()) or [last_boxed(gold)]
        if boxes[0] is not None:
            gold = ", ".join(boxes)  # boxes listed together are the gold's several answers
        elif (opening := _UNCLOSED_BOX.search(gold)) is not None:
            gold = gold[opening.end() :]  # a gold cut off inside its box: the rest of it is the answer
    else:
        gold = final_statement(gold) or gold  # a worked solution ending "Final Answer: The final answer is $28\\%$."
    return gold.strip() or None


def _judge(pairs: Sequence[tuple[str, str]], workers: int, timeout_s: float) -> list[Outcome]:
    """Outcomes of (gold, answer) string pairs: cache, then fast rules, then the pool for the undecided rest."""
    outcomes: list[Outcome | None] = [None] * len(pairs)
    hard: dict[tuple[str, str], list[int]] = {}
    for index, pair in enumerate(pairs):
        with _cache_lock:
            cached = _cache.get(pair)
            if cached is not None:
                _cache.move_to_end(pair)
        if cached is None:
            cached = compare(*pair)
            if cached.correct is None:
                hard.setdefault(pair, []).append(index)
                continue
            _remember(pair, cached)
        outcomes[index] = cached
    if hard:
        unique = list(hard)
        for pair, outcome in zip(unique, get_pool().judge(unique, workers, timeout_s), strict=True):
            _remember(pair, outcome)
            for index in hard[pair]:
                outcomes[index] = outcome
    return outcomes  # type: ignore[return-value]


def _remember(pair: tuple[str, str], outcome: Outcome) -> None:
    with _cache_lock:
        _cache[pair] = outcome
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def clear_cache() -> None:
    """Forget every cached outcome and answer count (for timing runs)."""
    with _cache_lock:
        _cache.clear()
    answer_count.cache_clear()


def _check_limits(workers: int, timeout_s: float) -> None:
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    if not timeout_s > 0:
        raise ValueError(f"timeout_s must be > 0, got {timeout_s!r}")


def is_equivalent(gold: str, answer: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> bool:
    """Whether the final answer ``answer`` (not a whole response) equals ``gold``."""
    _check_limits(1, timeout_s)
    gold_string = gold_text(gold)
    if gold_string is None or not isinstance(answer, str) or not answer.strip():
        return False
    return bool(_judge([(gold_string, answer.strip())], 1, timeout_s)[0].correct)


def _unevaluated(gold: str, answer: str) -> bool:
    """True when ``gold`` is a plain number (``rewards.normalize.to_number``) and ``answer`` is no number in final form
    (``rewards.normalize.is_plain_number``: ``348/2`` is a computation, not an answer)."""
    return to_number(key(clean_latex(gold))) is not None and not is_plain_number(key(clean_latex(answer)))


def score(
    response: object, gold: object, *, timeout_s: float = DEFAULT_TIMEOUT_S, fallback: bool = True,
    multi_box: bool = True, plain_number: bool = False,
) -> Verdict:
    """Judge one model response against its gold answer (see ``score_batch``)."""
    return score_batch([response], [gold], workers=1, timeout_s=timeout_s, fallback=fallback, multi_box=multi_box,
                       plain_number=plain_number)[0]


def score_batch(
    responses: Sequence,
    golds: Sequence,
    *,
    workers: int = 1,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    fallback: bool = True,
    multi_box: bool = True,
    plain_number: bool = False,
) -> list[Verdict]:
    """Verdicts for ``responses[i]`` against ``golds[i]``, in order.

    ``workers`` worker processes run the symbolic comparisons in parallel; ``timeout_s`` is the hard limit on each
    one (a pair that exceeds it gets reason ``timeout``). Golds may be strings or numbers (see ``gold_text``).
    ``fallback``: read the last number of the last sentence when a response states its answer no other way
    (``Verdict.source == "fallback"``); off, such responses have no answer. ``multi_box``: when the gold has several
    answers and the last box holds fewer, the response's distinct boxes together are its answer (source ``boxes``:
    ``\\boxed{2}`` and ``\\boxed{3}`` for gold ``2, 3``); off, or for a one-answer gold, the last box wins.
    ``plain_number`` (off by default): when the gold is a plain number, only a number in final form can be correct
    (an integer, decimal, scientific number, or a fraction of integers in lowest terms); an unevaluated computation
    such as ``87 * 2`` or ``348/2`` for ``174`` (which restates an arithmetic question instead of answering it, and is
    otherwise accepted as ``numeric``) is ``wrong``. For tasks whose answer is the computed number.
    """
    if len(responses) != len(golds):
        raise ValueError(f"responses and golds differ in length: {len(responses)} vs {len(golds)}")
    _check_limits(workers, timeout_s)
    verdicts: list[Verdict | None] = [None] * len(responses)
    pairs: list[tuple[str, str]] = []
    positions: list[tuple[int, str]] = []
    for index, (response, gold) in enumerate(zip(responses, golds, strict=True)):
        gold_string = gold_text(gold)
        found = extract(response, fallback=fallback)
        if multi_box and gold_string is not None:
            found = _boxes_for_several_answers(response, gold_string, found)
        if found.answer is None:
            verdicts[index] = Verdict(False, None, "no_answer", None)
        elif gold_string is None:
            verdicts[index] = Verdict(False, found.answer, "parse_error", found.source)
        elif plain_number and _unevaluated(gold_string, found.answer):
            verdicts[index] = Verdict(False, found.answer, "wrong", found.source)
        else:
            pairs.append((gold_string, found.answer))
            positions.append((index, found.source))
    for (index, source), (_, answer), outcome in zip(positions, pairs, _judge(pairs, workers, timeout_s), strict=True):
        verdicts[index] = Verdict(bool(outcome.correct), answer, outcome.reason, source)
    return verdicts  # type: ignore[return-value]


def _boxes_for_several_answers(response: object, gold: str, found: Extraction) -> Extraction:
    """The distinct boxes of ``response`` joined by commas (source ``boxes``) when ``gold`` lists several answers, the
    response has several distinct boxes and its last box lists fewer answers than the gold; else ``found``."""
    if found.source != "boxed" or not isinstance(response, str):
        return found
    expected = answer_count(gold)
    if expected < 2 or answer_count(found.answer) >= expected:
        return found
    distinct = list({key(clean_latex(box)): box for box in all_boxed(response)}.values())
    return Extraction(", ".join(distinct), "boxes") if len(distinct) > 1 else found
