"""Read JSON Lines input with errors that name the file and line, and dotted fields of its rows: shared by every
command that takes a JSONL or row-oriented file."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any


def read_json_objects(
    lines: Iterable[str], where: str, error_type: type[Exception] = ValueError
) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of ``lines``, numbered from 1.

    Args:
        lines: the text lines (an open file or ``str.splitlines()``).
        where: the file name used in error messages, as ``{where}:{line}: ...``.
        error_type: the exception class raised for a bad line.

    Raises:
        error_type: a line is not valid JSON, or holds something other than a JSON object.
    """
    rows = []
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise error_type(f"{where}:{line_number}: invalid JSON ({error.msg})") from error
        if not isinstance(row, dict):
            raise error_type(f"{where}:{line_number}: expected a JSON object, got {type(row).__name__}")
        rows.append((line_number, row))
    return rows


def get_dotted(row: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """``row[a][b]`` for ``path == "a.b"``; ``default`` when any part is absent or a parent is not a mapping."""
    value: Any = row
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return default
        value = value[key]
    return value
