"""Every limit and every bad input of the spec: the right status (413/422/429/404/409),
a message naming the field or the limit, and the session unchanged afterwards (its state
and its whole exported document, undo history included; the session count too).

Limits come from a small Settings(...) so they are cheap to reach; that they are really
settable by CLI flag and by environment variable is checked on real servers at the end.
"""
from __future__ import annotations

import httpx
import pytest
from validation_errors import error_naming

from backprop_explorer.api.app import create_app
from backprop_explorer.api.config import Settings
from backprop_explorer.sessions import NotFound, SessionStore
from backprop_explorer.sessions.presets import resolve_network_spec
from backprop_explorer.sessions.sqlite import SqliteSessions

LIMITS = dict(max_layers=4, max_units=8, max_parameters=60, max_dataset_size=50,
              max_train_work=5_000, max_body_bytes=4_000)
LECTURE_W = [{"W": [[0.5, -0.4], [0.3, 0.8]], "b": [0.1, -0.2]},
             {"W": [[0.7], [-0.6]], "b": [0.2]}]


@pytest.fixture
def c(make_client):
    return make_client(**LIMITS)


@pytest.fixture
def sid(c):
    """A lecture session (4-example XOR dataset) with one update made (history 1)."""
    s = c.create(preset="lecture")["id"]
    r = c.http.post(f"/api/sessions/{s}/step", json={})
    assert r.status_code == 200, r.text
    return s


def limit_message(r: httpx.Response, field: str, limit: str) -> None:
    assert r.status_code == 422, r.text
    err = error_naming(r.json(), field)
    assert limit in err["msg"], err


# ----- size limits of a network ---------------------------------------------------------------
@pytest.mark.parametrize("layers,field,limit", [
    ([2, 2, 2, 2, 1], "layers", "max_layers=4"),
    ([2, 9, 1], "layers.1", "max_units=8"),
    ([9, 1], "layers.0", "max_units=8"),
    ([2, 8, 8, 1], "layers", "max_parameters=60"),      # 24 + 72 + 9 = 105 parameters
])
def test_network_over_a_size_limit_is_a_422_naming_it(c, layers, field, limit):
    r = c.refused(None, "POST", "/api/sessions", 422, json={"layers": layers})
    limit_message(r, field, limit)


def test_network_just_at_the_limits_is_accepted(c):
    c.create(layers=[2, 8, 1])                             # 24 + 9 = 33 parameters
    c.create(layers=[2, 4, 4, 1])                          # 4 layers, 12 + 20 + 5 = 37


def test_import_over_a_size_limit_is_a_422_naming_it(c, make_client):
    big = make_client()   # default limits: make an exportable document of 105 parameters
    sid = big.create(layers=[2, 8, 8, 1])["id"]
    doc = big.http.get(f"/api/sessions/{sid}/export").json()
    r = c.refused(None, "POST", "/api/sessions/import", 422, json=doc)
    limit_message(r, "network.layers", "max_parameters=60")


# ----- dataset size -----------------------------------------------------------------------------
def test_builtin_dataset_over_max_dataset_size_is_a_422(c):
    r = c.refused(None, "POST", "/api/sessions", 422,
                  json={"dataset": {"name": "xor", "n": 51}})
    limit_message(r, "dataset", "max_dataset_size=50")
    c.create(dataset={"name": "xor", "n": 50})


def test_user_dataset_over_max_dataset_size_is_a_422(c):
    X = [[float(i), 1.0] for i in range(51)]
    Y = [[float(i % 2)] for i in range(51)]
    r = c.refused(None, "POST", "/api/sessions", 422, json={"dataset": {"X": X, "Y": Y}})
    limit_message(r, "dataset", "max_dataset_size=50")


def test_predict_over_max_dataset_size_is_a_422(c, sid):
    r = c.refused(sid, "POST", f"/api/sessions/{sid}/predict", 422,
                  json={"X": [[0.0, 1.0]] * 51})
    limit_message(r, "X", "max_dataset_size=50")


# ----- work of one train call ----------------------------------------------------------------
@pytest.mark.parametrize("body,field", [
    ({"steps": 556}, "steps"),                    # 556 × 1 × 9 = 5004 > 5000
    ({"epochs": 139}, "epochs"),                  # 139 × 4 updates × 9 = 5004
    ({"steps": 200, "batch_size": 4}, "steps"),   # 200 × 4 × 9 = 7200
])
def test_train_over_max_train_work_is_a_422_and_changes_nothing(c, sid, body, field):
    r = c.refused(sid, "POST", f"/api/sessions/{sid}/train", 422, json=body)
    limit_message(r, field, "max_train_work=5,000")


def test_train_just_under_max_train_work_runs(c, sid):
    r = c.http.post(f"/api/sessions/{sid}/train", json={"steps": 555})
    assert r.status_code == 200, r.text
    assert r.json()["updates"] == 555


# ----- body size --------------------------------------------------------------------------------
def _big_predict_body() -> bytes:
    return b'{"X": [' + b",".join([b"[1.0, 2.0]"] * 800) + b"]}"       # 8808 bytes


def test_body_over_max_body_bytes_is_a_413_naming_it(c, sid):
    r = c.refused(sid, "POST", f"/api/sessions/{sid}/predict", 413,
                  content=_big_predict_body())
    assert "max_body_bytes" in r.json()["detail"]
    r = c.refused(None, "POST", "/api/sessions", 413,
                  content=b'{"layers": [2, 2, 1], "pad": "' + b"x" * 5000 + b'"}')
    assert "max_body_bytes" in r.json()["detail"]


def test_chunked_body_over_max_body_bytes_is_a_413_naming_it(c, sid):
    body = _big_predict_body()
    chunks = (body[i:i + 1000] for i in range(0, len(body), 1000))
    before = c.snapshot(sid)
    r = c.http.post(f"/api/sessions/{sid}/predict", content=chunks,
                    headers={"content-type": "application/json"})
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert c.snapshot(sid) == before
    assert r.status_code == 413, r.text
    assert "max_body_bytes" in r.json()["detail"]


# ----- live sessions ------------------------------------------------------------------------
def test_max_sessions_reached_with_all_in_recent_use_is_a_429_naming_it(make_client):
    c = make_client(max_sessions=3)
    ids = [c.create()["id"] for _ in range(3)]
    doc = c.http.get(f"/api/sessions/{ids[0]}/export").json()
    for method, path, body in (("POST", "/api/sessions", {}),
                               ("POST", "/api/sessions/import", doc)):
        r = c.refused(ids[0], method, path, 429, json=body)
        assert "max_sessions" in r.json()["detail"], r.text
        assert r.headers.get("retry-after")
    for s in ids:                         # nobody was evicted to make room
        c.state(s)
    c.http.delete(f"/api/sessions/{ids[1]}")
    c.create()                            # room again


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite"])
def clock_store(request, tmp_path):
    clock = FakeClock()
    backend = SqliteSessions(tmp_path / "sessions.db") if request.param == "sqlite" else None
    store = SessionStore(max_sessions=3, ttl_seconds=1000, evict_idle_seconds=100,
                         backend=backend, clock=clock)
    yield store, clock
    if backend:
        backend.close()


def test_expired_sessions_are_404(make_client, clock_store):
    store, clock = clock_store
    c = make_client(store=store, max_sessions=3)
    old, kept = c.create()["id"], c.create()["id"]
    clock.now += 600
    c.state(kept)                          # used: its idle time restarts
    clock.now += 600                       # old idle 1200 s > ttl 1000; kept idle 600 s
    assert store.expire() == 1
    assert c.http.get(f"/api/sessions/{old}").status_code == 404
    assert c.http.post(f"/api/sessions/{old}/step",
                       json={"x": [1.0, 0.0], "y": [1.0]}).status_code == 404
    c.state(kept)
    with pytest.raises(NotFound):
        store.get(old)


def test_oldest_idle_session_is_evicted_at_max_sessions(make_client, clock_store):
    store, clock = clock_store
    c = make_client(store=store, max_sessions=3)
    a = c.create()["id"]
    clock.now += 10
    b = c.create()["id"]
    clock.now += 10
    d = c.create()["id"]
    # all three used within evict_idle (100 s): full
    r = c.http.post("/api/sessions", json={})
    assert r.status_code == 429 and "max_sessions" in r.json()["detail"]
    clock.now += 200                       # all idle now; a is the oldest
    c.state(d)                             # d used again
    new = c.create()["id"]
    assert c.http.get(f"/api/sessions/{a}").status_code == 404
    for s in (b, d, new):
        c.state(s)


def test_create_app_uses_the_store_it_is_given():
    store = SessionStore(max_sessions=3)
    app = create_app(Settings(memory=True, demo_session=False), store)
    assert app.state.store is store


def test_sessions_expire_in_the_sqlite_store_across_a_reopen(tmp_path):
    """Expiry uses the persisted last-used time: a session idle past the ttl is gone after a
    restart too (a fresh store on the same file)."""
    clock = FakeClock()
    path = tmp_path / "sessions.db"
    backend = SqliteSessions(path)
    store = SessionStore(ttl_seconds=1000, backend=backend, clock=clock)
    sid = store.create(resolve_network_spec({})).id
    backend.close()
    clock.now += 2000
    backend = SqliteSessions(path)
    try:
        store = SessionStore(ttl_seconds=1000, backend=backend, clock=clock)
        assert store.expire() == 1
        with pytest.raises(NotFound):
            store.get(sid)
    finally:
        backend.close()


# ----- bad input: wrong lengths, names, types, missing and extra fields ---------------------
BAD = [
    # (action, body, field)
    ("forward", {"x": [1.0, 2.0, 3.0]}, "x"),
    ("forward", {"x": [1.0]}, "x"),
    ("forward", {"x": []}, "x"),
    ("forward", {"x": [1.0, 2.0], "y": [1.0, 0.0]}, "y"),
    ("backward", {"x": [1.0, 2.0], "y": []}, "y"),
    ("gradcheck", {"x": [1.0, 2.0, 3.0], "y": [1.0]}, "x"),
    ("predict", {"X": [[1.0, 2.0], [1.0]]}, "X.1"),
    ("predict", {"X": []}, "X"),
    ("step", {"x": [1.0, 2.0]}, "y"),
    ("step", {"y": [1.0]}, "x"),
    ("step", {"x": [1.0, 2.0], "y": [1.0], "index": 0}, "index"),
    ("step", {"index": 4}, "index"),
    # booleans are not numbers
    ("forward", {"x": [True, 1.0]}, "x.0"),
    ("backward", {"x": [1.0, 0.0], "y": [False]}, "y.0"),
    ("step", {"learning_rate": True}, "learning_rate"),
    ("train", {"steps": True}, "steps"),
    ("step", {"index": True}, "index"),
    # wrong types
    ("forward", {"x": "1, 2"}, "x"),
    ("forward", {"x": [[1.0], [2.0]]}, "x.0"),
    ("forward", {"x": ["1", "2"]}, "x.0"),
    ("forward", {"x": None}, "x"),
    ("train", {"epochs": 1.5}, "epochs"),
    ("train", {"epochs": "10"}, "epochs"),
    ("predict", {"X": [1.0, 2.0]}, "X.0"),
    ("gradcheck", {"x": [1.0, 0.0], "y": [1.0], "epsilon": "small"}, "epsilon"),
    # missing fields
    ("forward", {}, "x"),
    ("backward", {"x": [1.0, 0.0]}, "y"),
    ("backward", {"y": [1.0]}, "x"),
    ("gradcheck", {"x": [1.0, 0.0]}, "y"),
    ("predict", {}, "X"),
    # extra fields
    ("forward", {"x": [1.0, 0.0], "z": 1}, "z"),
    ("step", {"x": [1.0, 0.0], "y": [1.0], "lr": 0.1}, "lr"),
    ("train", {"epochs": 1, "shuffle": False}, "shuffle"),
    # out of range
    ("step", {"learning_rate": 0}, "learning_rate"),
    ("step", {"learning_rate": -0.5}, "learning_rate"),
    ("step", {"learning_rate": 1e6}, "learning_rate"),
    ("step", {"index": -1}, "index"),
    ("train", {"epochs": 0}, "epochs"),
    ("train", {"steps": 5, "batch_size": 0}, "batch_size"),
    ("gradcheck", {"x": [1.0, 0.0], "y": [1.0], "epsilon": 0}, "epsilon"),
    ("forward", {"x": [1e301, 0.0]}, "x.0"),
]


@pytest.mark.parametrize("action,body,field", BAD,
                         ids=[f"{a}-{i}" for i, (a, _, _) in enumerate(BAD)])
def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(c, sid, action, body, field):
    r = c.refused(sid, "POST", f"/api/sessions/{sid}/{action}", 422, json=body)
    error_naming(r.json(), field)


def test_train_needs_exactly_one_of_epochs_or_steps(c, sid):
    for body in ({}, {"epochs": 1, "steps": 1}, {"batch_size": 2}):
        r = c.refused(sid, "POST", f"/api/sessions/{sid}/train", 422, json=body)
        msgs = " ".join(e["msg"] for e in r.json()["detail"])
        assert "epochs" in msgs and "steps" in msgs, r.text


BAD_WEIGHTS = [
    ({"weights": []}, "weights"),
    ({"weights": [{"W": [[1.0, 2.0], [3.0, 4.0]], "b": [1.0, 2.0]}]}, "weights"),
    ({"weights": [{"W": [[1.0, 2.0]], "b": [1.0, 2.0]}, LECTURE_W[1]]}, "weights.0.W"),
    ({"weights": [{"W": [[1.0, 2.0], [3.0]], "b": [1.0, 2.0]}, LECTURE_W[1]]}, "weights.0.W.1"),
    ({"weights": [LECTURE_W[0], {"W": [[1.0], [2.0]], "b": []}]}, "weights.1.b"),
    ({"weights": [LECTURE_W[0], {"W": [[1.0], [True]], "b": [0.0]}]}, "weights.1.W.1.0"),
    ({"weights": [LECTURE_W[0], {"W": [[1.0], [2.0]]}]}, "weights.1.b"),
    ({"weights": [LECTURE_W[0], {"W": [[1.0], [2.0]], "b": [0.0], "c": 1}]}, "weights.1.c"),
    ({"weights": "all zero"}, "weights"),
    ({}, "weights"),
]


@pytest.mark.parametrize("body,field", BAD_WEIGHTS, ids=[f for _, f in BAD_WEIGHTS])
def test_bad_weights_are_a_422_naming_the_field_and_change_nothing(c, sid, body, field):
    r = c.refused(sid, "PUT", f"/api/sessions/{sid}/weights", 422, json=body)
    error_naming(r.json(), field)


BAD_SPECS = [
    ({"layers": [2]}, "layers"),
    ({"layers": [2, 0, 1]}, "layers.1"),
    ({"layers": [2, -1, 1]}, "layers.1"),
    ({"layers": [2, True, 1]}, "layers.1"),
    ({"layers": [2, 2.5, 1]}, "layers.1"),
    ({"layers": "2-2-1"}, "layers"),
    ({"layers": [2, 10 ** 30, 1]}, "layers.1"),
    ({"layers": [2, 2, 1], "activations": ["sigmoid"]}, "activations"),
    ({"activations": ["swish", "linear"]}, "activations.0"),
    ({"activations": ["softmax", "linear"]}, "activations.0"),
    ({"loss": "mse"}, "loss"),
    ({"loss": "cross_entropy", "activations": ["sigmoid", "linear"]}, "loss"),
    ({"init": {"scheme": "orthogonal"}}, "init.scheme"),
    ({"init": {"seed": -1}}, "init.seed"),
    ({"init": {"seed": True}}, "init.seed"),
    ({"learning_rate": 0}, "learning_rate"),
    ({"learning_rate": "fast"}, "learning_rate"),
    ({"l2": -1}, "l2"),
    ({"preset": "mazur"}, "preset"),
    ({"dataset": {"name": "blobs"}}, "dataset.name"),
    ({"dataset": {"name": "xor", "n": 4.5}}, "dataset.n"),
    ({"dataset": {"name": "xor", "noise": 2}}, "dataset.noise"),
    ({"layers": [3, 2, 1], "dataset": {"name": "xor"}}, "dataset"),
    ({"dataset": {"X": [[1.0, 2.0]]}}, "dataset"),
    ({"dataset": {"X": [], "Y": []}}, "dataset.X"),
    ({"dataset": {"X": [[1.0, 2.0], [3.0]], "Y": [[1.0], [0.0]]}}, "dataset.X.1"),
    ({"dataset": {"X": [[1.0, 2.0]], "Y": [[1.0], [0.0]]}}, "dataset.Y"),
    ({"loss": "cross_entropy", "activations": ["sigmoid", "sigmoid"],
      "dataset": {"X": [[1.0, 2.0]], "Y": [[2.0]]}}, "dataset.Y"),
    ({"weights": [{"W": [[1.0, 2.0], [3.0, 4.0]], "b": [1.0, 2.0]}]}, "weights"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize("spec,field", BAD_SPECS, ids=[f"{f}-{i}" for i, (_, f) in
                                                        enumerate(BAD_SPECS)])
def test_bad_network_spec_is_a_422_naming_the_field_and_creates_nothing(c, spec, field):
    r = c.refused(None, "POST", "/api/sessions", 422, json=spec)
    error_naming(r.json(), field)


@pytest.mark.parametrize("dataset", [{}, {"n": 20}, {"seed": 1, "noise": 0.1}])
def test_dataset_without_name_or_data_is_a_422(c, dataset):
    r = c.refused(None, "POST", "/api/sessions", 422, json={"dataset": dataset})
    error_naming(r.json(), "dataset")


def test_bad_import_documents_are_a_422(c, sid):
    doc = c.http.get(f"/api/sessions/{sid}/export").json()
    for broken, field in (({**doc, "format": "other"}, "format"),
                          ({**doc, "version": 2}, "version"),
                          ({**doc, "weights": doc["weights"][:1]}, "weights"),
                          ({**doc, "step": -1}, "step"),
                          ({k: v for k, v in doc.items() if k != "network"}, "network")):
        r = c.refused(sid, "POST", "/api/sessions/import", 422, json=broken)
        error_naming(r.json(), field)


# ----- non-finite and huge numbers --------------------------------------------------------------
NON_FINITE = [
    ("forward", b'{"x": [NaN, 1.0]}', "x.0"),
    ("forward", b'{"x": [Infinity, 1.0]}', "x.0"),
    ("forward", b'{"x": [-Infinity, 1.0]}', "x.0"),
    ("forward", b'{"x": [1e400, 1.0]}', "x.0"),
    ("backward", b'{"x": [1.0, 1.0], "y": [-1e400]}', "y.0"),
    ("step", b'{"x": [1.0, 1.0], "y": [1.0], "learning_rate": 1e400}', "learning_rate"),
    ("predict", b'{"X": [[1.0, NaN]]}', "X.0.1"),
]


@pytest.mark.parametrize("action,raw,field", NON_FINITE,
                         ids=[f"{a}-{f}-{i}" for i, (a, _, f) in enumerate(NON_FINITE)])
def test_non_finite_numbers_are_a_422_naming_the_field(c, sid, action, raw, field):
    r = c.refused(sid, "POST", f"/api/sessions/{sid}/{action}", 422, content=raw)
    error_naming(r.json(), field)


@pytest.mark.parametrize("raw,field", [(b'{"learning_rate": 1e400}', "learning_rate"),
                                       (b'{"l2": NaN}', "l2")])
def test_non_finite_numbers_in_a_create_are_a_422(c, raw, field):
    r = c.refused(None, "POST", "/api/sessions", 422, content=raw)
    error_naming(r.json(), field)


def test_overflowing_forward_is_a_422_naming_x_and_changes_nothing(c):
    sid = c.create(activations=["linear", "linear"], weights=LECTURE_W)["id"]
    r = c.refused(sid, "POST", f"/api/sessions/{sid}/forward", 422,
                  json={"x": [1e300, 1e300], "y": [0.0]})
    assert "overflow" in error_naming(r.json(), "x")["msg"]
    r = c.refused(sid, "POST", f"/api/sessions/{sid}/backward", 422,
                  json={"x": [1e300, -1e300], "y": [0.0]})
    error_naming(r.json(), "x")


def test_diverging_step_is_a_422_naming_learning_rate_and_changes_nothing(c):
    sid = c.create(activations=["linear", "linear"], weights=LECTURE_W)["id"]
    r = c.refused(sid, "POST", f"/api/sessions/{sid}/step", 422,
                  json={"x": [1e154, 1e154], "y": [0.0], "learning_rate": 1000})
    err = error_naming(r.json(), "learning_rate")
    assert "diverge" in err["msg"]


def test_diverging_train_is_a_422_naming_learning_rate_and_changes_nothing(c):
    sid = c.create(activations=["linear", "linear"], weights=LECTURE_W,
                   dataset={"name": "plane", "n": 20})["id"]
    c.http.post(f"/api/sessions/{sid}/step", json={})
    r = c.refused(sid, "POST", f"/api/sessions/{sid}/train", 422,
                  json={"steps": 100, "learning_rate": 1000})
    assert "diverge" in error_naming(r.json(), "learning_rate")["msg"]


def test_huge_but_finite_inputs_through_sigmoid_hidden_units_are_fine(c, sid):
    r = c.http.post(f"/api/sessions/{sid}/forward", json={"x": [1e300, -1e300], "y": [1.0]})
    assert r.status_code == 200, r.text
    r = c.http.post(f"/api/sessions/{sid}/backward", json={"x": [-1e300, 1e300], "y": [1.0]})
    assert r.status_code == 200, r.text


# ----- malformed bodies, conflicts, unknown sessions --------------------------------------------
@pytest.mark.parametrize("raw", [b'{"x": [1, ', b"", b"not json", b"[1, 2]", b'"x"', b"null"])
def test_malformed_json_is_a_422(c, sid, raw):
    r = c.refused(sid, "POST", f"/api/sessions/{sid}/forward", 422, content=raw)
    assert r.json()["detail"][0]["loc"][0] == "body"


@pytest.mark.parametrize("raw", [b'\xff\xfe{"x": [1, 0]}', b"[" * 3_000],
                         ids=["not-utf8", "deeply-nested"])
def test_unparsable_body_is_a_422(c, sid, raw):
    c.refused(sid, "POST", f"/api/sessions/{sid}/forward", 422, content=raw)


def test_conflicts_are_409_and_change_nothing(c):
    plain = c.create()["id"]
    r = c.refused(plain, "POST", f"/api/sessions/{plain}/undo", 409)
    assert "undo" in r.json()["detail"]
    r = c.refused(plain, "POST", f"/api/sessions/{plain}/train", 409, json={"epochs": 1})
    assert "dataset" in r.json()["detail"]
    r = c.refused(plain, "POST", f"/api/sessions/{plain}/step", 409, json={})
    assert "dataset" in r.json()["detail"]
    assert c.http.get(f"/api/sessions/{plain}/dataset").status_code == 409


@pytest.mark.parametrize("method,action,body", [
    ("GET", "", None), ("DELETE", "", None), ("GET", "/export", None), ("GET", "/dataset", None),
    ("POST", "/forward", {"x": [1.0, 0.0]}), ("POST", "/step", {}), ("POST", "/undo", None),
    ("PUT", "/weights", {"weights": LECTURE_W}), ("POST", "/train", {"epochs": 1}),
])
def test_unknown_session_is_a_404(c, sid, method, action, body):
    for unknown in ("0" * 32, sid[:-1] + ("0" if sid[-1] != "0" else "1"), "x" * 200):
        r = c.refused(sid, method, f"/api/sessions/{unknown}{action}", 404, json=body)
        assert "not found" in r.json()["detail"]


# ----- the limits are settable by CLI flag and by environment variable --------------------------
def _check_live_limits(url: str) -> None:
    with httpx.Client(base_url=url, timeout=10) as http:
        r = http.post("/api/sessions", json={"layers": [2, 2, 2, 1]})
        assert r.status_code == 422 and "max_layers=3" in r.text, r.text
        r = http.post("/api/sessions", json={"layers": [2, 6]})
        assert r.status_code == 422 and "max_units=5" in r.text, r.text
        r = http.post("/api/sessions", json={"layers": [2, 5, 2]})     # 15 + 12 = 27
        assert r.status_code == 422 and "max_parameters=20" in r.text, r.text
        r = http.post("/api/sessions", json={"dataset": {"name": "xor", "n": 31}})
        assert r.status_code == 422 and "max_dataset_size=30" in r.text, r.text
        r = http.post("/api/sessions", content=b'{"pad": "' + b"x" * 3000 + b'"}',
                      headers={"content-type": "application/json"})
        assert r.status_code == 413 and "max_body_bytes" in r.text and "2000" in r.text, r.text
        sid = http.post("/api/sessions", json={"preset": "lecture"}).json()["id"]
        r = http.post(f"/api/sessions/{sid}/train", json={"steps": 12})   # 12 × 9 = 108
        assert r.status_code == 422 and "max_train_work=100" in r.text, r.text
        http.post("/api/sessions", json={}).raise_for_status()              # 2 sessions
        r = http.post("/api/sessions", json={})
        assert r.status_code == 429 and "max_sessions" in r.text, r.text


def test_limits_are_settable_by_cli_flags(make_server):
    server = make_server("--memory", "--no-demo", "--max-layers", "3", "--max-units", "5",
                         "--max-parameters", "20", "--max-sessions", "2",
                         "--max-dataset-size", "30", "--max-train-work", "100",
                         "--max-body-bytes", "2000").start()
    _check_live_limits(server.url)


def test_limits_are_settable_by_environment_variables(make_server):
    env = {"BPE_MAX_LAYERS": "3", "BPE_MAX_UNITS": "5", "BPE_MAX_PARAMETERS": "20",
           "BPE_MAX_SESSIONS": "2", "BPE_MAX_DATASET_SIZE": "30", "BPE_MAX_TRAIN_WORK": "100",
           "BPE_MAX_BODY_BYTES": "2000", "BPE_MEMORY": "1", "BPE_DEMO_SESSION": "0"}
    server = make_server(env=env).start()
    _check_live_limits(server.url)


def test_settings_from_env_reads_every_limit(monkeypatch):
    names = ["max_layers", "max_units", "max_parameters", "max_sessions", "max_dataset_size",
             "max_train_work", "max_body_bytes"]
    for i, name in enumerate(names):
        monkeypatch.setenv(f"BPE_{name.upper()}", str(100 + i))
    monkeypatch.setenv("BPE_SESSION_TTL", "12.5")
    settings = Settings.from_env(max_units=7)          # a CLI flag wins over the env
    for i, name in enumerate(names):
        assert getattr(settings, name) == (7 if name == "max_units" else 100 + i)
    assert settings.session_ttl == 12.5


def test_export_import_round_trip_of_a_softmax_session_on_spiral(c):
    sid = c.create(layers=[2, 6, 3], activations=["leaky_relu", "softmax"],
                   loss="cross_entropy", dataset={"name": "spiral", "n": 30, "seed": 2})["id"]
    doc = c.http.get(f"/api/sessions/{sid}/export").json()
    r = c.http.post("/api/sessions/import", json=doc)
    assert r.status_code == 201, r.text
    assert r.json()["weights"] == c.state(sid)["weights"]
