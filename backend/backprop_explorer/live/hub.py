"""An in-process event hub: per topic (a session's id), a sequence of events, the last
KEEP of them kept so a subscriber that reconnects with Last-Event-ID gets what it missed.

Publishing is thread-safe (routes that change a session run inline on the event loop or in
the thread pool); each subscriber is an asyncio queue woken with call_soon_threadsafe. A
topic is only recorded while someone watches it (or for LINGER seconds after the last one
left, so a reconnect can resume); publishing to an unwatched topic costs one dict lookup.
Every resource has a bound: KEEP events per topic, MAX_TOPICS watched topics,
MAX_SUBSCRIBERS per topic, QUEUE events per slow subscriber (then it is told to resync).
"""
from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KEEP = 256
LINGER = 300.0
MAX_TOPICS = 10_000
MAX_SUBSCRIBERS = 200
QUEUE = 512
_timeout = getattr(asyncio, "timeout", None)      # Python 3.11+


class TooManySubscribers(RuntimeError):
    pass


@dataclass(frozen=True)
class Event:
    seq: int
    name: str
    data: Any


@dataclass(eq=False)            # compared (and hashed) by identity: one per connection
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue


@dataclass
class _Topic:
    seq: int = 0
    events: deque = field(default_factory=lambda: deque(maxlen=KEEP))
    subscribers: set = field(default_factory=set)
    idle_since: float | None = None


def _put(sub: _Subscriber, item: Event | None) -> None:
    try:
        sub.queue.put_nowait(item)
    except asyncio.QueueFull:          # a reader too slow: it resyncs from a fresh snapshot
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(None)


class EventHub:
    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 max_subscribers: int = MAX_SUBSCRIBERS) -> None:
        self._topics: dict[str, _Topic] = {}
        self.max_subscribers = max_subscribers
        self._lock = threading.Lock()
        self._clock = clock

    def watched(self, topic: str) -> bool:
        return topic in self._topics

    def seq(self, topic: str) -> int:
        t = self._topics.get(topic)
        return 0 if t is None else t.seq

    def publish(self, topic: str, name: str, make: Callable[[int], Any],
                close: bool = False) -> int | None:
        """Record event `name` with data make(seq) on a watched topic and wake its
        subscribers; returns its sequence number (None: nobody watches)."""
        with self._lock:
            t = self._topics.get(topic)
            if t is None:
                return None
            t.seq += 1
            event = Event(t.seq, name, make(t.seq))
            t.events.append(event)
            for sub in t.subscribers:
                sub.loop.call_soon_threadsafe(_put, sub, event)
            return t.seq

    def close(self, topic: str, name: str = "closed", data: Any = None) -> None:
        """A last event, then the topic is gone (e.g. its session was deleted)."""
        self.publish(topic, name, lambda seq: data)
        with self._lock:
            t = self._topics.pop(topic, None)
            for sub in (t.subscribers if t else ()):
                sub.loop.call_soon_threadsafe(_put, sub, None)

    async def subscribe(self, topic: str, last_seq: int | None) -> Subscription:
        """open(), as the shared hub's (redisstore/events.py) awaitable call."""
        return self.open(topic, last_seq)

    def _prune(self, now: float) -> None:
        for key in [k for k, t in self._topics.items()
                    if not t.subscribers and t.idle_since is not None
                    and now - t.idle_since > LINGER]:
            del self._topics[key]

    def open(self, topic: str, last_seq: int | None) -> Subscription:
        """Start watching `topic`. The subscription's `missed` holds the kept events after
        `last_seq`, or is None when the subscriber cannot be brought up to date event by
        event (it asks for more than is kept, or for a sequence this process never had):
        the caller then sends a fresh snapshot."""
        sub = _Subscriber(asyncio.get_running_loop(), asyncio.Queue(QUEUE))
        with self._lock:
            self._prune(self._clock())
            t = self._topics.get(topic)
            if t is None:
                if len(self._topics) >= MAX_TOPICS:
                    raise TooManySubscribers(f"more than {MAX_TOPICS} topics are watched")
                t = self._topics[topic] = _Topic()
            if len(t.subscribers) >= self.max_subscribers:
                raise TooManySubscribers(f"more than {self.max_subscribers} subscribers on one topic")
            missed: list[Event] | None = []
            if last_seq is not None and last_seq != t.seq:
                kept = [e for e in t.events if e.seq > last_seq]
                complete = last_seq < t.seq and bool(kept) and kept[0].seq == last_seq + 1
                missed = kept if complete else None
            t.subscribers.add(sub)
            t.idle_since = None
        return Subscription(self, topic, sub, missed)

    def _leave(self, topic: str, sub: _Subscriber) -> None:
        with self._lock:
            t = self._topics.get(topic)
            if t is not None:
                t.subscribers.discard(sub)
                if not t.subscribers:
                    t.idle_since = self._clock()


class Subscription:
    def __init__(self, hub: EventHub, topic: str, sub: _Subscriber,
                 missed: list[Event] | None) -> None:
        self._hub, self.topic, self._sub, self.missed = hub, topic, sub, missed

    async def next(self, timeout: float) -> Event | None | bool:
        """The next event; None: resync (fell behind, or the topic closed); False: nothing
        within `timeout` seconds (time for a heartbeat)."""
        queue = self._sub.queue
        if not queue.empty():               # no waiting: no timer
            return queue.get_nowait()
        try:
            if _timeout is None:            # Python 3.10
                return await asyncio.wait_for(queue.get(), timeout)
            async with _timeout(timeout):   # a timer, not wait_for's task per event
                return await queue.get()
        except asyncio.TimeoutError:        # (TimeoutError itself from 3.11)
            return False

    @property
    def closed(self) -> bool:
        return not self._hub.watched(self.topic)

    def close(self) -> None:
        self._hub._leave(self.topic, self._sub)
