"""POST train: epochs or steps, batch size, loss histories; one undo level per call."""
from __future__ import annotations

import numpy as np
import pytest

N = 20


def _session(h, name="xor", **extra):
    return h.create(dataset={"name": name, "n": N, "seed": 2}, **extra)["id"]


def test_train_epochs_per_example(h):
    sid = _session(h)
    before = h.state(sid)
    r = h.post(sid, "train", {"epochs": 3})
    assert set(r) >= {"updates", "loss", "epoch_loss", "step", "epoch", "dataset_loss", "accuracy"}
    assert r["updates"] == 3 * N and len(r["loss"]) == 3 * N
    assert len(r["epoch_loss"]) == 3
    assert r["step"] == 3 * N and r["epoch"] == 3
    assert r["dataset_loss"] == pytest.approx(r["epoch_loss"][-1], rel=1e-14)
    assert 0.0 <= r["accuracy"] <= 1.0
    assert all(np.isfinite(r["loss"]))
    state = h.state(sid)
    assert state["step"] == 3 * N and state["epoch"] == 3
    assert state["history"] == before["history"] + 1
    assert state["weights"] != before["weights"]


def test_train_steps(h):
    sid = _session(h)
    r = h.post(sid, "train", {"steps": 7})
    assert r["updates"] == 7 and len(r["loss"]) == 7
    assert r["epoch_loss"] == [] and r["epoch"] == 0 and r["step"] == 7
    r = h.post(sid, "train", {"steps": 20})           # crosses one epoch end
    assert r["updates"] == 20 and len(r["epoch_loss"]) == 1
    assert r["step"] == 27 and r["epoch"] == 1


def test_train_with_batches(h):
    sid = _session(h)
    r = h.post(sid, "train", {"epochs": 2, "batch_size": 8})
    # 20 examples in batches of 8: 8 + 8 + 4 per epoch
    assert r["updates"] == 6 and len(r["loss"]) == 6 and len(r["epoch_loss"]) == 2
    assert r["epoch"] == 2 and r["step"] == 6
    r = h.post(sid, "train", {"epochs": 1, "batch_size": N})     # full batch
    assert r["updates"] == 1 and r["epoch"] == 3


def test_per_example_training_equals_repeated_steps(h):
    """train with batch_size 1 is the lecture's per-example SGD: the same as k single steps
    on the next dataset examples."""
    a = _session(h, learning_rate=0.4)
    b = _session(h, learning_rate=0.4)
    r = h.post(a, "train", {"steps": 25})
    losses = [h.post(b, "step", {})["loss"] for _ in range(25)]
    np.testing.assert_allclose(r["loss"], losses, rtol=1e-12)
    sa, sb = h.state(a), h.state(b)
    assert (sa["step"], sa["epoch"], sa["dataset"]["next_index"]) == \
        (sb["step"], sb["epoch"], sb["dataset"]["next_index"])
    for la, lb in zip(sa["weights"], sb["weights"]):
        np.testing.assert_allclose(la["W"], lb["W"], rtol=1e-12)
        np.testing.assert_allclose(la["b"], lb["b"], rtol=1e-12)


def test_loss_histories_are_the_real_losses(api, h):
    sid = _session(h, "plane")
    r = h.post(sid, "train", {"epochs": 2, "batch_size": 5})
    assert r["accuracy"] is None                         # regression
    data = api.get(f"/api/sessions/{sid}/dataset").json()
    Y = np.array(h.post(sid, "predict", {"X": data["X"]})["Y"])
    mean_loss = float(np.mean(0.5 * np.sum((Y - np.array(data["Y"])) ** 2, axis=1)))
    assert r["dataset_loss"] == pytest.approx(mean_loss, rel=1e-12)
    assert r["epoch_loss"][-1] == pytest.approx(mean_loss, rel=1e-12)


def test_learning_rate_override_and_reproducibility(h):
    a, b, c = _session(h), _session(h), _session(h)
    ra = h.post(a, "train", {"epochs": 1, "learning_rate": 0.05})
    rb = h.post(b, "train", {"epochs": 1, "learning_rate": 0.05})
    rc = h.post(c, "train", {"epochs": 1, "learning_rate": 0.5})
    assert ra == rb
    assert h.state(a)["weights"] == h.state(b)["weights"]
    assert ra["loss"][0] == rc["loss"][0]                # same first example, same start
    assert ra["loss"][1:] != rc["loss"][1:]
    assert h.state(a)["network"]["learning_rate"] == 0.1


def test_one_undo_restores_the_whole_train_call(h):
    sid = _session(h)
    h.post(sid, "step", {})
    before = h.state(sid)
    h.post(sid, "train", {"epochs": 2})
    undone = h.post(sid, "undo")
    for key in ("weights", "step", "epoch", "dataset", "history"):
        assert undone[key] == before[key], key
