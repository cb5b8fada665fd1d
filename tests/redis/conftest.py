"""Fixtures of the Redis tests: real redis-servers (never a mock) on free ports in tmp
folders, and pairs of real app processes sharing one."""
from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from redis_server import LiveServer, RedisServer  # noqa: E402


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """One redis-server for the in-process tests (no persistence)."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def make_redis(tmp_path):
    """Factory for redis-servers of a test's own (AOF tests); all stopped at the end."""
    servers: list[RedisServer] = []

    def factory(**kwargs) -> RedisServer:
        server = RedisServer(tmp_path / f"redis-{len(servers)}", **kwargs)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop(signal.SIGKILL)


class Pair:
    """Two app processes, A and B, on one Redis."""

    def __init__(self, redis: RedisServer) -> None:
        self.redis = redis
        args = ("--redis", redis.url, "--no-demo", "--log-level", "warning")
        self.a = LiveServer(*args)
        self.b = LiveServer(*args)

    def start(self) -> Pair:
        self.a.start()
        self.b.start()
        return self

    def stop(self) -> None:
        for server in (self.a, self.b):
            server.stop(signal.SIGKILL)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    redis = RedisServer(tmp_path_factory.mktemp("redis-pair")).start()
    p = Pair(redis).start()
    yield p
    p.stop()
    redis.stop()
