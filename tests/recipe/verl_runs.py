"""Launch real verl runs on CPU from tests (tiny local models, the overrides of ``recipe.asyppo.cpu.overrides``).

Each launch is a subprocess (``python -m recipe.asyppo.main_asyppo`` or stock ``python -m verl.trainer.main_ppo``) in
its own session, logging to a file in the run directory. :meth:`Launch.wait` kills the whole session (the driver and
the Ray cluster it started) if the launch runs too long, so no test leaves Ray processes behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from recipe.asyppo.cpu.overrides import PLUGIN_MODULE, cpu_env, cpu_overrides

ASYPPO = "recipe.asyppo.main_asyppo"
STOCK_VERL = "verl.trainer.main_ppo"
RUN_TIMEOUT_S = 900
PROBE_MODULE = "resume_probe"
PROBE_DIR_ENV = "ASYPPO_PROBE_DIR"


@dataclass
class Launch:
    """One running launch: its driver process and log file."""

    process: subprocess.Popen
    log: Path

    def log_tail(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def wait(self, timeout: float = RUN_TIMEOUT_S) -> int:
        """The driver's exit status; past ``timeout`` the session is killed and AssertionError raised."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
            raise AssertionError(f"launch exceeded {timeout} s; end of {self.log}:\n{self.log_tail()}") from None

    def wait_ok(self, timeout: float = RUN_TIMEOUT_S) -> None:
        returncode = self.wait(timeout)
        if returncode != 0:
            raise AssertionError(f"launch exited with {returncode}; end of {self.log}:\n{self.log_tail()}")

    def wait_until(self, condition: Callable[[], bool], timeout: float = RUN_TIMEOUT_S, poll_s: float = 0.05) -> None:
        """Return as soon as ``condition()`` holds; AssertionError if the launch exits or ``timeout`` passes first."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None:
                raise AssertionError(f"launch exited ({self.process.returncode}) before the condition held; "
                                     f"end of {self.log}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.kill_group()
                raise AssertionError(f"condition not met within {timeout} s; end of {self.log}:\n{self.log_tail()}")
            time.sleep(poll_s)

    def terminate_driver(self) -> None:
        """SIGTERM to the driver process only, as a scheduler or ``kill PID`` would send it."""
        self.process.send_signal(signal.SIGTERM)

    def session_pids(self) -> list[int]:
        """Live processes of the launch's session: the driver, the Ray cluster it started, Ray's workers (Linux)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                state, _, _, session = stat.read_text().rsplit(")", 1)[1].split()[:4]
            except (OSError, ValueError):
                continue
            if int(session) == self.process.pid and state != "Z":
                pids.append(int(stat.parent.name))
        return pids

    def wait_session_gone(self, timeout: float = 60) -> list[int]:
        """Wait until no process of the session is left; the pids still alive after ``timeout`` (then killed)."""
        deadline = time.monotonic() + timeout
        while (left := self.session_pids()) and time.monotonic() < deadline:
            time.sleep(0.5)
        if left:
            self.kill_group()
        return left

    def kill_group(self) -> None:
        """SIGKILL to every process of the launch's session (Ray gives its workers their own process groups)."""
        for pid in self.session_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()


def launch(module: str, out_dir: Path, models: tuple[Path, Path], data: tuple[Path, Path], steps: int,
           *extra: str, sizes: Mapping[str, int] | None = None, env: Mapping[str, str] | None = None,
           log_name: str = "run.log") -> Launch:
    """Start ``python -m module`` with the CPU overrides for ``steps`` steps plus the hydra overrides ``extra``.

    Args:
        models: (actor_dir, critic_dir); data: (train.parquet, val.parquet).
        sizes: keyword sizes for :func:`cpu_overrides` (``train_batch_size``, ``max_response_length``, ...).
        env: more environment variables for the driver and every Ray process.
        log_name: the launch's stdout and stderr, in ``out_dir``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    overrides = cpu_overrides(models[0], models[1], data[0], data[1], out_dir, steps=steps, extra_env=env,
                              **(sizes or {}))
    log = out_dir / log_name
    with open(log, "w") as f:
        process = subprocess.Popen([sys.executable, "-m", module, *overrides, *extra],
                                   env={**os.environ, **cpu_env(out_dir), **(env or {})}, stdout=f,
                                   stderr=subprocess.STDOUT, cwd=out_dir, start_new_session=True)
    return Launch(process, log)


def probe_env(probe_dir: Path) -> dict[str, str]:
    """Environment that loads :mod:`resume_probe` in every verl process, saving the loaded state under ``probe_dir``."""
    here = str(Path(__file__).resolve().parent)
    return {
        "VERL_USE_EXTERNAL_MODULES": f"{PLUGIN_MODULE},{PROBE_MODULE}",
        "PYTHONPATH": os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p),
        PROBE_DIR_ENV: str(probe_dir.resolve()),
    }
