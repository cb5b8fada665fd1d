"""409 for conflicts (undo with no history, dataset calls on a session without a dataset),
and an update that would make a weight non-finite is refused (422) with the weights kept."""
from __future__ import annotations

import pytest

from api_helpers import field_named

HUGE = [{"W": [[1e300, 0.0], [0.0, 1.0]], "b": [0.0, 0.0]}, {"W": [[1e300], [1.0]], "b": [0.0]}]


@pytest.fixture
def no_dataset(h):
    sid = h.create()["id"]
    h.post(sid, "step", {"x": [1.0, 0.0], "y": [1.0]})        # history to protect
    return sid


@pytest.mark.parametrize("action,body", [
    ("train", {"epochs": 1}),
    ("train", {"steps": 5}),
    ("step", {}),
    ("step", {"learning_rate": 0.1}),
    ("step", {"index": 0}),
])
def test_dataset_calls_without_a_dataset_are_409(h, no_dataset, action, body):
    resp = h.rejected(no_dataset, "POST", f"/api/sessions/{no_dataset}/{action}", 409, json=body)
    assert isinstance(resp["detail"], str) and "dataset" in resp["detail"]


def test_get_dataset_without_a_dataset_is_409(h, no_dataset):
    resp = h.rejected(no_dataset, "GET", f"/api/sessions/{no_dataset}/dataset", 409)
    assert "dataset" in resp["detail"]


def test_undo_with_no_history_is_409(h):
    sid = h.create()["id"]
    resp = h.rejected(sid, "POST", f"/api/sessions/{sid}/undo", 409)
    assert resp["detail"]


# a single linear unit y = w1·x1 + w2·x2 + b with w1 = 0: at x = (1e300, 1e6), y* = 0 the
# forward pass and the loss (½·1e12) are finite, but ∂L/∂w1 = x1·(y − y*) = 1e306, so
# w1 − γ·∂L/∂w1 overflows for γ = 1000 (and for γ = 0.1 the new loss would).
LINEAR = {"layers": [2, 1], "activations": ["linear"], "loss": "squared",
          "weights": [{"W": [[0.0], [1.0]], "b": [0.0]}],
          "dataset": {"X": [[1e300, 1e6], [1e300, 1e6]], "Y": [[0.0], [0.0]]}}
BIG = {"x": [1e300, 1e6], "y": [0.0]}


@pytest.mark.parametrize("learning_rate", [1000, 0.1])
def test_diverging_step_is_422_and_weights_unchanged(h, learning_rate):
    sid = h.create(**LINEAR, learning_rate=learning_rate)["id"]
    h.post(sid, "backward", BIG)                 # the pass itself is fine
    for body in ({**BIG, "learning_rate": learning_rate}, BIG, {}, {"index": 1}):
        resp = h.rejected(sid, "POST", f"/api/sessions/{sid}/step", 422, json=body)
        err = field_named(resp, "learning_rate")
        assert "finite" in err["msg"] or "diverg" in err["msg"]
    assert h.state(sid)["weights"] == LINEAR["weights"]
    assert h.state(sid)["step"] == 0


def test_learning_rate_1e300_is_422(h):
    sid = h.create(**LINEAR)["id"]
    resp = h.rejected(sid, "POST", f"/api/sessions/{sid}/step", 422,
                      json={**BIG, "learning_rate": 1e300})
    field_named(resp, "learning_rate")


def test_diverging_train_is_422_and_nothing_is_kept(h):
    sid = h.create(**LINEAR, learning_rate=1000)["id"]
    for body in ({"epochs": 3}, {"steps": 5}, {"epochs": 1, "batch_size": 2}):
        resp = h.rejected(sid, "POST", f"/api/sessions/{sid}/train", 422, json=body)
        field_named(resp, "learning_rate")
    assert h.state(sid)["weights"] == LINEAR["weights"]


def test_overflow_in_the_forward_pass_is_422_not_500(api, h):
    sid = h.create(layers=[2, 2, 1])["id"]
    assert api.put(f"/api/sessions/{sid}/weights", json={"weights": HUGE}).status_code == 200
    # y ≈ 1e300: the loss ½(y − y*)² overflows
    for action in ("forward", "backward", "step", "gradcheck"):
        resp = h.rejected(sid, "POST", f"/api/sessions/{sid}/{action}", 422,
                          json={"x": [1.0, 0.0], "y": [0.0]})
        field_named(resp, "x")


def test_growing_weights_eventually_refused_not_stored_as_inf(h):
    """Train with a far too large learning rate: every call either succeeds with finite
    weights or is refused with 422 and leaves the weights as they were."""
    sid = h.create(layers=[2, 3, 1], activations=["linear", "linear"],
                   dataset={"name": "plane", "n": 10, "seed": 1}, learning_rate=50)["id"]
    refused = 0
    for _ in range(40):
        before = h.state(sid)
        r = h.client.post(f"/api/sessions/{sid}/train", json={"steps": 10})
        if r.status_code == 422:
            refused += 1
            assert h.state(sid) == before
            break
        else:
            assert r.status_code == 200, r.text
            for layer in h.state(sid)["weights"]:
                assert all(abs(w) < float("inf") for row in layer["W"] for w in row)
    assert refused > 0
