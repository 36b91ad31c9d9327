"""A pool of verifier worker processes with a hard per-task time limit, usable from any thread.

Each worker is a plain ``python -m rewards.pool_worker`` subprocess talking JSON lines over pipes (no
``multiprocessing``, so it also works inside Ray workers and threads). A task that runs past its limit gets the
outcome ``timeout``; its worker is killed and replaced. One module-level pool is created lazily, grows to the largest
number of workers asked for, is reused across calls, and is shut down at exit (or re-created after a fork).
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

from rewards.compare import Outcome

STARTUP_TIMEOUT_S = 120.0
"""How long a new worker may take to import Math-Verify and SymPy before the pool gives up."""

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])


class _Worker:
    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rewards.pool_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            bufsize=0,
        )
        self.fd = self.process.stdout.fileno()
        self.buffer = b""
        self.ready = False
        self.started = time.monotonic()
        self.task: int | None = None
        self.deadline = 0.0

    def send(self, index: int, gold: str, answer: str, timeout_s: float) -> None:
        self.task = index
        self.deadline = time.monotonic() + timeout_s
        self.process.stdin.write(json.dumps({"gold": gold, "answer": answer}).encode() + b"\n")

    def read_lines(self) -> list[dict] | None:
        """Messages now readable; None when the worker has exited."""
        chunk = os.read(self.fd, 65536)
        if not chunk:
            return None
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in lines if line]

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            stream.close()


class WorkerPool:
    """Runs (gold, answer) comparisons in worker processes, each under its own time limit."""

    def __init__(self) -> None:
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()

    def judge(self, tasks: list[tuple[str, str]], workers: int, timeout_s: float) -> list[Outcome]:
        """Outcomes of ``tasks`` in order, using up to ``workers`` processes; ``timeout_s`` is per task."""
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        with self._lock:
            return self._run(tasks, min(workers, max(len(tasks), 1)), timeout_s)

    def _run(self, tasks: list[tuple[str, str]], workers: int, timeout_s: float) -> list[Outcome]:
        while len(self._workers) < workers:
            self._workers.append(_Worker())
        active = self._workers[:workers]
        results: list[Outcome | None] = [None] * len(tasks)
        next_task = 0
        while next_task < len(tasks) or any(w.task is not None for w in active):
            for worker in active:
                if worker.ready and worker.task is None and next_task < len(tasks):
                    worker.send(next_task, *tasks[next_task], timeout_s)
                    next_task += 1
            now = time.monotonic()
            deadlines = [w.deadline for w in active if w.task is not None]
            deadlines += [w.started + STARTUP_TIMEOUT_S for w in active if not w.ready]
            wait_s = max(0.0, min(deadlines) - now) if deadlines else None
            readable, _, _ = select.select([w.fd for w in active], [], [], wait_s)
            for index, worker in enumerate(active):
                if worker.fd in readable:
                    replacement = self._receive(worker, results)
                else:
                    replacement = self._check_deadline(worker, results)
                if replacement is not None:
                    active[index] = replacement
                    self._workers[self._workers.index(worker)] = replacement
        return results  # type: ignore[return-value]

    def _receive(self, worker: _Worker, results: list[Outcome | None]) -> _Worker | None:
        messages = worker.read_lines()
        if messages is None:  # the worker died (e.g. out of memory) while on a task
            if not worker.ready:
                raise RuntimeError("verifier worker exited during start-up; run `python -m rewards.pool_worker`")
            if worker.task is not None:
                results[worker.task] = Outcome(False, "parse_error")
            worker.kill()
            return _Worker()
        for message in messages:
            if message.get("ready"):
                worker.ready = True
            elif worker.task is not None:
                results[worker.task] = Outcome(bool(message["correct"]), message["reason"])
                worker.task = None
        return None

    def _check_deadline(self, worker: _Worker, results: list[Outcome | None]) -> _Worker | None:
        now = time.monotonic()
        if not worker.ready and now > worker.started + STARTUP_TIMEOUT_S:
            worker.kill()
            raise RuntimeError(f"verifier worker did not start within {STARTUP_TIMEOUT_S} s")
        if worker.task is not None and now > worker.deadline:
            results[worker.task] = Outcome(False, "timeout")
            worker.kill()
            return _Worker()
        return None

    def shutdown(self) -> None:
        """Kill every worker (the pool stays usable; workers are started again on demand)."""
        with self._lock:
            for worker in self._workers:
                worker.kill()
            self._workers = []


_pool: WorkerPool | None = None
_pool_pid: int | None = None
_pool_lock = threading.Lock()


def get_pool() -> WorkerPool:
    """The process-wide pool (a fresh one in a forked child, which must not share its parent's pipes)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool, _pool_pid = WorkerPool(), os.getpid()
        return _pool


def _shutdown_at_exit() -> None:
    if _pool is not None and _pool_pid == os.getpid():
        _pool.shutdown()


atexit.register(_shutdown_at_exit)
