"""The contract with verl 0.9.1: every touch point of upstream internals still matches, and only the seam touches them.

Fast (imports verl's modules, starts no Ray). When verl is upgraded this fails with the list of touch points to
review (recipe/asyppo/verl_compat/touch_points.py); after reviewing each, update its line and fingerprint there.
"""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
from pathlib import Path

import pytest
from verl.trainer.ppo.v1.trainer_base import PPOTrainer

from recipe.asyppo.verl_compat import VERL_VERSION, contract
from recipe.asyppo.verl_compat.touch_points import RELIES, TOUCH_POINTS

RECIPE = Path(__file__).resolve().parents[2] / "recipe" / "asyppo"
SEAM = RECIPE / "verl_compat"
# private upstream names that only the seam may override, call, import or write
PRIVATE_UPSTREAM_NAMES = {
    "_build_replay_buffer", "_consume_sync_metrics", "_save_checkpoint", "_validate", "_init_resource_pool_mgr",
    "_setup", "_compute_values", "_compute_advantage", "_update_critic", "_update_actor", "_load_checkpoint",
    "_ROLLOUT_REGISTRY", "_engines", "_server_handle", "_server_address", "__wrapped__", "_set_allocator_settings",
    "load_valuehead_model", "initialize_global_process_group_ray",
}


def test_installed_verl_matches_every_touch_point():
    problems = contract.check()
    assert problems == [], "verl changed under these touch points; review each:\n" + "\n".join(problems)


def test_verl_version_is_pinned():
    assert importlib.metadata.version("verl") == VERL_VERSION


def test_an_edited_upstream_function_is_reported_with_every_touch_point_on_it():
    # a copy of verl's _update_critic with one edit (the MFU metric renamed), as an upgrade might bring
    target = contract.resolve("verl.trainer.ppo.v1.trainer_base:PPOTrainer._update_critic")

    def edited_source(obj):
        source = inspect.getsource(obj)
        return source.replace('"perf/mfu/critic"', '"perf/critic_mfu"') if obj is target else source

    problems = contract.check(source=edited_source)
    upstream = "verl.trainer.ppo.v1.trainer_base:PPOTrainer._update_critic"
    assert [line.split(" (")[0] for line in problems] == [upstream, upstream]
    assert "CriticEnsembleTrainerHooks._update_critic" in problems[0] and "copies:critic_update_info" in problems[1]
    assert all("source changed" in line for line in problems)


def test_a_replaced_upstream_method_is_reported(monkeypatch):
    def _compute_values(self, batch, metrics):  # same name, another body
        return batch

    monkeypatch.setattr(PPOTrainer, "_compute_values", _compute_values)
    problems = contract.check()
    assert problems and all(line.startswith("verl.trainer.ppo.v1.trainer_base:PPOTrainer._compute_values ")
                            for line in problems)


def test_another_verl_version_asks_to_review_every_touch_point(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.9.2" if name == "verl" else "0")
    (problem,) = contract.check(touch_points=())
    assert problem.startswith("verl 0.9.2 is installed, the touch points were written against verl 0.9.1")


def test_a_missing_source_fragment_is_reported():
    point = next(p for p in TOUCH_POINTS if p.must_contain == ("self.score(",))
    problems = contract.check(touch_points=[point], source=lambda obj: "logits = self.head(sequence_output)")
    assert problems == [f"{point.upstream} ({point.ours}): no longer contains 'self.score('"]


def test_each_touch_point_names_code_in_the_seam_that_exists():
    for point in TOUCH_POINTS:
        module, _, qualname = point.ours.partition(":")
        if point.kind != RELIES:
            assert module.startswith("recipe.asyppo.verl_compat."), point
        assert contract.resolve(point.ours) is not None


def _private_upstream_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in PRIVATE_UPSTREAM_NAMES:
            found.append(f"{path.name}:{node.lineno} .{node.attr}")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in PRIVATE_UPSTREAM_NAMES:
            found.append(f"{path.name}:{node.lineno} def {node.name}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("verl"):
            found += [f"{path.name}:{node.lineno} import {a.name}" for a in node.names if a.name.startswith("_")
                      or a.name in PRIVATE_UPSTREAM_NAMES]
    return found


@pytest.mark.parametrize("path", sorted(p for p in RECIPE.rglob("*.py") if SEAM not in p.parents),
                         ids=lambda p: str(p.relative_to(RECIPE)))
def test_only_the_seam_overrides_calls_or_imports_verls_private_names(path):
    assert _private_upstream_uses(path) == []
