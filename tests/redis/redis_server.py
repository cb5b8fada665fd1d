"""A real redis-server for the tests (Debian's, installed by `make test`): on a free port,
in a folder of its own, stopped by its own pid."""
from __future__ import annotations

import importlib.util
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

# the app-server helper of tests/conftest.py (loaded by path: every conftest is "conftest")
_spec = importlib.util.spec_from_file_location(
    "_tests_root_conftest", Path(__file__).resolve().parents[1] / "conftest.py")
assert _spec is not None and _spec.loader is not None
_root = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_root)
LiveServer = _root.LiveServer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    def __init__(self, folder: Path, appendonly: bool = False, port: int | None = None) -> None:
        self.folder = folder
        self.appendonly = appendonly
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (make test installs it: "
                               "apt-get install redis-server)")
        self.folder.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / "redis.log", "ab")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes" if self.appendonly else "no", "--appendfsync", "everysec",
             "--dir", str(self.folder), "--daemonize", "no", "--maxmemory-policy", "noeviction"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.BusyLoadingError:
                pass
            except redis.exceptions.ConnectionError:
                if self.proc.poll() is not None:
                    raise RuntimeError((self.folder / "redis.log").read_text()) from None
            if time.monotonic() > deadline:
                self.stop(signal.SIGKILL)
                raise RuntimeError("redis-server did not answer")
            time.sleep(0.02)
        client.close()
        return self

    stop = LiveServer.stop      # by its own pid: TERM, then KILL after 10 s

