"""Input that could reach an encoder or SQLite is validated: a lone surrogate in any echoed
string gives a 422 whose body encodes; integers beyond 64 bits and counters near 2^63 are
refused (422 naming the field) instead of making this or a later call 500; an imported
dataset's n must be its row count. HEAD /api/health is 200; a wrong method on an API path
is 405 with that path's own Allow header."""
from __future__ import annotations

import json

import pytest
from validation_errors import error_naming


def _post_raw(c, path: str, raw: str):
    """Send `raw` as the body exactly (json.dumps would refuse a lone surrogate)."""
    return c.http.post(path, content=raw.encode("utf-8"),
                       headers={"content-type": "application/json"})


@pytest.fixture
def c(make_client):
    return make_client()


@pytest.mark.parametrize("path,raw,field", [
    ("/api/sessions", '{"preset": "\\ud800"}', "preset"),
    ("/api/sessions", '{"loss": "\\udfff"}', "loss"),
    ("/api/sessions", '{"activations": ["\\ud800"]}', "activations"),
    ("/api/sessions", '{"dataset": {"name": "\\ud800x"}}', "dataset.name"),
    ("/api/sessions", '{"init": {"scheme": "\\ud83d"}}', "init.scheme"),
])
def test_a_lone_surrogate_gives_a_422_that_encodes(c, path, raw, field):
    r = _post_raw(c, path, raw)
    assert r.status_code == 422, r.text
    body = json.loads(r.content.decode("utf-8"))        # valid UTF-8 JSON
    error_naming(body, field)


def test_a_lone_surrogate_as_a_key_gives_a_422_that_encodes(c):
    r = _post_raw(c, "/api/sessions", '{"\\ud800": 1}')
    assert r.status_code == 422, r.text
    assert json.loads(r.content.decode("utf-8"))["detail"]


def _document(c, **changes) -> dict:
    sid = c.create(preset="lecture")["id"]
    doc = c.http.get(f"/api/sessions/{sid}/export").json()
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = doc
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        target[last] = value
    return doc


@pytest.mark.parametrize("changes,field", [
    ({"step": 18446744073709551616}, "step"),
    ({"step": 2**63}, "step"),
    ({"epoch": 2**64 - 1}, "epoch"),
    ({"step": -1}, "step"),
    ({"dataset__n": -5}, "dataset.n"),
    ({"dataset__n": 5}, "dataset.n"),           # the lecture's XOR has 4 rows
    ({"dataset__seed": 2**70}, "dataset.seed"),
    ({"dataset__cursor": 2**64}, "dataset.cursor"),
    ({"dataset__shuffle_seed": -3}, "dataset.shuffle_seed"),
    ({"dataset__noise": 7.5}, "dataset.noise"),
    ({"network__init__seed": 2**64}, "network.init.seed"),
])
def test_import_checks_every_integer_range(c, changes, field):
    doc = _document(c, **changes)
    r = c.refused(None, "POST", "/api/sessions/import", 422, json=doc)
    error_naming(r.json(), field)


def test_an_import_history_entry_beyond_64_bits_is_422(c):
    doc = _document(c)
    doc["history"] = [{"weights": doc["weights"], "step": 2**64, "epoch": 0, "cursor": 0}]
    r = c.refused(None, "POST", "/api/sessions/import", 422, json=doc)
    error_naming(r.json(), "history.0.step")


def test_an_import_at_the_highest_step_goes_on_stepping(c):
    doc = _document(c, step=2**53 - 1, epoch=2**53 - 1)
    r = c.http.post("/api/sessions/import", json=doc)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    for i in range(1, 6):
        step = c.http.post(f"/api/sessions/{sid}/step", json={})
        assert step.status_code == 200, step.text
        assert step.json()["step"] == 2**53 - 1 + i
    trained = c.http.post(f"/api/sessions/{sid}/train", json={"epochs": 3})
    assert trained.status_code == 200 and trained.json()["epoch"] == 2**53 - 1 + 4
    updates = trained.json()["updates"]
    assert updates == 3 + 4 + 4              # the rest of the started epoch, then two more
    export = c.http.get(f"/api/sessions/{sid}/export")
    assert export.status_code == 200 and export.json()["step"] == 2**53 - 1 + 5 + updates


def test_a_huge_step_index_is_422(c):
    sid = c.create(preset="lecture")["id"]
    r = c.refused(sid, "POST", f"/api/sessions/{sid}/step", 422, json={"index": 2**64})
    error_naming(r.json(), "index")


def test_head_on_health_is_200(c):
    r = c.http.head("/api/health")
    assert r.status_code == 200 and r.content == b""


@pytest.mark.parametrize("method,path,allow", [
    ("DELETE", "/api/health", "GET, HEAD"),
    ("POST", "/api/health", "GET, HEAD"),
    ("GET", "/api/sessions", "POST"),
    ("PUT", "/api/sessions/0123", "DELETE, GET, PATCH"),
    ("GET", "/api/sessions/0123/step", "POST"),
    ("POST", "/api/sessions/0123/export", "GET"),
    ("DELETE", "/api/datasets", "GET"),
])
def test_a_wrong_method_on_an_api_path_is_405_with_its_allow_header(c, method, path, allow):
    r = c.http.request(method, path)
    assert r.status_code == 405, r.text
    assert r.headers["allow"] == allow
    assert method in r.json()["detail"]


def test_an_unknown_api_path_is_a_json_404(c):
    r = c.http.get("/api/nothing/here")
    assert r.status_code == 404 and "/api/nothing/here" in r.json()["detail"]


def test_a_session_id_that_cannot_be_a_session_is_404_without_touching_the_store(tmp_path,
                                                                               make_client):
    c = make_client(memory=False, data_dir=str(tmp_path))
    for sid in ("%ED%A0%80", "x" * 65, "a%00b", "caf%C3%A9"):
        r = c.http.get(f"/api/sessions/{sid}")
        assert r.status_code == 404, (sid, r.text)
        json.loads(r.content.decode("utf-8"))
