"""The contract with verl 0.9.1: every touch point of upstream internals still matches, and only the seam touches them.

Fast (imports verl's modules, starts no Ray). When verl is upgraded this fails with the list of touch points to
review (recipe/asyppo/verl_compat/touch_points.py); after reviewing each, update its line and fingerprint there.
"""

from __future__ import annotations

import ast
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from recipe.asyppo.verl_compat import VERL_VERSION, contract
from recipe.asyppo.verl_compat.touch_points import RELIES, TOUCH_POINTS

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "recipe" / "asyppo"
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


def _verl_copy_with(tmp_path: Path, relative: str, old: str, new: str) -> Path:
    """A copy of the installed verl source tree's ``relative`` file (alone) with ``old`` replaced by ``new``."""
    source = contract.package_root("verl") / relative
    copy = tmp_path / "verl" / relative
    copy.parent.mkdir(parents=True)
    text = source.read_text()
    assert text.count(old) == 1
    copy.write_text(text.replace(old, new))
    return tmp_path / "verl"


def test_an_edited_upstream_function_is_reported_with_every_touch_point_on_it(tmp_path):
    # verl's _update_critic with one edit (the MFU metric renamed), as an upgrade might bring
    root = _verl_copy_with(tmp_path, "trainer/ppo/v1/trainer_base.py",
                           'output["perf/mfu/critic"] = output.pop("critic/mfu")',
                           'output["perf/critic_mfu"] = output.pop("critic/mfu")')
    on_that_file = [p for p in TOUCH_POINTS if p.upstream.startswith("verl.trainer.ppo.v1.trainer_base:")]
    problems = contract.check(on_that_file, roots={"verl": root})
    upstream = "verl.trainer.ppo.v1.trainer_base:PPOTrainer._update_critic"
    assert [line.split(" (")[0] for line in problems] == [upstream, upstream]
    assert "CriticEnsembleTrainerHooks._update_critic" in problems[0] and "copies:critic_update_info" in problems[1]
    assert all("source changed" in line for line in problems)


def test_a_moved_upstream_function_is_reported_with_its_new_line(tmp_path):
    root = _verl_copy_with(tmp_path, "utils/model.py", "def load_valuehead_model(", "\n\ndef load_valuehead_model(")
    point = next(p for p in TOUCH_POINTS if p.upstream == "verl.utils.model:load_valuehead_model")
    assert contract.check([point], roots={"verl": root}) == [
        f"{point.upstream} ({point.ours}): moved to verl/utils/model.py:643 (the seam says {point.where})"]


def test_a_removed_upstream_function_is_reported_as_gone(tmp_path):
    root = _verl_copy_with(tmp_path, "workers/rollout/base.py", "def get_rollout_class(", "def rollout_class(")
    point = next(p for p in TOUCH_POINTS if p.upstream == "verl.workers.rollout.base:get_rollout_class")
    (problem,) = contract.check([point], roots={"verl": root})
    assert problem.startswith(f"{point.upstream} ({point.ours}): gone (base.py has no definition get_rollout_class")


def test_the_check_reads_verls_files_and_imports_no_verl_module_so_a_patch_cannot_hide_one():
    # the critic loader rebinds verl.utils.model.load_valuehead_model in its process; the check never looks at it
    script = ("import sys; from recipe.asyppo.verl_compat import contract; problems = contract.check(); "
              "print(len(problems), sorted(m for m in sys.modules if m.split('.')[0] == 'verl'))")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["0", "[]"]


def test_another_verl_version_asks_to_review_every_touch_point(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.9.2" if name == "verl" else "0")
    (problem,) = contract.check(touch_points=())
    assert problem.startswith("verl 0.9.2 is installed, the touch points were written against verl 0.9.1")


def test_a_missing_source_fragment_is_reported(tmp_path):
    root = _verl_copy_with(tmp_path, "workers/engine/fsdp/transformer_impl.py",
                           "                from verl.utils.model import load_valuehead_model\n",
                           "                from verl.utils.model_loaders import load_valuehead_model\n")
    point = next(p for p in TOUCH_POINTS if p.upstream.endswith("FSDPEngine._build_module"))
    assert contract.check([point], roots={"verl": root}) == [
        f"{point.upstream} ({point.ours}): no longer contains 'from verl.utils.model import load_valuehead_model'"]


def test_each_touch_point_names_code_in_the_seam_that_exists():
    for point in TOUCH_POINTS:
        if point.kind != RELIES:
            assert point.ours.startswith("recipe.asyppo.verl_compat."), point
        assert contract.find_definition(point.ours, roots={"recipe": REPO / "recipe"}).source


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


def test_the_recipe_readme_lists_every_touch_point_with_its_line():
    readme = (RECIPE / "README.md").read_text()
    missing = [p.upstream for p in TOUCH_POINTS
               if p.upstream.split(":")[1] not in readme or p.where.removeprefix("verl/") not in readme]
    assert missing == []
