"""GET export / POST import: a versioned document; the imported session behaves identically."""
from __future__ import annotations

import pytest

from api_helpers import LECTURE_WEIGHTS


def _used_session(api, h):  # noqa: ARG001
    sid = h.create(layers=[2, 3, 1], activations=["tanh", "sigmoid"], loss="cross_entropy",
                   l2=0.01, learning_rate=0.4, init={"scheme": "he", "seed": 11},
                   dataset={"name": "circle", "n": 10, "noise": 0.05, "seed": 6})["id"]
    for _ in range(13):                           # into the second epoch
        h.post(sid, "step", {})
    h.post(sid, "step", {"x": [0.5, 0.5], "y": [1.0]})
    h.post(sid, "train", {"steps": 4, "batch_size": 3})
    return sid


def test_export_document(api, h):
    sid = _used_session(api, h)
    doc = h.export(sid)
    assert doc["format"] == "backprop-explorer-session" and doc["version"] == 1
    state = h.state(sid)
    assert doc["network"] == state["network"]
    assert doc["weights"] == state["weights"]
    assert doc["step"] == state["step"] == 18 and doc["epoch"] == state["epoch"]


def test_import_round_trip_behaves_identically(api, h):
    sid = _used_session(api, h)
    doc = h.export(sid)
    r = api.post("/api/sessions/import", json=doc)
    assert r.status_code == 201, r.text
    imported = r.json()
    assert imported["id"] != sid
    original = h.state(sid)
    for key in ("network", "weights", "step", "epoch", "dataset", "history"):
        assert imported[key] == original[key], key
    new = imported["id"]
    assert api.get(f"/api/sessions/{new}/dataset").json() == \
        api.get(f"/api/sessions/{sid}/dataset").json()
    assert h.export(new) == doc

    # the same next steps: dataset examples in the same shuffled order, same numbers
    for _ in range(12):
        a, b = h.post(sid, "step", {}), h.post(new, "step", {})
        assert a == b
    assert h.post(sid, "train", {"epochs": 2}) == h.post(new, "train", {"epochs": 2})
    # and the same undo history
    for _ in range(5):
        a, b = h.post(sid, "undo"), h.post(new, "undo")
        assert {k: v for k, v in a.items() if k != "id"} == {k: v for k, v in b.items() if k != "id"}


def test_import_of_a_session_without_dataset(api, h):
    sid = h.create(weights=LECTURE_WEIGHTS)["id"]
    doc = h.export(sid)
    assert doc["dataset"] is None
    new = api.post("/api/sessions/import", json=doc).json()
    assert new["weights"] == LECTURE_WEIGHTS and new["dataset"] is None
    body = {"x": [0.3, 0.9], "y": [0.0]}
    assert h.post(new["id"], "step", body) == h.post(sid, "step", body)


@pytest.mark.parametrize("change,field", [
    (lambda d: d.update(format="something-else"), "format"),
    (lambda d: d.update(version=2), "version"),
    (lambda d: d["weights"][0].update(b=[0.0]), "weights"),
    (lambda d: d.update(step=-1), "step"),
    (lambda d: d["network"].update(activations=["softmax", "linear"]), "activations"),
    (lambda d: d["network"].update(layers=[2, 3, 1]), "weights"),
    (lambda d: d.update(history=[{"weights": [d["weights"][0]], "step": 0, "epoch": 0}]),
     "history"),
    (lambda d: d.update(dataset={"X": [[0.0, 1.0]], "Y": [[1.0], [0.0]], "cursor": 0}),
     "dataset"),
    (lambda d: d.update(dataset={"X": [[0.0, 1.0]], "Y": [[1.0]], "cursor": 5}), "cursor"),
])
def test_import_rejects_bad_documents(api, h, change, field):
    from api_helpers import field_named
    sid = h.create(weights=LECTURE_WEIGHTS)["id"]
    doc = h.export(sid)
    change(doc)
    count = api.get("/api/health").json()["sessions"]
    r = api.post("/api/sessions/import", json=doc)
    assert r.status_code == 422, r.text
    err = r.json()["detail"][0]
    assert field in ".".join(str(p) for p in err["loc"]) or field in err["msg"]
    assert api.get("/api/health").json()["sessions"] == count
