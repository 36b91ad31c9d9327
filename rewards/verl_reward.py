"""verl custom reward function: ``reward.custom_reward_function.path=pkg://rewards.verl_reward`` (or the path of
this file) with ``reward.custom_reward_function.name=compute_score``.

Reward values and options come from ``reward.custom_reward_function.reward_kwargs`` (``correct_reward``,
``incorrect_reward``, ``no_answer_reward``, ``timeout_s``, and ``fallback`` / ``multi_box`` / ``plain_number`` as in
``rewards.score``;
add them with ``+reward.custom_reward_function.reward_kwargs.<key>=...``), which verl passes as keyword arguments.
verl calls this once per response from an executor thread; the symbolic comparisons still run in worker processes
with a hard time limit. For batched scoring use the ``asyppo_math`` reward manager (``rewards.verl_manager``).
"""

from __future__ import annotations

from typing import Any

from rewards.reward_values import RewardValues
from rewards.scoring import DEFAULT_TIMEOUT_S, score

_VERL_EXTRAS = frozenset({"reward_router_address", "reward_model_tokenizer"})


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict | None = None,
    *,
    correct_reward: float = 1.0,
    incorrect_reward: float = 0.0,
    no_answer_reward: float = 0.0,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    fallback: bool = True,
    multi_box: bool = True,
    plain_number: bool = False,
    **verl_extras: Any,
) -> dict:
    """Judge ``solution_str`` against ``ground_truth``: ``{"score": reward, "acc": correct, "pred": answer or ""}``.

    ``data_source`` and ``extra_info`` are accepted for verl's interface and not used: every source is math.
    """
    unknown = set(verl_extras) - _VERL_EXTRAS
    if unknown:
        raise TypeError(f"compute_score got unknown reward_kwargs {sorted(unknown)}")
    values = RewardValues(correct=correct_reward, incorrect=incorrect_reward, no_answer=no_answer_reward)
    verdict = score(solution_str, ground_truth, timeout_s=timeout_s, fallback=fallback, multi_box=multi_box,
                    plain_number=plain_number)
    return {"score": values.of(verdict), "acc": verdict.correct, "pred": verdict.answer or ""}
