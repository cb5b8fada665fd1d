"""Helpers shared by test folders that check what the SQLite store keeps (tests/ is on the
import path of every test module through tests/conftest.py)."""
from __future__ import annotations

from pathlib import Path

from backprop_explorer.sessions.document import export_session
from backprop_explorer.sessions.sqlite import SqliteSessions


def reloaded(path: str | Path, sid: str) -> dict:
    """The session `sid` as a fresh reader of the database file `path` loads it (what a
    restart would load), exported: a second reader beside the live store."""
    reader = SqliteSessions(path, lock=False)
    try:
        loaded = reader.load(sid)
        assert loaded is not None, f"session {sid} is not in {path}"
        return export_session(loaded[0])
    finally:
        reader.close()
