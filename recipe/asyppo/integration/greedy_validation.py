"""Greedy and sampled validation in one verl validation pass, through verl's agent-loop registry.

verl validates with one set of sampling settings (``actor_rollout_ref.rollout.val_kwargs``). To log greedy accuracy
(deterministic: the metric that tells arms apart) next to the sampled accuracy at the same steps, the validation
file holds every problem twice:

- as written, run by verl's default ``single_turn_agent`` loop with the ``val_kwargs`` sampling settings;
- a copy whose ``data_source`` is prefixed with :data:`GREEDY_SOURCE_PREFIX` and whose ``agent_name`` is
  :data:`GREEDY_AGENT`: :class:`GreedySingleTurnAgentLoop` decodes it greedily (temperature 0, no top-k/top-p).

verl reports accuracy per data source (``val-core/<data_source>/acc/mean@n``), so both appear in one validation.
The greedy loop is registered with verl's public agent-loop config file
(``actor_rollout_ref.rollout.agent.agent_loop_config_path=`` :data:`AGENT_LOOP_CONFIG`).

    python -m recipe.asyppo.integration.greedy_validation VAL.parquet OUT.parquet   # write the doubled validation file
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from verl.experimental.agent_loop.agent_loop import AgentLoopOutput
from verl.experimental.agent_loop.single_turn_agent_loop import SingleTurnAgentLoop

GREEDY_AGENT = "asyppo_greedy_single_turn"
SAMPLED_AGENT = "single_turn_agent"  # verl's default single-turn loop (rollout.agent.default_agent_loop)
GREEDY_SOURCE_PREFIX = "greedy_"
AGENT_LOOP_CONFIG = Path(__file__).resolve().parents[1] / "config" / "greedy_agent_loop.yaml"
GREEDY_SAMPLING = {"temperature": 0.0, "top_p": 1.0, "top_k": -1}


class GreedySingleTurnAgentLoop(SingleTurnAgentLoop):
    """verl's single-turn agent loop with greedy decoding, whatever the configured sampling settings."""

    async def run(self, sampling_params: dict[str, Any], **kwargs: Any) -> AgentLoopOutput:
        return await super().run({**sampling_params, **GREEDY_SAMPLING}, **kwargs)


def is_greedy_source(data_source: str) -> bool:
    """Whether a validation data source is the greedy copy of a problem set."""
    return data_source.startswith(GREEDY_SOURCE_PREFIX)


def with_greedy_copies(val_file: str | Path, out_file: str | Path) -> int:
    """Write ``out_file``: the rows of ``val_file`` (agent ``single_turn_agent``), then a greedy copy of each.

    Returns the number of rows written (twice the input's).

    Raises:
        ValueError: the file already holds an ``agent_name`` column or greedy data sources (doubling it twice).
    """
    import pandas as pd

    frame = pd.read_parquet(val_file)
    if "agent_name" in frame.columns or frame["data_source"].map(is_greedy_source).any():
        raise ValueError(f"{val_file}: already has agent_name or {GREEDY_SOURCE_PREFIX}* data sources")
    sampled = frame.assign(agent_name=SAMPLED_AGENT)
    greedy = frame.assign(agent_name=GREEDY_AGENT, data_source=GREEDY_SOURCE_PREFIX + frame["data_source"])
    doubled = pd.concat([sampled, greedy], ignore_index=True)
    Path(out_file).parent.mkdir(parents=True, exist_ok=True)
    doubled.to_parquet(out_file, index=False)
    return len(doubled)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipe.asyppo.integration.greedy_validation",
                                     description="Write a validation file with a greedy copy of every problem.")
    parser.add_argument("val_file", type=Path)
    parser.add_argument("out_file", type=Path)
    args = parser.parse_args(argv)
    rows = with_greedy_copies(args.val_file, args.out_file)
    print(f"wrote {args.out_file}: {rows} rows (sampled + greedy); agent loops: {AGENT_LOOP_CONFIG}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
