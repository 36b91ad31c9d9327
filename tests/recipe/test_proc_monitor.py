"""proc_monitor: peak memory of a command's whole process tree, its exit status, no process left behind."""

from __future__ import annotations

import json
import sys

import psutil

from recipe.asyppo.tools.proc_monitor import main

CHILD_HOLDS_300_MIB = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', "
    "'b = bytearray(300 * 2**20); import time; time.sleep(2)'])\n"
    "child.wait()\n"
)


def test_the_peak_counts_memory_held_by_a_child_process(tmp_path):
    out = tmp_path / "peak.json"
    assert main(["--out", str(out), "--interval-s", "0.1", "--", sys.executable, "-c", CHILD_HOLDS_300_MIB]) == 0
    peaks = json.loads(out.read_text())
    assert peaks["peak_rss_gib"] > 300 / 1024 and peaks["processes_at_peak"] == 2
    assert peaks["peak_pss_gib"] > 300 / 1024
    assert peaks["returncode"] == 0 and peaks["leftover_pids"] == []


def test_the_exit_status_is_the_commands_and_leftover_processes_are_killed(tmp_path):
    out = tmp_path / "peak.json"
    orphan = ("import subprocess, sys; "
              "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); sys.exit(3)")
    assert main(["--out", str(out), "--grace-s", "0.5", "--", sys.executable, "-c", orphan]) == 3
    leftover = json.loads(out.read_text())["leftover_pids"]
    assert len(leftover) == 1
    assert not psutil.pid_exists(leftover[0]) or psutil.Process(leftover[0]).status() == psutil.STATUS_ZOMBIE
