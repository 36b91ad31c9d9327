"""Fingerprints of upstream functions, and the check of the touch points against the installed packages.

A fingerprint is the first 16 hex digits of the SHA-256 of a function's source (decorators unwrapped) and its
signature; any edit of an upstream function changes it. :func:`check` compares every touch point of
:data:`recipe.asyppo.verl_compat.touch_points.TOUCH_POINTS` with what is installed and returns one line per
mismatch (an empty list: the contract holds). Imports the upstream modules (verl, transformers), starts nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import inspect
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from recipe.asyppo.verl_compat import VERL_VERSION
from recipe.asyppo.verl_compat.touch_points import TOUCH_POINTS, TouchPoint


def resolve(upstream: str) -> Any:
    """The object named ``module:qualname`` (a property resolves to its getter), decorators unwrapped."""
    module_name, _, qualname = upstream.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = inspect.getattr_static(obj, part) if inspect.isclass(obj) else getattr(obj, part)
    if isinstance(obj, property):
        obj = obj.fget
    if isinstance(obj, staticmethod | classmethod):
        obj = obj.__func__
    return inspect.unwrap(obj)


def source_of(obj: Any) -> str:
    return inspect.getsource(obj)


def fingerprint(obj: Any, source: Callable[[Any], str] = source_of) -> str:
    """16 hex digits of SHA-256 over ``obj``'s source and signature."""
    try:
        signature = str(inspect.signature(obj))
    except (TypeError, ValueError):
        signature = ""
    return hashlib.sha256((source(obj) + "\n" + signature).encode()).hexdigest()[:16]


def location(obj: Any, package: str = "verl") -> str:
    """``file:line`` of ``obj``'s definition, the file relative to the installed ``package`` root (absolute when the
    definition is outside it)."""
    path = Path(inspect.getsourcefile(obj)).resolve()
    root = Path(importlib.import_module(package).__file__).resolve().parent
    line = inspect.getsourcelines(obj)[1]
    name = f"{package}/{path.relative_to(root).as_posix()}" if path.is_relative_to(root) else str(path)
    return f"{name}:{line}"


def check(touch_points: Iterable[TouchPoint] = TOUCH_POINTS,
          source: Callable[[Any], str] = source_of) -> list[str]:
    """One line per touch point whose upstream no longer matches (gone, moved, changed); [] when all match."""
    problems = []
    installed = importlib.metadata.version("verl")
    if installed != VERL_VERSION:
        problems.append(f"verl {installed} is installed, the touch points were written against verl {VERL_VERSION}: "
                        "review every touch point")
    for point in touch_points:
        try:
            obj = resolve(point.upstream)
        except (ImportError, AttributeError) as error:
            problems.append(f"{point.upstream} ({point.ours}): gone ({type(error).__name__}: {error})")
            continue
        if point.fingerprint is not None:
            got = fingerprint(obj, source)
            if got != point.fingerprint:
                problems.append(f"{point.upstream} ({point.ours}): source changed (fingerprint {got}, expected "
                                f"{point.fingerprint})")
            where = location(obj, point.upstream.split(".")[0])
            if where != point.where:
                problems.append(f"{point.upstream} ({point.ours}): moved to {where} (the seam says {point.where})")
        for needed in point.must_contain:
            if needed not in source(obj):
                problems.append(f"{point.upstream} ({point.ours}): no longer contains {needed!r}")
    return problems
