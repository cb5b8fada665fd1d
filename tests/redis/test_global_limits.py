"""Limits that hold for all processes together on Redis (embedded: per process, as one
process is all there is): the wrong-join-code rate limit per client address, and the
subscribers per event topic. Two apps (or hubs) on one real redis-server stand for two
server processes."""
from __future__ import annotations

import asyncio
import time

import pytest
from fastapi.testclient import TestClient

from backprop_explorer.api.app import create_app
from backprop_explorer.api.config import Settings
from backprop_explorer.classroom import WRONG_CODES, WRONG_WINDOW
from backprop_explorer.live.hub import TooManySubscribers
from backprop_explorer.redisstore import Redis, RedisEventHub
from backprop_explorer.redisstore import events as redis_events
from event_loops import run_coroutine


def wrong_codes(n: int) -> list[str]:
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return ["".join(alphabet[(k * 7 + i) % 31] for i in range(6)) for k in range(n)]


def test_wrong_join_codes_are_counted_over_every_process(make_redis):
    redis = make_redis().start()
    settings = Settings(redis_url=redis.url, demo_session=False)
    with TestClient(create_app(settings)) as a, TestClient(create_app(settings)) as b:
        sid = a.post("/api/sessions", json={}).json()["id"]
        code = a.post("/api/classes", json={"session_id": sid}).json()["code"]
        guesses = [g for g in wrong_codes(WRONG_CODES + 5) if g != code]
        half = WRONG_CODES // 2
        for i, guess in enumerate(guesses[:WRONG_CODES]):       # half on A, half on B
            r = (a if i < half else b).post("/api/classes/join", json={"code": guess})
            assert r.status_code == 404, (i, r.text)
        for client in (a, b):                  # the 21st, on either process: 429
            r = client.post("/api/classes/join", json={"code": guesses[WRONG_CODES]})
            assert r.status_code == 429, r.text
            assert 1 <= int(r.headers["Retry-After"]) <= int(WRONG_WINDOW) + 1
            # the right code waits too (the limit is on guessing from this address)
            assert client.post("/api/classes/join", json={"code": code}).status_code == 429
        # the count is per address: another address still joins (through the registry)
        room = b.app.state.classes
        assert room.registry.wrong_codes.wait("198.51.100.7", time.time()) == 0
        assert room.registry.wrong_codes.wait("testclient", time.time()) > 0


def test_subscribers_per_topic_are_counted_over_every_process(redis_server, monkeypatch):
    prefix = f"limits-{time.monotonic_ns()}"
    a = RedisEventHub(Redis(redis_server.url, prefix), max_subscribers=3)
    b = RedisEventHub(Redis(redis_server.url, prefix), max_subscribers=3)

    async def scenario():
        first = [await a.subscribe("topic", None), await a.subscribe("topic", None),
                 await b.subscribe("topic", None)]
        for hub in (a, b):                     # 3 in all: a 4th is refused on either
            with pytest.raises(TooManySubscribers):
                await hub.subscribe("topic", None)
        assert isinstance(await b.subscribe("other topic", None), object)   # per topic
        first[0].close()                       # one leaves (on A): one more fits, on B
        fourth = await b.subscribe("topic", None)
        with pytest.raises(TooManySubscribers):
            await a.subscribe("topic", None)
        # a process that dies without closing: its subscribers stop counting when their
        # lease (renewed by the reading loop) ends
        monkeypatch.setattr(redis_events, "LEASE", 0.3)
        short = RedisEventHub(Redis(redis_server.url, prefix), max_subscribers=3)
        first[1].close()
        dead = await short.subscribe("topic", None)          # 3 again; never closed
        with pytest.raises(TooManySubscribers):
            await b.subscribe("topic", None)
        await asyncio.sleep(0.5)
        alive = await b.subscribe("topic", None)             # the dead one's lease ended
        for sub in (first[2], fourth, alive, dead):
            sub.close()
        for hub in (a, b, short):
            await hub.aclose()
    run_coroutine(scenario())
