"""client.wait_until_serving: what the test fixtures and benchmarks use to wait for a server
they started; it returns once health answers and says why when it never will."""
from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from backprop_explorer.client import wait_until_serving


@pytest.fixture
def nobody_url():
    """A loopback port held (bound, not listening) for the test: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_returns_once_the_server_answers(live_server):
    wait_until_serving(live_server, timeout=5)


def test_a_server_that_exits_is_reported_at_once(nobody_url):
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    proc.wait()
    with pytest.raises(ChildProcessError, match="code 3"):
        wait_until_serving(nobody_url, proc, timeout=5)


def test_nobody_listening_times_out(nobody_url):
    with pytest.raises(TimeoutError):
        wait_until_serving(nobody_url, timeout=0.3)
