"""Fingerprints of upstream definitions, and the check of the touch points against the installed packages.

The check reads each upstream definition from its source FILE (found with ``importlib.util.find_spec``), not from the
live object, so a patch we installed in this process (e.g. the critic loader) never hides the upstream code. A
fingerprint is the first 16 hex digits of the SHA-256 of the definition's source (decorators included) and its
argument list; any edit of the definition changes it. :func:`check` compares every touch point of
:data:`recipe.asyppo.verl_compat.touch_points.TOUCH_POINTS` with what is installed and returns one line per mismatch
(an empty list: the contract holds). Starts nothing; imports only the upstream packages' ``__init__``.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import importlib.util
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from recipe.asyppo.verl_compat import VERL_VERSION
from recipe.asyppo.verl_compat.touch_points import TOUCH_POINTS, TouchPoint


@dataclass(frozen=True)
class Definition:
    """An upstream definition as written in its file: ``where`` is ``package/relative/file.py:line``."""

    where: str
    source: str
    arguments: str

    @property
    def fingerprint(self) -> str:
        """16 hex digits of SHA-256 over the source and the argument list."""
        return hashlib.sha256((self.source + "\n" + self.arguments).encode()).hexdigest()[:16]


def package_root(package: str) -> Path:
    """The directory of an installed top-level package (found without importing it)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"package {package} is not installed")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def find_definition(upstream: str, roots: Mapping[str, Path] | None = None) -> Definition:
    """The definition named ``module:qualname`` in the source file of ``module``.

    Args:
        upstream: e.g. ``verl.trainer.ppo.v1.trainer_base:PPOTrainer._update_critic``.
        roots: a package's source directory to read instead of the installed one (``{"verl": Path(...)}``).

    Raises:
        ImportError: the module's file does not exist.
        AttributeError: the file has no such definition.
    """
    module, _, qualname = upstream.partition(":")
    package, *parts = module.split(".")
    root = (roots or {}).get(package) or package_root(package)
    path = root.joinpath(*parts).with_suffix(".py")
    if not path.is_file():
        path = root.joinpath(*parts, "__init__.py")
    if not path.is_file():
        raise ImportError(f"no source file for module {module} under {root}")
    text = path.read_text()
    node: ast.AST = ast.parse(text, str(path))
    for name in qualname.split("."):
        found = [child for child in getattr(node, "body", [])
                 if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and child.name == name]
        if not found:
            raise AttributeError(f"{path.name} has no definition {qualname} (missing: {name})")
        node = found[-1]
    first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
    source = "\n".join(text.splitlines()[first - 1:node.end_lineno])
    arguments = ast.unparse(node.args) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else ""
    return Definition(f"{package}/{path.relative_to(root).as_posix()}:{first}", source, arguments)


def check(touch_points: Iterable[TouchPoint] = TOUCH_POINTS, roots: Mapping[str, Path] | None = None) -> list[str]:
    """One line per touch point whose upstream no longer matches (gone, moved, changed); [] when all match."""
    problems = []
    installed = importlib.metadata.version("verl")
    if installed != VERL_VERSION:
        problems.append(f"verl {installed} is installed, the touch points were written against verl {VERL_VERSION}: "
                        "review every touch point")
    for point in touch_points:
        try:
            definition = find_definition(point.upstream, roots)
        except (ImportError, AttributeError) as error:
            problems.append(f"{point.upstream} ({point.ours}): gone ({error})")
            continue
        if point.fingerprint is not None:
            if definition.fingerprint != point.fingerprint:
                problems.append(f"{point.upstream} ({point.ours}): source changed (fingerprint "
                                f"{definition.fingerprint}, expected {point.fingerprint})")
            if definition.where != point.where:
                problems.append(f"{point.upstream} ({point.ours}): moved to {definition.where} (the seam says "
                                f"{point.where})")
        for needed in point.must_contain:
            if needed not in definition.source:
                problems.append(f"{point.upstream} ({point.ours}): no longer contains {needed!r}")
    return problems
