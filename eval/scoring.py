"""Score responses against gold answers with the ``rewards`` verifier, in parallel, with a progress bar."""

from __future__ import annotations

from collections.abc import Sequence

from tqdm.auto import tqdm

from rewards import Verdict, score_batch
from rewards.scoring import DEFAULT_TIMEOUT_S

DEFAULT_WORKERS = 8


def score_responses(
    responses: Sequence[str],
    golds: Sequence[str],
    *,
    workers: int = DEFAULT_WORKERS,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    chunk_size: int = 2048,
    show_progress: bool = True,
) -> list[Verdict]:
    """One :class:`rewards.Verdict` per response, in order.

    Args:
        responses: model outputs.
        golds: gold answers aligned with ``responses``.
        workers: verifier worker processes (``rewards.score_batch``).
        timeout_s: per-response verification time limit in seconds.
        chunk_size: responses per ``score_batch`` call (the progress bar advances per chunk).
        show_progress: show a tqdm bar.

    Raises:
        ValueError: ``responses`` and ``golds`` differ in length.
    """
    if len(responses) != len(golds):
        raise ValueError(f"{len(responses)} responses but {len(golds)} golds")
    verdicts: list[Verdict] = []
    with tqdm(total=len(responses), desc="score", unit="sample", disable=not show_progress) as bar:
        for start in range(0, len(responses), chunk_size):
            chunk = slice(start, start + chunk_size)
            verdicts.extend(
                score_batch(list(responses[chunk]), list(golds[chunk]), workers=workers, timeout_s=timeout_s)
            )
            bar.update(len(responses[chunk]))
    return verdicts
