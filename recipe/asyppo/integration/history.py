"""A run's metric history across restarts, and the one reader of run metrics.

verl's ``file`` logger (``trainer.logger`` containing ``file``) writes one ``{"step": s, "data": {...}}`` line per
logged step to ``$VERL_FILE_LOGGER_PATH`` (default ``./<project>/<experiment>.jsonl``), and opens that file with mode
``"wb"``: every launch truncates it. So ``python -m recipe.asyppo.main_asyppo`` (AsyPPO and stock PPO/GRPO alike)
calls :func:`prepare_metrics_history` before verl starts, which keeps the earlier launches in a second file::

    metrics.jsonl           this launch's steps (verl's file logger)
    metrics.history.jsonl   the steps of all earlier launches up to the checkpoint this launch resumes from

A launch that resumes from ``global_step_k`` keeps the earlier steps ``<= k``; the earlier steps ``> k`` (the lost
tail of an interrupted launch: trained, logged, but not in any checkpoint this launch starts from) are dropped with a
warning, and the resumed launch logs those steps anew. A launch that does not resume keeps nothing. :func:`read_metrics`
merges the two files by step; plots, reports and tests read run metrics through it.

The same rule applies to other per-step logs that are appended to (the critic shard log,
``asyppo.shard_log_path``): :func:`keep_steps_up_to` drops the records after the resumed checkpoint.

CLI: ``python -m recipe.asyppo.integration.history RUN_DIR_OR_METRICS_FILE`` prints the merged history as verl-format
JSONL.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rewards.jsonl import read_json_objects

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.jsonl"
HISTORY_SUFFIX = ".history.jsonl"
FILE_LOGGER_PATH_ENV = "VERL_FILE_LOGGER_PATH"
FILE_LOGGER_ROOT_ENV = "VERL_FILE_LOGGER_ROOT"

History = dict[int, dict[str, Any]]


def history_path(metrics_path: str | Path) -> Path:
    """``metrics.history.jsonl`` beside ``metrics.jsonl``: the earlier launches of the run."""
    metrics_path = Path(metrics_path)
    return metrics_path.with_name(metrics_path.name.removesuffix(".jsonl") + HISTORY_SUFFIX)


def read_step_records(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """(step, record) for each line of a JSONL file whose records carry an integer ``step``; [] if it is absent.

    A last line without its newline that is not valid JSON is the torn write of a killed process: it is skipped with
    a warning. Any other bad line is an error.

    Raises:
        ValueError: a line that is not a JSON object with an integer ``step``; the message names file and line.
    """
    path = Path(path)
    if not path.exists():
        return []
    text = path.read_text()
    lines = text.splitlines()
    if lines and not text.endswith("\n"):
        try:
            json.loads(lines[-1])
        except json.JSONDecodeError:
            logger.warning("%s:%d: skipping an incomplete last line (a killed writer)", path, len(lines))
            lines = lines[:-1]
    records = []
    for number, record in read_json_objects(lines, str(path)):
        step = record.get("step")
        if not isinstance(step, int) or isinstance(step, bool):
            raise ValueError(f"{path}:{number}: expected an integer 'step', got {step!r}")
        records.append((step, record))
    return records


def _read_metric_file(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(step, data) for each verl file-logger line of ``path``."""
    rows = []
    for step, record in read_step_records(path):
        if not isinstance(record.get("data"), dict):
            raise ValueError(f"{path}: step {step}: expected a 'data' object (a verl file-logger line)")
        rows.append((step, record["data"]))
    return rows


def _merge(rows: list[tuple[int, dict[str, Any]]]) -> History:
    """Step -> metrics; a step logged more than once gets the union of its lines, later lines winning."""
    merged: History = {}
    for step, data in rows:
        merged.setdefault(step, {}).update(data)
    return dict(sorted(merged.items()))


def metrics_file(run: str | Path) -> Path:
    """The verl file-logger file of ``run``: ``run/metrics.jsonl`` for a directory, else ``run`` itself."""
    run = Path(run)
    return run / METRICS_FILE if run.is_dir() else run


def read_metrics(run: str | Path) -> History:
    """The whole metric history of a run: ``{step: {metric: value}}``, steps ascending, each step once.

    Args:
        run: a run directory holding ``metrics.jsonl`` (e.g. ``WORK_DIR`` of ``run_tiny_cpu.sh``), or the path of a
            verl file-logger file (``$VERL_FILE_LOGGER_PATH``).

    Earlier launches (``metrics.history.jsonl``) come first, the latest launch wins on a step both logged (verl's
    initial validation of a resumed launch is logged at the resumed step). Works for AsyPPO, PPO and GRPO runs.

    Raises:
        FileNotFoundError: neither the metrics file nor its history exists.
        ValueError: a malformed line; the message names file and line.
    """
    path = metrics_file(run)
    earlier = history_path(path)
    if not path.exists() and not earlier.exists():
        raise FileNotFoundError(f"no metrics at {path} (nor {earlier.name}); was trainer.logger given 'file'?")
    return _merge(_read_metric_file(earlier) + _read_metric_file(path))


def metric_curve(history: Mapping[int, Mapping[str, Any]], key: str) -> tuple[list[int], list[float]]:
    """(steps, values) of one metric over a :func:`read_metrics` history, for the steps that logged a value (a
    null, such as a NaN written by verl's file logger, counts as not logged)."""
    steps = [step for step, data in history.items() if data.get(key) is not None]
    return steps, [float(history[step][key]) for step in steps]


def _write_jsonl_atomic(path: Path, records: list[dict[str, Any]]) -> None:
    """Replace ``path`` with ``records`` in one rename, so a kill leaves the old or the new file, never half."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")
    os.replace(tmp, path)


def start_launch(metrics_path: str | Path, resumed_step: int | None) -> list[int]:
    """Fold the earlier launches' metrics into ``metrics.history.jsonl`` before a launch (re)writes ``metrics_path``.

    Keeps the steps ``<= resumed_step`` of ``metrics.history.jsonl`` and ``metrics_path`` (nothing when
    ``resumed_step`` is None: a launch that does not resume starts a new history), writes them to the history file and
    removes ``metrics_path``. Idempotent: running it twice with the same ``resumed_step`` changes nothing more.

    Returns:
        The earlier steps dropped (the lost tail), ascending.
    """
    path = Path(metrics_path)
    earlier = history_path(path)
    merged = _merge(_read_metric_file(earlier) + _read_metric_file(path))
    last = -1 if resumed_step is None else resumed_step
    dropped = [step for step in merged if step > last]
    kept = [{"step": step, "data": data} for step, data in merged.items() if step <= last]
    if dropped:
        logger.warning("%s: dropping earlier steps %s, which are not in the checkpoint this launch starts from (%s)",
                       path, _span(dropped), "none" if resumed_step is None else f"global_step_{resumed_step}")
    if kept:
        _write_jsonl_atomic(earlier, kept)
    else:
        earlier.unlink(missing_ok=True)
    path.unlink(missing_ok=True)
    return dropped


def keep_steps_up_to(path: str | Path, last_step: int) -> list[int]:
    """Drop the records with ``step > last_step`` from a per-step JSONL log (e.g. the shard log) that is appended to.

    Returns:
        The dropped steps, ascending and unique; the file is rewritten only when something is dropped.
    """
    path = Path(path)
    records = read_step_records(path)
    dropped = sorted({step for step, _ in records if step > last_step})
    if dropped:
        logger.warning("%s: dropping steps %s, which are after the resumed checkpoint (global_step_%d)",
                       path, _span(dropped), last_step)
        _write_jsonl_atomic(path, [record for step, record in records if step <= last_step])
    return dropped


def _span(steps: list[int]) -> str:
    return str(steps[0]) if len(steps) == 1 else f"{steps[0]}..{steps[-1]} ({len(steps)} steps)"


# ------------------------------------------------------------------------------------ from a verl run config
def file_logger_path(config: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> Path | None:
    """Where verl's file logger of this run writes, or None when ``trainer.logger`` has no ``file``.

    Resolved as verl's ``FileLogger`` does, with the Ray runtime environment's variables
    (``ray_kwargs.ray_init.runtime_env.env_vars``) over ``environ``; a relative path is taken from the current
    directory (a local Ray cluster's workers share it).
    """
    trainer = config["trainer"]
    loggers = trainer["logger"]
    if "file" not in ([loggers] if isinstance(loggers, str) else list(loggers)):
        return None
    ray_env = ((config.get("ray_kwargs") or {}).get("ray_init") or {}).get("runtime_env") or {}
    env = {**environ, **{k: str(v) for k, v in (ray_env.get("env_vars") or {}).items()}}
    path = env.get(FILE_LOGGER_PATH_ENV)
    if not path:
        root = os.path.expanduser(env.get(FILE_LOGGER_ROOT_ENV, "."))
        path = os.path.join(root, trainer["project_name"], f"{trainer['experiment_name']}.jsonl")
    return Path(path).absolute()


def resume_step(config: Mapping[str, Any]) -> int | None:
    """The global step verl's trainer will resume from (``trainer.resume_mode``), or None when it starts fresh.

    verl's own rule (``auto``: the latest checkpoint under ``trainer.default_local_dir``; ``resume_path``:
    ``trainer.resume_from_path``), copied in :func:`recipe.asyppo.verl_compat.copies.resume_step`.
    """
    from recipe.asyppo.verl_compat.copies import resume_step as verl_resume_step

    return verl_resume_step(config["trainer"])


def prepare_metrics_history(config: Mapping[str, Any]) -> Path | None:
    """:func:`start_launch` for the file logger of a verl run config; the metrics path, or None (no file logger)."""
    path = file_logger_path(config)
    if path is None:
        return None
    step = resume_step(config)
    start_launch(path, step)
    path.parent.mkdir(parents=True, exist_ok=True)
    logger.info("metrics: %s (earlier launches up to step %s: %s)", path, step, history_path(path).name)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print a run's merged metric history (verl file-logger JSONL).")
    parser.add_argument("run", help="run directory holding metrics.jsonl, or a verl file-logger file")
    args = parser.parse_args(argv)
    for step, data in read_metrics(args.run).items():
        sys.stdout.write(json.dumps({"step": step, "data": data}) + "\n")


if __name__ == "__main__":
    main()
