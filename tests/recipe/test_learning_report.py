"""learning_report: per-arm mean ± standard error over seeds, differences against two standard errors, diagnostics,
every run, and the PNG with bands, from the study's CSV files."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from recipe.asyppo.tools.learning_report import Estimate, curve_bands, main, markdown, read_rows
from recipe.asyppo.tools.study import CURVE_FIELDS, SUMMARY_FIELDS


def _write(path: Path, fields, rows) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(fields), restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _run(arm: str, seed: int, before: float, after: float, **extra) -> dict:
    return {"arm": arm, "seed": seed, "steps": 12, "actor_steps": 12, "val_greedy_before": before,
            "val_greedy_after": after, "val_greedy_gain": after - before, "step_time_s": 40.0, "peak_pss_gib": 4.0,
            "commit": "0123456789abcdef", "dirty": False, **extra}


def test_the_standard_error_is_the_sample_sd_over_root_n():
    estimate = Estimate.of([10.0, 12.0, 14.0])
    assert estimate.mean == 12.0 and estimate.se == pytest.approx(2.0 / math.sqrt(3)) and estimate.n == 3


def test_one_value_has_no_standard_error_and_missing_values_are_skipped():
    assert Estimate.of([5.0, None, float("nan")]) == Estimate(5.0, None, 1)
    assert Estimate.of([]) == Estimate(None, None, 0)


def test_a_difference_exceeds_two_standard_errors_only_when_it_is_larger_than_twice_their_root_sum_square():
    big = Estimate(10.0, 1.0, 3).minus(Estimate(5.0, 1.0, 3))  # 5 > 2 * sqrt(2) = 2.83
    small = Estimate(7.0, 1.0, 3).minus(Estimate(5.0, 1.0, 3))  # 2 < 2.83
    assert big.mean == 5.0 and big.se == pytest.approx(math.sqrt(2)) and big.exceeds_two_se
    assert small.exceeds_two_se is False
    assert Estimate(7.0, None, 1).minus(Estimate(5.0, 1.0, 3)).exceeds_two_se is None


def test_the_table_gives_each_arm_its_mean_gain_with_se_and_flags_the_differences(tmp_path):
    rows = [_run("asyppo", s, 20.0, 20.0 + g) for s, g in enumerate((10.0, 12.0, 14.0))]
    rows += [_run("ppo", s, 20.0, 20.0 + g, step_time_s=80.0, peak_pss_gib=8.0) for s, g in enumerate((2.0, 3.0, 4.0))]
    table = markdown(read_rows(_write(tmp_path / "cpu_study.csv", SUMMARY_FIELDS, rows)))
    assert "| asyppo | 3 | 12 (12) | 20.0 | 32.0 | +12.0 ± 1.2 |" in table
    assert "| ppo | 3 | 12 (12) | 20.0 | 23.0 | +3.0 ± 0.6 |" in table
    assert "| asyppo |  | +9.0 ± 1.3 **> 2 SE** |" in table  # 9 > 2 * sqrt(1.33 + 0.33)
    assert "AsyPPO / PPO (means over seeds): step time 0.50, peak PSS 0.50." in table
    assert table.count("| 0123456789 |") == 6  # every run is listed with its commit


def test_every_run_says_where_its_final_actor_is_or_that_it_has_none(tmp_path):
    rows = [_run("asyppo", 0, 20.0, 30.0, hf_actor="/runs/asyppo/seed0/hf_actor"), _run("ppo", 0, 20.0, 25.0)]
    table = markdown(read_rows(_write(tmp_path / "cpu_study.csv", SUMMARY_FIELDS, rows)))
    assert "| 0123456789 | `/runs/asyppo/seed0/hf_actor` |" in table
    assert "| 0123456789 | none |" in table
    assert "`python -m eval run --model PATH` reads it" in table


def test_bands_are_the_mean_and_se_over_seeds_at_each_step():
    rows = [{"arm": "asyppo", "seed": "0", "step": "0", "val_greedy": "10"},
            {"arm": "asyppo", "seed": "1", "step": "0", "val_greedy": "20"},
            {"arm": "asyppo", "seed": "0", "step": "4", "val_greedy": "30"},
            {"arm": "ppo", "seed": "0", "step": "0", "val_greedy": "99"}]
    steps, mean, se = curve_bands(rows, "asyppo", "val_greedy")
    assert steps == [0, 4] and mean == [15.0, 30.0] and se == [pytest.approx(5.0), 0.0]


def test_cli_writes_markdown_and_png_from_the_csv_files(tmp_path, capsys):
    study = _write(tmp_path / "cpu_study.csv", SUMMARY_FIELDS, [_run("asyppo", 0, 20.0, 30.0)])
    _write(tmp_path / "cpu_study_curves.csv", CURVE_FIELDS,
           [{"arm": "asyppo", "seed": 0, "step": s, "val_greedy": 20 + s, "reward": 0.1 * s} for s in range(3)])
    assert main([str(study), "--out", str(tmp_path / "report")]) == 0
    assert (tmp_path / "report" / "learning.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "report" / "learning.md").read_text() in capsys.readouterr().out


def test_a_csv_without_arm_or_seed_is_refused_naming_the_file(tmp_path):
    bad = _write(tmp_path / "bad.csv", ["name"], [{"name": "x"}])
    with pytest.raises(ValueError, match=r"bad\.csv: missing column\(s\) \['arm', 'seed'\]"):
        read_rows(bad)
