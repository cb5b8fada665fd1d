"""Where sessions live: a map of live Session objects, optionally backed by SQLite.

`use(id)` hands out a session under its own lock, so calls on one session are
serialised while calls on different sessions run side by side; when the block
ends, whatever the call changed is persisted in one transaction. If that write
fails, the in-memory copy is dropped so the next call reloads the last saved
version (a change is never half-kept).

A call that was waiting for a session whose save failed (or that was reloaded) looks
it up again, so it gets the saved version: never "not found" for a session that exists.

Session life: ids are 128 random bits from `secrets`; sessions idle longer
than `ttl_seconds` expire; when `max_sessions` is reached, or the memory budget
`max_session_bytes` would be exceeded, the oldest sessions idle for at least
`evict_idle_seconds` are evicted, or the create is refused (429; 413 for a session
bigger than the whole budget). A session's cost is what it can grow to hold:
parameters × (1 + HISTORY_LEVELS undo levels) × 8 bytes, counted from creation.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .document import import_session
from .errors import LimitReached, NotFound, StorageError
from .session import HISTORY_LEVELS, Session
from .sqlite import SqliteSessions

log = logging.getLogger("backprop_explorer")
TOUCH_EVERY = 60.0   # at most this many seconds between last-used writes of a session


class WouldBlock(RuntimeError):
    """The session is busy (its lock is held by another call)."""


def new_session_id() -> str:
    """128 random bits from `secrets`, as 32 hex digits."""
    return secrets.token_hex(16)


def session_bytes(parameters: int) -> int:
    """What a session can come to hold: its weights and a full undo history, float64."""
    return parameters * (1 + HISTORY_LEVELS) * 8


def refuse_too_big(parameters: int, budget: int | None) -> int:
    """What a new session of `parameters` can come to hold; 413 if more than the budget of
    all sessions (it could never fit)."""
    need = session_bytes(parameters)
    if budget is not None and need > budget:
        raise LimitReached("max_session_bytes", f"this session would hold up to {need:,} "
                           f"bytes ({parameters:,} parameters × (1 + {HISTORY_LEVELS} undo "
                           f"levels) × 8), more than the whole budget of {budget:,} bytes "
                           "for all sessions; make the network smaller", status=413)
    return need


def full(limit: str, store: Any, need: int) -> LimitReached:
    """The 429 of a store at `limit` with every session in recent use."""
    if limit == "max_sessions":
        return LimitReached(limit, f"the server holds its limit of {store.max_sessions} "
                            "sessions, all in recent use; try again later")
    return LimitReached(limit, f"the sessions in recent use hold {store.total_bytes:,} of the "
                        f"{store.max_session_bytes:,} bytes allowed for all sessions, and this "
                        f"one would add up to {need:,} (parameters × (1 + {HISTORY_LEVELS} undo "
                        "levels) × 8); try again later or make the network smaller")


def _plausible_id(session_id: str) -> bool:
    """Ids this store could have made (short printable ASCII): anything else is unknown
    without asking SQLite (a lone surrogate cannot even be encoded for it)."""
    return len(session_id) <= 64 and session_id.isascii() and session_id.isprintable()


class SessionStore:
    """The embedded implementation of the store interface's sessions (stores.py
    SessionStoreAPI; the shared one is redisstore/sessions.py)."""

    def __init__(self, max_sessions: int = 1000, ttl_seconds: float = 7 * 86400,
                 evict_idle_seconds: float = 600, backend: SqliteSessions | None = None,
                 clock=time.time, max_session_bytes: int | None = None) -> None:
        self.max_sessions = max_sessions
        self.max_session_bytes = max_session_bytes
        self.ttl_seconds = ttl_seconds
        self.evict_idle_seconds = evict_idle_seconds
        self.backend = backend
        self.clock = clock
        if backend is not None:
            # how stale a session's last-used time may be on disk: well below the idle
            # times that expiry and eviction go by
            backend.touch_every = min(TOUCH_EVERY, evict_idle_seconds / 10, ttl_seconds / 10)
        self._live: dict[str, Session] = {}
        self._last_used: dict[str, float] = {}      # in-memory store only
        # parameters of every session held (live or on disk), for the budget and the count
        self._parameters: dict[str, int] = dict(backend.parameters) if backend else {}
        self._guard = threading.RLock()
        # called with the id of every session removed (deleted, expired, evicted): what
        # belongs to a session (its exercises) goes with it
        self.on_delete: list = []
        # called with every session after a change to it was saved, still under its lock (so
        # in the order the changes were made): live events (api/routes/events.py)
        self.on_change: list = []

    def __len__(self) -> int:
        return len(self._parameters)

    @property
    def total_bytes(self) -> int:
        """The budget in use: session_bytes() summed over every session held."""
        return session_bytes(sum(self._parameters.values()))

    def status(self) -> dict[str, Any]:
        """The storage side of /api/health."""
        out = self.backend.status() if self.backend else \
            {"kind": "memory", "writable": True, "read_only": None, "last_write_error": None,
             "quarantined": 0, "notes": []}
        out.update({"session_bytes": self.total_bytes, "max_session_bytes": self.max_session_bytes})
        return out

    # ----- life ---------------------------------------------------------
    def _idle_since(self, before: float) -> list[str]:
        if self.backend:
            return self.backend.idle_since(before)
        return sorted((sid for sid, t in self._last_used.items() if t < before),
                      key=self._last_used.__getitem__)

    def expire(self) -> int:
        """Delete the sessions idle for longer than the time to live (and give the space
        they took back to the file system)."""
        expired = self._idle_since(self.clock() - self.ttl_seconds)
        for sid in expired:
            self._remove(sid)
        if expired:
            log.info("expired %d idle session(s)", len(expired))
            self.vacuum()
        return len(expired)

    def vacuum(self) -> None:
        if self.backend is not None and not self.backend.read_only:
            try:
                self.backend.vacuum()
            except StorageError as exc:
                log.warning("%s", exc)

    def _over(self, need: int) -> str | None:
        """The limit that one more session costing `need` bytes would break, if any."""
        if len(self) >= self.max_sessions:
            return "max_sessions"
        if self.max_session_bytes is not None and self.total_bytes + need > self.max_session_bytes:
            return "max_session_bytes"
        return None

    def _make_room(self, parameters: int) -> None:
        need = refuse_too_big(parameters, self.max_session_bytes)
        self.expire()
        if self._over(need) is None:
            return
        idle = iter(self._idle_since(self.clock() - self.evict_idle_seconds))
        while (limit := self._over(need)) is not None:
            victim = next(idle, None)
            if victim is None:
                raise full(limit, self, need)
            self._remove(victim)
            log.info("evicted an idle session to stay within %s", limit)

    def _add(self, session: Session) -> Session:
        with self._guard:
            self._make_room(session.arch.n_parameters)
            now = self.clock()
            if self.backend:
                self.backend.insert(session, now)
            session.journal.clear()
            self._live[session.id] = session
            self._last_used[session.id] = now
            self._parameters[session.id] = session.arch.n_parameters
        return session

    def create(self, spec: dict[str, Any]) -> Session:
        return self._add(Session.create(new_session_id(), spec))

    def import_document(self, doc: dict[str, Any]) -> Session:
        return self._add(import_session(new_session_id(), doc))

    def _remove(self, session_id: str) -> bool:
        with self._guard:
            found = False
            if self.backend:        # first: if it fails (503), the session is still all there
                found = self.backend.delete(session_id)
            found = self._live.pop(session_id, None) is not None or found
            self._last_used.pop(session_id, None)
            self._parameters.pop(session_id, None)
        if found:
            for hook in self.on_delete:
                hook(session_id)
        return found

    def delete(self, session_id: str) -> None:
        if not self._remove(session_id):
            raise NotFound(f"session {session_id!r} not found")

    # ----- use ----------------------------------------------------------
    def peek(self, session_id: str) -> Session | None:
        """The session if it is in memory (no loading)."""
        return self._live.get(session_id)

    def get(self, session_id: str) -> Session:
        """The live session, loaded from the backend if need be (which may take a while for
        a big one: callers on the event loop check peek() first)."""
        session = self._live.get(session_id)
        if session is not None:
            return session
        if self.backend is not None and _plausible_id(session_id):
            with self._guard:
                session = self._live.get(session_id)
                if session is None:
                    loaded = self.backend.load(session_id)
                    if loaded is not None:
                        session = self._live[session_id] = loaded[0]
                        self._parameters.setdefault(session_id, session.arch.n_parameters)
            if session is not None:
                return session
        raise NotFound(f"session {session_id!r} not found")

    @contextmanager
    def use(self, session_id: str, blocking: bool = True) -> Iterator[Session]:
        """The session under its lock; with blocking=False raise WouldBlock if it is busy."""
        while True:
            session = self.get(session_id)
            if not session.lock.acquire(blocking=blocking):
                raise WouldBlock(session_id)
            if self._live.get(session_id) is session:
                break
            # dropped (its save failed), reloaded or deleted while this call waited: look it
            # up again (the saved version, or NotFound if it was deleted)
            session.lock.release()
        try:
            try:
                yield session
            except BaseException:
                if session.journal:        # changed, then failed: keep memory and disk equal
                    if self.backend is None:
                        session.journal.clear()
                    else:
                        with self._guard:
                            self._live.pop(session_id, None)   # next call reloads the saved version
                raise
            changed = bool(session.journal)
            self._persist(session)
            if changed:
                for hook in self.on_change:
                    hook(session)
        finally:
            session.lock.release()

    def _persist(self, session: Session) -> None:
        now = self.clock()
        self._last_used[session.id] = now
        if self.backend is None:
            session.journal.clear()
            return
        if not session.journal:
            self.backend.touch(session.id, now)     # at most every touch_every seconds
            return
        try:
            self.backend.save(session, now)
        except Exception as exc:
            if isinstance(exc, StorageError):
                log.warning("session %s: %s; rolled back to the saved version", session.id, exc)
            else:
                log.exception("could not save session %s; rolling back to the saved version",
                              session.id)
            with self._guard:
                self._live.pop(session.id, None)
            if isinstance(exc, StorageError):
                raise
            raise StorageError("the change could not be saved and was rolled back; "
                               "try again") from exc

    # ----- settings kept with the sessions --------------------------------
    def get_setting(self, key: str) -> str | None:
        return self.backend.get_setting(key) if self.backend else None

    def set_setting(self, key: str, value: str) -> None:
        if self.backend:
            self.backend.set_setting(key, value)
