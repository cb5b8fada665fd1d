"""Every session route answers 404 for an unknown session (with a valid body, so nothing
else can be the reason), and the other sessions are untouched."""
from __future__ import annotations

import pytest

from api_helpers import LECTURE_WEIGHTS

UNKNOWN = "0" * 32
ROUTES = [
    ("GET", "", None),
    ("DELETE", "", None),
    ("PUT", "/weights", {"weights": LECTURE_WEIGHTS}),
    ("POST", "/forward", {"x": [1.0, 0.0]}),
    ("POST", "/backward", {"x": [1.0, 0.0], "y": [1.0]}),
    ("POST", "/step", {"x": [1.0, 0.0], "y": [1.0]}),
    ("POST", "/step", {}),
    ("POST", "/train", {"epochs": 1}),
    ("POST", "/undo", None),
    ("POST", "/predict", {"X": [[1.0, 0.0]]}),
    ("POST", "/gradcheck", {"x": [1.0, 0.0], "y": [1.0]}),
    ("GET", "/export", None),
    ("GET", "/dataset", None),
]


@pytest.mark.parametrize("method,suffix,body", ROUTES,
                         ids=[f"{m} {s or '/'} {b!r:.20}" for m, s, b in ROUTES])
@pytest.mark.parametrize("session_id", [UNKNOWN, "not-a-session-id"])
def test_unknown_session_is_404(api, h, method, suffix, body, session_id):
    other = h.create(preset="lecture")["id"]
    before = h.export(other)
    r = api.request(method, f"/api/sessions/{session_id}{suffix}", json=body)
    assert r.status_code == 404, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and session_id in detail
    assert h.export(other) == before


def test_deleted_session_is_404_everywhere(api, h):
    sid = h.create(preset="lecture")["id"]
    assert api.delete(f"/api/sessions/{sid}").status_code == 204
    for method, suffix, body in ROUTES:
        r = api.request(method, f"/api/sessions/{sid}{suffix}", json=body)
        assert r.status_code == 404, (method, suffix, r.text)
