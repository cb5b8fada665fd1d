"""Shared fixtures: a real server on a free loopback port, stopped by its own pid."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from backprop_explorer.client import wait_until_serving

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A `python -m backprop_explorer` child process on 127.0.0.1."""

    def __init__(self, *extra_args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [sys.executable, "-m", "backprop_explorer", "--host", "127.0.0.1",
                     "--port", str(self.port), *extra_args]
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.log_path = REPO / "test-artifacts" / f"server-{self.port}.log"

    def start(self, timeout: float = 90.0) -> "LiveServer":
        self.log_path.parent.mkdir(exist_ok=True)
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=self.env, cwd=REPO)
        try:
            wait_until_serving(self.url, self.proc, timeout)
        except ChildProcessError:
            raise RuntimeError(f"server exited early:\n{self.log_path.read_text()}") from None
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"server did not answer in {timeout}s:\n"
                               f"{self.log_path.read_text()}") from None
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture(scope="session")
def live_server():
    """One in-memory server for the whole test session; yields its base URL."""
    server = LiveServer("--memory").start()
    yield server.url
    server.stop()


@pytest.fixture
def make_server():
    """Factory for extra servers (restart tests); all are stopped at the end."""
    servers: list[LiveServer] = []

    def factory(*args: str, env: dict[str, str] | None = None) -> LiveServer:
        server = LiveServer(*args, env=env)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop(signal.SIGKILL)
