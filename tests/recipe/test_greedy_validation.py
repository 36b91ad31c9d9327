"""Greedy and sampled validation in one pass: the doubled validation file and the greedy agent loop."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest
import yaml

from recipe.asyppo.integration import greedy_validation
from recipe.asyppo.integration.greedy_validation import (
    AGENT_LOOP_CONFIG,
    GREEDY_AGENT,
    SAMPLED_AGENT,
    GreedySingleTurnAgentLoop,
    with_greedy_copies,
)


def _val_file(path):
    pd.DataFrame({"data_source": ["arith_add1", "arith_mul1"], "prompt": ["a", "b"]}).to_parquet(path)
    return path


def test_every_problem_appears_once_sampled_and_once_greedy_under_a_prefixed_source(tmp_path):
    assert with_greedy_copies(_val_file(tmp_path / "val.parquet"), tmp_path / "out.parquet") == 4
    frame = pd.read_parquet(tmp_path / "out.parquet")
    assert frame["data_source"].tolist() == ["arith_add1", "arith_mul1", "greedy_arith_add1", "greedy_arith_mul1"]
    assert frame["agent_name"].tolist() == [SAMPLED_AGENT] * 2 + [GREEDY_AGENT] * 2
    assert frame["prompt"].tolist() == ["a", "b", "a", "b"]


def test_a_file_that_is_already_doubled_is_refused_naming_it(tmp_path):
    with_greedy_copies(_val_file(tmp_path / "val.parquet"), tmp_path / "out.parquet")
    with pytest.raises(ValueError, match="out.parquet: already has agent_name"):
        with_greedy_copies(tmp_path / "out.parquet", tmp_path / "again.parquet")


def test_the_agent_loop_config_registers_the_greedy_loop_under_its_name():
    (entry,) = yaml.safe_load(AGENT_LOOP_CONFIG.read_text())
    assert entry == {"name": GREEDY_AGENT,
                     "_target_": f"{greedy_validation.__name__}.{GreedySingleTurnAgentLoop.__name__}"}


def test_the_greedy_loop_decodes_at_temperature_zero_whatever_the_configured_sampling(monkeypatch):
    seen = {}

    async def single_turn_run(self, sampling_params, **kwargs):
        seen.update(sampling_params=sampling_params, kwargs=kwargs)
        return "output"

    monkeypatch.setattr(greedy_validation.SingleTurnAgentLoop, "run", single_turn_run)
    loop = object.__new__(GreedySingleTurnAgentLoop)
    sampled = {"temperature": 0.7, "top_p": 0.9, "top_k": 20, "repetition_penalty": 1.0}
    assert asyncio.run(loop.run(sampled, raw_prompt=["q"])) == "output"
    assert seen["sampling_params"] == {"temperature": 0.0, "top_p": 1.0, "top_k": -1, "repetition_penalty": 1.0}
    assert seen["kwargs"] == {"raw_prompt": ["q"]} and sampled["temperature"] == 0.7
