"""The Redis session store in-process, two stores on one real redis-server standing for two
server processes (each has its own connection and its own local copies): changes are
compare-and-set (a change whose lock was lost is refused, never applied over another's), the
limits count every process's sessions, events cross, Redis away is a 503 with Retry-After,
and with AOF a restart of Redis keeps what was acknowledged more than a second before."""
from __future__ import annotations

import signal
import time
import uuid

import pytest
from fastapi.testclient import TestClient

from backprop_explorer import engine
from backprop_explorer.api.app import create_app
from backprop_explorer.api.config import Settings
from backprop_explorer.redisstore import Redis, RedisSessionStore
from backprop_explorer.sessions import LimitReached, StorageError
from backprop_explorer.sessions.presets import resolve_network_spec

SPEC = resolve_network_spec({"preset": "lecture", "dataset": {"name": "xor", "n": 12, "seed": 3}})


def two_stores(url: str, **limits) -> tuple[RedisSessionStore, RedisSessionStore]:
    prefix = f"t{uuid.uuid4().hex[:12]}"
    return (RedisSessionStore(Redis(url, prefix), **limits),
            RedisSessionStore(Redis(url, prefix), **limits))


def flat(session) -> list[float]:
    return engine.Parameters.pack(session.weights).flat.tolist()


def step(store: RedisSessionStore, sid: str) -> None:
    with store.use(sid) as s:
        s.sgd_step()


def test_a_change_whose_lock_was_lost_is_refused_and_the_other_kept(redis_server):
    a, b = two_stores(redis_server.url)
    sid = a.create(SPEC).id
    with pytest.raises(StorageError, match="not applied"):
        with a.use(sid) as s:
            s.sgd_step()
            # A stalls past its lock (as if paused): the lock goes, B takes it and steps
            a.r.delete(a.conn.key(sid, "lock"))
            a.conn.forget(a.conn.key(sid, "lock"))
            step(b, sid)
    assert b.get(sid).step == 1 and a.get(sid).step == 1          # B's step, once
    with a.use(sid) as s:
        assert flat(s) == flat(b.get(sid))
        assert len(s.history) == 1
    step(a, sid)
    assert b.get(sid).step == 2


def test_undo_levels_are_a_capped_list_shared_by_both(redis_server):
    a, b = two_stores(redis_server.url)
    sid = a.create(SPEC).id
    flats = []
    for i in range(103):
        flats.append(flat(a.get(sid)))
        step((a, b)[i % 2], sid)
    assert a.r.llen(a.conn.key(sid, "undo")) == 100              # LTRIM: the oldest went
    with b.use(sid) as s:                                        # B undoes what A and B did
        for _ in range(3):
            s.undo()
    with a.use(sid) as s:
        assert s.step == 100 and flat(s) == flats[100]
        assert len(s.history) == 97


def test_the_limits_count_the_sessions_of_every_process(redis_server):
    a, b = two_stores(redis_server.url, max_sessions=2, evict_idle_seconds=3600)
    a.create(SPEC)
    b.create(SPEC)
    with pytest.raises(LimitReached, match="limit of 2 sessions"):
        a.create(SPEC)
    assert len(a) == len(b) == 2
    per_session = a.total_bytes // 2
    c, d = two_stores(redis_server.url, max_session_bytes=3 * per_session,
                      evict_idle_seconds=3600)
    c.create(SPEC)
    d.create(SPEC)
    d.create(SPEC)
    with pytest.raises(LimitReached, match="bytes allowed"):
        c.create(SPEC)


def test_redis_away_is_503_with_retry_after_and_back_when_it_is(make_redis):
    server = make_redis().start()
    store = RedisSessionStore(Redis(server.url, "t"))
    app = create_app(Settings(memory=True, demo_session=False, retry_after=7), store)
    with TestClient(app, raise_server_exceptions=False) as client:
        sid = client.post("/api/sessions", json={}).json()["id"]
        server.stop(signal.SIGKILL)
        for method, path in (("GET", f"/api/sessions/{sid}"), ("POST", f"/api/sessions/{sid}/step"),
                             ("POST", "/api/sessions"), ("GET", f"/api/sessions/{sid}/events")):
            r = client.request(method, path, json={} if method == "POST" else None)
            assert r.status_code == 503, (path, r.status_code, r.text)
            assert r.headers["Retry-After"] == "7" and "Redis" in r.json()["detail"]
        health = client.get("/api/health").json()
        assert health["status"] == "degraded" and not health["storage"]["writable"]
        server.start()                           # an empty Redis again on the same port
        assert client.post("/api/sessions", json={}).status_code == 201
        assert client.get(f"/api/sessions/{sid}").status_code == 404


def test_redis_killed_and_restarted_with_aof_keeps_what_was_acknowledged(make_redis):
    server = make_redis(appendonly=True).start()
    store = RedisSessionStore(Redis(server.url, "t"))
    sid = store.create(SPEC).id
    for _ in range(30):
        step(store, sid)
    kept = flat(store.get(sid))
    time.sleep(1.2)                          # appendfsync everysec: now more than 1 s old
    for _ in range(5):                       # these are younger than a second: may be lost
        step(store, sid)
    server.stop(signal.SIGKILL)
    server.start()                           # the same folder: Redis replays its AOF
    again = RedisSessionStore(Redis(server.url, "t"))
    s = again.get(sid)
    assert 30 <= s.step <= 35 and len(s.history) == s.step
    with again.use(sid) as s:
        for _ in range(s.step - 30):
            s.undo()
        assert s.step == 30 and flat(s) == kept


def test_both_sets_of_stores_implement_the_store_interface(redis_server):
    from backprop_explorer.classroom.classes import LocalClasses
    from backprop_explorer.exercises import ExerciseStore
    from backprop_explorer.live import EventHub
    from backprop_explorer.redisstore import RedisClasses, RedisEventHub, RedisExercises
    from backprop_explorer.sessions import SessionStore
    from backprop_explorer.stores import ClassRegistryAPI, EventHubAPI, ExerciseStoreAPI, SessionStoreAPI
    conn = Redis(redis_server.url, "t-interface")
    for api, embedded, shared in (
            (SessionStoreAPI, SessionStore(), RedisSessionStore(conn)),
            (ExerciseStoreAPI, ExerciseStore(), RedisExercises(conn, 60)),
            (EventHubAPI, EventHub(), RedisEventHub(conn)),
            (ClassRegistryAPI, LocalClasses(), RedisClasses(conn, 60))):
        assert isinstance(embedded, api) and isinstance(shared, api), api.__name__
