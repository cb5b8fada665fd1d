"""The Python client against a real `python -m backprop_explorer --memory` server on a free
loopback port (the `live_server` fixture): every method, and 4xx → ApiError carrying the
status code and the server's message."""
from __future__ import annotations

import pytest
from client_helpers import LECTURE_WEIGHTS, sigma

import backprop_explorer
from backprop_explorer.client import ApiError, Client


def test_health_and_datasets(api):
    health = api.health()
    assert health["status"] == "ok" and health["version"] == backprop_explorer.__version__
    names = {d["name"] for d in api.datasets()}
    assert names == {"xor", "circle", "gauss", "spiral", "moons", "plane", "lecture_xor"}


def test_session_life(api):
    s = api.create_session()
    assert s["network"]["layers"] == [2, 2, 1] and s["step"] == 0
    assert api.get_session(s["id"]) == s
    assert api.delete_session(s["id"]) is None
    with pytest.raises(ApiError) as info:
        api.get_session(s["id"])
    assert info.value.status_code == 404
    assert s["id"] in info.value.message and s["id"] in str(info.value)


def test_reproduce_the_lecture_with_exact_weights(api):
    s = api.create_session(layers=[2, 2, 1], activations=["sigmoid", "linear"],
                           loss="squared", learning_rate=0.5)
    sid = s["id"]
    state = api.set_weights(sid, LECTURE_WEIGHTS)
    assert state["weights"] == LECTURE_WEIGHTS and state["history"] == 1

    x1, x2, y_star = 1.0, 1.0, 0.0
    z1, z2 = sigma(0.1 + 0.5 + 0.3), sigma(-0.2 - 0.4 + 0.8)
    y = 0.2 + 0.7 * z1 - 0.6 * z2
    fwd = api.forward(sid, [x1, x2])
    assert fwd["output"][0] == pytest.approx(y, rel=1e-14) and fwd["loss"] is None
    assert api.forward(sid, [x1, x2], [y_star])["loss"] == pytest.approx(0.5 * y * y, rel=1e-14)

    bwd = api.backward(sid, [x1, x2], [y_star])
    # ∂L/∂w_22^h = (y − y*) · w_21^o · z2(1 − z2) · x2
    assert bwd["grads"][0]["dL_dW"][1][1] == pytest.approx(
        (y - y_star) * -0.6 * z2 * (1 - z2) * x2, rel=1e-13)
    assert bwd["grads"][1]["dL_db"][0] == pytest.approx(y - y_star, rel=1e-14)

    step = api.step(sid, [x1, x2], [y_star])
    assert step["step"] == 1 and step["example_index"] is None
    assert step["update"][1]["b_after"][0] == pytest.approx(0.2 - 0.5 * (y - y_star), rel=1e-14)
    step2 = api.step(sid, [x1, x2], [y_star], learning_rate=0.01)
    assert step2["learning_rate"] == 0.01 and step2["step"] == 2

    assert api.undo(sid)["step"] == 1
    assert api.undo(sid)["weights"] == LECTURE_WEIGHTS

    check = api.gradcheck(sid, [x1, x2], [y_star])
    assert check["max_rel_diff"] < 1e-6
    coarse = api.gradcheck(sid, [x1, x2], [y_star], epsilon=0.05)
    assert coarse["max_abs_diff"] > check["max_abs_diff"]

    pred = api.predict(sid, [[x1, x2], [0.0, 0.0]])
    assert pred["Y"][0][0] == pytest.approx(y, rel=1e-14)


def test_dataset_steps_train_export_import(api):
    s = api.create_session(preset="lecture")
    sid = s["id"]
    data = api.dataset(sid)
    assert data["n"] == 4 and len(data["X"]) == 4
    nxt = s["dataset"]["next_index"]
    step = api.step(sid)
    assert step["example_index"] == nxt and step["x"] == data["X"][nxt]
    assert api.step(sid, index=2)["example_index"] == 2
    r = api.train(sid, epochs=2)
    assert r["epoch"] >= 2 and len(r["epoch_loss"]) == 2
    r = api.train(sid, steps=6, batch_size=2, learning_rate=0.1)
    assert r["updates"] == 6 and len(r["loss"]) == 6

    doc = api.export_session(sid)
    assert doc["format"] == "backprop-explorer-session" and doc["version"] == 1
    copy = api.import_session(doc)
    assert copy["id"] != sid
    assert copy["weights"] == api.get_session(sid)["weights"]
    assert api.step(copy["id"]) == api.step(sid)
    api.delete_session(copy["id"])
    api.delete_session(sid)


def test_422_raises_api_error_naming_the_field(api):
    sid = api.create_session()["id"]
    before = api.get_session(sid)
    with pytest.raises(ApiError) as info:
        api.forward(sid, [1.0, 2.0, 3.0])
    err = info.value
    assert err.status_code == 422
    assert isinstance(err.detail, list) and err.detail[0]["loc"][-1] == "x"
    assert "x" in err.message.split(":")[0]
    assert str(err).startswith("422")

    with pytest.raises(ApiError) as info:
        api.step(sid, x=[1.0, 0.0])                   # x without y
    assert info.value.status_code == 422 and "y" in info.value.message

    with pytest.raises(ApiError) as info:
        api.create_session(activations=["softmax", "linear"])
    assert info.value.status_code == 422 and "activations" in info.value.message
    assert api.get_session(sid) == before


def test_409_raises_api_error_with_the_servers_message(api):
    sid = api.create_session()["id"]
    before = api.get_session(sid)
    with pytest.raises(ApiError) as info:
        api.undo(sid)
    assert info.value.status_code == 409 and info.value.message
    with pytest.raises(ApiError) as info:
        api.train(sid, epochs=1)
    assert info.value.status_code == 409 and "dataset" in info.value.message
    with pytest.raises(ApiError) as info:
        api.dataset(sid)
    assert info.value.status_code == 409
    assert api.get_session(sid) == before


def test_404_on_unknown_session(api):
    with pytest.raises(ApiError) as info:
        api.forward("f" * 32, [1.0, 0.0])
    assert info.value.status_code == 404 and "f" * 32 in info.value.message


def test_concurrent_steps_on_one_session_lose_no_update(live_server):
    """Per-session lock: 4 clients × 15 steps on one session give step == 60, and the
    step numbers the server handed out are exactly 1..60."""
    from concurrent.futures import ThreadPoolExecutor
    with Client(live_server) as api:
        sid = api.create_session(preset="lecture")["id"]

    def worker(_):
        with Client(live_server) as mine:
            return [mine.step(sid)["step"] for _ in range(15)]

    with ThreadPoolExecutor(4) as pool:
        numbers = [n for batch in pool.map(worker, range(4)) for n in batch]
    assert sorted(numbers) == list(range(1, 61))
    with Client(live_server) as api:
        state = api.get_session(sid)
        assert state["step"] == 60 and state["epoch"] == 15      # 4 examples per epoch
        api.delete_session(sid)
