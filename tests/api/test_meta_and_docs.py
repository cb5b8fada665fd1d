"""GET /api/datasets, GET /api/health, /docs and /openapi.json."""
from __future__ import annotations

import functools

import pytest

import backprop_explorer


def test_datasets_list(api):
    r = api.get("/api/datasets")
    assert r.status_code == 200
    items = {d["name"]: d for d in r.json()}
    assert set(items) == {"xor", "circle", "gauss", "spiral", "moons", "plane", "lecture_xor"}
    assert items["lecture_xor"]["label"] == "lecture XOR (4 points)"
    assert items["lecture_xor"]["fixed_n"] and items["lecture_xor"]["default_n"] == 4
    assert items["spiral"]["default_n"] == 300 and items["xor"]["label"] == "xor"
    for d in items.values():
        assert set(d) >= {"name", "label", "task", "description", "default_n", "default_noise"}
        assert d["description"]
        assert d["default_n"] >= 4 and d["default_noise"] >= 0
    assert items["plane"]["task"] == "regression"
    assert {d["task"] for n, d in items.items() if n != "plane"} == {"classification"}


def test_dataset_defaults_are_what_a_session_gets(h):
    for d in h.client.get("/api/datasets").json():
        ds = h.create(dataset={"name": d["name"]})["dataset"]
        assert ds["n"] == d["default_n"] and ds["noise"] == d["default_noise"]


def test_health(api):
    r = api.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["version"] == backprop_explorer.__version__


def test_docs_page(api):
    r = api.get("/docs")
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    assert "openapi.json" in r.text


def _resolve(spec, schema):
    while "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _operations(spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def test_openapi_lists_every_contract_route():
    spec = _app_openapi()
    routes = {(m.upper(), p) for p, m, _ in _operations(spec)}
    sid = "/api/sessions/{session_id}"
    expected = {("POST", "/api/sessions"), ("GET", sid), ("DELETE", sid),
                ("PUT", sid + "/weights"), ("POST", sid + "/forward"), ("POST", sid + "/backward"),
                ("POST", sid + "/step"), ("POST", sid + "/train"), ("POST", sid + "/undo"),
                ("POST", sid + "/predict"), ("POST", sid + "/gradcheck"), ("GET", sid + "/export"),
                ("POST", "/api/sessions/import"), ("GET", "/api/datasets"), ("GET", "/api/health")}
    assert expected <= routes


@functools.cache
def _app_openapi() -> dict:
    """The OpenAPI document as the app builds it (generated once: it is slow to build)."""
    from backprop_explorer.api.app import create_app
    from backprop_explorer.api.config import Settings
    from backprop_explorer.sessions import SessionStore
    return create_app(Settings(memory=True, demo_session=False), SessionStore()).openapi()


def test_openapi_json_is_served(api):
    r = api.get("/openapi.json")
    assert r.status_code == 200
    assert r.json()["paths"] == _app_openapi()["paths"]


def _body_operations():
    spec = _app_openapi()
    return [pytest.param(path, method, id=f"{method.upper()} {path}")
            for path, method, op in _operations(spec)
            if method in ("post", "put") and op.get("requestBody")]


@pytest.mark.parametrize("path,method", _body_operations())
def test_every_post_and_put_has_an_example_body_that_works(api, h, path, method):
    spec = _app_openapi()
    op = spec["paths"][path][method]
    media = op["requestBody"]["content"]["application/json"]
    schema = _resolve(spec, media["schema"])
    examples = []
    if "example" in media:
        examples.append(media["example"])
    examples += [e.get("value", e) for e in media.get("examples", {}).values()]
    if "example" in schema:
        examples.append(schema["example"])
    examples += list(schema.get("examples", []))
    assert examples, f"{method.upper()} {path} has no example body"
    # every example is a valid request: it runs on a lecture session
    for example in examples:
        url, headers = path, {}
        if "{session_id}" in path:
            sid = h.create(preset="lecture")["id"]
            url = path.replace("{session_id}", sid)
        elif "{exercise_id}" in path:
            sid = h.create(preset="lecture")["id"]
            eid = h.client.post(f"/api/sessions/{sid}/exercises", json={}).json()["id"]
            url = path.replace("{exercise_id}", eid)
        elif path.startswith("/api/classes"):
            url, example, headers = _class_call(api, h, path, example)
        r = api.request(method.upper(), url, json=example, headers=headers)
        assert r.status_code in (200, 201), f"{method.upper()} {path} example {example}: {r.text}"


def _class_call(api, h, path: str, example: dict) -> tuple[str, dict, dict[str, str]]:
    """A live-class route's example on a real class of a lecture session, with the token the
    route needs (the examples name a session, a code, a question the test makes here)."""
    sid = h.create(preset="lecture")["id"]
    if path == "/api/classes":
        return path, {**example, "session_id": sid}, {}
    cls = api.post("/api/classes", json={"session_id": sid}).json()
    if path == "/api/classes/join":
        return path, {**example, "code": cls["code"]}, {}
    teacher = {"Authorization": f"Bearer {cls['teacher_token']}"}
    url = path.replace("{class_id}", cls["id"])
    if "{question_id}" not in path:
        return url, example, teacher
    ask = {"kind": "pick_weight"} if "weight" in example else {"blank": {"quantity": "loss"}}
    qid = api.post(f"/api/classes/{cls['id']}/questions", json=ask,
                   headers=teacher).json()["question_id"]
    student = api.post("/api/classes/join", json={"code": cls["code"]}).json()
    return (url.replace("{question_id}", qid), example,
            {"Authorization": f"Bearer {student['student_token']}"})
