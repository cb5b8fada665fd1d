"""Sessions kept in SQLite (stdlib sqlite3, WAL), so they survive a restart.

Tables (schema version 1, PRAGMA user_version):
  sessions(id, meta, last_used)     meta: network + dataset (written at creation and
                                    when a setting changes)
  states(session_id, seq, state)    the session's states, one row each: the highest seq
                                    is the current state (weights, step, epoch, cursor),
                                    the HISTORY_LEVELS rows below it are its undo levels
  settings(key, value)              e.g. the demo session's id

A step, a train call or new weights append one row (one INSERT, atomic on its own);
an undo deletes the top row. Rows below the undo levels are pruned every PRUNE_EVERY
states and at every undo; last_used is written at most every `touch_every` seconds;
the WAL is checkpointed into the database file by a background thread every
CHECKPOINT_EVERY seconds, never inside a request. Anything with more
than one statement is one transaction (BEGIN IMMEDIATE … COMMIT): a crash in the middle
leaves the previous version. Blobs are JSON (orjson).

Version 0 (sessions(id, meta, state, last_used) + history(session_id, seq, snapshot),
the first release) is migrated on open, in one transaction.
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

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, meta BLOB NOT NULL, last_used REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_last_used ON sessions(last_used);
CREATE TABLE IF NOT EXISTS states (
    session_id TEXT NOT NULL, seq INTEGER NOT NULL, state BLOB NOT NULL,
    PRIMARY KEY (session_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
MIGRATE_FROM_0 = """
CREATE TABLE states (
    session_id TEXT NOT NULL, seq INTEGER NOT NULL, state BLOB NOT NULL,
    PRIMARY KEY (session_id, seq)) WITHOUT ROWID;
INSERT INTO states (session_id, seq, state) SELECT session_id, seq, snapshot FROM history;
INSERT INTO states (session_id, seq, state)
    SELECT id, (SELECT COALESCE(MAX(seq), -1) + 1 FROM history WHERE session_id = sessions.id),
           state FROM sessions;
CREATE TABLE sessions_v1 (id TEXT PRIMARY KEY, meta BLOB NOT NULL, last_used REAL NOT NULL);
INSERT INTO sessions_v1 (id, meta, last_used) SELECT id, meta, last_used FROM sessions;
DROP TABLE history;
DROP TABLE sessions;
ALTER TABLE sessions_v1 RENAME TO sessions;
CREATE INDEX sessions_last_used ON sessions(last_used);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
PRUNE_EVERY = 32
CHECKPOINT_EVERY = 0.5   # seconds between WAL checkpoints (in a background thread)


def _state_blob(state: Snapshot | Session) -> bytes:
    cursor = state.cursor if isinstance(state, Snapshot) else \
        (state.dataset.cursor if state.dataset else 0)
    return orjson.dumps({"weights": weights_to_lists(state.weights), "step": state.step,
                         "epoch": state.epoch, "cursor": cursor})


class SqliteSessions:
    def __init__(self, path: Path, touch_every: float = 60.0,
                 checkpoint_every: float = CHECKPOINT_EVERY) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.touch_every = touch_every
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._top: dict[str, int] = {}          # seq of each loaded session's current state
        self._touched: dict[str, float] = {}    # when its last_used was last written
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")   # durable across process crashes
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._open_schema()
        # Checkpoints (copying the WAL into the database file, with its fsync) happen in a
        # thread of their own, not inside whichever request's INSERT crossed SQLite's
        # automatic threshold: that request used to wait ~12 ms.
        self._conn.execute("PRAGMA wal_autocheckpoint=0")
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoint_periodically,
                                              args=(checkpoint_every,), daemon=True,
                                              name="sqlite-checkpoint")
        self._checkpointer.start()

    def _checkpoint_periodically(self, every: float) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=5000")
        try:
            while not self._stop.wait(every):
                try:
                    # the bulk of the copying and its fsync, while requests go on writing;
                    # then the few frames written meanwhile with writes held off, so this
                    # checkpoint is complete and the next write starts the WAL over (a WAL
                    # under steady writes would otherwise never be wholly copied and grow)
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    with self._lock:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:        # busy or closing: the next round catches up
                    pass
        finally:
            conn.close()

    def _open_schema(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        old = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'history'").fetchone()
        with self._transaction() as db:
            if version == 0 and old:
                for statement in MIGRATE_FROM_0.split(";"):
                    if statement.strip():
                        db.execute(statement)
            elif version > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path} has schema version {version}; this release "
                                   f"reads up to {SCHEMA_VERSION}")
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self._stop.set()
        self._checkpointer.join(timeout=10)
        with self._lock:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
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
        states = [*session.history, session]
        with self._transaction() as db:
            db.execute("INSERT INTO sessions (id, meta, last_used) VALUES (?, ?, ?)",
                       (session.id, self._meta_blob(session), now))
            db.executemany("INSERT INTO states (session_id, seq, state) VALUES (?, ?, ?)",
                           [(session.id, i, _state_blob(s)) for i, s in enumerate(states)])
        self._top[session.id] = len(states) - 1
        self._touched[session.id] = now
        session.journal.clear()

    def save(self, session: Session, now: float) -> None:
        """Write what the session's journal says changed: undo levels pushed (a new state
        row on top) or popped (the top row deleted), new settings; then the current state."""
        sid, top = session.id, self._top[session.id]
        t, highest, writes, deletes, meta = top, top, {}, [], False
        for op, snap in session.journal:
            if op == "meta":
                meta = True
            elif op == "push":     # the state at t becomes an undo level: it is `snap`
                if t in writes:
                    writes[t] = snap
                t += 1
                highest = max(highest, t)
                writes[t] = None   # the new current state, written below
            else:                  # pop: the top state goes, the one below is current
                writes.pop(t, None)
                if t <= top:
                    deletes.append(t)
                t -= 1
                writes[t] = snap
        writes[t] = session        # the current state, whatever happened before
        if t == top + 1 and len(writes) == 1 and not deletes and not meta and \
                now - self._touched.get(sid, 0.0) <= self.touch_every and t % PRUNE_EVERY:
            with self._lock:        # a step: one INSERT, a transaction on its own
                self._conn.execute("INSERT INTO states (session_id, seq, state) VALUES (?, ?, ?)",
                                   (sid, t, _state_blob(session)))
        else:
            with self._transaction() as db:
                db.executemany("DELETE FROM states WHERE session_id = ? AND seq = ?",
                               [(sid, seq) for seq in deletes])
                db.executemany("INSERT OR REPLACE INTO states (session_id, seq, state) "
                               "VALUES (?, ?, ?)",
                               [(sid, seq, _state_blob(state)) for seq, state in writes.items()])
                # states older than the undo levels: pruned here, every PRUNE_EVERY steps and
                # before an undo lets a lower state become the top (so a reload never finds
                # an undo level the live session has already dropped)
                db.execute("DELETE FROM states WHERE session_id = ? AND seq < ?",
                           (sid, highest - HISTORY_LEVELS))
                if meta:
                    db.execute("UPDATE sessions SET meta = ? WHERE id = ?",
                               (self._meta_blob(session), sid))
                if not db.execute("UPDATE sessions SET last_used = ? WHERE id = ?",
                                  (now, sid)).rowcount:
                    raise LookupError(sid)
            self._touched[sid] = now
        self._top[sid] = t
        session.journal.clear()

    def touch(self, session_id: str, now: float) -> None:
        """Write the last-used time, unless it was written less than touch_every ago."""
        if now - self._touched.get(session_id, float("-inf")) <= self.touch_every:
            return
        with self._lock:
            self._conn.execute("UPDATE sessions SET last_used = ? WHERE id = ?", (now, session_id))
        self._touched[session_id] = now

    def delete(self, session_id: str) -> bool:
        with self._transaction() as db:
            db.execute("DELETE FROM states WHERE session_id = ?", (session_id,))
            found = db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount > 0
        self._top.pop(session_id, None)
        self._touched.pop(session_id, None)
        return found

    # ----- reading ------------------------------------------------------
    def load(self, session_id: str) -> tuple[Session, float] | None:
        rows = self._query("SELECT meta, last_used FROM sessions WHERE id = ?", (session_id,))
        if not rows:
            return None
        meta, last_used = rows[0]
        states = self._query("SELECT seq, state FROM states WHERE session_id = ? "
                             "ORDER BY seq DESC LIMIT ?", (session_id, HISTORY_LEVELS + 1))
        if not states:
            return None
        top = states[0][0]
        states = [orjson.loads(b) for _, b in reversed(states)]
        doc: dict[str, Any] = {**orjson.loads(meta), **states[-1], "history": states[:-1]}
        if doc.get("dataset") is not None:
            doc["dataset"]["cursor"] = doc.get("cursor", 0)
        session = import_session(session_id, doc)
        session.journal.clear()
        self._top[session_id] = top
        self._touched[session_id] = last_used
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
