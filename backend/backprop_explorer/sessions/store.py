"""Where sessions live: an in-memory map with a per-session lock.

`use(id)` hands out a session under its own lock, so calls on one session are
serialised while calls on different sessions run side by side.
"""
from __future__ import annotations

import secrets
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from .document import import_session
from .errors import Conflict, NotFound
from .session import Session


def new_session_id() -> str:
    """128 random bits from `secrets`, as 32 hex digits."""
    return secrets.token_hex(16)


class SessionStore:
    def __init__(self, max_sessions: int = 1000) -> None:
        self.max_sessions = max_sessions
        self._sessions: dict[str, Session] = {}
        self._guard = threading.Lock()

    def __len__(self) -> int:
        return len(self._sessions)

    def _add(self, session: Session) -> Session:
        with self._guard:
            if len(self._sessions) >= self.max_sessions:
                raise Conflict(f"the server holds its limit of {self.max_sessions} sessions")
            self._sessions[session.id] = session
        return session

    def create(self, spec: dict[str, Any]) -> Session:
        return self._add(Session.create(new_session_id(), spec))

    def import_document(self, doc: dict[str, Any]) -> Session:
        return self._add(import_session(new_session_id(), doc))

    def get(self, session_id: str) -> Session:
        session = self._sessions.get(session_id)
        if session is None:
            raise NotFound(f"session {session_id!r} not found")
        return session

    @contextmanager
    def use(self, session_id: str) -> Iterator[Session]:
        session = self.get(session_id)
        with session.lock:
            if self._sessions.get(session_id) is not session:   # deleted while we waited
                raise NotFound(f"session {session_id!r} not found")
            yield session

    def delete(self, session_id: str) -> None:
        with self._guard:
            if self._sessions.pop(session_id, None) is None:
                raise NotFound(f"session {session_id!r} not found")

    def save(self, session: Session) -> None:
        """Persist a mutated session (memory store: nothing to do)."""
