"""Helpers for the reliability tests: an in-process app with chosen settings, and a check
that a refused call changed nothing."""
from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from backprop_explorer.api.app import create_app
from backprop_explorer.api.config import Settings


class Client:
    """A TestClient on create_app(settings) (server errors come back as 500 responses)."""

    def __init__(self, settings: Settings, store=None) -> None:
        self.app = create_app(settings, store)
        self.http = TestClient(self.app, raise_server_exceptions=False)

    def create(self, expect: int = 201, **spec: Any) -> dict:
        r = self.http.post("/api/sessions", json=spec)
        assert r.status_code == expect, r.text
        return r.json()

    def state(self, sid: str) -> dict:
        r = self.http.get(f"/api/sessions/{sid}")
        assert r.status_code == 200, r.text
        return r.json()

    def snapshot(self, sid: str) -> tuple[dict, dict]:
        """State and the whole exported document (undo history included)."""
        doc = self.http.get(f"/api/sessions/{sid}/export")
        assert doc.status_code == 200, doc.text
        return self.state(sid), doc.json()

    def refused(self, sid: str | None, method: str, path: str, status: int, *,
                json: Any = None, content: bytes | None = None,
                headers: dict | None = None):
        """Make a call that must be refused with `status`; the session `sid` (if given) must
        be unchanged afterwards, and so must the number of sessions."""
        before = self.snapshot(sid) if sid else None
        n_before = self.http.get("/api/health").json()["sessions"]
        kwargs: dict[str, Any] = {"headers": headers or {}}
        if content is not None:
            kwargs["content"] = content
            kwargs["headers"].setdefault("content-type", "application/json")
        elif json is not None:
            kwargs["json"] = json
        r = self.http.request(method, path, **kwargs)
        assert r.status_code == status, f"{method} {path} {json!r}: {r.status_code} {r.text}"
        if sid:
            assert self.snapshot(sid) == before, f"{method} {path} changed the session"
        assert self.http.get("/api/health").json()["sessions"] == n_before
        return r


@pytest.fixture
def make_client():
    clients: list[Client] = []

    def factory(store=None, **settings: Any) -> Client:
        settings.setdefault("memory", True)
        settings.setdefault("demo_session", False)
        client = Client(Settings(**settings), store)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.http.close()

