"""Helpers for the storage tests (tests/storage): servers that must refuse to start, a disk
that fills up, a tmpfs remounted read-only."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True)


def remount(where: Path, mode: str) -> None:
    done = run("mount", "-o", f"remount,{mode}", str(where))
    assert done.returncode == 0, done.stderr


def fill(where: Path) -> Path:
    """Write a filler file until the file system is full; returns it (delete to free)."""
    filler = where / "filler"
    block = b"\0" * 65536
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(block)
        except OSError:
            pass
        try:   # the last few bytes too
            while True:
                f.write(b"\0" * 512)
        except OSError:
            pass
    return filler


def server_command(port: int, *args: str) -> list[str]:
    return [sys.executable, "-m", "backprop_explorer", "--host", "127.0.0.1", "--port",
            str(port), *args]



def refused_start(*args: str, env: dict[str, str] | None = None,
                  timeout: float = 60) -> subprocess.CompletedProcess:
    """Run a server that must refuse to start: returns the finished process."""
    return subprocess.run(server_command(free_port(), *args), capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, env={**os.environ, **(env or {})},
                          stdin=subprocess.DEVNULL)


# a fixture (no conftest.py here: a second module named conftest would shadow
# tests/reliability/conftest.py for `from conftest import ...`); import it by name
@pytest.fixture
def tmpfs(tmp_path):
    """factory(size) -> a fresh tmpfs mount of that size (e.g. "4m"); unmounted at the end.
    Skips (with the reason) unless running as root with mount permitted."""
    mounts: list[Path] = []

    def factory(size: str) -> Path:
        if os.geteuid() != 0:
            pytest.skip("needs root to mount a small tmpfs (a disk that fills up or turns "
                        f"read-only); running as uid {os.geteuid()}")
        where = tmp_path / f"mnt-{uuid.uuid4().hex[:8]}"
        where.mkdir()
        done = run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where))
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounts.append(where)
        return where

    yield factory
    for where in mounts:
        run("umount", "-l", str(where))
