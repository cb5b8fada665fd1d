"""Where exercises live: in memory, and with the SQLite session store also in its database
file (table `exercises`, one JSON document per exercise, written on every answer), so they
survive a restart. An exercise belongs to a session: it is deleted with it (the session store
calls `delete_session`), and one whose session is gone answers 404."""
from __future__ import annotations

import secrets
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

import orjson

from ..sessions import NotFound, StorageError
from .exercise import Exercise

MAX_PER_SESSION = 50          # the oldest exercise of a session goes beyond this
MAX_IN_MEMORY = 10_000        # exercises kept in memory (others are loaded from the file)

SCHEMA = """
CREATE TABLE IF NOT EXISTS exercises (
    id TEXT PRIMARY KEY, session_id TEXT NOT NULL, created REAL NOT NULL, doc BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS exercises_session ON exercises(session_id, created);
"""


class _SqliteExercises:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                                   timeout=10.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def save(self, ex: Exercise) -> None:
        self._db.execute("INSERT OR REPLACE INTO exercises (id, session_id, created, doc) "
                         "VALUES (?, ?, ?, ?)",
                         (ex.id, ex.session_id, ex.created, orjson.dumps(ex.document())))

    def load(self, exercise_id: str) -> Exercise | None:
        row = self._db.execute("SELECT doc FROM exercises WHERE id = ?", (exercise_id,)).fetchone()
        return None if row is None else Exercise.from_document(orjson.loads(row[0]))

    def ids_of(self, session_id: str) -> list[str]:
        return [r[0] for r in self._db.execute(
            "SELECT id FROM exercises WHERE session_id = ? ORDER BY created", (session_id,))]

    def delete(self, exercise_ids: list[str]) -> None:
        self._db.executemany("DELETE FROM exercises WHERE id = ?", [(i,) for i in exercise_ids])

    def delete_session(self, session_id: str) -> None:
        self._db.execute("DELETE FROM exercises WHERE session_id = ?", (session_id,))

    def close(self) -> None:
        self._db.close()


class ExerciseStore:
    def __init__(self, database: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, Exercise] = OrderedDict()
        self._file: _SqliteExercises | None = None
        self._unwritable: str | None = None     # why exercises cannot be saved, if so
        if database is not None:
            try:
                self._file = _SqliteExercises(database)
            except sqlite3.Error as exc:         # e.g. a read-only or full disk at start
                self._unwritable = f"the exercise table cannot be opened ({exc})"

    def _persist(self, ex: Exercise) -> None:
        if self._unwritable is not None:
            raise StorageError(f"the exercise could not be saved: {self._unwritable}")
        if self._file is None:
            return
        try:
            self._file.save(ex)
        except sqlite3.Error as exc:
            raise StorageError(f"the exercise could not be saved ({exc})") from None

    def _remember(self, ex: Exercise) -> None:
        self._cache[ex.id] = ex
        self._cache.move_to_end(ex.id)
        while len(self._cache) > MAX_IN_MEMORY:
            self._cache.popitem(last=False)

    def add(self, make) -> Exercise:
        """Store the exercise `make(new id)` builds; the session's oldest beyond
        MAX_PER_SESSION goes."""
        ex = make(secrets.token_hex(16))
        with self._lock:
            self._persist(ex)
            self._remember(ex)
            mine = [e for e in self._cache.values() if e.session_id == ex.session_id]
            ids = self._file.ids_of(ex.session_id) if self._file else [e.id for e in mine]
            if len(ids) > MAX_PER_SESSION:
                old = ids[:len(ids) - MAX_PER_SESSION]
                for i in old:
                    self._cache.pop(i, None)
                if self._file:
                    self._file.delete(old)
        return ex

    def get(self, exercise_id: str) -> Exercise:
        with self._lock:
            ex = self._cache.get(exercise_id)
            if ex is None and self._file is not None:
                try:
                    ex = self._file.load(exercise_id)
                except sqlite3.Error as exc:
                    raise StorageError(f"the exercise could not be read ({exc})") from None
                if ex is not None:
                    self._remember(ex)
        if ex is None:
            raise NotFound(f"exercise {exercise_id} not found")
        return ex

    def update(self, ex: Exercise, change):
        """Apply `change(ex)` and persist it, one change at a time per store; if saving fails
        the exercise is reloaded as it was (nothing acknowledged that is not kept)."""
        with self._lock:
            doc = ex.document()
            result = change(ex)
            try:
                self._persist(ex)
            except StorageError:
                restored = Exercise.from_document(doc)
                self._cache[ex.id] = restored
                raise
            return result

    def delete_session(self, session_id: str) -> None:
        with self._lock:
            for i in [i for i, e in self._cache.items() if e.session_id == session_id]:
                del self._cache[i]
            if self._file is not None:
                try:
                    self._file.delete_session(session_id)
                except sqlite3.Error:
                    pass       # orphans answer 404 anyway (their session is gone)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
