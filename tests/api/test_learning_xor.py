"""Learning works: a 2-4-1 network reaches 100% training accuracy on the xor dataset from a
fixed seed within a bounded number of epochs, through the session train call."""
from __future__ import annotations

import numpy as np

MAX_EPOCHS = 60
SPEC = {"layers": [2, 4, 1], "activations": ["tanh", "sigmoid"], "loss": "cross_entropy",
        "learning_rate": 0.1, "init": {"scheme": "xavier", "seed": 0},
        "dataset": {"name": "xor", "n": 200, "noise": 0.0, "seed": 0}}


def test_2_4_1_network_learns_xor(h):
    sid = h.create(**SPEC)["id"]
    first = None
    epochs, accuracy = 0, 0.0
    while accuracy < 1.0 and epochs < MAX_EPOCHS:
        result = h.post(sid, "train", {"epochs": 5})
        assert result["updates"] == 5 * 200          # per-example SGD: one update per example
        first = first if first is not None else result["epoch_loss"][0]
        epochs += 5
        assert result["epoch"] == epochs
        accuracy = result["accuracy"]
    assert accuracy == 1.0, f"accuracy {accuracy} after {epochs} epochs"
    assert epochs <= MAX_EPOCHS
    assert result["dataset_loss"] < first            # the loss went down on the way

    # the server's accuracy agrees with a prediction of every training point
    data = h.client.get(f"/api/sessions/{sid}/dataset").json()
    predicted = np.array(h.post(sid, "predict", {"X": data["X"]})["Y"])[:, 0] > 0.5
    labels = np.array(data["Y"])[:, 0] > 0.5
    assert (predicted == labels).all()
    # labels are the xor rule: class 1 where x1·x2 > 0
    X = np.array(data["X"])
    assert (labels == (X[:, 0] * X[:, 1] > 0)).all()


def test_untrained_network_is_not_already_perfect(h):
    """The check above can fail: before training the same network misclassifies points."""
    sid = h.create(**SPEC)["id"]
    data = h.client.get(f"/api/sessions/{sid}/dataset").json()
    predicted = np.array(h.post(sid, "predict", {"X": data["X"]})["Y"])[:, 0] > 0.5
    labels = np.array(data["Y"])[:, 0] > 0.5
    assert (predicted == labels).mean() < 0.9
