"""The suite's own servers (tests/conftest.py LiveServer) never outlive the test process that
started them: a run killed hard (pytest-timeout's last resort, a lost xdist worker, kill -9)
leaves no server holding its port, its data folder or a CPU."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

STARTER = f"""
import sys, time
sys.path.insert(0, {str(TESTS)!r})
from conftest import LiveServer
server = LiveServer("--memory", "--no-demo").start(timeout=180)
print(server.proc.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting for a reaper)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux's")
@pytest.mark.timeout(300)
def test_a_server_dies_with_the_test_process_that_started_it():
    starter = subprocess.Popen([sys.executable, "-c", STARTER], stdout=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True)
    server_pid = None
    try:
        line = starter.stdout.readline()
        assert line.strip().isdigit(), f"the starter printed {line!r}"
        server_pid = int(line)
        assert _alive(server_pid)
        os.kill(starter.pid, signal.SIGKILL)      # no teardown runs: only the kernel can act
        starter.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _alive(server_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(server_pid), "the server outlived the process that started it"
    finally:
        if starter.poll() is None:
            starter.kill()
            starter.wait()
        if server_pid is not None and _alive(server_pid):
            os.kill(server_pid, signal.SIGKILL)
