"""The reward a verdict earns: configurable values for correct, incorrect and no-answer responses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from rewards.verdict import Verdict


@dataclass(frozen=True)
class RewardValues:
    """Reward per verdict. ``incorrect`` also covers ``timeout`` and ``parse_error``."""

    correct: float = 1.0
    incorrect: float = 0.0
    no_answer: float = 0.0

    def of(self, verdict: Verdict) -> float:
        if verdict.correct:
            return self.correct
        return self.no_answer if verdict.reason == "no_answer" else self.incorrect

    @classmethod
    def from_mapping(cls, values: Mapping, where: str) -> RewardValues:
        """From keys ``correct_reward``, ``incorrect_reward``, ``no_answer_reward`` (missing ones keep defaults);
        ``where`` names the config section in error messages."""
        known = {f"{f.name}_reward": f.name for f in fields(cls)}
        chosen = {}
        for config_key, field_name in known.items():
            if config_key in values and values[config_key] is not None:
                try:
                    chosen[field_name] = float(values[config_key])
                except (TypeError, ValueError) as error:
                    raise ValueError(f"{where}.{config_key} must be a number, got {values[config_key]!r}") from error
        return cls(**chosen)
