"""Exercises kept in Redis (exercises/store.py's interface), shared by every process.

Keys: <p>:{ex:<id>} (the exercise's JSON document, as the SQLite table keeps it) and
<p>:{<session id>}:exercises (the session's exercise ids, oldest first, at most
MAX_PER_SESSION). Both expire with the session's time to live (refreshed when written).
A change (an answer, a reveal) is optimistic: WATCH the document, apply the change to the
copy as saved, MULTI/EXEC; if another process wrote in between, the copy is reloaded and
the change applied again to it (so it is applied exactly once, to the latest version)."""
from __future__ import annotations

import secrets
from typing import Any

import orjson
from redis.exceptions import RedisError, WatchError

from ..exercises.exercise import Exercise
from ..exercises.store import MAX_PER_SESSION
from ..sessions.errors import NotFound, StorageError
from .conn import Redis, guarded, unavailable

TRIES = 50


class RedisExercises:
    def __init__(self, conn: Redis, ttl_seconds: float) -> None:
        self.conn = conn
        self.r: Any = conn.client
        self.ttl_ms = max(1, int(ttl_seconds * 1000))

    def _key(self, exercise_id: str) -> str:
        return self.conn.key(f"ex:{exercise_id}")

    def _list(self, session_id: str) -> str:
        return self.conn.key(session_id, "exercises")

    @guarded("save the exercise")
    def add(self, make) -> Exercise:
        ex = make(secrets.token_hex(16))
        self.r.set(self._key(ex.id), orjson.dumps(ex.document()), px=self.ttl_ms)
        pipe = self.r.pipeline(transaction=True)
        pipe.rpush(self._list(ex.session_id), ex.id)
        pipe.lrange(self._list(ex.session_id), 0, -MAX_PER_SESSION - 1)
        pipe.ltrim(self._list(ex.session_id), -MAX_PER_SESSION, -1)
        pipe.pexpire(self._list(ex.session_id), self.ttl_ms)
        _, old, _, _ = pipe.execute()
        if old:
            self.r.delete(*[self._key(i.decode()) for i in old])
        return ex

    @guarded("read the exercise")
    def get(self, exercise_id: str) -> Exercise:
        raw = None
        if len(exercise_id) <= 64 and exercise_id.isascii() and exercise_id.isalnum():
            raw = self.r.get(self._key(exercise_id))
        if raw is None:
            raise NotFound(f"exercise {exercise_id} not found")
        return Exercise.from_document(orjson.loads(raw))

    def update(self, ex: Exercise, change):
        """Apply `change(ex)` to the exercise as saved and save it, atomically; `ex` ends as
        saved (on failure: as it was)."""
        key = self._key(ex.id)
        before = ex.document()
        try:
            for _ in range(TRIES):
                with self.r.pipeline(transaction=True) as pipe:
                    try:
                        pipe.watch(key)
                        raw = pipe.get(key)
                        if raw is None:
                            raise NotFound(f"exercise {ex.id} not found")
                        fresh = Exercise.from_document(orjson.loads(raw))
                        ex.__dict__.update(fresh.__dict__)
                        result = change(ex)
                        pipe.multi()
                        pipe.set(key, orjson.dumps(ex.document()), px=self.ttl_ms)
                        pipe.execute()
                        return result
                    except WatchError:
                        continue       # written by another process meanwhile: again, on it
            raise StorageError("the exercise was changed too often at once; try again")
        except BaseException as exc:
            ex.__dict__.update(Exercise.from_document(before).__dict__)
            if isinstance(exc, RedisError):
                raise unavailable(exc, "save the answer") from exc
            raise

    def delete_session(self, session_id: str) -> None:
        try:
            ids = self.r.lrange(self._list(session_id), 0, -1)
            keys = [self._key(i.decode()) for i in ids] + [self._list(session_id)]
            self.r.delete(*keys)
        except RedisError:
            pass          # they expire with the session's time to live anyway

    def close(self) -> None:
        pass
