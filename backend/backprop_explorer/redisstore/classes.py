"""Live classes kept in Redis (classroom/classes.py's registry interface), so every server
process sees the same classes, students, questions and answers.

Keys: <p>:{class:<id>} hash (doc: the class's fields, pickled; v: version; la: last
active, written at most every TOUCH_EVERY s), <p>:{class:<id>}:lock, <p>:{_}:code:<CODE> →
id, <p>:{<session id>}:classes (a set, in the session's slot) and <p>:{_}:classes (sorted
set id → last active: the count for max_classes, and the idle sweep). Every key expires
after the class idle timeout (+ a minute) without use: Redis ends a class no process is
left to end.

A class's lock (`cls.lock`, reentrant in the thread that holds it) is this process's lock
and then the class's lock in Redis; taking it brings the local copy up to date, letting it
go saves the copy if it changed (only while the Redis lock is still ours: fencing). So the
ClassRoom's code runs as it does in one process. The documents are pickled: Redis is
trusted with everything the server keeps (as the data folder is by the embedded store)."""
from __future__ import annotations

import dataclasses
import pickle
import secrets
import threading
import time
from typing import Any

from redis.exceptions import RedisError

from ..classroom.classes import WRONG_CODES, WRONG_WINDOW, Class
from ..sessions.errors import LimitReached, StorageError
from .conn import Redis, guarded, unavailable

TOUCH_EVERY = 5.0
FIELDS = [f.name for f in dataclasses.fields(Class) if f.name != "lock"]

GET = """
local f = redis.call('HMGET', KEYS[1], 'v', 'la')
if not f[1] then return false end
if f[1] == ARGV[1] then return {f[1], f[2]} end
return {f[1], f[2], redis.call('HGET', KEYS[1], 'doc')}
"""
ADD = """
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 'max_classes' end
if not redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[5]) then return 'code' end
redis.call('HSET', KEYS[3], 'doc', ARGV[3], 'v', 1, 'la', ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[2])
return 'ok'
"""
SAVE = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) return -2 end
redis.call('HSET', KEYS[1], 'doc', ARGV[2])
local v = redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('DEL', KEYS[2])
return v
"""

# the wrong-join-code window of one client address, on Redis's clock (the processes'
# clocks are their own): a sorted set of the attempts' times, trimmed to the window.
# KEYS: the set; ARGV: window s, limit, record (1/0), a unique member. → seconds to wait
WRONG = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - window))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
  return math.max(1, math.floor(window - (now - oldest)) + 1)
end
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
end
return 0
"""


class RedisWrongCodes:
    """WrongCodes (classroom/classes.py) for every process together: `now` is ignored."""

    def __init__(self, conn: Redis) -> None:
        self.conn = conn
        self._script = conn.script(WRONG)

    def _call(self, client: str, record: bool) -> int:
        return int(self._script(keys=[self.conn.key(f"wrong:{client}")], args=[
            WRONG_WINDOW, WRONG_CODES, 1 if record else 0, secrets.token_hex(8)]))

    @guarded("check the join-code limit")
    def wait(self, client: str, now: float) -> int:
        return self._call(client, False)

    @guarded("count a wrong join code")
    def record(self, client: str, now: float) -> None:
        self._call(client, True)


def dump(cls: Class) -> bytes:
    return pickle.dumps({name: getattr(cls, name) for name in FIELDS},
                        protocol=pickle.HIGHEST_PROTOCOL)


class SharedClassLock:
    """cls.lock for a class kept in Redis."""

    def __init__(self, registry: RedisClasses, cls: Class) -> None:
        self._registry, self._cls = registry, cls
        self._local = threading.RLock()
        self._depth = 0
        self._token: str | None = None
        self._before = b""

    def acquire(self) -> bool:
        self._local.acquire()
        self._depth += 1
        if self._depth == 1:
            try:
                self._token = self._registry.lock(self._cls)
                self._registry.refresh(self._cls)
                self._before = dump(self._cls)
            except BaseException:
                if self._token is not None:
                    self._registry.unlock(self._cls, self._token)
                    self._token = None
                self._depth -= 1
                self._local.release()
                raise
        return True

    def release(self) -> None:
        try:
            if self._depth == 1 and self._token is not None:
                token, self._token = self._token, None
                after = dump(self._cls)
                if after != self._before:
                    self._registry.save(self._cls, token, after)
                else:
                    self._registry.unlock(self._cls, token)
        finally:
            self._depth -= 1
            self._local.release()

    def __enter__(self) -> SharedClassLock:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


class RedisClasses:
    def __init__(self, conn: Redis, idle_timeout: float) -> None:
        self.conn = conn
        self.r: Any = conn.client
        self.ttl_ms = int((idle_timeout + 60) * 1000)
        self._get = conn.script(GET)
        self._add = conn.script(ADD)
        self._save = conn.script(SAVE)
        self._cache: dict[str, Class] = {}
        self._version: dict[str, bytes] = {}
        self._touched: dict[str, float] = {}
        self._guard = threading.Lock()
        self._all = conn.glob("classes")
        self.wrong_codes = RedisWrongCodes(conn)

    def _doc(self, class_id: str) -> str:
        return self.conn.key(f"class:{class_id}")

    def _code(self, code: str) -> str:
        return self.conn.glob("code", code)

    # ----- the registry interface -----
    @guarded("count the classes")
    def count(self) -> int:
        return int(self.r.zcard(self._all))

    @guarded("choose a class code")
    def code_taken(self, code: str) -> bool:
        return bool(self.r.exists(self._code(code)))

    @guarded("open the class")
    def add(self, cls: Class, max_classes: int) -> None:
        cls.lock = SharedClassLock(self, cls)  # type: ignore[assignment]
        cls.last_active = time.time()
        result = self._add(keys=[self._all, self._code(cls.code), self._doc(cls.id)],
                           args=[max_classes, cls.id, dump(cls), cls.last_active, self.ttl_ms])
        result = result.decode()
        if result == "max_classes":
            raise LimitReached("max_classes", f"the server holds its limit of {max_classes} "
                               "live classes; try again later")
        if result == "code":
            raise KeyError(cls.code)
        pipe = self.r.pipeline(transaction=False)
        pipe.sadd(self.conn.key(cls.session_id, "classes"), cls.id)
        pipe.pexpire(self.conn.key(cls.session_id, "classes"), self.ttl_ms)
        pipe.execute()
        with self._guard:
            self._cache[cls.id] = cls
            self._version[cls.id] = b"1"
            self._touched[cls.id] = time.time()

    @guarded("read the class")
    def get(self, class_id: str) -> Class | None:
        if not (len(class_id) <= 64 and class_id.isascii() and class_id.isalnum()):
            return None
        cls = self._cache.get(class_id)
        reply = self._get(keys=[self._doc(class_id)],
                          args=[self._version.get(class_id, b"") if cls is not None else b""])
        if reply is None:
            self._uncache(class_id)
            return None
        if len(reply) == 3:
            cls = self._install(class_id, reply[2], cls)
            self._version[class_id] = reply[0]
        assert cls is not None
        if reply[1] is not None:
            cls.last_active = max(cls.last_active, float(reply[1]))
        return cls

    def _install(self, class_id: str, doc: bytes, cls: Class | None) -> Class:
        fields = pickle.loads(doc)
        with self._guard:
            cls = cls if cls is not None else self._cache.get(class_id)
            if cls is None:
                cls = Class(**fields)
                cls.lock = SharedClassLock(self, cls)  # type: ignore[assignment]
                self._cache[class_id] = cls
            else:
                for name, value in fields.items():
                    setattr(cls, name, value)
        return cls

    def refresh(self, cls: Class) -> None:
        """Under the class's Redis lock: the copy as saved (closed if the class is gone)."""
        try:
            reply = self._get(keys=[self._doc(cls.id)], args=[self._version.get(cls.id, b"")])
        except RedisError as exc:
            raise unavailable(exc, "read the class") from exc
        if reply is None:
            cls.closed = True
            return
        if len(reply) == 3:
            self._install(cls.id, reply[2], cls)
            self._version[cls.id] = reply[0]

    @guarded("find the class")
    def by_code(self, code: str) -> Class | None:
        class_id = self.r.get(self._code(code))
        return None if class_id is None else self.get(class_id.decode())

    @guarded("find the session's classes")
    def of_session(self, session_id: str) -> list[Class]:
        ids = self.r.smembers(self.conn.key(session_id, "classes"))
        found = [self.get(i.decode()) for i in ids]
        return [c for c in found if c is not None]

    @guarded("end the class")
    def remove(self, cls: Class) -> None:
        pipe = self.r.pipeline(transaction=False)
        pipe.delete(self._doc(cls.id))
        pipe.delete(self._code(cls.code))
        pipe.zrem(self._all, cls.id)
        pipe.srem(self.conn.key(cls.session_id, "classes"), cls.id)
        pipe.execute()
        self._uncache(cls.id)

    def _uncache(self, class_id: str) -> None:
        with self._guard:
            self._cache.pop(class_id, None)
            self._version.pop(class_id, None)
            self._touched.pop(class_id, None)

    @guarded("list idle classes")
    def idle(self, before: float) -> list[Class]:
        ids = self.r.zrangebyscore(self._all, "-inf", f"({before}")
        out = []
        for raw in ids:
            cls = self.get(raw.decode())
            if cls is None:
                self.r.zrem(self._all, raw)      # expired by Redis: only its entry is left
            elif cls.last_active < before:
                out.append(cls)
        return out

    def touch(self, cls: Class) -> None:
        now = time.time()
        if now - self._touched.get(cls.id, 0.0) < TOUCH_EVERY:
            return
        self._touched[cls.id] = now
        try:
            pipe = self.r.pipeline(transaction=False)
            pipe.hset(self._doc(cls.id), "la", now)
            pipe.pexpire(self._doc(cls.id), self.ttl_ms)
            pipe.pexpire(self._code(cls.code), self.ttl_ms)
            pipe.pexpire(self.conn.key(cls.session_id, "classes"), self.ttl_ms)
            pipe.zadd(self._all, {cls.id: now}, xx=True)
            pipe.execute()
        except RedisError:
            pass                   # best effort: the next request tries again

    # ----- the lock -----
    def lock(self, cls: Class) -> str:
        key = self.conn.key(f"class:{cls.id}", "lock")
        try:
            token = self.conn.wait_lock(key, 30.0)
        except RedisError as exc:
            raise unavailable(exc, "change the class") from exc
        if token is None:
            raise StorageError("could not change the class: it stayed busy for 30 s; try again")
        return token

    def unlock(self, cls: Class, token: str) -> None:
        try:
            self.conn.unlock(self.conn.key(f"class:{cls.id}", "lock"), token)
        except RedisError:
            pass

    def save(self, cls: Class, token: str, doc: bytes) -> None:
        key = self.conn.key(f"class:{cls.id}", "lock")
        self.conn.forget(key)
        try:
            v = self._save(keys=[self._doc(cls.id), key], args=[token, doc, self.ttl_ms])
        except RedisError as exc:
            self._version.pop(cls.id, None)       # reload next time
            raise unavailable(exc, "save the class") from exc
        if v == -1:
            self._version.pop(cls.id, None)
            raise StorageError("the class's change could not be saved (its lock expired) and "
                               "was not applied; try again")
        if v > 0:
            self._version[cls.id] = str(v).encode()
