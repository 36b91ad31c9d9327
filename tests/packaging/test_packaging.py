"""How the packages depend on each other and what importing them costs.

Layers, lowest first: ``rewards`` (verifiers; math-verify and sympy only) <- ``eval`` (benchmark registry and data,
prompt templates, evaluation) <- ``data_prep`` (training sets, decontaminated against ``eval``'s benchmarks, written
with ``eval``'s templates) <- ``recipe`` (the verl recipe). A package imports only packages in lower layers, so there
is no cycle, and ``rewards`` works in a venv holding only the base install.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("rewards", "eval", "data_prep", "recipe")
HEAVY = ("torch", "numpy", "transformers", "datasets", "pandas", "pyarrow", "verl", "ray", "matplotlib")


def imported_packages(package: str) -> dict[str, set[str]]:
    """Our packages that ``package`` imports anywhere (module level or inside functions) -> the files that do."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO_ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in LAYERS and top != package:
                    found.setdefault(top, set()).add(str(path.relative_to(REPO_ROOT)))
    return found


def test_each_package_imports_only_lower_layers_so_there_is_no_cycle():
    upward = {
        package: {other: sorted(files) for other, files in imported_packages(package).items()
                  if LAYERS.index(other) > LAYERS.index(package)}
        for package in LAYERS
    }
    assert upward == {package: {} for package in LAYERS}


def test_the_layers_are_used_as_documented():
    assert set(imported_packages("rewards")) == set()
    assert set(imported_packages("eval")) == {"rewards"}
    assert set(imported_packages("data_prep")) == {"rewards", "eval"}


def test_import_rewards_and_scoring_a_pair_load_no_heavy_package():
    script = f"""
import json, sys
import rewards, rewards.cli
verdicts = [rewards.score("so \\\\boxed{{0.5}}", "\\\\frac{{1}}{{2}}"), rewards.score("\\\\boxed{{x^2+2x}}", "x(x+2)")]
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
print(json.dumps({{"reasons": [v.reason for v in verdicts], "heavy": heavy}}))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                          check=True)
    report = json.loads(done.stdout.splitlines()[-1])
    assert report == {"reasons": ["numeric", "symbolic"], "heavy": []}


# ------------------------------------------------------------------------------------------ inside the recipe
RECIPE = REPO_ROOT / "recipe" / "asyppo"
# subpackage -> the recipe subpackages it may import (itself always); entry points and scripts may import any
RECIPE_LAYERS = {
    "core": set(),
    "verl_compat": set(),
    "integration": {"core", "verl_compat"},
    "cpu": {"verl_compat", "integration"},
    "tools": {"core", "integration"},
}
UPSTREAM = ("verl", "ray", "transfer_queue", "tensordict", "vllm")


def recipe_module(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Absolute module names ``path`` imports anywhere (module level or inside functions)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def recipe_graph() -> dict[str, set[str]]:
    """recipe module -> the recipe modules it imports (``from pkg import module`` counts as importing the module)."""
    modules = {recipe_module(path): path for path in RECIPE.rglob("*.py")}
    return {name: {target for target in imports_of(path) if target in modules and target != name}
            for name, path in modules.items()}


def subpackage(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 3 or (len(parts) == 3 and parts[2] in RECIPE_LAYERS) else None


def test_recipe_subpackages_import_only_what_their_layer_allows():
    wrong = {}
    for module, targets in recipe_graph().items():
        layer = subpackage(module)
        if layer not in RECIPE_LAYERS:
            continue
        allowed = RECIPE_LAYERS[layer] | {layer}
        bad = sorted(t for t in targets if t != "recipe.asyppo" and subpackage(t) not in allowed)
        if bad:
            wrong[module] = bad
    assert wrong == {}


def test_the_core_imports_no_verl_ray_or_transfer_queue():
    upstream = {str(path.relative_to(RECIPE)): sorted(n for n in imports_of(path) if n.split(".")[0] in UPSTREAM)
                for path in (RECIPE / "core").rglob("*.py")}
    assert upstream and all(names == [] for names in upstream.values()), upstream


def test_there_is_no_import_cycle_in_the_recipe():
    graph = recipe_graph()
    cycles, state = [], {}

    def visit(module: str, stack: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target, [*stack, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_documented_entry_points_still_run():
    for module in ("recipe.asyppo.main_asyppo", "recipe.asyppo.learning_report"):
        done = subprocess.run([sys.executable, "-m", module, "--help"], cwd=REPO_ROOT, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, (module, done.stderr[-2000:])
