"""learning_report: val accuracy before/after, reward, step time and memory per run, from verl's metrics files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recipe.asyppo.tools.learning_report import main, summarize, val_accuracy


def _write_run(run_dir: Path, steps: dict[int, dict[str, float]], memory: dict | None = None) -> Path:
    run_dir.mkdir(parents=True)
    lines = [json.dumps({"step": step, "data": data}) for step, data in steps.items()]
    (run_dir / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    if memory is not None:
        (run_dir / "peak_memory.json").write_text(json.dumps(memory))
    return run_dir


def _val(add: float, mul: float) -> dict[str, float]:
    return {"val-core/arith_add1/acc/mean@1": add, "val-core/arith_mul1/acc/mean@1": mul,
            "val-aux/arith_add1/acc/std@1": 0.5}


def _step(seconds: float, reward: float, **extra: float) -> dict[str, float]:
    return {"timing_s/step": seconds, "timing_s/gen": seconds / 4, "critic/score/mean": reward, **extra}


def test_val_accuracy_is_the_mean_over_data_sources_of_the_core_metric():
    mean, per_source = val_accuracy(_val(0.5, 0.25))
    assert mean == 0.375 and per_source == {"arith_add1": 0.5, "arith_mul1": 0.25}
    assert val_accuracy({"critic/score/mean": 1.0}) == (None, {})


def test_a_run_reads_before_after_steps_step_time_and_sigma(tmp_path):
    run = _write_run(tmp_path / "asyppo", {
        0: _val(0.5, 0.25),
        1: _step(10, 0.1, **{"asyppo/std/mean": 0.2, "asyppo/adv_mask/fraction": 0.2}),
        2: {**_step(30, 0.3, **{"asyppo/std/mean": 0.1, "asyppo/adv_mask/fraction": 0.2}), **_val(0.75, 0.5)},
        3: _step(20, 0.5, **{"asyppo/std/mean": 0.05, "asyppo/adv_mask/fraction": 0.2}),
    })
    summary = summarize("asyppo", run)
    assert summary.steps == 3 and summary.step_time_s == 20
    assert (summary.val_before, summary.val_after) == (0.375, 0.625)
    assert summary.val_steps == [0, 2] and summary.reward_curve == [0.1, 0.3, 0.5]
    assert summary.sigma_first_last == (0.2, 0.05) and summary.adv_mask_fraction == pytest.approx(0.2)
    assert summary.peak_pss_gib is None  # no peak_memory.json


def test_cli_writes_the_table_with_ratios_and_the_chart(tmp_path, capsys):
    memory = {"peak_rss_gib": 10.0, "peak_pss_gib": 8.0}
    _write_run(tmp_path / "asyppo", {0: _val(0.4, 0.4), 1: {**_step(30, 0.2), **_val(0.6, 0.6)}},
               {**memory, "peak_pss_gib": 6.0})
    _write_run(tmp_path / "ppo", {0: _val(0.4, 0.4), 1: {**_step(40, 0.2), **_val(0.5, 0.5)}}, memory)
    assert main([str(tmp_path), "asyppo", "ppo"]) == 0
    table = (tmp_path / "learning.md").read_text()
    assert "| asyppo | 1 | 30.0 | 40.0 | 60.0 | +20.0 | 0.200 | 0.200 | 10.00 | 6.00 |" in table
    assert "| ppo | 1 | 40.0 | 40.0 | 50.0 | +10.0 |" in table
    assert "AsyPPO / PPO (same run of this script): step time 0.75, peak PSS 0.75." in table
    assert (tmp_path / "learning.png").read_bytes()[:4] == b"\x89PNG"
    assert table in capsys.readouterr().out
