"""The one-GPU check without vLLM: the bundle's requirement check, the shaped models, the check's launches (composed
and validated here) and its JSON summary; the whole flow once on CPU (slow)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from recipe.asyppo.scripts.check_config import composed_and_validated
from recipe.asyppo.scripts.gpu_bundle import installed, unmet_requirements
from recipe.asyppo.scripts.shaped_models import Shape, build_pair
from recipe.asyppo.scripts.smoke_report import resume_json, summarize

SCRIPTS_DIR = Path(__file__).resolve().parents[2] / "recipe" / "asyppo" / "scripts"


def _dist(site: Path, name: str, version: str, *requires: str) -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {requirement}" for requirement in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n\nlong description: Requires-Dist: ignored\n")


def test_bundle_requirements_are_met_by_the_bundle_or_the_gpu_machine_and_each_gap_is_named(tmp_path):
    _dist(tmp_path, "verl", "0.9.1", "transformers<5.11", "ray[default]>=2.41", "torch", "wandb",
          'pytest; extra == "test"')
    _dist(tmp_path, "ray", "2.60.0", "msgpack<2,>=1", 'py-spy>=0.4; python_version < "3.12"', "jsonschema")
    _dist(tmp_path, "msgpack", "2.1.0")
    _dist(tmp_path, "tensordict", "0.10.0", "torch>=2.12")
    dists = installed(tmp_path)
    assert dists["ray"][0] == "2.60.0" and len(dists["verl"][1]) == 5  # the long description is not read
    assert unmet_requirements(dists) == [
        "ray -> msgpack<2,>=1: found 2.1.0",
        "ray -> jsonschema: not in the bundle nor on the GPU machine",
        "tensordict -> torch>=2.12: found 2.11.0",  # the GPU machine's torch
    ]  # verl's transformers pin is a known conflict, wandb is not imported, py-spy is for Python < 3.12


def test_shape_parsing_names_the_shape_it_rejects():
    assert Shape.parse("1024 28 16 8 3072") == Shape(1024, 28, 16, 8, 3072)
    with pytest.raises(ValueError, match="'1024 28 16'"):
        Shape.parse("1024 28 16")
    with pytest.raises(ValueError, match="hidden must divide by heads"):
        Shape.parse("100 2 3 1 64")


def test_shaped_pair_shares_the_tokenizer_and_reports_parameter_counts(tmp_path):
    facts = build_pair(tmp_path, Shape(64, 2, 4, 2, 128), Shape(32, 1, 2, 1, 64))
    vocab = facts["vocab"]
    # Qwen3 layer with head dim 16: q 64x64, k and v 64x32, o 64x64, q/k norms 16 each, MLP 3x64x128, 2 norms of 64
    layer = 64 * 64 * 2 + 64 * 32 * 2 + 16 * 2 + 3 * 64 * 128 + 2 * 64
    assert facts["actor"]["parameters"] == vocab * 64 + 2 * layer + 64  # tied embeddings, final norm
    assert (tmp_path / "actor" / "tokenizer.json").read_text() == (tmp_path / "critic" / "tokenizer.json").read_text()
    assert json.loads((tmp_path / "models.json").read_text()) == facts


def test_gpu_check_critics_are_about_a_sixth_of_the_actor_like_the_papers_0_6b_and_4b():
    from transformers import AutoModelForCausalLM

    from recipe.asyppo.tools.tiny_models import model_config

    text = (SCRIPTS_DIR / "gpu_check.sh").read_text()
    shapes = [Shape.parse(re.search(rf'{key}="\$\{{{key}:-([\d ]+)\}}"', text).group(1))
              for key in ("ACTOR_SHAPE", "CRITIC_SHAPE")]
    counts = []
    for shape in shapes:
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(model_config(512, shape.hidden, shape.layers, shape.heads,
                                                                  shape.kv_heads, shape.intermediate, arch="qwen3"))
        counts.append(sum(p.numel() for p in model.parameters()))
    assert 1 / 7 < counts[1] / counts[0] < 1 / 5
    assert 0.3e9 < counts[0] < 0.4e9  # Qwen3-0.6B's body (28 layers, hidden 1024) with the tiny vocabulary


@pytest.fixture(scope="module")
def printed_launches(tmp_path_factory) -> dict[str, dict]:
    """The three launches of gpu_check.sh (print-overrides mode), composed and validated as verl configs."""
    from test_scripts import flatten

    work = tmp_path_factory.mktemp("gpu_check")
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "PYTHONPATH", "LANG")}
    env.update(GPU_CHECK_MODE="print-overrides", WORK_DIR=str(work))
    result = subprocess.run(["bash", str(SCRIPTS_DIR / "gpu_check.sh")], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return {name: flatten(OmegaConf.to_container(composed_and_validated(
        (work / f"{name}.overrides.txt").read_text().splitlines()))) for name in ("asyppo", "ppo", "asyppo_resume")}


def test_gpu_check_trains_through_the_hf_rollout_with_sdpa_and_the_fsdp_engines(printed_launches):
    for config in printed_launches.values():
        assert config["actor_rollout_ref.rollout.name"] == "hf"
        assert config["actor_rollout_ref.rollout.dtype"] == "bfloat16"
        assert config["critic.model.override_config.attn_implementation"] == "sdpa"
        assert config["actor_rollout_ref.model.use_remove_padding"] is False
        assert config["actor_rollout_ref.actor.strategy"] == config["critic.strategy"] == "fsdp"
        assert config["actor_rollout_ref.actor.fsdp_config.use_torch_compile"] is False
        assert config["critic.fsdp.use_torch_compile"] is False
        assert config["trainer.n_gpus_per_node"] * config["trainer.nnodes"] == 1
    assert printed_launches["asyppo"]["asyppo.enable"] is True and printed_launches["ppo"]["asyppo.enable"] is False


def test_gpu_check_saves_the_asyppo_run_at_its_last_step_and_resumes_it_for_one_more(printed_launches):
    first, resumed = printed_launches["asyppo"], printed_launches["asyppo_resume"]
    assert (first["trainer.total_training_steps"], first["trainer.save_freq"], first["trainer.resume_mode"]) == (
        3, 3, "disable")
    assert (resumed["trainer.total_training_steps"], resumed["trainer.resume_mode"]) == (4, "auto")
    assert resumed["trainer.default_local_dir"] == first["trainer.default_local_dir"]


def _write_run(run_dir: Path, steps: dict[int, dict[str, float]]) -> Path:
    run_dir.mkdir(parents=True)
    lines = [json.dumps({"step": step, "data": {"prompt_length/mean": 40.0, "response_length/mean": 200.0, **data}})
             for step, data in steps.items()]
    (run_dir / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    return run_dir


def _step(seconds: float, gen: float, ties: float | None = None) -> dict[str, float]:
    data = {"timing_s/step": seconds, "timing_s/gen": gen, "timing_s/update_actor": 1.0,
            "actor/perf/max_memory_allocated_gb": 10.0}
    if ties is not None:
        data |= {"asyppo/std/tie_fraction": ties, "asyppo/adv_mask/fraction": 0.2,
                 "asyppo/entropy_filter/fraction": 0.2, "asyppo/std/mean": 0.1}
    return data


def test_summary_keeps_the_first_n_steps_and_reports_phases_and_per_step_sigma_ties(tmp_path):
    run = _write_run(tmp_path / "asyppo", {1: _step(30.0, 20.0, 0.0), 2: _step(8.0, 5.0, 0.0),
                                           3: {**_step(6.0, 3.0, 0.0), "timing_s/save_checkpoint": 2.0},
                                           4: _step(50.0, 40.0, 0.0)})
    summary = summarize(run, max_step=3)
    assert (summary.steps, summary.step_time_s) == (3, 7.0)  # median of steps 2 and 3
    assert summary.phase_s == {"gen": 4.0, "update_actor": 1.0, "save_checkpoint": 2.0}  # saved at step 3 only
    assert summary.per_step["sigma_tie_fraction"] == [0.0, 0.0, 0.0]
    assert summary.per_step["adv_mask_fraction"] == [0.2, 0.2, 0.2]


def test_resume_summary_lists_the_steps_trained_after_the_checkpoint(tmp_path):
    run = _write_run(tmp_path / "asyppo", {3: _step(6.0, 3.0), 4: {**_step(9.0, 3.0), "training/global_step": 4}})
    (run / "checkpoints" / "global_step_3").mkdir(parents=True)
    (run / "checkpoints" / "latest_checkpointed_iteration.txt").write_text("4")
    assert resume_json(run, saved_step=3) == {
        "saved_step": 3, "checkpoint_saved": True, "steps_of_last_launch": [3, 4], "steps_after_resume": [4],
        "global_steps_after_resume": [4],
        "step_time_s_after_resume": [9.0], "latest_checkpointed_iteration": 4}


def test_json_summary_puts_the_cost_models_prediction_beside_each_measured_figure(tmp_path, tiny_models):
    from recipe.asyppo.scripts.smoke_report import main

    asyppo = _write_run(tmp_path / "asyppo", {1: _step(9.0, 5.0, 0.0), 2: _step(8.0, 4.0, 0.0)})
    ppo = _write_run(tmp_path / "ppo", {1: _step(11.0, 5.0), 2: _step(10.0, 4.0)})
    (tmp_path / "extra.json").write_text(json.dumps({"check": {"phases_s": {"asyppo": 80.0}}}))
    out = tmp_path / "gpu_run.json"
    assert main(["--asyppo", str(asyppo), "--ppo", str(ppo), "--actor", str(tiny_models[0]), "--critics", "2x",
                 str(tiny_models[1]), "--prompts", "4", "--group-size", "2", "--tokens-per-gpu", "512", "1024",
                 "--device", "NVIDIA H100 80GB HBM3", "--extra", str(tmp_path / "extra.json"), "--json",
                 str(out)]) == 0
    summary = json.loads(out.read_text())
    assert summary["device"] == "NVIDIA H100 80GB HBM3" and summary["check"] == {"phases_s": {"asyppo": 80.0}}
    run = summary["runs"]["asyppo"]
    assert (run["steps"], run["step_time_s"], run["peak_gpu_mem_gib"]) == (2, 8.0, 10.0)
    assert run["predicted_peak_gpu_mem_gib"] > 0 and run["phases"]["gen"]["predicted_tflops"] > 0
    assert run["sigma_tie_fraction"] == [0.0, 0.0] and "sigma_tie_fraction" not in summary["runs"]["ppo"]
    ratios = summary["asyppo_over_ppo"]
    assert ratios["step_time"]["measured"] == 0.8 and 0 < ratios["step_time"]["cost_model_flops"] < 1
    assert ratios["peak_gpu_mem"]["measured"] == 1.0 and 0 < ratios["peak_gpu_mem"]["cost_model"] < 1


@pytest.mark.slow
def test_gpu_check_runs_its_whole_flow_on_cpu_and_resumes_from_the_saved_step(tmp_path):
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "PYTHONPATH", "LANG")}
    env.update(GPU_CHECK_MODE="cpu", WORK_DIR=str(tmp_path), LAUNCH_TIMEOUT_S="600")
    result = subprocess.run(["bash", str(SCRIPTS_DIR / "gpu_check.sh")], env=env, capture_output=True, text=True,
                            timeout=2400)
    assert result.returncode == 0, result.stderr[-4000:]
    summary = json.loads((tmp_path / "gpu_run.json").read_text())
    assert summary["device"] == "cpu"
    assert summary["check"]["exit_status"] == {"asyppo": 0, "ppo": 0, "asyppo_resume": 0}
    assert summary["runs"]["asyppo"]["steps"] == summary["runs"]["ppo"]["steps"] == 3
    assert len(summary["runs"]["asyppo"]["sigma_tie_fraction"]) == 3
    assert summary["resume"]["steps_of_last_launch"] == [4]  # the resumed launch trained step 4 only
    assert summary["resume"]["global_steps_after_resume"] == [4]
    assert summary["resume"]["checkpoint_saved"] is True
