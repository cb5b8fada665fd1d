"""The Python client's conveniences against real servers: numpy arrays and scalars as inputs,
an ApiError subclass per status, a clear error when no server answers, BPE_URL."""
from __future__ import annotations

import inspect
import socket

import httpx
import numpy as np
import pytest
from client_helpers import LECTURE_WEIGHTS

from backprop_explorer import client as client_module
from backprop_explorer.client import (
    ApiError,
    Client,
    Conflict,
    Invalid,
    NotFound,
    RateLimited,
    ServerUnreachable,
    TooLarge,
    Unavailable,
    plain,
)


def numpy_weights():
    return [{"W": np.array(layer["W"]), "b": np.array(layer["b"])} for layer in LECTURE_WEIGHTS]


def test_numpy_arrays_and_scalars_give_the_same_answers_as_lists(api):
    """Two identical sessions, one driven with lists and Python numbers, one with numpy
    arrays and numpy scalars: every answer is the same, number for number."""
    spec = dict(layers=[2, 2, 1], activations=["sigmoid", "linear"], loss="squared",
                learning_rate=0.5, weights=LECTURE_WEIGHTS,
                dataset={"name": "xor", "n": 8, "noise": 0.1, "seed": 3})
    with_lists = api.create_session(**spec)["id"]
    with_numpy = api.create_session(
        layers=np.array([2, 2, 1]), activations=("sigmoid", "linear"), loss="squared",
        learning_rate=np.float64(0.5), weights=numpy_weights(),
        dataset={"name": "xor", "n": np.int64(8), "noise": np.float64(0.1),
                 "seed": np.int32(3)})["id"]
    same = api.get_session(with_lists)
    other = api.get_session(with_numpy)
    assert other["weights"] == same["weights"] == LECTURE_WEIGHTS
    assert other["network"] == same["network"] and other["dataset"] == same["dataset"]

    x, y = [1.0, 0.5], [1.0]
    nx, ny = np.array(x), np.array(y)
    assert api.forward(with_numpy, nx) == api.forward(with_lists, x)
    assert api.forward(with_numpy, nx, ny)["loss"] == api.forward(with_lists, x, y)["loss"]
    assert api.backward(with_numpy, nx, ny) == api.backward(with_lists, x, y)
    assert api.gradcheck(with_numpy, nx, ny, epsilon=np.float64(1e-3)) == \
        api.gradcheck(with_lists, x, y, epsilon=1e-3)
    assert api.step(with_numpy, nx, ny, learning_rate=np.float64(0.25)) == \
        api.step(with_lists, x, y, learning_rate=0.25)
    assert api.step(with_numpy, index=np.int64(2)) == api.step(with_lists, index=2)
    X = [[0.0, 0.0], [1.0, -1.0], [0.25, 0.75]]
    assert api.predict(with_numpy, np.array(X)) == api.predict(with_lists, X)
    grid = {"x1": np.array([-1.0, 1.0]), "x2": (np.float64(-1), np.float64(1)), "n": np.int64(5)}
    assert api.predict(with_numpy, grid=grid) == \
        api.predict(with_lists, grid={"x1": [-1, 1], "x2": [-1, 1], "n": 5})
    assert api.train(with_numpy, steps=np.int64(6), batch_size=np.int64(2)) == \
        api.train(with_lists, steps=6, batch_size=2)
    assert without_id(api.update_settings(with_numpy, learning_rate=np.float64(0.125),
                                          l2=np.float64(0.01))) == \
        without_id(api.update_settings(with_lists, learning_rate=0.125, l2=0.01))
    assert without_id(api.set_weights(with_numpy, numpy_weights())) == \
        without_id(api.set_weights(with_lists, LECTURE_WEIGHTS))
    assert api.get_session(with_numpy)["weights"] == LECTURE_WEIGHTS


def without_id(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != "id"}


def test_plain_turns_numpy_into_json_ready_data():
    value = {"a": np.arange(3), "b": (np.float64(1.5), np.int64(2), np.bool_(True)),
             "c": [np.zeros((2, 2), dtype=np.float32)], "d": "text", "e": None}
    assert plain(value) == {"a": [0, 1, 2], "b": [1.5, 2, True], "c": [[[0.0, 0.0], [0.0, 0.0]]],
                            "d": "text", "e": None}
    assert type(plain(np.float64(1.5))) is float and type(plain(np.int64(2))) is int


# ----- errors: one subclass per status, all ApiError ----------------------------------------
def test_404_409_422_are_their_subclasses_and_still_api_errors(api):
    sid = api.create_session()["id"]
    cases = [(NotFound, 404, lambda: api.get_session("0" * 32)),
             (Conflict, 409, lambda: api.undo(sid)),
             (Invalid, 422, lambda: api.forward(sid, np.array([1.0, 2.0, 3.0])))]
    for kind, status, call in cases:
        with pytest.raises(kind) as info:
            call()
        assert isinstance(info.value, ApiError) and info.value.status_code == status
        assert str(info.value).startswith(f"{status}: ") and info.value.message
    with pytest.raises(Invalid) as info:
        api.forward(sid, [1.0, 2.0, 3.0])
    assert info.value.message.startswith("x")
    with pytest.raises(NotFound) as info:
        api.get_session("0" * 32)
    assert "0" * 32 in info.value.message


def test_413_and_429_are_too_large_and_rate_limited(make_server):
    server = make_server("--memory", "--no-demo", "--max-body-bytes", "2000",
                         "--max-sessions", "1").start(timeout=90)
    with Client(server.url) as api:
        sid = api.create_session()["id"]
        with pytest.raises(TooLarge) as info:
            api.predict(sid, np.zeros((200, 2)))
        assert info.value.status_code == 413 and "max_body_bytes" in info.value.message
        with pytest.raises(RateLimited) as info:
            api.create_session()
        assert info.value.status_code == 429 and isinstance(info.value, ApiError)


def test_503_is_unavailable_with_retry_after():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"Retry-After": "7"},
                              json={"detail": "storage: the disk is full"})

    with Client("http://bpe.test", transport=httpx.MockTransport(answer)) as api:
        with pytest.raises(Unavailable) as info:
            api.health()
    assert info.value.status_code == 503 and info.value.retry_after == 7.0
    assert str(info.value) == "503: storage: the disk is full"


def test_other_statuses_are_plain_api_errors():
    transport = httpx.MockTransport(lambda request: httpx.Response(418, text="teapot"))
    with Client("http://bpe.test", transport=transport) as api:
        with pytest.raises(ApiError) as info:
            api.health()
    assert type(info.value) is ApiError and info.value.status_code == 418
    assert info.value.detail == "teapot" and info.value.retry_after is None


# ----- no server -----------------------------------------------------------------------------
@pytest.fixture
def nobody_url():
    """A loopback port held (bound, not listening) for the test: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_no_server_is_a_connection_error_naming_the_url(nobody_url):
    with Client(nobody_url, timeout=5) as api:
        with pytest.raises(ServerUnreachable) as info:
            api.create_session(layers=np.array([2, 2, 1]))
    assert isinstance(info.value, ConnectionError) and info.value.url == nobody_url
    assert f"no Backprop Explorer server answers at {nobody_url}" in str(info.value)
    assert "BPE_URL" in str(info.value)


def test_a_server_that_stops_is_unreachable_too(make_server):
    server = make_server("--memory", "--no-demo").start(timeout=90)
    with Client(server.url) as api:
        assert api.health()["status"] == "ok"
        server.stop()
        with pytest.raises(ServerUnreachable):
            api.health()


# ----- BPE_URL -------------------------------------------------------------------------------
def test_the_base_url_comes_from_bpe_url(live_server, monkeypatch, nobody_url):
    monkeypatch.setenv("BPE_URL", live_server + "/")
    with Client() as api:
        assert api.base_url == live_server
        assert api.health()["status"] == "ok"
    with Client(nobody_url) as api:                 # an explicit URL wins
        with pytest.raises(ServerUnreachable):
            api.health()
    monkeypatch.delenv("BPE_URL")
    assert Client().base_url == "http://127.0.0.1:8000"


def test_every_public_method_and_error_has_a_docstring():
    for name, member in inspect.getmembers(Client, inspect.isfunction):
        if not name.startswith("_"):
            assert inspect.getdoc(member), name
    for kind in (ApiError, NotFound, Conflict, TooLarge, Invalid, RateLimited, Unavailable,
                 ServerUnreachable):
        assert kind.__doc__, kind
    assert set(client_module.ERRORS) == {404, 409, 413, 422, 429, 503}
