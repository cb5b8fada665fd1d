"""The connection to Redis that every shared store uses: one client (a connection pool) per
process, the key prefix, Redis errors as StorageError (the API's 503 + Retry-After), and the
per-key lock that serialises changes to one session or class across processes.

Keys: `<prefix>:{<id>}:…` — the part in braces is the Redis Cluster hash tag, so one
session's keys (its state, undo list, lock, events) live in one slot and one Lua script may
touch them all. Store-wide bookkeeping lives under `<prefix>:{_}:…`.

The lock: SET key token NX PX LOCK_MS; a holder's locks are renewed by a background thread
while held (a long train call), and every write checks the token (fencing): a process that
paused past its lock's expiry cannot write over the next holder's change."""
from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from redis.exceptions import ConnectionError, NoScriptError, RedisError, ResponseError, TimeoutError

import redis

from ..sessions.errors import StorageError

log = logging.getLogger("backprop_explorer")
T = TypeVar("T")
LOCK_MS = 3000            # a lock's life without renewal (a killed holder frees it this fast)
RENEW_EVERY = 0.5         # seconds between renewals of the locks held
WAIT_MAX = 0.01           # seconds: the longest pause between tries for a busy lock

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class HotScript:
    """EVALSHA on a connection held by the calling thread (taken from the client's pool
    once); NOSCRIPT loads the script and calls again. A connection error drops the
    connection (the next call opens another) and is raised: nothing is resent, so the
    caller decides (COMMIT and SAVE recognise their own write if a resend happens)."""

    def __init__(self, conn: Redis, source: str) -> None:
        self._conn = conn
        self._source = source
        self._sha = conn.client.register_script(source).sha

    def __call__(self, keys: list[str], args: list[Any]) -> Any:
        c = self._conn.thread_connection()
        try:
            c.send_command("EVALSHA", self._sha, len(keys), *keys, *args)
            reply = c.read_response()
        except NoScriptError:
            c.send_command("SCRIPT", "LOAD", self._source)
            c.read_response()
            c.send_command("EVALSHA", self._sha, len(keys), *keys, *args)
            reply = c.read_response()
        except (ConnectionError, TimeoutError, OSError):
            self._conn.drop_thread_connection()
            raise
        if isinstance(reply, ResponseError):
            raise reply
        return reply


def unavailable(exc: BaseException, what: str) -> StorageError:
    return StorageError(f"could not {what}: the shared store (Redis) is unavailable "
                        f"({type(exc).__name__}: {exc}); nothing was changed, try again later")


def guarded(what: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """A Redis call: any Redis error (down, loading, read-only replica, out of memory)
    becomes a StorageError saying what could not be done."""
    def decorate(method: Callable[..., T]) -> Callable[..., T]:
        @wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            try:
                return method(*args, **kwargs)
            except RedisError as exc:
                raise unavailable(exc, what) from exc
        return wrapper
    return decorate


class Redis:
    """The client, the prefix and the lock renewer of one process."""

    def __init__(self, url: str, prefix: str = "bpe") -> None:
        self.url = url
        self.prefix = prefix
        self.client: Any = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2,
                                           health_check_interval=30)
        self._renew = self.client.register_script(RENEW)
        self._release = self.client.register_script(RELEASE)
        self._held: dict[str, tuple[str, float]] = {}     # lock key → (token, since)
        self._held_lock = threading.Lock()
        self._stop = threading.Event()
        self._renewer = threading.Thread(target=self._renew_periodically, daemon=True,
                                         name="redis-lock-renewer")
        self._renewer.start()
        self._local = threading.local()

    def thread_connection(self) -> Any:
        c = getattr(self._local, "c", None)
        if c is None:
            c = self._local.c = self.client.connection_pool.make_connection()
        return c

    def drop_thread_connection(self) -> None:
        c = getattr(self._local, "c", None)
        self._local.c = None
        if c is not None:
            try:
                c.disconnect()
            except Exception:  # noqa: BLE001 - already broken
                pass

    # ----- keys -----
    def key(self, tag: str, *parts: str) -> str:
        """<prefix>:{tag}:part:…  (the tag is the cluster hash slot)."""
        return ":".join((f"{self.prefix}:{{{tag}}}", *parts))

    def glob(self, *parts: str) -> str:
        """A store-wide key (one slot of its own)."""
        return self.key("_", *parts)

    def script(self, source: str):
        return self.client.register_script(source)

    def hot_script(self, source: str) -> HotScript:
        """A script for the per-request path: called on a connection of this thread's own
        (redis-py's pool, retry and metrics layers cost ~40 µs a call, more than Redis)."""
        return HotScript(self, source)

    def ping(self) -> str | None:
        """None when Redis answers, else why not."""
        try:
            self.client.ping()
            return None
        except RedisError as exc:
            return f"{type(exc).__name__}: {exc}"

    # ----- locks -----
    def try_lock(self, key: str) -> str | None:
        token = secrets.token_hex(8)
        if self.client.set(key, token, nx=True, px=LOCK_MS):
            self.hold(key, token)
            return token
        return None

    def hold(self, key: str, token: str) -> None:
        with self._held_lock:
            self._held[key] = (token, time.monotonic())

    def forget(self, key: str) -> None:
        with self._held_lock:
            self._held.pop(key, None)

    def unlock(self, key: str, token: str) -> None:
        self.forget(key)
        self._release(keys=[key], args=[token])

    @contextmanager
    def locked(self, key: str, what: str, timeout: float = 30.0) -> Iterator[str]:
        """Hold `key`'s lock (waiting for it); yields the token."""
        try:
            token = self.wait_lock(key, timeout)
        except RedisError as exc:
            raise unavailable(exc, what) from exc
        if token is None:
            raise StorageError(f"could not {what}: it stayed busy for {timeout:g} s; try again")
        try:
            yield token
        finally:
            try:
                self.unlock(key, token)
            except RedisError:
                pass           # it expires on its own

    def wait_lock(self, key: str, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        pause = 0.0002
        while True:
            token = self.try_lock(key)
            if token is not None or time.monotonic() > deadline:
                return token
            time.sleep(pause)
            pause = min(pause * 2, WAIT_MAX)

    def _renew_periodically(self) -> None:
        while not self._stop.wait(RENEW_EVERY):
            now = time.monotonic()
            with self._held_lock:
                due = [(k, t) for k, (t, since) in self._held.items() if now - since > RENEW_EVERY / 2]
            for key, token in due:
                try:
                    self._renew(keys=[key], args=[token, LOCK_MS])
                except RedisError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self.drop_thread_connection()
        self.client.close()
