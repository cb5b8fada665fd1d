"""Fixtures for the storage tests: a small tmpfs when running as root."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from storage_helpers import run


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
