"""The event hub (live/hub.py's interface) on Redis, so an event published by one server
process reaches subscribers of every process, and Last-Event-ID resumes on any of them.

Per topic (a session's id, or a class's audience): <p>:{topic}:seq (the last sequence
number), <p>:{topic}:events (a Stream capped at KEEP entries, MAXLEN ~: seq, name, data,
close), <p>:{topic}:watched (set by subscribers, for LINGER seconds after the last one
left, so a reconnect can resume) and <p>:{topic}:subscribers (the max_subscribers limit,
counted over every process: JOIN). Publishing to a topic nobody watches costs one script
call and records nothing. Each subscriber reads the stream with XREAD BLOCK from where it
is (one blocking connection per open stream); the sequence numbers tell it when it fell
behind the cap (it then resyncs from a fresh snapshot, as with the in-process hub).
Events of one topic are published under the lock of what they describe (the session, the
class), so their numbers and their order in the stream agree."""
from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ..live.hub import KEEP, LINGER, MAX_SUBSCRIBERS, Event, TooManySubscribers
from .conn import Redis, guarded

NEXT_SEQ = """
if ARGV[1] == '0' and redis.call('EXISTS', KEYS[1]) == 0 then return false end
local seq = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return seq
"""
REFRESH_EVERY = 30.0       # seconds between a subscriber's renewals of the watched key
LEASE = 120.0              # seconds a subscriber counts for the limit without a renewal
# Subscribers of a topic, for every process together: a sorted set member → lease end (on
# Redis's clock), so a killed process's subscribers stop counting LEASE s after its last
# renewal. KEYS: the set; ARGV: limit (-1: no check, a renewal), lease s, member → 1 / 0
JOIN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local limit = tonumber(ARGV[1])
if limit >= 0 and redis.call('ZSCORE', KEYS[1], ARGV[3]) == false
   and redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) * 1000))
return 1
"""


class RedisEventHub:
    def __init__(self, conn: Redis, max_subscribers: int = MAX_SUBSCRIBERS) -> None:
        self.conn = conn
        self.r: Any = conn.client
        self.max_subscribers = max_subscribers
        self._next_seq = conn.script(NEXT_SEQ)
        self._linger_ms = int(LINGER * 1000)
        self._clients: dict[int, Any] = {}

    def _keys(self, topic: str) -> tuple[str, str, str]:
        return (self.conn.key(topic, "watched"), self.conn.key(topic, "seq"),
                self.conn.key(topic, "events"))

    def aclient(self) -> Any:
        loop = asyncio.get_running_loop()
        client = self._clients.get(id(loop))
        if client is None:
            client = self._clients[id(loop)] = aioredis.Redis.from_url(
                self.conn.url, socket_connect_timeout=2, health_check_interval=30)
        return client

    # ----- publishing (sync: called under the session's or class's lock) -----
    @guarded("read the event sequence")
    def seq(self, topic: str) -> int:
        return int(self.r.get(self._keys(topic)[1]) or 0)

    def watched(self, topic: str) -> bool:
        try:
            return bool(self.r.exists(self._keys(topic)[0]))
        except RedisError:
            return False

    def publish(self, topic: str, name: str, make, close: bool = False) -> int | None:
        watched, seq_key, stream = self._keys(topic)
        try:
            seq = self._next_seq(keys=[watched, seq_key], args=["0", self._linger_ms])
            if seq is None:
                return None
            pipe = self.r.pipeline(transaction=False)
            pipe.xadd(stream, {"seq": seq, "name": name, "data": make(seq),
                               "close": b"1" if close else b"0"},
                      maxlen=KEEP, approximate=True)
            pipe.pexpire(stream, self._linger_ms)
            pipe.execute()
        except RedisError:
            return None         # events are best effort: a reader that misses one resyncs
        return int(seq)

    def close(self, topic: str, name: str = "closed", data: Any = None) -> None:
        """A last event, then the topic is gone (e.g. its session was deleted)."""
        self.publish(topic, name, lambda seq: data if data is not None else b"null", close=True)
        watched, seq_key, stream = self._keys(topic)
        try:
            self.r.delete(watched, seq_key)
        except RedisError:
            pass

    # ----- subscribing (async) -----
    def open(self, topic: str, last_seq: int | None):
        raise TypeError("RedisEventHub: use `await hub.subscribe(topic, last_seq)`")

    def _subscribers(self, topic: str) -> str:
        return self.conn.key(topic, "subscribers")

    async def join(self, topic: str, member: str, limit: int) -> bool:
        """Count `member` among the topic's subscribers (a renewal with limit -1); False
        if the topic already has `limit` (every process's)."""
        client = self.aclient()
        return bool(await client.eval(JOIN, 1, self._subscribers(topic), limit, LEASE, member))

    async def subscribe(self, topic: str, last_seq: int | None) -> RedisSubscription:
        member = secrets.token_hex(8)
        if not await self.join(topic, member, self.max_subscribers):
            raise TooManySubscribers(f"more than {self.max_subscribers} subscribers on "
                                     "one topic")
        try:
            watched, seq_key, stream = self._keys(topic)
            client = self.aclient()
            pipe = client.pipeline(transaction=True)
            pipe.set(watched, b"1", px=self._linger_ms)
            pipe.get(seq_key)
            pipe.xrevrange(stream, count=1)
            _, counter, last = await pipe.execute()
            # where the stream is (a publish between its number and its entry is read next)
            seq = int(last[0][1][b"seq"]) if last else int(counter or 0)
            position = last[0][0] if last else b"0-0"
            missed: list[Event] | None = []
            if last_seq is not None and last_seq != seq:
                kept = [e for e in _events(await client.xrange(stream, max=position))
                        if e.seq > last_seq]
                complete = last_seq < seq and bool(kept) and kept[0].seq == last_seq + 1
                missed = kept if complete else None
        except BaseException:
            self._leave(topic, member)
            raise
        return RedisSubscription(self, topic, position, seq, missed, member)

    def _leave(self, topic: str, member: str) -> None:
        try:
            self.r.zrem(self._subscribers(topic), member)
        except RedisError:
            pass                   # its lease ends on its own

    async def aclose(self) -> None:
        for client in self._clients.values():
            try:
                await client.aclose()
            except Exception:  # noqa: BLE001 - closing on the way out
                pass
        self._clients.clear()


def _events(entries: Any) -> list[Event]:
    out: list[Event] = []
    for _, fields in entries:
        out.append(_Entry(int(fields[b"seq"]), fields[b"name"].decode(), fields[b"data"],
                          fields.get(b"close") == b"1"))
    return out


class _Entry(Event):
    """An Event read from a stream, knowing whether it ends the topic."""

    def __init__(self, seq: int, name: str, data: Any, close: bool) -> None:
        super().__init__(seq, name, data)
        object.__setattr__(self, "close", close)


class RedisSubscription:
    def __init__(self, hub: RedisEventHub, topic: str, position: bytes, seq: int,
                 missed: list[Event] | None, member: str) -> None:
        self._hub, self.topic, self._position = hub, topic, position
        self._member = member
        self._expected = seq            # the last sequence number accounted for
        self.missed = missed
        self._buffer: deque[Event] = deque()
        self._closed = False
        self._refreshed = time.monotonic()

    async def next(self, timeout: float) -> Event | None | bool:
        """The next event; None: resync (fell behind); False: nothing within `timeout`."""
        if not self._buffer:
            hub = self._hub
            watched, _, stream = hub._keys(self.topic)
            client = hub.aclient()
            try:
                if time.monotonic() - self._refreshed > REFRESH_EVERY:
                    await client.set(watched, b"1", px=hub._linger_ms)
                    await hub.join(self.topic, self._member, -1)      # renew the lease
                    self._refreshed = time.monotonic()
                got = await client.xread({stream: self._position}, count=KEEP,
                                         block=max(1, int(timeout * 1000)))
            except RedisError:
                await asyncio.sleep(min(timeout, 1.0))
                return False          # Redis away: a heartbeat; the next call tries again
            if not got:
                return False
            entries = got[0][1]
            self._position = entries[-1][0]
            self._buffer.extend(_events(entries))
        event = self._buffer.popleft()
        if getattr(event, "close", False):
            self._closed = True
            return event
        if event.seq > self._expected + 1 and self._expected:
            self._expected = event.seq
            self._buffer.clear()
            return None                # a gap (trimmed past us, or a lost publish): resync
        self._expected = max(self._expected, event.seq)
        return event

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._hub._leave(self.topic, self._member)
