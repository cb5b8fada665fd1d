"""An in-process app (FastAPI TestClient on create_app) with a fresh store per test, and
`h`, the helpers of api_helpers.Api over it (create sessions, prove that a rejected call
changed nothing).

The store is the embedded one (in memory), or with BPE_TEST_STORE=redis the shared one on a
real redis-server started for the run (each test under a key prefix of its own): `make test`
reruns tests/engine and tests/api that way, so the whole API contract holds on both."""
from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest
from api_helpers import Api
from fastapi.testclient import TestClient

from backprop_explorer.api.app import create_app
from backprop_explorer.api.config import Settings
from backprop_explorer.sessions import SessionStore

STORE = os.environ.get("BPE_TEST_STORE", "memory")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """The run's redis-server (only started for BPE_TEST_STORE=redis)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "redis"))
    from redis_server import RedisServer
    server = RedisServer(tmp_path_factory.mktemp("redis-api")).start()
    yield server.url
    server.stop()


@pytest.fixture
def settings() -> Settings:
    return Settings(memory=True, demo_session=False)


def make_store(settings: Settings, request: pytest.FixtureRequest, **limits):
    """The store under test: embedded, or Redis under a fresh prefix (closed at the end)."""
    limits.setdefault("max_sessions", settings.max_sessions)
    if STORE != "redis":
        return SessionStore(**limits)
    from backprop_explorer.redisstore import Redis, RedisSessionStore
    conn = Redis(request.getfixturevalue("redis_url"), prefix=f"t{uuid.uuid4().hex[:12]}")
    request.addfinalizer(conn.close)
    return RedisSessionStore(conn, ttl_seconds=settings.session_ttl,
                             evict_idle_seconds=settings.evict_idle,
                             max_session_bytes=settings.max_session_bytes, **limits)


@pytest.fixture(scope="module")
def module_store(request):
    """One store under test for a whole module (for hundreds of cases a fresh app each
    costs more than the case): embedded, or Redis under a prefix of its own."""
    return make_store(Settings(memory=True, demo_session=False), request, max_sessions=10_000)


@pytest.fixture
def api(settings, request):
    app = create_app(settings, make_store(settings, request))
    # server errors come back as 500 responses (the contract forbids them) rather than raising
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def h(api) -> Api:
    return Api(api)
