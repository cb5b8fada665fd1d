"""Sessions kept in SQLite (stdlib sqlite3, WAL), so they survive a restart.

Tables (schema version 1, PRAGMA user_version):
  sessions(id, meta, last_used)     meta: network + dataset (written at creation and
                                    when a setting changes)
  states(session_id, seq, state)    the session's states, one row each: the highest seq
                                    is the current state (weights, step, epoch, cursor),
                                    the HISTORY_LEVELS rows below it are its undo levels
  settings(key, value)              e.g. the demo session's id
  quarantine(session_id, tbl, seq, data, reason, at)
                                    rows found unreadable, kept aside (never deleted)

A step, a train call or new weights append one row (one INSERT, atomic on its own);
an undo deletes the top row. Rows below the undo levels are pruned every PRUNE_EVERY
states and at every undo; last_used is written at most every `touch_every` seconds;
the WAL is checkpointed into the database file by a background thread every
CHECKPOINT_EVERY seconds, never inside a request. Anything with more
than one statement is one transaction (BEGIN IMMEDIATE … COMMIT): a crash in the middle
leaves the previous version. Blobs are JSON (orjson), encoded and decoded outside the
write lock; a session is loaded on a connection of its own (WAL readers never wait for
the writer), so a big session loading holds up nobody else.

One process per data directory: an exclusive lock (`filelock`) on `sessions.db.lock`,
which holds the owner's pid for the message a second server prints. The files are 0600.

At start: a zero-length `sessions.db` is moved aside (never opened as a new empty store);
`PRAGMA quick_check` must pass (otherwise StoreUnusable: one line, the server exits);
every row is decoded and a session with an unreadable row is moved, whole, to the
quarantine table (logged, counted in /api/health); a session whose rows decode but do not
make a session is quarantined when it is first loaded. A directory that cannot be written
(read-only file system, or a full disk that cannot take the schema) is opened read-only:
reads work, every write raises StorageError. Any SQLite or OS error on a write is a
StorageError (the API's 503); the transaction is rolled back.

Space: `auto_vacuum=INCREMENTAL` (an older file is converted once, by a VACUUM at start)
and `vacuum()` (called after expiry) gives freed pages back, VACUUM_PAGES at a time;
`journal_size_limit` truncates the WAL after a checkpoint.

Version 0 (sessions(id, meta, state, last_used) + history(session_id, seq, snapshot),
the first release) is migrated on open, in one transaction.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import filelock
import orjson

from ..engine import InputError
from .document import export_meta, import_session, weights_to_lists
from .errors import NotFound, StorageError, StoreUnusable
from .session import HISTORY_LEVELS, Session, Snapshot

log = logging.getLogger("backprop_explorer")
T = TypeVar("T")

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, meta BLOB NOT NULL, last_used REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_last_used ON sessions(last_used);
CREATE TABLE IF NOT EXISTS states (
    session_id TEXT NOT NULL, seq INTEGER NOT NULL, state BLOB NOT NULL,
    PRIMARY KEY (session_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS quarantine (
    session_id TEXT NOT NULL, tbl TEXT NOT NULL, seq INTEGER, data BLOB,
    reason TEXT NOT NULL, at REAL NOT NULL);
"""
TABLES = ("sessions", "states", "settings", "quarantine")
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
JOURNAL_SIZE_LIMIT = 8 * 1024 * 1024   # bytes the WAL is truncated to after a checkpoint
VACUUM_PAGES = 1024      # pages given back per incremental-vacuum round (lock released between)
# errors of the file itself, not of the moment: the store cannot be used
DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
# errors that mean "cannot write here now": open read-only instead
UNWRITABLE = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_PERM")


def _state_blob(state: Snapshot | Session) -> bytes:
    cursor = state.cursor if isinstance(state, Snapshot) else \
        (state.dataset.cursor if state.dataset else 0)
    return orjson.dumps({"weights": weights_to_lists(state.weights), "step": state.step,
                         "epoch": state.epoch, "cursor": cursor})


def _error_name(exc: sqlite3.Error) -> str:
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    if not name:     # Python < 3.11: go by the message
        if "malformed" in text:
            name = "SQLITE_CORRUPT"
        elif "not a database" in text:
            name = "SQLITE_NOTADB"
        elif "full" in text:
            name = "SQLITE_FULL"
        elif "readonly" in text or "read-only" in text:
            name = "SQLITE_READONLY"
        elif "unable to open" in text:
            name = "SQLITE_CANTOPEN"
        elif "i/o" in text:
            name = "SQLITE_IOERR"
    return name


def _is(exc: sqlite3.Error, kinds: tuple[str, ...]) -> bool:
    name = _error_name(exc)
    return any(name == k or name.startswith(k + "_") for k in kinds)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, sqlite3.Error) and _is(exc, ("SQLITE_FULL",)):
        return "the disk is full"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


def _parameters(meta: dict[str, Any]) -> int:
    layers = meta["network"]["layers"]
    if not (isinstance(layers, list) and len(layers) >= 2
            and all(type(n) is int and n > 0 for n in layers)):
        raise ValueError("network.layers is not a list of unit counts")
    return sum((a + 1) * b for a, b in zip(layers[:-1], layers[1:], strict=True))


def _check_state(state: Any) -> None:
    if not (isinstance(state, dict) and isinstance(state.get("weights"), list)
            and type(state.get("step")) is int and type(state.get("epoch")) is int):
        raise ValueError("not a state (weights, step, epoch)")


def _write_pid(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)


def _writes(what: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """A write of the store: refused on a read-only store; an SQLite or OS error becomes a
    StorageError saying what could not be done (and is remembered for /api/health)."""
    def decorate(method: Callable[..., T]) -> Callable[..., T]:
        @wraps(method)
        def wrapper(self: SqliteSessions, *args: Any, **kwargs: Any) -> T:
            if self.read_only:
                raise StorageError(f"could not {what}: the session store is read-only "
                                   f"({self.read_only}); reads work, changes are refused")
            try:
                result = method(self, *args, **kwargs)
            except (sqlite3.Error, OSError) as exc:
                self.write_error = f"{_describe(exc)} (at {time.strftime('%H:%M:%S')})"
                raise StorageError(f"could not {what}: {_describe(exc)}; nothing was changed, "
                                   "try again later") from exc
            self.write_error = None
            return result
        return wrapper
    return decorate


def _reads(what: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    def decorate(method: Callable[..., T]) -> Callable[..., T]:
        @wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            try:
                return method(*args, **kwargs)
            except (sqlite3.Error, OSError) as exc:
                raise StorageError(f"could not {what}: {_describe(exc)}; try again later") from exc
        return wrapper
    return decorate


class SqliteSessions:
    def __init__(self, path: Path, touch_every: float = 60.0,
                 checkpoint_every: float = CHECKPOINT_EVERY, lock: bool = True) -> None:
        """Open (or create) the store at `path`. With lock=True (a server) the data directory
        is held exclusively; lock=False is for a second reader in the same process (tests)."""
        self.path = path
        self.touch_every = touch_every
        self.read_only: str | None = None       # why, when the store is read-only
        self.write_error: str | None = None     # the last write's failure, until one succeeds
        self.notes: list[str] = []              # what start-up found and did (for /api/health)
        self.parameters: dict[str, int] = {}    # parameters of each stored session (at start)
        self.quarantined = 0                    # sessions in the quarantine table
        self._lock = threading.Lock()
        self._top: dict[str, int] = {}          # seq of each loaded session's current state
        self._touched: dict[str, float] = {}    # when its last_used was last written
        self._stop = threading.Event()
        self._checkpointer: threading.Thread | None = None
        self.checkpoints = 0                    # complete WAL checkpoints by that thread
        self._dir_lock: filelock.BaseFileLock | None = None
        self._uri: str | None = None            # the read-only URI, when read-only
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreUnusable(f"cannot create the data folder {path.parent}: "
                                f"{_describe(exc)}") from None
        if lock:
            self._hold_directory()
        self._set_aside_if_empty()
        if not self.read_only:
            try:
                self._conn = self._open_writable()
            except (sqlite3.Error, OSError) as exc:
                if isinstance(exc, sqlite3.Error) and _is(exc, DAMAGED):
                    raise self._damaged(exc) from None
                unwritable = isinstance(exc, OSError) or _is(exc, UNWRITABLE)
                if not unwritable or not path.exists():
                    raise StoreUnusable(f"cannot open {path}: {_describe(exc)}") from None
                self.read_only = f"{path.parent} cannot be written: {_describe(exc)}"
        if self.read_only:
            self._conn = self._open_read_only()
            log.warning("the session store is READ-ONLY: %s; sessions can be read, "
                        "changes are refused (503)", self.read_only)
        self._check_integrity()
        self._scan()
        if not self.read_only:
            self._checkpointer = threading.Thread(
                target=self._checkpoint_periodically, args=(checkpoint_every,), daemon=True,
                name="sqlite-checkpoint")
            self._checkpointer.start()

    # ----- opening ------------------------------------------------------
    def _hold_directory(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        lock = filelock.FileLock(lock_path, timeout=0, mode=0o600, thread_local=False,
                                 on_acquired=_write_pid)   # released by close(), any thread
        try:
            lock.acquire()
        except filelock.Timeout:
            try:
                pid = lock_path.read_text().strip()
            except OSError:
                pid = ""
            holder = f"process {pid}" if pid.isdigit() else "another process"
            raise StoreUnusable(
                f"the data folder {self.path.parent} is in use by another Backprop Explorer "
                f"server ({holder}); stop that one or choose another --data-dir") from None
        except OSError as exc:      # e.g. a read-only file system: no lock, nothing written
            self.read_only = f"{self.path.parent} cannot be written: {_describe(exc)}"
            return
        self._dir_lock = lock

    def _set_aside_if_empty(self) -> None:
        """A zero-length sessions.db is not a database: SQLite would silently start a new,
        empty one over it. Move it aside (or refuse, if it cannot be moved)."""
        path, wal = self.path, self.path.with_name(self.path.name + "-wal")
        try:
            empty = path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size)
        except FileNotFoundError:
            return
        if not empty:
            return
        aside = path.with_name(f"{path.name}.empty-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(path, aside)
        except OSError as exc:
            raise StoreUnusable(f"{path} is empty (0 bytes), not a database, and cannot be "
                                f"moved aside ({_describe(exc)}); remove it or restore a "
                                "backup") from None
        note = (f"{path.name} was empty (0 bytes, not a database): moved aside to "
                f"{aside.name}; a new store was started")
        log.warning(note)
        self.notes.append(note)

    def _open_writable(self) -> sqlite3.Connection:
        if not self.path.exists():     # created private: the WAL and shm files follow its mode
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        for suffix in ("", "-wal", "-shm"):
            try:
                os.chmod(f"{self.path}{suffix}", 0o600)
            except OSError:
                pass
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            new = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
            if new:
                conn.execute("PRAGMA auto_vacuum=INCREMENTAL")   # before the first table
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")   # durable across process crashes
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
            # Checkpoints (copying the WAL into the database file, with its fsync) happen in
            # a thread of their own, not inside whichever request's INSERT crossed SQLite's
            # automatic threshold: that request used to wait ~12 ms.
            conn.execute("PRAGMA wal_autocheckpoint=0")
            self._conn = conn
            self._open_schema()
        except BaseException:
            conn.close()
            raise
        if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
            try:        # a file from before auto_vacuum: converted once
                log.info("converting %s to incremental vacuum (once)", self.path)
                conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
                conn.execute("VACUUM")
            except sqlite3.Error as exc:
                log.warning("could not convert %s to incremental vacuum: %s", self.path,
                            _describe(exc))
        return conn

    def _open_read_only(self) -> sqlite3.Connection:
        """mode=ro needs the -shm file to exist or be creatable; immutable=1 (nothing can
        write to a read-only file system anyway) does not."""
        last: BaseException | None = None
        if not self.path.exists():
            raise StoreUnusable(f"cannot create {self.path}: {self.read_only}")
        for query in ("mode=ro", "mode=ro&immutable=1"):
            uri = f"{self.path.resolve().as_uri()}?{query}"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                conn.execute("SELECT count(*) FROM sessions").fetchone()
            except sqlite3.Error as exc:
                conn.close()
                if _is(exc, DAMAGED):
                    raise self._damaged(exc) from None
                last = exc
                continue
            if version > SCHEMA_VERSION:
                conn.close()
                raise StoreUnusable(f"{self.path} has schema version {version}; this release "
                                    f"reads up to {SCHEMA_VERSION}")
            self._uri = uri
            return conn
        raise StoreUnusable(f"cannot read {self.path} ({self.read_only}): "
                            f"{_describe(last) if last else 'unknown error'}")

    def _damaged(self, exc: BaseException) -> StoreUnusable:
        return StoreUnusable(f"{self.path} is damaged ({exc}); move it aside (or restore a "
                             "backup) and start again")

    def _check_integrity(self) -> None:
        try:
            rows = self._conn.execute("PRAGMA quick_check").fetchall()
        except sqlite3.Error as exc:
            raise self._damaged(exc) from None
        if [r[0] for r in rows] != ["ok"]:
            raise self._damaged(RuntimeError("quick_check: " + "; ".join(r[0] for r in rows[:3])))

    def _scan(self) -> None:
        """Decode every row; set aside (quarantine) each session with a row that cannot be
        read, and note each session's parameter count (for the memory budget)."""
        bad: dict[str, str] = {}
        try:
            for sid, meta in self._conn.execute("SELECT id, meta FROM sessions"):
                try:
                    self.parameters[sid] = _parameters(orjson.loads(meta))
                except Exception as exc:   # noqa: BLE001 - any damage at all
                    bad[sid] = f"meta: {exc}"
            states: set[str] = set()
            for sid, seq, state in self._conn.execute("SELECT session_id, seq, state FROM states"):
                states.add(sid)
                if sid in bad:
                    continue
                try:
                    _check_state(orjson.loads(state))
                except Exception as exc:   # noqa: BLE001
                    bad[sid] = f"state {seq}: {exc}"
        except sqlite3.Error as exc:
            raise self._damaged(exc) from None
        for sid in self.parameters.keys() - states:
            bad.setdefault(sid, "no state rows")
        for sid in states - self.parameters.keys() - bad.keys():
            bad[sid] = "state rows without a session row"
        for sid, reason in bad.items():
            self._quarantine(sid, reason)
        try:
            self.quarantined = self._conn.execute(
                "SELECT COUNT(DISTINCT session_id) FROM quarantine").fetchone()[0]
        except sqlite3.Error:       # an older read-only file without the table
            self.quarantined = 0
        if self.read_only:          # unreadable but left in place: counted all the same
            self.quarantined += len(bad)

    def _quarantine(self, sid: str, reason: str) -> None:
        self.parameters.pop(sid, None)
        self._top.pop(sid, None)
        if self.read_only:
            log.error("session %s is unreadable (%s); the store is read-only, so it stays in "
                      "place and is not served", sid, reason)
            self.notes.append(f"session {sid} unreadable ({reason}), not served")
            return
        now = time.time()
        try:
            with self._transaction() as db:
                db.execute("INSERT INTO quarantine (session_id, tbl, seq, data, reason, at) "
                           "SELECT id, 'sessions', NULL, meta, ?, ? FROM sessions WHERE id = ?",
                           (reason, now, sid))
                db.execute("INSERT INTO quarantine (session_id, tbl, seq, data, reason, at) "
                           "SELECT session_id, 'states', seq, state, ?, ? FROM states "
                           "WHERE session_id = ?", (reason, now, sid))
                db.execute("DELETE FROM states WHERE session_id = ?", (sid,))
                db.execute("DELETE FROM sessions WHERE id = ?", (sid,))
        except sqlite3.Error as exc:
            log.error("session %s is unreadable (%s) and could not be quarantined: %s",
                      sid, reason, _describe(exc))
            return
        self.quarantined += 1
        log.error("session %s is unreadable (%s): its rows were moved to the quarantine "
                  "table of %s", sid, reason, self.path)

    def _checkpoint_periodically(self, every: float) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=5000")
        try:
            while not self._stop.wait(every):
                self._checkpoint_round(conn)
        finally:
            conn.close()

    def _checkpoint_round(self, conn: sqlite3.Connection) -> bool:
        """Copy the WAL into the database file on `conn` (not the request connection).
        The bulk of the copying and its fsync happen while requests go on writing; then the
        few frames written meanwhile are copied with writes held off, so the round is
        complete and the next write starts the WAL over, cut to JOURNAL_SIZE_LIMIT (a WAL
        under steady writes would otherwise never be wholly copied, and grow). Between two
        rounds the WAL holds only what was written since the last one. True when complete
        (counted in `checkpoints`); busy, full or closing, the next round catches up."""
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            with self._lock:
                busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            return False
        complete = busy == 0 and frames == copied
        if complete:
            self.checkpoints += 1
        return complete

    def _open_schema(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version == SCHEMA_VERSION and tables >= set(TABLES):
            return          # nothing to write (so a full disk can still open the store)
        if version > SCHEMA_VERSION:
            raise StoreUnusable(f"{self.path} has schema version {version}; this release "
                                f"reads up to {SCHEMA_VERSION}")
        with self._transaction() as db:
            if version == 0 and "history" in tables:
                for statement in MIGRATE_FROM_0.split(";"):
                    if statement.strip():
                        db.execute(statement)
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self._stop.set()
        if self._checkpointer is not None:
            self._checkpointer.join(timeout=10)
        with self._lock:
            if not self.read_only:
                try:
                    self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                except sqlite3.Error:
                    pass
            self._conn.close()
        if self._dir_lock is not None:
            self._dir_lock.release()
            self._dir_lock = None

    # ----- state for /api/health ------------------------------------------
    def status(self) -> dict[str, Any]:
        """Whether writes work, what start-up found, how many sessions are quarantined
        (from memory: /api/health never waits for the database)."""
        return {"kind": "sqlite", "writable": not self.read_only and self.write_error is None,
                "read_only": self.read_only, "last_write_error": self.write_error,
                "quarantined": self.quarantined, "notes": list(self.notes)}

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:     # SQLite may have rolled back already
                    try:
                        self._conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                raise

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    # ----- writing ------------------------------------------------------
    @staticmethod
    def _meta_blob(session: Session) -> bytes:
        return orjson.dumps(export_meta(session))

    @_writes("save the new session")
    def insert(self, session: Session, now: float) -> None:
        states = [*session.history, session]
        meta = self._meta_blob(session)
        rows = [(session.id, i, _state_blob(s)) for i, s in enumerate(states)]
        with self._transaction() as db:
            db.execute("INSERT INTO sessions (id, meta, last_used) VALUES (?, ?, ?)",
                       (session.id, meta, now))
            db.executemany("INSERT INTO states (session_id, seq, state) VALUES (?, ?, ?)", rows)
        self._top[session.id] = len(states) - 1
        self._touched[session.id] = now
        session.journal.clear()

    @_writes("save the change")
    def save(self, session: Session, now: float) -> None:
        """Write what the session's journal says changed: undo levels pushed (a new state
        row on top) or popped (the top row deleted), new settings; then the current state."""
        sid, top = session.id, self._top[session.id]
        t, highest, deletes, meta = top, top, [], False
        writes: dict[int, Snapshot | Session | None] = {}
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
            blob = _state_blob(session)
            with self._lock:        # a step: one INSERT, a transaction on its own
                self._conn.execute("INSERT INTO states (session_id, seq, state) VALUES (?, ?, ?)",
                                   (sid, t, blob))
        else:
            assert all(state is not None for state in writes.values())  # each placeholder filled
            rows = [(sid, seq, _state_blob(state)) for seq, state in writes.items()]  # type: ignore[arg-type]
            meta_blob = self._meta_blob(session) if meta else None
            with self._transaction() as db:
                db.executemany("DELETE FROM states WHERE session_id = ? AND seq = ?",
                               [(sid, seq) for seq in deletes])
                db.executemany("INSERT OR REPLACE INTO states (session_id, seq, state) "
                               "VALUES (?, ?, ?)", rows)
                # states older than the undo levels: pruned here, every PRUNE_EVERY steps and
                # before an undo lets a lower state become the top (so a reload never finds
                # an undo level the live session has already dropped)
                db.execute("DELETE FROM states WHERE session_id = ? AND seq < ?",
                           (sid, highest - HISTORY_LEVELS))
                if meta_blob is not None:
                    db.execute("UPDATE sessions SET meta = ? WHERE id = ?", (meta_blob, sid))
                if not db.execute("UPDATE sessions SET last_used = ? WHERE id = ?",
                                  (now, sid)).rowcount:
                    raise LookupError(sid)
            self._touched[sid] = now
        self._top[sid] = t
        session.journal.clear()

    def touch(self, session_id: str, now: float) -> None:
        """Write the last-used time, unless it was written less than touch_every ago. Best
        effort: a read must not fail because its last-used time could not be written."""
        if self.read_only or now - self._touched.get(session_id, float("-inf")) <= self.touch_every:
            return
        try:
            with self._lock:
                self._conn.execute("UPDATE sessions SET last_used = ? WHERE id = ?",
                                   (now, session_id))
        except sqlite3.Error as exc:
            log.warning("could not write the last-used time of session %s: %s", session_id,
                        _describe(exc))
            return
        self._touched[session_id] = now

    @_writes("delete the session")
    def delete(self, session_id: str) -> bool:
        with self._transaction() as db:
            db.execute("DELETE FROM states WHERE session_id = ?", (session_id,))
            found = db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount > 0
        self._top.pop(session_id, None)
        self._touched.pop(session_id, None)
        return found

    @_writes("give free space back")
    def vacuum(self) -> int:
        """Return free pages to the file system (incremental vacuum), VACUUM_PAGES pages per
        round with the write lock released in between. Returns the pages freed."""
        freed = 0
        while True:
            with self._lock:
                free = self._conn.execute("PRAGMA freelist_count").fetchone()[0]
                if not free:
                    return freed
                self._conn.execute(f"PRAGMA incremental_vacuum({VACUUM_PAGES})").fetchall()
                left = self._conn.execute("PRAGMA freelist_count").fetchone()[0]
            if left >= free:     # auto_vacuum is off (the conversion failed): nothing to do
                return freed
            freed += free - left

    # ----- reading ------------------------------------------------------
    def _reader(self) -> sqlite3.Connection:
        """A connection of its own for one load: a WAL reader, so a big session's rows are
        read and decoded while other requests go on writing."""
        if self._uri is not None:
            return sqlite3.connect(self._uri, uri=True, isolation_level=None)
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    @_reads("load the session")
    def load(self, session_id: str) -> tuple[Session, float] | None:
        conn = self._reader()
        try:
            conn.execute("BEGIN")        # one snapshot for both queries
            rows = conn.execute("SELECT meta, last_used FROM sessions WHERE id = ?",
                                (session_id,)).fetchall()
            states = conn.execute("SELECT seq, state FROM states WHERE session_id = ? "
                                  "ORDER BY seq DESC LIMIT ?",
                                  (session_id, HISTORY_LEVELS + 1)).fetchall() if rows else []
            conn.execute("COMMIT")
        finally:
            conn.close()
        if not rows or not states:
            return None
        meta, last_used = rows[0]
        top = states[0][0]
        try:
            decoded = [orjson.loads(b) for _, b in reversed(states)]
            doc: dict[str, Any] = {**orjson.loads(meta), **decoded[-1], "history": decoded[:-1]}
            if doc.get("dataset") is not None:
                doc["dataset"]["cursor"] = doc.get("cursor", 0)
            session = import_session(session_id, doc)
        except (InputError, orjson.JSONDecodeError, KeyError, TypeError, ValueError,
                IndexError, AttributeError) as exc:
            reason = f"{exc.field}: {exc.message}" if isinstance(exc, InputError) else \
                f"{type(exc).__name__}: {exc}"
            self._quarantine(session_id, reason)
            raise NotFound(f"session {session_id!r} could not be read from disk and was set "
                           "aside (quarantined); start a new one") from None
        session.journal.clear()
        self._top[session_id] = top
        self._touched[session_id] = last_used
        return session, last_used

    @_reads("count the sessions")
    def count(self) -> int:
        return self._query("SELECT COUNT(*) FROM sessions")[0][0]

    @_reads("list idle sessions")
    def idle_since(self, before: float, limit: int = 1000) -> list[str]:
        """Ids of sessions last used before `before`, oldest first."""
        return [r[0] for r in self._query(
            "SELECT id FROM sessions WHERE last_used < ? ORDER BY last_used LIMIT ?", (before, limit))]

    @_reads("read a setting")
    def get_setting(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM settings WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    @_writes("save a setting")
    def set_setting(self, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                               (key, value))
