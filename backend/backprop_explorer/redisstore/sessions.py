"""Sessions kept in Redis, shared by any number of server processes.

Keys of one session (hash tag = its id, so they share a cluster slot):
  <p>:{id}          hash: meta (network + dataset, JSON), mv (meta version), state (the
                    current weights, step, epoch, cursor: STATE header + float64 bytes),
                    v (version: +1 per saved change), params
  <p>:{id}:undo     list: the undo levels, newest first, capped at HISTORY_LEVELS (LTRIM)
  <p>:{id}:lock     the lock that serialises changes across processes (conn.Redis)
All three expire after `ttl_seconds` without use (PEXPIRE on every use): Redis does the
expiry. Store-wide: <p>:{_}:sessions (sorted set id → last used, written at most every
`touch_every` s per process), <p>:{_}:params (hash id → parameters) and <p>:{_}:total
(their sum): the count and the memory budget, checked and reserved in one script, so the
limits hold for all processes together.

A change: lock (one script that also returns the state if this process's copy is stale),
run the call on the local copy, then one script writes the journal (undo pushes and pops,
new meta, the new state) if and only if the lock is still ours and the version is the one
we read (compare-and-set with a fencing token): a change is applied exactly once or not at
all (StorageError, 503). Reads take the lock too, so they see no half-made change.
"""
from __future__ import annotations

import itertools
import logging
import secrets
import struct
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import numpy as np
import orjson
from redis.exceptions import RedisError

from .. import engine
from ..sessions.document import export_meta, import_session, weights_to_lists
from ..sessions.errors import NotFound, StorageError
from ..sessions.session import HISTORY_LEVELS, Session, Snapshot
from ..sessions.store import (
    TOUCH_EVERY,
    WouldBlock,
    _plausible_id,
    full,
    new_session_id,
    refuse_too_big,
    session_bytes,
)
from ..stores import Stale
from .conn import Redis, guarded, unavailable

log = logging.getLogger("backprop_explorer")
STATE = struct.Struct("<qqq")          # step, epoch, cursor; then the flat float64 weights
BYTES_PER_PARAMETER = session_bytes(1)

FETCH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
if ARGV[1] ~= '' then
  if not redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return {0, redis.call('PTTL', KEYS[3])}
  end
end
if tonumber(ARGV[5]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
local f = redis.call('HMGET', KEYS[1], 'v', 'mv')
local out = {1, f[1], f[2], false, false, 0, redis.call('EXISTS', KEYS[4], KEYS[5])}
if f[1] ~= ARGV[3] then
  out[4] = redis.call('HGET', KEYS[1], 'state')
  out[6] = redis.call('LLEN', KEYS[2])
end
if f[2] ~= ARGV[4] then out[5] = redis.call('HGET', KEYS[1], 'meta') end
return out
"""
# Writes a journal: ARGV[4] undo levels kept, ARGV[5] ops (push/pop/meta, a value each)
# from ARGV[6] on, then the new state; `writer` is recorded in `w` (a resend knows it).
# ARGV[3] is the keys' time to live in ms, negative when this process refreshed it less
# than touch_every ago (no PEXPIRE then, but for an undo list the push creates).
WRITE = """
local ttl = tonumber(ARGV[3])
local levels = tonumber(ARGV[4])
local v = tonumber(f[1]) + 1
local mv = f[2]
local meta = false
local i = 6
for k = 1, tonumber(ARGV[5]) do
  local op = ARGV[i]
  if op == 'push' then
    local len = redis.call('LPUSH', KEYS[2], ARGV[i + 1])
    if len == 1 then redis.call('PEXPIRE', KEYS[2], math.abs(ttl))
    elseif len > levels then redis.call('LTRIM', KEYS[2], 0, levels - 1) end
  elseif op == 'pop' then
    redis.call('LPOP', KEYS[2])
  else
    meta = ARGV[i + 1]
  end
  i = i + 2
end
if meta then
  mv = tostring(tonumber(mv) + 1)
  redis.call('HSET', KEYS[1], 'state', ARGV[i], 'w', writer, 'v', v, 'meta', meta, 'mv', mv)
else
  redis.call('HSET', KEYS[1], 'state', ARGV[i], 'w', writer, 'v', v)
end
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
"""
SAVE = """
local f = redis.call('HMGET', KEYS[1], 'v', 'mv', 'w')
if f[3] == ARGV[1] then return {1, tonumber(f[1]), f[2]} end  -- ours, saved (a resent call)
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return {-2} end
if f[1] ~= ARGV[2] then return {-3} end
local writer = ARGV[1]
""" + WRITE + """redis.call('DEL', KEYS[3])
return {1, v, mv}
"""
# The inline path (api/run.py, a small call on a session this process holds, nobody
# following it): the call ran on the local copy; one script checks that the copy was the
# stored version (v and mv) and, for a change, that no process holds the session's lock
# and nobody follows it (watched / classes), then writes the journal as SAVE does, with
# `w` = this attempt's unique id (a resent call finds its own write and reports it, never
# a second one). Otherwise nothing is written and the reply is FETCH's with the stored
# state (and meta when its version differs): -1 gone, 0 the copy was stale (run again),
# -4 locked, -5 followed (take the lock path).
# KEYS: FETCH's; ARGV: v, mv, ttl ms, levels, n ops (-1: a read), ops…, state, attempt id
COMMIT = """
local f = redis.call('HMGET', KEYS[1], 'v', 'mv', 'w')
if not f[1] then return {-1} end
local n = tonumber(ARGV[5])
local last = 6 + 2 * math.max(n, 0)
if n >= 0 and f[3] == ARGV[last + 1] then return {1, tonumber(f[1]), f[2], 0} end
local busy = redis.call('EXISTS', KEYS[3], KEYS[4], KEYS[5])   -- lock, watched, classes
local followed = busy > 0 and redis.call('EXISTS', KEYS[4], KEYS[5]) or 0
local code = 1
if n >= 0 then
  if busy > followed then code = -4              -- the lock is held
  elseif followed > 0 then code = -5 end
end
if code == 1 and (f[1] ~= ARGV[1] or f[2] ~= ARGV[2]) then code = 0 end
if (code ~= 1 or n < 0) and tonumber(ARGV[3]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
if code ~= 1 then
  local out = {code, f[1], f[2], false, false, 0, followed}
  if n >= 0 or f[1] ~= ARGV[1] then
    out[4] = redis.call('HGET', KEYS[1], 'state')
    out[6] = redis.call('LLEN', KEYS[2])
  end
  if f[2] ~= ARGV[2] then out[5] = redis.call('HGET', KEYS[1], 'meta') end
  return out
end
if n < 0 then return {1, tonumber(f[1]), f[2], followed} end
local writer = ARGV[last + 1]
""" + WRITE + """return {1, v, mv, 0}
"""
# Before an inline call, when this process's copies are often stale (another process
# changed the session since), FETCH without the lock nor a TTL refresh (ARGV[1] '', ARGV[5]
# negative): the stored state if the copy is not the stored version, so the call runs once
# on the right weights rather than twice (PEEK).
# stale fraction of this process's inline calls (moving average) above which they PEEK
# first: a stale try costs the call's work and a script call again, a PEEK one script call
PEEK_ABOVE = 0.25
RESERVE = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 'ok' end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 'max_sessions' end
local total = tonumber(redis.call('GET', KEYS[3]) or '0')
local budget = tonumber(ARGV[4])
if budget >= 0 and (total + tonumber(ARGV[2])) * tonumber(ARGV[6]) > budget then
  return 'max_session_bytes'
end
redis.call('ZADD', KEYS[1], ARGV[5], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('INCRBY', KEYS[3], ARGV[2])
return 'ok'
"""
FORGET = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
local p = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if p then redis.call('DECRBY', KEYS[3], p) end
return 1
"""


def encode_state(flat: np.ndarray, step: int, epoch: int, cursor: int) -> bytes:
    return STATE.pack(step, epoch, cursor) + np.ascontiguousarray(flat, dtype="<f8").tobytes()


def decode_state(blob: bytes) -> tuple[np.ndarray, int, int, int]:
    step, epoch, cursor = STATE.unpack_from(blob)
    flat = np.frombuffer(blob, dtype="<f8", offset=STATE.size).astype(np.float64)  # a copy
    return flat, step, epoch, cursor


def _snapshot_blob(snap: Snapshot) -> bytes:
    return encode_state(snap.flat, snap.step, snap.epoch, snap.cursor)


def _session_blob(s: Session) -> bytes:
    return encode_state(engine.Parameters.pack(s.weights).flat, s.step, s.epoch,
                        s.dataset.cursor if s.dataset else 0)


class SharedHistory:
    """A session's undo levels as the local copy sees them: its length, and the levels this
    process pushed or fetched on top; the rest stay in Redis until an undo reaches them
    (so a change made in another process costs this one the new state, not 100 levels)."""

    def __init__(self, shapes, length: int, fetch) -> None:
        self._shapes = shapes
        self._length = length
        self._top: deque[Snapshot] = deque(maxlen=HISTORY_LEVELS)   # newest last
        self._skip = 0            # levels popped below the known top since the last save
        self._fetch = fetch       # fetch(index) → Snapshot blob at that index (newest = 0)

    def saved(self) -> None:
        self._skip = 0

    def append(self, snap: Snapshot) -> None:
        self._top.append(snap)
        self._length = min(self._length + 1, HISTORY_LEVELS)

    def pop(self) -> Snapshot:
        if not self._length:
            raise IndexError("pop from an empty history")
        self._length -= 1
        if self._top:
            return self._top.pop()
        snap = self._decode(self._fetch(self._skip))
        self._skip += 1
        return snap

    def _decode(self, blob: bytes | None) -> Snapshot:
        if blob is None:
            raise StorageError("an undo level is missing from the shared store; try again")
        flat, step, epoch, cursor = decode_state(blob)
        return Snapshot(flat, self._shapes, step, epoch, cursor)

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Snapshot]:
        """Oldest first (as the export lists them)."""
        top = list(self._top)[-self._length:] if self._length else []
        below = self._length - len(top)
        older = [self._decode(self._fetch(self._skip + i)) for i in range(below)]
        yield from reversed(older)
        yield from top


class RedisSessionStore:
    """The SessionStore interface (sessions/store.py) on Redis."""

    def __init__(self, conn: Redis, max_sessions: int = 1000, ttl_seconds: float = 7 * 86400,
                 evict_idle_seconds: float = 600, clock=time.time,
                 max_session_bytes: int | None = None) -> None:
        self.conn = conn
        self.r: Any = conn.client
        self.max_sessions = max_sessions
        self.max_session_bytes = max_session_bytes
        self.ttl_seconds = ttl_seconds
        self.evict_idle_seconds = evict_idle_seconds
        self.clock = clock
        self.backend = None           # no local file
        self.touch_every = min(TOUCH_EVERY, evict_idle_seconds / 10, ttl_seconds / 10)
        self._ttl_ms = max(1, int(ttl_seconds * 1000))
        self._fetch = conn.script(FETCH)
        self._save = conn.script(SAVE)
        self._reserve = conn.script(RESERVE)
        self._forget = conn.script(FORGET)
        self._commit_script = conn.hot_script(COMMIT)
        self._peek_script = conn.hot_script(FETCH)
        self.stale_rate = 0.0       # moving average of the inline calls that found it stale
        self._attempt_prefix = f"{secrets.token_hex(6)}:"     # this process's COMMIT ids
        self._attempts = itertools.count(1)
        self._live: dict[str, Session] = {}
        self._version: dict[str, tuple[bytes, bytes]] = {}     # id → (v, mv) of the local copy
        self._touched: dict[str, float] = {}
        self._followed: dict[str, bool] = {}     # anyone watching, or a class on it (at lock)
        self._guard = threading.RLock()
        self._write_error: str | None = None
        self.on_delete: list = []
        self.on_change: list = []
        self._g = (conn.glob("sessions"), conn.glob("params"), conn.glob("total"))

    # ----- keys -----
    def _keys(self, sid: str) -> list[str]:
        return [self.conn.key(sid), self.conn.key(sid, "undo"), self.conn.key(sid, "lock")]

    def _fetch_keys(self, sid: str) -> list[str]:
        """_keys, and what tells whether anyone follows the session: its events' `watched`
        key (redisstore/events.py) and its set of classes (redisstore/classes.py)."""
        return [*self._keys(sid), self.conn.key(sid, "watched"), self.conn.key(sid, "classes")]

    # ----- size -----
    def __len__(self) -> int:
        """The sessions of every process (0 while Redis is away: /api/health then says
        "degraded" rather than failing)."""
        try:
            return int(self.r.zcard(self._g[0]))
        except RedisError:
            return 0

    @property
    @guarded("read the memory budget")
    def total_bytes(self) -> int:
        return session_bytes(int(self.r.get(self._g[2]) or 0))

    def status(self) -> dict[str, Any]:
        down = self.conn.ping()
        return {"kind": "redis", "writable": down is None and self._write_error is None,
                "read_only": None, "last_write_error": down or self._write_error,
                "quarantined": 0, "notes": [f"shared through {_safe_url(self.conn.url)}"],
                "session_bytes": self.total_bytes if down is None else 0,
                "max_session_bytes": self.max_session_bytes}

    # ----- life -----
    @guarded("list idle sessions")
    def _idle_since(self, before: float, limit: int = 1000) -> list[str]:
        return [m.decode() for m in self.r.zrangebyscore(self._g[0], "-inf", f"({before}",
                                                         start=0, num=limit)]

    def expire(self) -> int:
        expired = self._idle_since(self.clock() - self.ttl_seconds)
        for sid in expired:
            self._remove(sid)
        if expired:
            log.info("expired %d idle session(s)", len(expired))
        return len(expired)

    def vacuum(self) -> None:
        pass

    @guarded("save the new session")
    def _reserve_room(self, sid: str, parameters: int) -> None:
        budget = self.max_session_bytes
        need = refuse_too_big(parameters, budget)

        def reserve() -> str:
            return self._reserve(keys=list(self._g), args=[
                sid, parameters, self.max_sessions, -1 if budget is None else budget,
                self.clock(), BYTES_PER_PARAMETER]).decode()

        if reserve() == "ok":
            return
        self.expire()
        idle = iter(self._idle_since(self.clock() - self.evict_idle_seconds))
        while (result := reserve()) != "ok":
            victim = next(idle, None)
            if victim is None:
                raise full(result, self, need)
            self._remove(victim)
            log.info("evicted an idle session to stay within %s", result)

    def _add(self, session: Session) -> Session:
        sid = session.id
        self._reserve_room(sid, session.arch.n_parameters)
        h, undo, _ = self._keys(sid)
        try:
            pipe = self.r.pipeline(transaction=True)
            pipe.hset(h, mapping={"meta": orjson.dumps(export_meta(session)), "mv": 1,
                                  "state": _session_blob(session), "v": 1,
                                  "params": session.arch.n_parameters})
            levels = [_snapshot_blob(s) for s in session.history]   # oldest first
            if levels:
                pipe.lpush(undo, *levels)                          # → newest first
            pipe.pexpire(h, self._ttl_ms)
            pipe.pexpire(undo, self._ttl_ms)
            pipe.execute()
        except RedisError as exc:
            self._forget_quietly(sid)
            raise unavailable(exc, "save the new session") from exc
        session.journal.clear()
        self._adopt(session, len(session.history))
        with self._guard:
            self._live[sid] = session
            self._version[sid] = (b"1", b"1")
            self._followed[sid] = False     # a hint only (COMMIT checks): none can yet
            self._touched[sid] = self.clock()
        return session

    def _forget_quietly(self, sid: str) -> None:
        try:
            self._forget(keys=list(self._g), args=[sid])
        except RedisError:
            pass

    def _adopt(self, session: Session, length: int) -> None:
        """Give the local copy a SharedHistory of `length` levels (kept: those it holds)."""
        old = session.history
        shared = SharedHistory(session.arch.shapes, length, self._undo_fetcher(session.id))
        if not isinstance(old, SharedHistory):
            for snap in old:
                shared._top.append(snap)
        session.history = shared  # type: ignore[assignment]

    def _undo_fetcher(self, sid: str):
        key = self.conn.key(sid, "undo")

        @guarded("read an undo level")
        def fetch(index: int) -> bytes | None:
            return self.r.lindex(key, index)
        return fetch

    def create(self, spec: dict[str, Any]) -> Session:
        return self._add(Session.create(new_session_id(), spec))

    def import_document(self, doc: dict[str, Any]) -> Session:
        return self._add(import_session(new_session_id(), doc))

    @guarded("delete the session")
    def _remove(self, sid: str) -> bool:
        found = bool(self.r.delete(*self._keys(sid)))
        found = bool(self._forget(keys=list(self._g), args=[sid])) or found
        with self._guard:
            self._live.pop(sid, None)
            self._version.pop(sid, None)
            self._touched.pop(sid, None)
        if found:
            for hook in self.on_delete:
                hook(sid)
        return found

    def delete(self, session_id: str) -> None:
        if not _plausible_id(session_id) or not self._remove(session_id):
            raise NotFound(f"session {session_id!r} not found")

    # ----- use -----
    def peek(self, session_id: str) -> Session | None:
        """The local copy if there is one (possibly older than Redis: use() brings it up to
        date)."""
        return self._live.get(session_id)

    def _refresh(self, sid: str, reply: list) -> Session:
        """Bring the local copy up to date from a FETCH reply."""
        _, v, mv, state, meta, length, followed = reply
        self._followed[sid] = bool(followed)
        with self._guard:
            session = self._live.get(sid)
            if meta is not None or session is None:
                if meta is None:
                    meta = self.r.hget(self.conn.key(sid), "meta")
                    if meta is None:
                        raise NotFound(f"session {sid!r} not found")
                if state is None:
                    state = self.r.hget(self.conn.key(sid), "state")
                    length = self.r.llen(self.conn.key(sid, "undo"))
                session = self._build(sid, meta, state)
                self._live[sid] = session
            elif state is not None:
                flat, session.step, session.epoch, cursor = decode_state(state)
                session.weights = engine.Parameters.view(flat, session.arch.shapes)
                if session.dataset is not None:
                    session.dataset.cursor = cursor
            if state is not None:
                self._adopt_fresh(session, int(length))
            self._version[sid] = (v, mv)
        return session

    def _adopt_fresh(self, session: Session, length: int) -> None:
        session.history = SharedHistory(session.arch.shapes, length,  # type: ignore[assignment]
                                        self._undo_fetcher(session.id))

    @staticmethod
    def _build(sid: str, meta: bytes, state: bytes) -> Session:
        doc = orjson.loads(meta)
        flat, step, epoch, cursor = decode_state(state)
        arch_shapes = _shapes(doc["network"]["layers"])
        doc.update(weights=weights_to_lists(engine.Parameters.view(flat, arch_shapes)),
                   step=step, epoch=epoch, history=[])
        if doc.get("dataset") is not None:
            doc["dataset"]["cursor"] = cursor
        session = import_session(sid, doc)
        session.weights = engine.Parameters.view(flat, session.arch.shapes)   # bit for bit
        session.journal.clear()
        return session

    def _call_fetch(self, sid: str, token: str) -> list:
        v, mv = self._version.get(sid, (b"", b""))
        return self._fetch(keys=self._fetch_keys(sid), args=[
            token, 3000, v, mv, self._ttl_ms])

    @guarded("read the session")
    def get(self, session_id: str) -> Session:
        if not _plausible_id(session_id):
            raise NotFound(f"session {session_id!r} not found")
        reply = self._call_fetch(session_id, "")
        if reply[0] == -1:
            self._drop(session_id)
            raise NotFound(f"session {session_id!r} not found")
        local = self._live.get(session_id)
        if local is not None and not local.lock.acquire(blocking=False):
            return local                 # in use here: the call holding it brings it up to date
        try:
            return self._refresh(session_id, reply)
        finally:
            if local is not None:
                local.lock.release()

    def _drop(self, sid: str) -> None:
        with self._guard:
            self._live.pop(sid, None)
            self._version.pop(sid, None)

    def _lock(self, sid: str, blocking: bool) -> tuple[str, list]:
        """Take the session's lock in Redis; the FETCH reply with it."""
        from .conn import LOCK_MS, WAIT_MAX
        deadline = time.monotonic() + 30.0
        pause = 0.0002
        while True:
            token = secrets.token_hex(8)
            v, mv = self._version.get(sid, (b"", b""))
            reply = self._fetch(keys=self._fetch_keys(sid),
                                args=[token, LOCK_MS, v, mv, self._ttl_ms])
            if reply[0] == -1:
                self._drop(sid)
                raise NotFound(f"session {sid!r} not found")
            if reply[0] == 1:
                self.conn.hold(self.conn.key(sid, "lock"), token)
                return token, reply
            if not blocking:
                raise WouldBlock(sid)
            if time.monotonic() > deadline:
                raise StorageError("the session stayed busy for 30 s (a long call in another "
                                   "process?); try again")
            time.sleep(pause)
            pause = min(pause * 2, WAIT_MAX)

    def use(self, session_id: str, blocking: bool = True) -> AbstractContextManager[Session]:
        """The session, serialised against every call on it in every process, up to date;
        its change saved (compare-and-set) when the block ends, or nothing.

        blocking=False (api/run.py's inline path) on a session this process holds and
        nobody follows: optimistic — the call runs on the local copy under its local lock
        only, and one script (COMMIT) saves it if that copy was the stored version and no
        process holds the session's lock; else nothing is saved, the copy is brought up to
        date, and Stale (run it again) or WouldBlock (take the lock path) is raised.
        Otherwise: the local lock, then the session's lock in Redis (FETCH brings the copy
        up to date with it), the call, then SAVE (fenced by the lock's token)."""
        if not _plausible_id(session_id):
            raise NotFound(f"session {session_id!r} not found")
        if not blocking and self._followed.get(session_id) is False:
            local = self._live.get(session_id)
            if local is not None:
                return self._optimistic(session_id, local)
        return self._locked(session_id, blocking)

    @contextmanager
    def _optimistic(self, sid: str, session: Session) -> Iterator[Session]:
        if not session.lock.acquire(blocking=False):
            raise WouldBlock(sid)
        try:
            if self._live.get(sid) is not session:        # replaced meanwhile
                raise Stale(sid)
            peeked = self.stale_rate > PEEK_ABOVE and self._peek(sid)
            session.journal.clear()
            try:
                yield session
            except Exception:
                if session.journal:                         # changed, then failed
                    self._drop(sid)
                # the copy may have been stale: the lock path runs it again, up to date
                raise WouldBlock(sid) from None
            try:
                self._commit(session)
            except Stale:
                self.stale_rate += 0.05 * (1.0 - self.stale_rate)
                raise
            self.stale_rate += 0.05 * (peeked - self.stale_rate)
        finally:
            session.lock.release()

    def _peek(self, sid: str) -> bool:
        """Bring the local copy up to date before the call (PEEK); whether it was stale."""
        v, mv = self._version.get(sid, (b"", b""))
        try:
            reply = self._peek_script(keys=self._fetch_keys(sid), args=["", 0, v, mv, -1])
        except RedisError as exc:
            raise unavailable(exc, "read the session") from exc
        if reply[0] == -1:
            self._drop(sid)
            raise NotFound(f"session {sid!r} not found")
        if reply[3] is None and reply[4] is None:
            return False
        before = self._live.get(sid)
        if self._refresh(sid, reply) is not before:       # new settings: a new copy
            raise Stale(sid)
        return True

    def _commit(self, session: Session) -> None:
        sid = session.id
        journal = session.journal
        v, mv = self._version.get(sid, (b"", b""))
        due = self.clock() - self._touched.get(sid, float("-inf")) > self.touch_every
        args: list[Any] = [v, mv, self._ttl_ms if due else -self._ttl_ms, HISTORY_LEVELS]
        if journal:
            ops = self._journal_ops(session)
            args += [len(ops) // 2, *ops, _session_blob(session),
                     f"{self._attempt_prefix}{next(self._attempts)}"]
        else:
            args.append(-1)
        try:
            reply = self._commit_script(keys=self._fetch_keys(sid), args=args)
        except RedisError as exc:
            if journal:
                self._write_error = f"{type(exc).__name__}: {exc} (at {time.strftime('%H:%M:%S')})"
                self._drop(sid)
                raise unavailable(exc, "save the change") from exc
            raise unavailable(exc, "read the session") from exc
        code = reply[0]
        if code == 1:
            self._version[sid] = (str(reply[1]).encode(), reply[2])
            self._followed[sid] = bool(reply[3])
            if journal:
                self._write_error = None
                journal.clear()
                session.history.saved()  # type: ignore[attr-defined]
            self._touch(sid)
            return
        if code == -1:
            self._drop(sid)
            raise NotFound(f"session {sid!r} not found")
        # not applied: the copy goes back to the stored version
        if any(op == "meta" for op, _ in journal):
            self._drop(sid)
        else:
            journal.clear()
            self._refresh(sid, reply)
        if code == 0:
            raise Stale(sid)
        raise WouldBlock(sid)

    def _journal_ops(self, session: Session) -> list[Any]:
        ops: list[Any] = []
        meta_blob = None
        for op, snap in session.journal:
            if op == "push":
                assert snap is not None
                ops += ["push", _snapshot_blob(snap)]
            elif op == "pop":
                ops += ["pop", ""]
            else:
                meta_blob = meta_blob or orjson.dumps(export_meta(session))
                ops += ["meta", meta_blob]
        return ops

    @contextmanager
    def _locked(self, session_id: str, blocking: bool) -> Iterator[Session]:
        session, held = self._enter(session_id, blocking)
        token: str | None = held
        lock_key = self.conn.key(session_id, "lock")
        try:
            session.journal.clear()
            try:
                yield session
            except BaseException:
                if session.journal:                 # changed, then failed: reload next time
                    self._drop(session_id)
                raise
            if session.journal:
                self._persist(session, held)
                token = None
                # the live events: only if someone follows it (read with the lock, and a
                # new follower takes this lock for its first snapshot, so none is missed)
                if self._followed.get(session_id, True):
                    for hook in self.on_change:
                        hook(session)
            else:
                self._touch(session_id)
        finally:
            if token is not None:
                try:
                    self.conn.unlock(lock_key, token)
                except RedisError:
                    pass
            else:
                self.conn.forget(lock_key)
            session.lock.release()

    def _enter(self, sid: str, blocking: bool) -> tuple[Session, str]:
        """The local copy's lock, then the Redis lock, then the copy brought up to date. If
        that made a new local copy (another process changed the settings), its lock is
        taken without waiting, or everything is let go and tried again."""
        lock_key = self.conn.key(sid, "lock")
        while True:
            local = self._live.get(sid)
            if local is not None and not local.lock.acquire(blocking=blocking):
                raise WouldBlock(sid)
            try:
                token, reply = self._lock(sid, blocking)
                try:
                    session = self._refresh(sid, reply)
                except BaseException:
                    self.conn.unlock(lock_key, token)
                    raise
            except BaseException as exc:
                if local is not None:
                    local.lock.release()
                if isinstance(exc, RedisError):
                    raise unavailable(exc, "read the session") from exc
                raise
            if session is local:
                return session, token
            if local is not None:
                local.lock.release()
            if session.lock.acquire(blocking=False):
                return session, token
            try:
                self.conn.unlock(lock_key, token)
            except RedisError:
                pass
            time.sleep(0.0005)

    def _touch(self, sid: str) -> None:
        now = self.clock()
        if now - self._touched.get(sid, float("-inf")) <= self.touch_every:
            return
        try:
            self.r.zadd(self._g[0], {sid: now}, xx=True)
            self._touched[sid] = now
        except RedisError as exc:
            log.warning("could not write the last-used time of session %s: %s", sid, exc)

    def _persist(self, session: Session, token: str) -> None:
        sid = session.id
        args: list[Any] = [token, self._version[sid][0], self._ttl_ms, HISTORY_LEVELS]
        ops = self._journal_ops(session)
        args += [len(ops) // 2, *ops, _session_blob(session)]
        try:
            reply = self._save(keys=self._keys(sid), args=args)
        except RedisError as exc:
            self._write_error = f"{type(exc).__name__}: {exc} (at {time.strftime('%H:%M:%S')})"
            self._drop(sid)
            raise unavailable(exc, "save the change") from exc
        if reply[0] != 1:
            self._drop(sid)
            why = "its lock expired" if reply[0] == -2 else "it changed meanwhile"
            log.warning("session %s: change not saved (%s); rolled back", sid, why)
            raise StorageError("the change could not be saved (the session was changed by "
                               "another server meanwhile) and was not applied; try again")
        self._write_error = None
        self._version[sid] = (str(reply[1]).encode(), reply[2])
        session.journal.clear()
        session.history.saved()  # type: ignore[attr-defined]
        self._touch(sid)

    # ----- settings -----
    @guarded("read a setting")
    def get_setting(self, key: str) -> str | None:
        value = self.r.hget(self.conn.glob("settings"), key)
        return None if value is None else value.decode()

    @guarded("save a setting")
    def set_setting(self, key: str, value: str) -> None:
        self.r.hset(self.conn.glob("settings"), key, value)

    @guarded("save a setting")
    def claim_setting(self, key: str, value: str) -> str:
        """Set `key` unless another process did first; the value that holds."""
        if self.r.hsetnx(self.conn.glob("settings"), key, value):
            return value
        held = self.r.hget(self.conn.glob("settings"), key)
        return value if held is None else held.decode()

    def close(self) -> None:
        pass


def _shapes(layers: list[int]) -> tuple[tuple[int, int], ...]:
    return tuple(zip(layers[:-1], layers[1:], strict=True))


def _safe_url(url: str) -> str:
    """The URL without a password."""
    from urllib.parse import urlsplit, urlunsplit
    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)
