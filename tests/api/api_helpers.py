"""Helpers shared by the API test modules (imported by name: `from api_helpers import ...`)."""
from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

LECTURE_WEIGHTS = [{"W": [[0.5, -0.4], [0.3, 0.8]], "b": [0.1, -0.2]},
                   {"W": [[0.7], [-0.6]], "b": [0.2]}]


class Api:
    """Small helpers over the TestClient, shared by the API test modules."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def create(self, **spec: Any) -> dict:
        r = self.client.post("/api/sessions", json=spec)
        assert r.status_code == 201, r.text
        return r.json()

    def state(self, sid: str) -> dict:
        r = self.client.get(f"/api/sessions/{sid}")
        assert r.status_code == 200, r.text
        return r.json()

    def export(self, sid: str) -> dict:
        r = self.client.get(f"/api/sessions/{sid}/export")
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, sid: str, action: str, body: Any = None, expect: int = 200) -> dict:
        r = self.client.post(f"/api/sessions/{sid}/{action}", json=body)
        assert r.status_code == expect, r.text
        return r.json()

    def rejected(self, sid: str, method: str, path: str, status: int, *,
                 json: Any = None, content: bytes | None = None) -> Any:
        """Make a call that must be refused with `status`; the session (its state and its
        whole exported document, undo history included) must be unchanged afterwards."""
        before_state, before_doc = self.state(sid), self.export(sid)
        kwargs: dict[str, Any] = {}
        if content is not None:
            kwargs = {"content": content, "headers": {"content-type": "application/json"}}
        elif json is not None:
            kwargs = {"json": json}
        r = self.client.request(method, path, **kwargs)
        assert r.status_code == status, f"{method} {path} {json!r}: {r.status_code} {r.text}"
        assert self.state(sid) == before_state, f"{method} {path} changed the session"
        assert self.export(sid) == before_doc, f"{method} {path} changed the session document"
        return r.json()


def field_named(body: dict, field: str) -> dict:
    """The 422 error entry whose loc names `field` (a dotted path below "body"); it must
    exist and its msg must be non-empty."""
    assert isinstance(body.get("detail"), list), body
    for err in body["detail"]:
        loc = [str(p) for p in err["loc"]]
        if loc[0] == "body" and ".".join(loc[1:]).startswith(field):
            assert err["msg"]
            return err
    raise AssertionError(f"no error names {field!r}: {body}")
