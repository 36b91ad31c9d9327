"""A pool of verifier worker processes with a hard per-task time limit, usable from any thread.

Each worker is a plain ``python -m rewards.pool_worker`` subprocess talking JSON lines over pipes (no
``multiprocessing``, so it also works inside Ray workers and threads). A task that runs past its limit gets the
outcome ``timeout``; its worker is killed and replaced. One module-level pool is created lazily, reused across calls
and threads, and shut down at exit (or re-created after a fork).
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
    """Runs (gold, answer) comparisons in worker processes, each under its own time limit.

    Concurrent callers (threads) check workers out and back in, so they run in parallel; the pool holds at most
    ``max(max_workers, largest request)`` processes and callers wait for a free one beyond that.
    """

    def __init__(self, max_workers: int | None = None) -> None:
        self._max_workers = max_workers or os.cpu_count() or 1
        self._idle: list[_Worker] = []
        self._live: set[_Worker] = set()
        self._condition = threading.Condition()

    def judge(self, tasks: list[tuple[str, str]], workers: int, timeout_s: float) -> list[Outcome]:
        """Outcomes of ``tasks`` in order, using up to ``workers`` processes; ``timeout_s`` is per task."""
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        if not tasks:
            return []
        mine = self._check_out(min(workers, len(tasks)))
        try:
            return self._run(tasks, mine, timeout_s)
        finally:
            self._check_in(mine)

    def _check_out(self, wanted: int) -> list[_Worker]:
        with self._condition:
            limit = max(self._max_workers, wanted)
            while not self._idle and len(self._live) >= limit:
                self._condition.wait()
            taken, self._idle = self._idle[:wanted], self._idle[wanted:]
            for _ in range(min(wanted - len(taken), limit - len(self._live))):
                taken.append(self._start())
            return taken

    def _start(self) -> _Worker:
        worker = _Worker()
        with self._condition:
            self._live.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._condition:
            self._live.discard(worker)
            self._condition.notify_all()

    def _check_in(self, workers: list[_Worker]) -> None:
        for worker in workers:
            if worker.task is not None or worker.process.poll() is not None:  # interrupted mid-task, or dead
                self._retire(worker)
        with self._condition:
            self._idle.extend(w for w in workers if w in self._live)
            self._condition.notify_all()

    def _replace(self, workers: list[_Worker], worker: _Worker) -> None:
        self._retire(worker)
        workers[workers.index(worker)] = self._start()

    def _run(self, tasks: list[tuple[str, str]], workers: list[_Worker], timeout_s: float) -> list[Outcome]:
        results: list[Outcome | None] = [None] * len(tasks)
        next_task = 0
        while next_task < len(tasks) or any(w.task is not None for w in workers):
            for worker in list(workers):
                if worker.ready and worker.task is None and next_task < len(tasks):
                    try:
                        worker.send(next_task, *tasks[next_task], timeout_s)
                    except OSError:  # it died while idle: replace it, the task stays queued
                        worker.task = None
                        self._replace(workers, worker)
                        continue
                    next_task += 1
            deadlines = [w.deadline for w in workers if w.task is not None]
            deadlines += [w.started + STARTUP_TIMEOUT_S for w in workers if not w.ready]
            wait_s = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            readable, _, _ = select.select([w.fd for w in workers], [], [], wait_s)
            for worker in list(workers):
                if worker.fd in readable:
                    self._receive(workers, worker, results)
                else:
                    self._check_deadline(workers, worker, results)
        return results  # type: ignore[return-value]

    def _receive(self, workers: list[_Worker], worker: _Worker, results: list[Outcome | None]) -> None:
        messages = worker.read_lines()
        if messages is None:  # the worker died (e.g. out of memory)
            if not worker.ready:
                self._retire(worker)
                raise RuntimeError("verifier worker exited during start-up; run `python -m rewards.pool_worker`")
            if worker.task is not None:
                results[worker.task] = Outcome(False, "parse_error")
            self._replace(workers, worker)
            return
        for message in messages:
            if message.get("ready"):
                worker.ready = True
            elif worker.task is not None:
                results[worker.task] = Outcome(bool(message["correct"]), message["reason"])
                worker.task = None

    def _check_deadline(self, workers: list[_Worker], worker: _Worker, results: list[Outcome | None]) -> None:
        now = time.monotonic()
        if not worker.ready and now > worker.started + STARTUP_TIMEOUT_S:
            self._retire(worker)
            raise RuntimeError(f"verifier worker did not start within {STARTUP_TIMEOUT_S} s")
        if worker.task is not None and now > worker.deadline:
            results[worker.task] = Outcome(False, "timeout")
            self._replace(workers, worker)

    def shutdown(self) -> None:
        """Kill every worker (the pool stays usable; workers are started again on demand)."""
        with self._condition:
            live, self._live, self._idle = list(self._live), set(), []
        for worker in live:
            worker.kill()

    @property
    def worker_pids(self) -> set[int]:
        """Process ids of the live workers."""
        with self._condition:
            return {w.process.pid for w in self._live}


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
