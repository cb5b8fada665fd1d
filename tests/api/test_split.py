"""Issue 13: the train/test split (seeded, disjoint, covering), SGD and /train on the
training part only, per-part losses and accuracies against a direct numpy computation,
dataset regeneration (PATCH), the split through export/import, mini-batches as the mean of
per-example gradients, and the overfitting preset actually overfitting."""
from __future__ import annotations

import numpy as np
import pytest

from api_helpers import field_named
from store_helpers import reloaded

SPEC = {"layers": [2, 4, 1], "activations": ["tanh", "sigmoid"], "loss": "cross_entropy",
        "learning_rate": 0.3, "init": {"scheme": "xavier", "seed": 3}}


def _split(h, sid):
    data = h.client.get(f"/api/sessions/{sid}/dataset").json()
    test = [i for i, part in enumerate(data["split"]) if part == "test"]
    train = [i for i, part in enumerate(data["split"]) if part == "train"]
    return data, train, test


def test_the_split_is_seeded_disjoint_and_covers_the_dataset(h):
    ds = {"name": "circle", "n": 50, "noise": 0.1, "seed": 7, "test_fraction": 0.3}
    a = h.create(**SPEC, dataset=ds)
    b = h.create(**SPEC, dataset=ds)
    c = h.create(**SPEC, dataset={**ds, "seed": 8})
    assert a["dataset"]["n_train"] == 35 and a["dataset"]["n_test"] == 15
    assert a["dataset"]["test_fraction"] == 0.3
    data_a, train_a, test_a = _split(h, a["id"])
    data_b, _, test_b = _split(h, b["id"])
    _, _, test_c = _split(h, c["id"])
    assert len(data_a["split"]) == 50 and data_a["test_fraction"] == 0.3
    assert test_a == test_b and data_a["X"] == data_b["X"]          # seeded: the same twice
    assert test_c != test_a                                          # another seed, another split
    assert len(test_a) == 15 and len(train_a) == 35
    assert set(train_a).isdisjoint(test_a) and sorted(train_a + test_a) == list(range(50))
    # ⌊f·n⌋ test points, the training part never empty; 0 by default
    for f, n, k in ((0.25, 4, 1), (0.2, 4, 0), (0.29, 100, 29), (0.999, 10, 9)):
        s = h.create(**SPEC, dataset={"name": "xor", "n": n, "test_fraction": f})
        assert s["dataset"]["n_test"] == k and s["dataset"]["n_train"] == n - k, (f, n)
    plain = h.create(**SPEC, dataset={"name": "xor", "n": 20})
    assert plain["dataset"]["n_test"] == 0 and plain["dataset"]["test_fraction"] == 0.0


@pytest.mark.parametrize("bad", [1.0, -0.1, "0.2", 1.5])
def test_a_bad_test_fraction_is_a_422_naming_it(h, bad):
    r = h.client.post("/api/sessions", json={**SPEC, "dataset": {"name": "xor",
                                                                "test_fraction": bad}})
    assert r.status_code == 422
    field_named(r.json(), "dataset.test_fraction")


def test_sgd_never_visits_a_test_point(h):
    s = h.create(**SPEC, dataset={"name": "moons", "n": 30, "noise": 0.1, "seed": 4,
                                  "test_fraction": 0.4})
    sid = s["id"]
    data, train, test = _split(h, sid)
    assert len(train) == 18
    X = np.array(data["X"])
    seen = []
    for _ in range(2 * len(train)):                  # two whole epochs, step by step
        st = h.post(sid, "step", {})
        i = st["example_index"]
        assert st["x"] == X[i].tolist()
        seen.append(i)
    assert not set(seen) & set(test)
    assert sorted(seen[:18]) == train and sorted(seen[18:]) == train   # each epoch: every one
    assert h.state(sid)["epoch"] == 2 and h.state(sid)["step"] == 36
    # an explicit test index is refused and changes nothing
    body = h.rejected(sid, "POST", f"/api/sessions/{sid}/step", 422, json={"index": test[0]})
    assert "test part" in field_named(body, "index")["msg"]
    # /train takes the same training examples in the same order as those steps
    a = h.create(**SPEC, dataset={"name": "moons", "n": 30, "noise": 0.1, "seed": 4,
                                  "test_fraction": 0.4})
    r = h.post(a["id"], "train", {"epochs": 2})
    assert r["updates"] == 36 and r["epoch"] == 2 and r["batch_size"] == 1
    np.testing.assert_allclose(_flat(h.state(a["id"])["weights"]), _flat(h.state(sid)["weights"]),
                               rtol=1e-12, atol=1e-15)


def _flat(weights):
    return np.concatenate([np.ravel(layer[k]) for layer in weights for k in ("W", "b")])


def _numpy_forward(weights, X, activations):
    fs = {"tanh": np.tanh, "sigmoid": lambda s: 1 / (1 + np.exp(-s)), "linear": lambda s: s}
    a = X
    for layer, act in zip(weights, activations, strict=True):
        a = fs[act](a @ np.array(layer["W"]) + np.array(layer["b"]))
    return a


def _numpy_metrics(weights, X, Y, activations, loss):
    y = _numpy_forward(weights, X, activations)
    if loss == "cross_entropy":
        per = -(Y * np.log(y) + (1 - Y) * np.log(1 - y)).sum(axis=1)
    else:
        per = 0.5 * ((y - Y) ** 2).sum(axis=1)
    return per.mean(), ((y[:, 0] > 0.5) == (Y[:, 0] > 0.5)).mean()


def test_reported_losses_and_accuracies_equal_numpy_on_each_part(h):
    s = h.create(**SPEC, dataset={"name": "circle", "n": 60, "noise": 0.2, "seed": 5,
                                  "test_fraction": 0.25})
    sid = s["id"]
    r = h.post(sid, "train", {"epochs": 3})
    data, train, test = _split(h, sid)
    X, Y = np.array(data["X"]), np.array(data["Y"])
    weights = h.state(sid)["weights"]
    tr_loss, tr_acc = _numpy_metrics(weights, X[train], Y[train], SPEC["activations"], SPEC["loss"])
    te_loss, te_acc = _numpy_metrics(weights, X[test], Y[test], SPEC["activations"], SPEC["loss"])
    all_loss, all_acc = _numpy_metrics(weights, X, Y, SPEC["activations"], SPEC["loss"])
    assert r["train_loss"] == pytest.approx(tr_loss, rel=1e-12)
    assert r["test_loss"] == pytest.approx(te_loss, rel=1e-12)
    assert r["train_accuracy"] == tr_acc and r["test_accuracy"] == te_acc
    assert r["dataset_loss"] == pytest.approx(all_loss, rel=1e-12) and r["accuracy"] == all_acc
    assert r["epoch_loss"][-1] == r["train_loss"] and r["epoch_test_loss"][-1] == r["test_loss"]
    assert len(r["epoch_test_loss"]) == 3 and r["epoch_test_loss_every"] == 1
    m = h.client.get(f"/api/sessions/{sid}/metrics").json()
    assert m == {"step": r["step"], "epoch": 3, "n_train": 45, "n_test": 15,
                 "train_loss": r["train_loss"], "test_loss": r["test_loss"],
                 "train_accuracy": tr_acc, "test_accuracy": te_acc}
    # a step reports the updated network's numbers on each part
    st = h.post(sid, "step", {})
    after = [{"W": u["W_after"], "b": u["b_after"]} for u in st["update"]]
    tr_loss, tr_acc = _numpy_metrics(after, X[train], Y[train], SPEC["activations"], SPEC["loss"])
    te_loss, te_acc = _numpy_metrics(after, X[test], Y[test], SPEC["activations"], SPEC["loss"])
    assert st["train_loss"] == pytest.approx(tr_loss, rel=1e-12)
    assert st["test_loss"] == pytest.approx(te_loss, rel=1e-12)
    assert (st["train_accuracy"], st["test_accuracy"]) == (tr_acc, te_acc)
    assert st["batch_size"] == 1


def test_regression_has_no_accuracy_and_no_test_part_no_test_numbers(h):
    s = h.create(layers=[2, 3, 1], dataset={"name": "plane", "n": 40, "test_fraction": 0.5})
    r = h.post(s["id"], "train", {"epochs": 1})
    assert r["train_accuracy"] is None and r["test_accuracy"] is None and r["accuracy"] is None
    assert r["test_loss"] is not None
    s = h.create(**SPEC, dataset={"name": "xor", "n": 20})
    r = h.post(s["id"], "train", {"epochs": 1})
    assert r["test_loss"] is None and r["test_accuracy"] is None and r["epoch_test_loss"] == []
    assert r["train_loss"] == r["dataset_loss"] and r["train_accuracy"] == r["accuracy"]
    st = h.post(h.create()["id"], "step", {"x": [1.0, 0.0], "y": [1.0]})   # no dataset
    assert st["train_loss"] is None and st["test_loss"] is None
    assert h.client.get(f"/api/sessions/{h.create()['id']}/metrics").status_code == 409


def test_mini_batch_is_the_mean_of_per_example_gradients(h):
    s = h.create(**SPEC, dataset={"name": "gauss", "n": 16, "seed": 2, "test_fraction": 0.25})
    sid = s["id"]
    data, train, _ = _split(h, sid)
    before = h.state(sid)["weights"]
    grads = []
    for i in train:                      # each training example's ∂L/∂w, by /backward
        g = h.post(sid, "backward", {"x": data["X"][i], "y": data["Y"][i]})["grads"]
        grads.append(np.concatenate([np.ravel(layer[k]) for layer in g
                                     for k in ("dL_dW", "dL_db")]))
    r = h.post(sid, "train", {"steps": 1, "batch_size": 100})
    assert r["batch_size"] == 12 and r["updates"] == 1 and r["epoch"] == 1
    expected = _flat(before) - 0.3 * np.mean(grads, axis=0)
    np.testing.assert_allclose(_flat(h.state(sid)["weights"]), expected, rtol=1e-12, atol=1e-15)


def test_patch_dataset_regenerates_seeded_and_keeps_the_weights(h):
    s = h.create(**SPEC, dataset={"name": "xor", "n": 40, "noise": 0.1, "seed": 1})
    sid = s["id"]
    for _ in range(3):
        h.post(sid, "step", {})
    X0 = h.client.get(f"/api/sessions/{sid}/dataset").json()["X"]
    r = h.client.patch(f"/api/sessions/{sid}", json={"dataset": {"noise": 0.3, "n": 60,
                                                                  "test_fraction": 0.5}})
    assert r.status_code == 200, r.text
    st = r.json()
    assert st["weights"] == h.export(sid)["weights"] and st["step"] == 3 and st["history"] == 3
    assert st["dataset"] | {"next_index": 0} == {
        "name": "xor", "label": "xor", "n": 60, "noise": 0.3, "seed": 1, "test_fraction": 0.5,
        "task": "classification", "next_index": 0, "n_train": 30, "n_test": 30}
    data = h.client.get(f"/api/sessions/{sid}/dataset").json()
    fresh = h.create(**SPEC, dataset={"name": "xor", "n": 60, "noise": 0.3, "seed": 1,
                                      "test_fraction": 0.5})
    fresh_data = h.client.get(f"/api/sessions/{fresh['id']}/dataset").json()
    assert data["X"] == fresh_data["X"] and data["split"] == fresh_data["split"]
    assert data["X"][:40] != X0
    assert st["dataset"]["next_index"] == fresh["dataset"]["next_index"]
    # a new name brings its own defaults (spiral keeps its n)
    st = h.client.patch(f"/api/sessions/{sid}", json={"dataset": {"name": "spiral"}}).json()
    assert (st["dataset"]["n"], st["dataset"]["noise"]) == (300, 0.02)
    assert st["dataset"]["test_fraction"] == 0.5
    # undo goes on working (a level's position past the new data restarts at 0)
    assert h.post(sid, "undo")["step"] == 2
    # bad changes: 422 naming the field, nothing changed
    lecture = h.create(preset="lecture")["id"]
    body = h.rejected(lecture, "PATCH", f"/api/sessions/{lecture}", 422, json={"dataset": {"n": 8}})
    field_named(body, "dataset.n")
    custom = h.create(dataset={"X": [[0, 0], [1, 1], [0, 1], [1, 0]], "Y": [[0], [0], [1], [1]]})
    body = h.rejected(custom["id"], "PATCH", f"/api/sessions/{custom['id']}", 422,
                      json={"dataset": {"noise": 0.2}})
    field_named(body, "dataset.noise")
    for bad, field in (({"test_fraction": 1}, "dataset.test_fraction"),
                       ({"name": "nope"}, "dataset.name"), ({"colour": 1}, "dataset.colour")):
        body = h.rejected(sid, "PATCH", f"/api/sessions/{sid}", 422, json={"dataset": bad})
        field_named(body, field)
    # user data can be re-split
    st = h.client.patch(f"/api/sessions/{custom['id']}", json={"dataset": {"test_fraction": 0.5}})
    assert st.json()["dataset"]["n_test"] == 2 and st.json()["dataset"]["name"] == "custom"
    no_data = h.create()["id"]
    assert h.client.patch(f"/api/sessions/{no_data}", json={"dataset": {"n": 10}}).status_code == 409


def test_the_split_survives_export_and_import_and_old_documents_load(h):
    s = h.create(**SPEC, dataset={"name": "circle", "n": 30, "seed": 9, "test_fraction": 0.4})
    sid = s["id"]
    h.post(sid, "train", {"steps": 5})
    doc = h.export(sid)
    _, _, test = _split(h, sid)
    assert doc["dataset"]["test_fraction"] == 0.4 and doc["dataset"]["test_indices"] == test
    r = h.client.post("/api/sessions/import", json=doc)
    assert r.status_code == 201, r.text
    copy = r.json()
    assert copy["dataset"] == h.state(sid)["dataset"]
    assert _split(h, copy["id"])[2] == test
    assert h.post(copy["id"], "step", {})["update"] == h.post(sid, "step", {})["update"]
    # a document from before the split: no test part
    old = {**doc, "dataset": {k: v for k, v in doc["dataset"].items()
                              if k not in ("test_fraction", "test_indices")}}
    old["dataset"]["cursor"] = 0
    r = h.client.post("/api/sessions/import", json=old)
    assert r.status_code == 201, r.text
    assert r.json()["dataset"]["n_test"] == 0 and r.json()["dataset"]["n_train"] == 30
    bad = {**doc, "dataset": {**doc["dataset"], "test_indices": [0, 0]}}
    r = h.client.post("/api/sessions/import", json=bad)
    assert r.status_code == 422
    field_named(r.json(), "dataset.test_indices")


def test_the_overfit_preset_overfits(h):
    """A wide 2-32-32-1 on 20 noisy training points: after 200 epochs (4 000 updates, well
    under a minute of the explorer's training) the training loss is far below the test
    loss, and the test loss has turned upward."""
    s = h.create(preset="overfit")
    assert s["dataset"]["n_train"] == 20 and s["dataset"]["n_test"] == 20
    r = h.post(s["id"], "train", {"epochs": 200})
    assert r["train_loss"] < 0.15 and r["test_loss"] > 0.9
    assert r["test_loss"] > 5 * r["train_loss"]
    assert r["test_loss"] > 1.5 * min(r["epoch_test_loss"])
    assert r["train_accuracy"] > r["test_accuracy"]


def test_split_schedule_and_regenerated_data_are_saved_in_sqlite(tmp_path):
    """What a restart reloads (sessions/sqlite.py keeps export_meta's network and dataset):
    the split, the schedule, data regenerated by PATCH, and the position after an undo past
    the regeneration."""
    from backprop_explorer.sessions import SessionStore
    from backprop_explorer.sessions.document import export_session
    from backprop_explorer.sessions.presets import resolve_network_spec
    from backprop_explorer.sessions.sqlite import SqliteSessions

    path = tmp_path / "sessions.db"
    store = SessionStore(backend=SqliteSessions(path))
    sid = store.create(resolve_network_spec({**SPEC, "dataset": {
        "name": "circle", "n": 30, "seed": 2, "test_fraction": 0.3}})).id

    with store.use(sid) as s:
        for _ in range(15):
            s.sgd_step()
        s.set_schedule({"name": "step_decay", "decay": 0.5, "every": 4})
    doc = reloaded(path, sid)
    assert doc == export_session(store.get(sid))
    assert len(doc["dataset"]["test_indices"]) == 9 and doc["dataset"]["cursor"] == 15
    assert doc["network"]["schedule"] == {"name": "step_decay", "decay": 0.5, "every": 4}
    with store.use(sid) as s:
        s.regenerate_dataset({"n": 10, "noise": 0.2})
    doc = reloaded(path, sid)
    assert doc == export_session(store.get(sid))
    assert doc["dataset"]["n"] == 10 and doc["dataset"]["cursor"] == 0
    with store.use(sid) as s:
        s.undo()                        # that level's cursor (14) is past the new 7 points
        assert s.dataset.cursor == 0 and s.step == 14
    assert reloaded(path, sid) == export_session(store.get(sid))


def test_a_step_on_a_big_dataset_leaves_the_per_part_numbers_to_metrics(h):
    from backprop_explorer.sessions.session import STEP_METRICS_WORK
    layers = [2, 64, 64, 1]                  # 4 417 parameters × 1 000 examples > the budget
    assert 1000 * (3 * 64 + 65 * 64 + 65) > STEP_METRICS_WORK
    sid = h.create(layers=layers, dataset={"name": "xor", "n": 1000, "test_fraction": 0.1})["id"]
    st = h.post(sid, "step", {})
    assert st["train_loss"] is None and st["test_accuracy"] is None
    m = h.client.get(f"/api/sessions/{sid}/metrics").json()
    assert m["n_test"] == 100 and m["train_loss"] > 0 and m["test_loss"] > 0
