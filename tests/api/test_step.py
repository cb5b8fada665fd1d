"""POST step: one SGD update, on an explicit example, the next dataset example (reshuffled
each epoch, seeded) or dataset example `index`."""
from __future__ import annotations

import numpy as np
import pytest

from api_helpers import LECTURE_WEIGHTS

STEP_KEYS = {"forward", "loss", "grads", "update", "learning_rate", "step", "epoch",
             "example_index", "loss_after"}


def test_explicit_step_is_w_minus_rate_times_gradient(h):
    sid = h.create(layers=[2, 2, 1], weights=LECTURE_WEIGHTS, learning_rate=0.5)["id"]
    body = {"x": [0.5, -1.0], "y": [1.5]}
    bwd = h.post(sid, "backward", body)
    step = h.post(sid, "step", body)
    assert set(step) >= STEP_KEYS
    assert step["step"] == 1 and step["epoch"] == 0
    assert step["example_index"] is None
    assert step["learning_rate"] == 0.5
    assert step["loss"] == bwd["loss"] and step["grads"] == bwd["grads"]
    for l, (u, g, w) in enumerate(zip(step["update"], bwd["grads"], LECTURE_WEIGHTS)):
        assert set(u) == {"W_before", "W_after", "b_before", "b_after"}
        assert u["W_before"] == w["W"] and u["b_before"] == w["b"]
        np.testing.assert_allclose(u["W_after"], np.array(w["W"]) - 0.5 * np.array(g["dL_dW"]),
                                   rtol=0, atol=1e-15)
        np.testing.assert_allclose(u["b_after"], np.array(w["b"]) - 0.5 * np.array(g["dL_db"]),
                                   rtol=0, atol=1e-15)
    state = h.state(sid)
    assert state["step"] == 1 and state["history"] == 1
    assert [layer["W"] for layer in state["weights"]] == [u["W_after"] for u in step["update"]]
    assert [layer["b"] for layer in state["weights"]] == [u["b_after"] for u in step["update"]]
    after = h.post(sid, "forward", body)
    assert step["loss_after"] == pytest.approx(after["loss"], rel=1e-14)
    assert step["loss_after"] < step["loss"]


def test_learning_rate_in_the_body_is_used_once(h):
    sid = h.create(layers=[2, 2, 1], weights=LECTURE_WEIGHTS, learning_rate=0.5)["id"]
    body = {"x": [1.0, 1.0], "y": [0.0]}
    g = h.post(sid, "backward", body)["grads"][1]["dL_db"][0]
    step = h.post(sid, "step", {**body, "learning_rate": 0.01})
    assert step["learning_rate"] == 0.01
    assert step["update"][1]["b_after"][0] == pytest.approx(0.2 - 0.01 * g, rel=1e-14)
    assert h.state(sid)["network"]["learning_rate"] == 0.5
    assert h.post(sid, "step", body)["learning_rate"] == 0.5


def test_step_count_is_cumulative(h):
    sid = h.create()["id"]
    for k in range(1, 6):
        assert h.post(sid, "step", {"x": [0.1 * k, -0.2], "y": [1.0]})["step"] == k
    assert h.state(sid)["step"] == 5


def _dataset_session(h, n=12, seed=3, **extra):
    return h.create(dataset={"name": "xor", "n": n, "seed": seed}, **extra)


def test_next_dataset_example_follows_a_fresh_permutation_each_epoch(api, h):
    n = 12
    state = _dataset_session(h, n)
    sid = state["id"]
    data = api.get(f"/api/sessions/{sid}/dataset").json()
    indices = []
    for k in range(3 * n):
        expected_next = h.state(sid)["dataset"]["next_index"]
        step = h.post(sid, "step", {})
        idx = step["example_index"]
        assert idx == expected_next
        assert step["x"] == data["X"][idx] and step["y"] == data["Y"][idx]
        assert step["forward"]["x"] == data["X"][idx]
        assert step["step"] == k + 1
        assert step["epoch"] == (k + 1) // n               # an epoch ends after n examples
        indices.append(idx)
    epochs = [indices[e * n:(e + 1) * n] for e in range(3)]
    for order in epochs:
        assert sorted(order) == list(range(n))             # every example once per epoch
    assert epochs[0] != epochs[1] and epochs[1] != epochs[2]   # reshuffled every epoch
    assert h.state(sid)["epoch"] == 3

    # seeded and reproducible: a twin session takes the same examples in the same order
    twin = _dataset_session(h, n)["id"]
    assert [h.post(twin, "step", {})["example_index"] for _ in range(3 * n)] == indices
    assert h.state(twin)["weights"] == h.state(sid)["weights"]
    # another dataset seed, another order
    other = _dataset_session(h, n, seed=4)["id"]
    assert [h.post(other, "step", {})["example_index"] for _ in range(n)] != epochs[0]


def test_next_example_step_is_the_sgd_update_on_that_example(api, h):
    sid = _dataset_session(h, learning_rate=0.3)["id"]
    data = api.get(f"/api/sessions/{sid}/dataset").json()
    idx = h.state(sid)["dataset"]["next_index"]
    bwd = h.post(sid, "backward", {"x": data["X"][idx], "y": data["Y"][idx]})
    w0 = h.state(sid)["weights"]
    step = h.post(sid, "step", {})
    assert step["example_index"] == idx
    np.testing.assert_allclose(step["update"][0]["W_after"],
                               np.array(w0[0]["W"]) - 0.3 * np.array(bwd["grads"][0]["dL_dW"]),
                               atol=1e-15)


def test_step_on_an_explicit_index(api, h):
    sid = _dataset_session(h)["id"]
    data = api.get(f"/api/sessions/{sid}/dataset").json()
    before = h.state(sid)
    step = h.post(sid, "step", {"index": 5})
    assert step["example_index"] == 5
    assert step["x"] == data["X"][5] and step["y"] == data["Y"][5]
    after = h.state(sid)
    assert after["step"] == 1
    # an explicit index does not move the shuffled position
    assert after["dataset"]["next_index"] == before["dataset"]["next_index"]
    assert after["epoch"] == 0


def test_explicit_example_on_a_dataset_session_does_not_move_the_position(h):
    sid = _dataset_session(h)["id"]
    nxt = h.state(sid)["dataset"]["next_index"]
    step = h.post(sid, "step", {"x": [0.2, 0.3], "y": [1.0]})
    assert step["example_index"] is None
    assert h.state(sid)["dataset"]["next_index"] == nxt
