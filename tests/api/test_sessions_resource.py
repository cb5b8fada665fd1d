"""Sessions as a resource: create (defaults, preset, explicit weights, every dataset),
get, delete, PUT weights."""
from __future__ import annotations

import re

import numpy as np
import pytest

from api_helpers import LECTURE_WEIGHTS

DATASETS = {"xor": ("classification", 200), "circle": ("classification", 200),
            "gauss": ("classification", 200), "spiral": ("classification", 300),
            "moons": ("classification", 200), "plane": ("regression", 200)}


def test_create_with_defaults_is_the_lectures_2_2_1(api, h):
    r = api.post("/api/sessions", json={})
    assert r.status_code == 201
    state = r.json()
    assert re.fullmatch(r"[0-9a-f]{32}", state["id"])
    net = state["network"]
    assert net["layers"] == [2, 2, 1]
    assert net["activations"] == ["sigmoid", "linear"]
    assert net["loss"] == "squared"
    assert net["l2"] == 0.0
    assert net["init"] == {"scheme": "xavier", "seed": 0}
    assert net["learning_rate"] > 0
    assert state["step"] == 0 and state["epoch"] == 0
    assert state["dataset"] is None
    assert state["history"] == 0
    (l1, l2) = state["weights"]
    assert np.shape(l1["W"]) == (2, 2) and np.shape(l1["b"]) == (2,)
    assert np.shape(l2["W"]) == (2, 1) and np.shape(l2["b"]) == (1,)
    # xavier: U(±√(6/(n_in+n_out))), biases zero
    assert np.all(np.abs(l1["W"]) <= np.sqrt(6 / 4)) and np.all(np.abs(l2["W"]) <= np.sqrt(6 / 3))
    assert l1["b"] == [0.0, 0.0] and l2["b"] == [0.0]
    assert len({w for row in l1["W"] for w in row}) == 4       # not all equal


def test_same_seed_same_network_other_seed_other_network(h):
    a = h.create(init={"scheme": "he", "seed": 7})
    b = h.create(init={"scheme": "he", "seed": 7})
    c = h.create(init={"scheme": "he", "seed": 8})
    assert a["id"] != b["id"]
    assert a["weights"] == b["weights"]
    assert a["weights"] != c["weights"]


@pytest.mark.parametrize("scheme", ["xavier", "he", "uniform", "normal", "zeros"])
def test_every_init_scheme(h, scheme):
    state = h.create(layers=[3, 5, 2], init={"scheme": scheme, "seed": 1})
    W = np.array(state["weights"][0]["W"])
    assert W.shape == (3, 5)
    assert state["network"]["init"] == {"scheme": scheme, "seed": 1}
    if scheme == "zeros":
        assert not W.any()
    else:
        assert W.std() > 0
    if scheme == "uniform":
        assert np.all(np.abs(W) <= 0.5)


def test_create_preset_lecture(api, h):
    state = h.create(preset="lecture")
    assert state["network"]["layers"] == [2, 2, 1]
    assert state["network"]["activations"] == ["sigmoid", "linear"]
    assert state["network"]["loss"] == "squared"
    assert state["network"]["learning_rate"] == 0.5
    assert state["weights"] == LECTURE_WEIGHTS
    ds = state["dataset"]
    assert ds["name"] == "lecture_xor" and ds["n"] == 4 and ds["task"] == "classification"
    assert ds["label"] == "lecture XOR (4 points)" and ds["n_train"] == 4 and ds["n_test"] == 0
    assert ds["next_index"] in range(4)
    data = api.get(f"/api/sessions/{state['id']}/dataset").json()
    # the four corners of a square (boolean XOR, on 0/1 or ±1 inputs), labelled by XOR
    X, Y = np.array(data["X"]), np.array(data["Y"])
    assert X.shape == (4, 2) and Y.shape == (4, 1)
    lo, hi = X.min(), X.max()
    assert lo < hi and set(X.ravel()) == {lo, hi}
    assert len({tuple(row) for row in X}) == 4
    assert (Y[:, 0] == (X[:, 0] != X[:, 1])).all()
    assert data["n"] == 4 and data["name"] == "lecture_xor"
    assert data["label"] == "lecture XOR (4 points)" and data["split"] == ["train"] * 4


def test_preset_fields_can_be_overridden(h):
    state = h.create(preset="lecture", learning_rate=0.05)
    assert state["network"]["learning_rate"] == 0.05
    assert state["weights"] == LECTURE_WEIGHTS


def test_create_with_explicit_weights(h):
    weights = [{"W": [[1.0, -2.0, 0.5]], "b": [0.1, 0.2, 0.3]},
               {"W": [[0.25], [-0.75], [1.5]], "b": [-1.0]}]
    state = h.create(layers=[1, 3, 1], activations=["tanh", "linear"], weights=weights,
                     init={"scheme": "zeros", "seed": 3})
    assert state["weights"] == weights          # explicit weights override init
    fwd = h.post(state["id"], "forward", {"x": [2.0]})
    s = np.array([2.0, -4.0, 1.0]) + [0.1, 0.2, 0.3]
    assert fwd["output"][0] == pytest.approx(np.tanh(s) @ [0.25, -0.75, 1.5] - 1.0, rel=1e-14)


@pytest.mark.parametrize("name", list(DATASETS))
def test_create_with_each_dataset(api, h, name):
    task, default_n = DATASETS[name]
    state = h.create(dataset={"name": name, "seed": 4})
    ds = state["dataset"]
    assert ds["name"] == name and ds["task"] == task and ds["n"] == default_n
    assert ds["seed"] == 4 and ds["next_index"] in range(default_n)
    data = api.get(f"/api/sessions/{state['id']}/dataset").json()
    X, Y = np.array(data["X"]), np.array(data["Y"])
    assert X.shape == (default_n, 2) and Y.shape == (default_n, 1)
    assert np.isfinite(X).all() and np.abs(X).max() < 2.5
    if task == "classification":
        assert set(np.unique(Y)) == {0.0, 1.0}
    else:
        # y* = 0.5·x1 − 0.3·x2 + 0.1 plus noise 0.1
        resid = Y[:, 0] - (0.5 * X[:, 0] - 0.3 * X[:, 1] + 0.1)
        assert abs(resid.mean()) < 0.05 and 0.05 < resid.std() < 0.15
    # seeded: the same spec gives the same points, another seed other points
    again = h.create(dataset={"name": name, "seed": 4})
    other = h.create(dataset={"name": name, "seed": 5})
    assert api.get(f"/api/sessions/{again['id']}/dataset").json()["X"] == data["X"]
    assert api.get(f"/api/sessions/{other['id']}/dataset").json()["X"] != data["X"]


def test_dataset_size_and_noise(api, h):
    state = h.create(dataset={"name": "xor", "n": 40, "noise": 0.0, "seed": 1})
    assert state["dataset"]["n"] == 40 and state["dataset"]["noise"] == 0.0
    data = api.get(f"/api/sessions/{state['id']}/dataset").json()
    X, Y = np.array(data["X"]), np.array(data["Y"])[:, 0]
    assert X.shape == (40, 2)
    assert ((X[:, 0] * X[:, 1] > 0) == (Y == 1)).all()      # noise 0: labels follow the rule


def test_two_output_units_get_one_hot_targets(api, h):
    state = h.create(layers=[2, 3, 2], activations=["tanh", "softmax"], loss="cross_entropy",
                     dataset={"name": "circle", "n": 10, "seed": 0})
    data = api.get(f"/api/sessions/{state['id']}/dataset").json()
    Y = np.array(data["Y"])
    assert Y.shape == (10, 2) and (Y.sum(axis=1) == 1).all()


def test_create_with_user_supplied_dataset(api, h):
    X = [[0.1, 0.2], [0.3, -0.4], [-0.5, 0.6], [0.7, 0.8], [0.9, -1.0]]
    Y = [[0.5], [-1.5], [2.0], [0.25], [3.0]]
    state = h.create(dataset={"X": X, "Y": Y})
    ds = state["dataset"]
    assert ds["n"] == 5 and ds["task"] == "regression"
    data = api.get(f"/api/sessions/{state['id']}/dataset").json()
    assert data["X"] == X and data["Y"] == Y


def test_get_returns_the_state(api, h):
    created = h.create(preset="lecture")
    r = api.get(f"/api/sessions/{created['id']}")
    assert r.status_code == 200
    assert r.json() == created


def test_delete_then_404(api, h):
    sid = h.create()["id"]
    other = h.create()["id"]
    r = api.delete(f"/api/sessions/{sid}")
    assert r.status_code == 204 and r.content == b""
    assert api.get(f"/api/sessions/{sid}").status_code == 404
    assert api.delete(f"/api/sessions/{sid}").status_code == 404
    assert api.get(f"/api/sessions/{other}").status_code == 200   # only that one went


def test_put_weights(api, h):
    sid = h.create()["id"]
    r = api.put(f"/api/sessions/{sid}/weights", json={"weights": LECTURE_WEIGHTS})
    assert r.status_code == 200
    state = r.json()
    assert state["weights"] == LECTURE_WEIGHTS
    assert state["history"] == 1                      # undoable
    assert state["step"] == 0                         # not an SGD update
    assert h.state(sid) == state
    # the new weights are used: y = 0.2 + 0.7 σ(0.6) − 0.6 σ(−0.6) at x = (1, 0)
    z1 = 1 / (1 + np.exp(-0.6))
    fwd = h.post(sid, "forward", {"x": [1.0, 0.0]})
    assert fwd["output"][0] == pytest.approx(0.2 + 0.7 * z1 - 0.6 * (1 - z1), rel=1e-14)
    undone = h.post(sid, "undo")
    assert undone["weights"] != LECTURE_WEIGHTS and undone["history"] == 0


def test_put_weights_accepts_integers(api, h):
    sid = h.create()["id"]
    weights = [{"W": [[1, 0], [0, 1]], "b": [0, 0]}, {"W": [[2], [-3]], "b": [1]}]
    r = api.put(f"/api/sessions/{sid}/weights", json={"weights": weights})
    assert r.status_code == 200, r.text
    assert r.json()["weights"] == weights
