"""verl reward manager ``asyppo_math``: batches the responses of the reward loop into ``score_batch`` calls.

Importing this module registers it. Select it in every process of a run either with
``VERL_USE_EXTERNAL_MODULES=rewards.verl_manager`` plus ``reward.reward_manager.name=asyppo_math``, or with
``reward.reward_manager.source=importlib reward.reward_manager.module.path=pkg://rewards.verl_manager
reward.reward_manager.name=AsyPPOMathRewardManager``. Options live in ``reward.reward_kwargs`` (not in verl's
default config, so add them with ``+reward.reward_kwargs.<key>=...``); unknown keys are errors:

- ``correct_reward`` / ``incorrect_reward`` / ``no_answer_reward``: reward values (default 1.0 / 0.0 / 0.0).
- ``timeout_s``: hard time limit per symbolic comparison (default ``rewards.scoring.DEFAULT_TIMEOUT_S``).
- ``workers``: verifier worker processes per reward-loop worker (default 2).
- ``batch_window_s``: how long the first waiting response waits for others to join its batch (default 0.02).
- ``max_batch``: a batch is scored as soon as it has this many responses (default 1024).
- ``fallback``: read the last number of the last sentence when a response states its answer no other way (default
  true; ``rewards.score_batch``).
- ``multi_box``: several boxes answer a gold with several answers (default true; false: the last box always wins).
- ``plain_number``: a plain-number gold needs a plain-number answer (default false; ``87 * 2`` for 174 is then wrong).

verl's reward loop calls ``run_single`` once per response, concurrently; responses that arrive within one batch
window are scored together, so repeated answers hit the cache and symbolic comparisons run in parallel.
A custom ``compute_score`` passed by verl is not used: this manager always scores with ``rewards.score_batch``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from verl import DataProto
from verl.experimental.reward_loop.reward_manager import register
from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase

from rewards.reward_values import RewardValues
from rewards.scoring import DEFAULT_TIMEOUT_S, score_batch
from rewards.verdict import Verdict

_OPTIONS = {"timeout_s": DEFAULT_TIMEOUT_S, "workers": 2, "batch_window_s": 0.02, "max_batch": 1024}
_FLAGS = {"fallback": True, "multi_box": True, "plain_number": False}
_REWARD_KEYS = {"correct_reward", "incorrect_reward", "no_answer_reward"}


def _options(config: Any) -> tuple[RewardValues, dict]:
    """(reward values, batching options) from ``config.reward.reward_kwargs``; unknown keys are errors."""
    reward_cfg = config.get("reward", {}) if hasattr(config, "get") else {}
    kwargs = dict(reward_cfg.get("reward_kwargs", None) or {})
    unknown = set(kwargs) - _REWARD_KEYS - set(_OPTIONS) - set(_FLAGS)
    if unknown:
        raise ValueError(f"reward.reward_kwargs has keys unknown to asyppo_math: {sorted(unknown)}")
    options = {}
    for name, default in _OPTIONS.items():
        value = kwargs.get(name, default)
        try:
            options[name] = type(default)(value)
        except (TypeError, ValueError) as error:
            kind = type(default).__name__
            raise ValueError(f"reward.reward_kwargs.{name} must be a {kind}, got {value!r}") from error
        smallest_allowed = 0 if name == "batch_window_s" else 1e-9
        if options[name] < smallest_allowed:
            raise ValueError(f"reward.reward_kwargs.{name} must be positive, got {value!r}")
    for name, default in _FLAGS.items():
        options[name] = kwargs.get(name, default)
        if not isinstance(options[name], bool):
            raise ValueError(f"reward.reward_kwargs.{name} must be true or false, got {options[name]!r}")
    return RewardValues.from_mapping(kwargs, "reward.reward_kwargs"), options


@register("asyppo_math")
class AsyPPOMathRewardManager(RewardManagerBase):
    """Rule-based math reward through ``rewards.score_batch``, batched across concurrent ``run_single`` calls."""

    def __init__(self, config, tokenizer, compute_score=None, reward_router_address=None, reward_model_tokenizer=None):
        super().__init__(config, tokenizer, compute_score)
        self.values, self.options = _options(config)
        self._pending: list[tuple[str, Any, asyncio.Future]] = []
        self._flush_handle: asyncio.TimerHandle | None = None

    async def run_single(self, data: DataProto) -> dict:
        item = data[-1]  # for multi-sequence outputs, only the last sequence is scored
        response_ids = item.batch["responses"]
        valid_length = int(item.batch["attention_mask"][-response_ids.shape[-1] :].sum())
        loop = asyncio.get_running_loop()
        response = await loop.run_in_executor(
            None, lambda: self.tokenizer.decode(response_ids[:valid_length], skip_special_tokens=True)
        )
        verdict = await self._score(response, item.non_tensor_batch["reward_model"]["ground_truth"])
        return {
            "reward_score": self.values.of(verdict),
            "reward_extra_info": {
                "acc": verdict.correct,
                "pred": verdict.answer or "",
                "reason": verdict.reason,
                "source": verdict.source or "",
            },
        }

    async def _score(self, response: str, gold: Any) -> Verdict:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((response, gold, future))
        if len(self._pending) >= self.options["max_batch"]:
            self._flush()
        elif self._flush_handle is None:
            self._flush_handle = loop.call_later(self.options["batch_window_s"], self._flush)
        return await future

    def _flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        batch, self._pending = self._pending, []
        if batch:
            asyncio.get_running_loop().create_task(self._score_batch(batch))

    async def _score_batch(self, batch: list[tuple[str, Any, asyncio.Future]]) -> None:
        responses = [response for response, _, _ in batch]
        golds = [gold for _, gold, _ in batch]
        try:
            verdicts = await asyncio.get_running_loop().run_in_executor(
                None,
                lambda: score_batch(
                    responses,
                    golds,
                    workers=self.options["workers"],
                    timeout_s=self.options["timeout_s"],
                    fallback=self.options["fallback"],
                    multi_box=self.options["multi_box"],
                    plain_number=self.options["plain_number"],
                ),
            )
        except Exception as error:
            for _, _, future in batch:
                future.set_exception(error)
            return
        for (_, _, future), verdict in zip(batch, verdicts, strict=True):
            future.set_result(verdict)
