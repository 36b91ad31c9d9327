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
