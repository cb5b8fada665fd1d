"""Where sessions live: a map of live Session objects, optionally backed by SQLite.

`use(id)` hands out a session under its own lock, so calls on one session are
serialised while calls on different sessions run side by side; when the block
ends, whatever the call changed is persisted in one transaction. If that write
fails, the in-memory copy is dropped so the next call reloads the last saved
version (a change is never half-kept).

Session life: ids are 128 random bits from `secrets`; sessions idle longer
than `ttl_seconds` expire; when `max_sessions` is reached the oldest session
idle for at least `evict_idle_seconds` is evicted, or the create is refused.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

from .document import import_session
from .errors import LimitReached, NotFound, StorageError
from .session import Session
from .sqlite import SqliteSessions

log = logging.getLogger("backprop_explorer")
TOUCH_EVERY = 60.0   # at most this many seconds between last-used writes of a session


class WouldBlock(RuntimeError):
    """The session is busy (its lock is held by another call)."""


def new_session_id() -> str:
    """128 random bits from `secrets`, as 32 hex digits."""
    return secrets.token_hex(16)


class SessionStore:
    def __init__(self, max_sessions: int = 1000, ttl_seconds: float = 7 * 86400,
                 evict_idle_seconds: float = 600, backend: SqliteSessions | None = None,
                 clock=time.time) -> None:
        self.max_sessions = max_sessions
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
        self._guard = threading.RLock()
        # called with the id of every session removed (deleted, expired, evicted): what
        # belongs to a session (its exercises) goes with it
        self.on_delete: list = []
        # called with every session after a change to it was saved, still under its lock (so
        # in the order the changes were made): live events (api/routes/events.py)
        self.on_change: list = []

    def __len__(self) -> int:
        return self.backend.count() if self.backend else len(self._live)

    # ----- life ---------------------------------------------------------
    def _idle_since(self, before: float) -> list[str]:
        if self.backend:
            return self.backend.idle_since(before)
        return sorted((sid for sid, t in self._last_used.items() if t < before),
                      key=self._last_used.__getitem__)

    def expire(self) -> int:
        """Delete the sessions idle for longer than the time to live."""
        expired = self._idle_since(self.clock() - self.ttl_seconds)
        for sid in expired:
            self._remove(sid)
        if expired:
            log.info("expired %d idle session(s)", len(expired))
        return len(expired)

    def _make_room(self) -> None:
        self.expire()
        if len(self) < self.max_sessions:
            return
        idle = self._idle_since(self.clock() - self.evict_idle_seconds)
        if not idle:
            raise LimitReached("max_sessions", f"the server holds its limit of {self.max_sessions} "
                               "sessions, all in recent use; try again later")
        self._remove(idle[0])
        log.info("evicted the oldest idle session to stay within max_sessions")

    def _add(self, session: Session) -> Session:
        with self._guard:
            self._make_room()
            now = self.clock()
            if self.backend:
                self.backend.insert(session, now)
            session.journal.clear()
            self._live[session.id] = session
            self._last_used[session.id] = now
        return session

    def create(self, spec: dict[str, Any]) -> Session:
        return self._add(Session.create(new_session_id(), spec))

    def import_document(self, doc: dict[str, Any]) -> Session:
        return self._add(import_session(new_session_id(), doc))

    def _remove(self, session_id: str) -> bool:
        with self._guard:
            found = self._live.pop(session_id, None) is not None
            self._last_used.pop(session_id, None)
            if self.backend:
                found = self.backend.delete(session_id) or found
        if found:
            for hook in self.on_delete:
                hook(session_id)
        return found

    def delete(self, session_id: str) -> None:
        if not self._remove(session_id):
            raise NotFound(f"session {session_id!r} not found")

    # ----- use ----------------------------------------------------------
    def get(self, session_id: str) -> Session:
        session = self._live.get(session_id)
        if session is not None:
            return session
        if self.backend is not None and len(session_id) <= 64:
            with self._guard:
                session = self._live.get(session_id)
                if session is None:
                    loaded = self.backend.load(session_id)
                    if loaded is not None:
                        session = self._live[session_id] = loaded[0]
            if session is not None:
                return session
        raise NotFound(f"session {session_id!r} not found")

    @contextmanager
    def use(self, session_id: str, blocking: bool = True) -> Iterator[Session]:
        """The session under its lock; with blocking=False raise WouldBlock if it is busy."""
        session = self.get(session_id)
        if not session.lock.acquire(blocking=blocking):
            raise WouldBlock(session_id)
        try:
            if self._live.get(session_id) is not session:   # deleted or reloaded meanwhile
                raise NotFound(f"session {session_id!r} not found")
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
        try:
            if session.journal:
                self.backend.save(session, now)
            else:
                self.backend.touch(session.id, now)     # at most every touch_every seconds
        except Exception as exc:
            log.exception("could not save session %s; rolling back to the saved version",
                          session.id)
            with self._guard:
                self._live.pop(session.id, None)
            raise StorageError("the change could not be saved and was rolled back; "
                               "try again") from exc

    # ----- settings kept with the sessions --------------------------------
    def get_setting(self, key: str) -> str | None:
        return self.backend.get_setting(key) if self.backend else None

    def set_setting(self, key: str, value: str) -> None:
        if self.backend:
            self.backend.set_setting(key, value)
