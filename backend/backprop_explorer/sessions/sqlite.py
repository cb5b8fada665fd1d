"""Sessions kept in SQLite (stdlib sqlite3, WAL), so they survive a restart.

Tables:
  sessions(id, meta, state, last_used)  meta: network + dataset (written once);
                                        state: weights, step, epoch, cursor
  history(session_id, seq, snapshot)    one row per undo level, highest seq on top
  settings(key, value)                  e.g. the demo session's id

Every mutation is one transaction (BEGIN IMMEDIATE … COMMIT): the new state
row, the pushed or popped undo level, the trim to HISTORY_LEVELS. A crash in
the middle leaves the previous version. Blobs are JSON (orjson).
"""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import orjson

from .document import export_session, import_session, weights_to_lists
from .session import HISTORY_LEVELS, Session, Snapshot

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, meta BLOB NOT NULL, state BLOB NOT NULL, last_used REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_last_used ON sessions(last_used);
CREATE TABLE IF NOT EXISTS history (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, snapshot BLOB NOT NULL, PRIMARY KEY (session_id, seq));
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _snapshot_blob(snap: Snapshot) -> bytes:
    return orjson.dumps({"weights": weights_to_lists(snap.weights), "step": snap.step,
                         "epoch": snap.epoch, "cursor": snap.cursor})


def _state_blob(session: Session) -> bytes:
    return orjson.dumps({"weights": weights_to_lists(session.weights), "step": session.step,
                         "epoch": session.epoch,
                         "cursor": session.dataset.cursor if session.dataset else 0})


class SqliteSessions:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")   # durable across process crashes
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    # ----- writing ------------------------------------------------------
    @staticmethod
    def _meta_blob(session: Session) -> bytes:
        doc = export_session(session)
        return orjson.dumps({k: doc[k] for k in ("format", "version", "network", "dataset")})

    def insert(self, session: Session, now: float) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO sessions (id, meta, state, last_used) VALUES (?, ?, ?, ?)",
                       (session.id, self._meta_blob(session), _state_blob(session), now))
            db.executemany("INSERT INTO history (session_id, seq, snapshot) VALUES (?, ?, ?)",
                           [(session.id, i, _snapshot_blob(s)) for i, s in enumerate(session.history)])
        session.journal.clear()

    def save(self, session: Session, now: float) -> None:
        """Write the session's journal (pushed/popped undo levels) and its new state."""
        with self._transaction() as db:
            for op, snap in session.journal:
                top = None if op == "meta" else db.execute(
                    "SELECT MAX(seq) FROM history WHERE session_id = ?", (session.id,)).fetchone()[0]
                if op == "meta":
                    db.execute("UPDATE sessions SET meta = ? WHERE id = ?",
                               (self._meta_blob(session), session.id))
                elif op == "push":
                    db.execute("INSERT INTO history (session_id, seq, snapshot) VALUES (?, ?, ?)",
                               (session.id, 0 if top is None else top + 1, _snapshot_blob(snap)))
                elif top is not None:
                    db.execute("DELETE FROM history WHERE session_id = ? AND seq = ?",
                               (session.id, top))
            db.execute("DELETE FROM history WHERE session_id = ? AND seq <= "
                       "(SELECT MAX(seq) FROM history WHERE session_id = ?) - ?",
                       (session.id, session.id, HISTORY_LEVELS))
            updated = db.execute("UPDATE sessions SET state = ?, last_used = ? WHERE id = ?",
                                 (_state_blob(session), now, session.id)).rowcount
            if not updated:
                raise LookupError(session.id)
        session.journal.clear()

    def touch(self, session_id: str, now: float) -> None:
        with self._lock:
            self._conn.execute("UPDATE sessions SET last_used = ? WHERE id = ?", (now, session_id))

    def delete(self, session_id: str) -> bool:
        with self._transaction() as db:
            db.execute("DELETE FROM history WHERE session_id = ?", (session_id,))
            return db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount > 0

    # ----- reading ------------------------------------------------------
    def load(self, session_id: str) -> tuple[Session, float] | None:
        rows = self._query("SELECT meta, state, last_used FROM sessions WHERE id = ?", (session_id,))
        if not rows:
            return None
        meta, state, last_used = rows[0]
        history = [orjson.loads(b) for (b,) in self._query(
            "SELECT snapshot FROM history WHERE session_id = ? ORDER BY seq", (session_id,))]
        doc: dict[str, Any] = {**orjson.loads(meta), **orjson.loads(state), "history": history}
        if doc.get("dataset") is not None:
            doc["dataset"]["cursor"] = doc.get("cursor", 0)
        session = import_session(session_id, doc)
        session.journal.clear()
        return session, last_used

    def count(self) -> int:
        return self._query("SELECT COUNT(*) FROM sessions")[0][0]

    def idle_since(self, before: float, limit: int = 1000) -> list[str]:
        """Ids of sessions last used before `before`, oldest first."""
        return [r[0] for r in self._query(
            "SELECT id FROM sessions WHERE last_used < ? ORDER BY last_used LIMIT ?", (before, limit))]

    def get_setting(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM settings WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_setting(self, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                               (key, value))
