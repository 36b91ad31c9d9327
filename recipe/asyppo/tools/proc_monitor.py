"""Run a command and record the peak memory of its whole process tree (the driver, Ray's daemons and workers).

    python -m recipe.asyppo.tools.proc_monitor --out peak_memory.json [--interval-s 1] -- \
        python -m recipe.asyppo.main_asyppo ...

The command runs in its own session. Every ``interval_s`` the memory of every live process of that session is read
with psutil and summed; the JSON file gets the peaks of the sums:

- ``peak_rss_gib``: resident set size summed over processes. Pages shared between processes (Ray's object store,
  shared libraries) count once per process, so this overstates the machine's use.
- ``peak_pss_gib``: proportional set size summed (each shared page split among its users): what the run adds to the
  machine's memory use. Read from ``/proc/PID/smaps_rollup`` (Linux); null where unavailable.
- ``processes_at_peak``, ``samples``, ``wall_s``, ``returncode``, ``leftover_pids``.

SIGINT/SIGTERM are passed on to the command. When it exits, processes of its session still alive after
``grace_s`` (e.g. Ray workers of a crashed driver) are killed and listed as ``leftover_pids``. The exit status is
the command's.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

GIB = 1024**3


@dataclass
class PeakMemory:
    """Peaks over the samples of one run (GiB) and how the run ended."""

    peak_rss_gib: float = 0.0
    peak_pss_gib: float | None = None
    processes_at_peak: int = 0
    samples: int = 0
    wall_s: float = 0.0
    returncode: int | None = None
    leftover_pids: list[int] | None = None


def session_processes(session_id: int) -> list[psutil.Process]:
    """Live processes whose session id is ``session_id`` (the command and everything it started)."""
    found = []
    for process in psutil.process_iter():
        try:
            if os.getsid(process.pid) == session_id and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (psutil.Error, ProcessLookupError, PermissionError):
            continue
    return found


def _pss_bytes(process: psutil.Process) -> int | None:
    try:
        for line in Path(f"/proc/{process.pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def sample(session_id: int, peaks: PeakMemory) -> None:
    """Add one sample of the session's summed RSS and PSS to ``peaks``."""
    rss, pss, count, pss_known = 0, 0, 0, True
    for process in session_processes(session_id):
        try:
            rss += process.memory_info().rss
        except psutil.Error:
            continue
        count += 1
        value = _pss_bytes(process)
        pss_known = pss_known and value is not None
        pss += value or 0
    peaks.samples += 1
    if rss / GIB > peaks.peak_rss_gib:
        peaks.peak_rss_gib, peaks.processes_at_peak = rss / GIB, count
    if pss_known and count and (peaks.peak_pss_gib is None or pss / GIB > peaks.peak_pss_gib):
        peaks.peak_pss_gib = pss / GIB


def run_monitored(command: list[str], out: Path, interval_s: float = 1.0, grace_s: float = 30.0) -> int:
    """Run ``command``, sampling its session's memory; write ``out`` (JSON) at the end; return its exit status."""
    peaks = PeakMemory()
    start = time.monotonic()
    process = subprocess.Popen(command, start_new_session=True)

    def forward(signum: int, _frame: object) -> None:
        process.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while process.poll() is None:
            sample(process.pid, peaks)
            time.sleep(interval_s)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    peaks.returncode = process.wait()
    peaks.wall_s = time.monotonic() - start
    deadline = time.monotonic() + grace_s
    while (left := session_processes(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.5)
    for leftover in left:
        try:
            leftover.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(left, timeout=10)
    peaks.leftover_pids = [p.pid for p in left]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(asdict(peaks), indent=2) + "\n")
    return peaks.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipe.asyppo.tools.proc_monitor",
                                     description="Run a command; record its process tree's peak memory.")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the peaks")
    parser.add_argument("--interval-s", type=float, default=1.0, help="seconds between samples (default 1)")
    parser.add_argument("--grace-s", type=float, default=30.0,
                        help="seconds the session may outlive the command before it is killed (default 30)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command after --")
    return run_monitored(command, args.out, args.interval_s, args.grace_s)


if __name__ == "__main__":
    sys.exit(main())
