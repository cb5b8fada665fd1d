"""422 for malformed or out-of-range input, always naming the field (loc and msg), and a
rejected call changes nothing (the session's state and whole exported document are
compared before and after every rejected call)."""
from __future__ import annotations

import pytest

from api_helpers import LECTURE_WEIGHTS, field_named

X2, Y1 = [1.0, 0.0], [1.0]

# (method, path suffix, body, field the error must name)
SESSION_CASES = [
    # wrong lengths
    ("POST", "/forward", {"x": [1.0]}, "x"),
    ("POST", "/forward", {"x": [1.0, 2.0, 3.0]}, "x"),
    ("POST", "/forward", {"x": X2, "y": [1.0, 2.0]}, "y"),
    ("POST", "/backward", {"x": [1.0], "y": Y1}, "x"),
    ("POST", "/backward", {"x": X2, "y": []}, "y"),
    ("POST", "/step", {"x": [], "y": Y1}, "x"),
    ("POST", "/gradcheck", {"x": X2, "y": [1.0, 1.0]}, "y"),
    ("POST", "/predict", {"X": [[1.0, 0.0], [1.0]]}, "X"),
    ("POST", "/predict", {"X": []}, "X"),
    # missing fields, wrong types, booleans where numbers are expected
    ("POST", "/forward", {}, "x"),
    ("POST", "/backward", {"x": X2}, "y"),
    ("POST", "/forward", {"x": [True, 0.0]}, "x"),
    ("POST", "/forward", {"x": X2, "y": [False]}, "y"),
    ("POST", "/forward", {"x": ["1", 0.0]}, "x"),
    ("POST", "/forward", {"x": 1.0}, "x"),
    ("POST", "/backward", {"x": X2, "y": [True]}, "y"),
    ("POST", "/step", {"x": X2, "y": Y1, "learning_rate": True}, "learning_rate"),
    ("POST", "/step", {"index": True}, "index"),
    ("POST", "/train", {"epochs": True}, "epochs"),
    ("POST", "/train", {"steps": 1.5}, "steps"),
    ("POST", "/predict", {"X": [[0.0, False]]}, "X"),
    ("POST", "/gradcheck", {"x": X2, "y": Y1, "epsilon": True}, "epsilon"),
    ("PUT", "/weights", {"weights": [{"W": [[True, 0.0], [0.0, 0.0]], "b": [0.0, 0.0]},
                                     LECTURE_WEIGHTS[1]]}, "weights.0.W"),
    # unknown fields are refused, not ignored
    ("POST", "/forward", {"x": X2, "z": [1.0]}, "z"),
    ("POST", "/step", {"x": X2, "y": Y1, "lr": 0.5}, "lr"),
    # out of range
    ("POST", "/forward", {"x": [1e301, 0.0]}, "x"),
    ("POST", "/step", {"x": X2, "y": Y1, "learning_rate": 0}, "learning_rate"),
    ("POST", "/step", {"x": X2, "y": Y1, "learning_rate": -0.1}, "learning_rate"),
    ("POST", "/step", {"x": X2, "y": Y1, "learning_rate": 1e300}, "learning_rate"),
    ("POST", "/step", {"index": 4}, "index"),
    ("POST", "/step", {"index": -1}, "index"),
    ("POST", "/step", {"index": 0, "x": X2, "y": Y1}, "index"),
    ("POST", "/train", {"epochs": 0}, "epochs"),
    ("POST", "/train", {"steps": -3}, "steps"),
    ("POST", "/train", {"epochs": 1, "batch_size": 0}, "batch_size"),
    ("POST", "/train", {"epochs": 1, "learning_rate": 0}, "learning_rate"),
    ("POST", "/gradcheck", {"x": X2, "y": Y1, "epsilon": 0}, "epsilon"),
    # step with x but no y (and the reverse)
    ("POST", "/step", {"x": X2}, "y"),
    ("POST", "/step", {"y": Y1}, "x"),
    # bad weights shapes
    ("PUT", "/weights", {"weights": [LECTURE_WEIGHTS[0]]}, "weights"),
    ("PUT", "/weights", {"weights": LECTURE_WEIGHTS + [LECTURE_WEIGHTS[1]]}, "weights"),
    ("PUT", "/weights", {"weights": [{"W": [[0.5, -0.4]], "b": [0.1, -0.2]},
                                     LECTURE_WEIGHTS[1]]}, "weights.0.W"),
    ("PUT", "/weights", {"weights": [LECTURE_WEIGHTS[0],
                                     {"W": [[0.7], [-0.6, 0.1]], "b": [0.2]}]}, "weights.1.W"),
    ("PUT", "/weights", {"weights": [{"W": [[0.5, -0.4], [0.3, 0.8]], "b": [0.1]},
                                     LECTURE_WEIGHTS[1]]}, "weights.0.b"),
    ("PUT", "/weights", {"weights": [{"W": [[0.5, -0.4], [0.3, 0.8]]},
                                     LECTURE_WEIGHTS[1]]}, "weights.0.b"),
    ("PUT", "/weights", {"weights": [{"W": [[0.5, -0.4, 1.0], [0.3, 0.8, 1.0]],
                                      "b": [0.1, -0.2, 0.0]}, LECTURE_WEIGHTS[1]]}, "weights.0"),
    ("PUT", "/weights", {}, "weights"),
    ("PUT", "/weights", {"weights": [{"W": [[1e301, 0.0], [0.0, 0.0]], "b": [0.0, 0.0]},
                                     LECTURE_WEIGHTS[1]]}, "weights.0.W"),
    # a train call over the work limit (updates × batch × parameters)
    ("POST", "/train", {"steps": 10_000_000}, "steps"),
]


@pytest.mark.parametrize("method,suffix,body,field", SESSION_CASES,
                         ids=[f"{m} {s} {b!r:.60}" for m, s, b, _ in SESSION_CASES])
def test_session_call_is_422_naming_the_field(h, method, suffix, body, field):
    sid = h.create(preset="lecture")["id"]
    h.post(sid, "step", {})                 # some history and position to protect
    resp = h.rejected(sid, method, f"/api/sessions/{sid}{suffix}", 422, json=body)
    err = field_named(resp, field)
    assert err["msg"]


def test_train_with_both_or_neither_of_epochs_and_steps(h):
    sid = h.create(preset="lecture")["id"]
    for body in ({"epochs": 1, "steps": 3}, {}, {"batch_size": 2}):
        resp = h.rejected(sid, "POST", f"/api/sessions/{sid}/train", 422, json=body)
        text = " ".join(e["msg"] for e in resp["detail"])
        assert "epochs" in text and "steps" in text, resp


def test_error_message_names_the_field_in_words(h):
    sid = h.create(preset="lecture")["id"]
    resp = h.rejected(sid, "POST", f"/api/sessions/{sid}/forward", 422, json={"x": [1.0]})
    err = field_named(resp, "x")
    assert "2" in err["msg"]                 # says how many numbers were expected


NONFINITE_BODIES = [
    ("POST", "/forward", b'{"x": [1e999, 0.0]}', "x"),
    ("POST", "/forward", b'{"x": [NaN, 0.0]}', "x"),
    ("POST", "/backward", b'{"x": [1.0, 0.0], "y": [-Infinity]}', "y"),
    ("POST", "/step", b'{"x": [1.0, 0.0], "y": [1.0], "learning_rate": 1e999}', "learning_rate"),
    ("POST", "/predict", b'{"X": [[0.0, 1e999]]}', "X"),
    ("PUT", "/weights", b'{"weights": [{"W": [[1e999, 0], [0, 0]], "b": [0, 0]},'
                        b' {"W": [[0], [0]], "b": [0]}]}', "weights.0.W"),
]


@pytest.mark.parametrize("method,suffix,content,field", NONFINITE_BODIES,
                         ids=[c.decode()[:50] for _, _, c, _ in NONFINITE_BODIES])
def test_non_finite_numbers_are_422(h, method, suffix, content, field):
    sid = h.create(preset="lecture")["id"]
    resp = h.rejected(sid, method, f"/api/sessions/{sid}{suffix}", 422, content=content)
    field_named(resp, field)


def test_malformed_json_is_422_and_changes_nothing(h):
    sid = h.create(preset="lecture")["id"]
    h.rejected(sid, "POST", f"/api/sessions/{sid}/forward", 422, content=b'{"x": [1.0, ')


# ----- create ---------------------------------------------------------------------------
CREATE_CASES = [
    ({"activations": ["swish", "linear"]}, "activations.0"),
    ({"activations": ["sigmoid", "gelu"]}, "activations.1"),
    ({"loss": "hinge"}, "loss"),
    ({"dataset": {"name": "banana"}}, "dataset.name"),
    ({"init": {"scheme": "glorot", "seed": 0}}, "init.scheme"),
    ({"init": {"scheme": "he", "seed": -1}}, "init.seed"),
    ({"preset": "nonsense"}, "preset"),
    # softmax on a hidden layer
    ({"layers": [2, 3, 2], "activations": ["softmax", "softmax"]}, "activations.0"),
    ({"layers": [2, 3, 2], "activations": ["softmax", "sigmoid"], "loss": "squared"},
     "activations.0"),
    # cross_entropy needs a sigmoid or softmax output
    ({"activations": ["sigmoid", "linear"], "loss": "cross_entropy"}, "loss"),
    ({"layers": [2, 3, 1], "activations": ["sigmoid", "tanh"], "loss": "cross_entropy"}, "loss"),
    ({"activations": ["sigmoid"]}, "activations"),
    ({"layers": [2, 2, 1], "activations": ["sigmoid", "sigmoid", "linear"]}, "activations"),
    # layers over the limits (max 10 layers, 1024 units, 200 000 parameters)
    ({"layers": [2] * 11}, "layers"),
    ({"layers": [2, 2000, 1]}, "layers.1"),
    ({"layers": [2, 1000, 1000, 1]}, "layers"),
    ({"layers": [2]}, "layers"),
    ({"layers": [2, 0, 1]}, "layers.1"),
    ({"layers": [2, 2.5, 1]}, "layers.1"),
    ({"layers": [2, True, 1]}, "layers.1"),
    # numbers
    ({"learning_rate": True}, "learning_rate"),
    ({"learning_rate": "0.1"}, "learning_rate"),
    ({"learning_rate": 0}, "learning_rate"),
    ({"l2": -0.1}, "l2"),
    ({"l2": False}, "l2"),
    # bad weights shape
    ({"weights": [LECTURE_WEIGHTS[0]]}, "weights"),
    ({"weights": [{"W": [[0.5], [0.3]], "b": [0.1]}, LECTURE_WEIGHTS[1]]}, "weights.0"),
    ({"layers": [3, 2, 1], "weights": LECTURE_WEIGHTS}, "weights.0.W"),
    ({"weights": [{"W": [[0.5, -0.4], [0.3, 0.8]], "b": [0.1, True]}, LECTURE_WEIGHTS[1]]},
     "weights.0.b"),
    # datasets
    ({"dataset": {"X": [[0.0, 1.0], [1.0, 0.0]], "Y": [[1.0]]}}, "dataset.Y"),
    ({"dataset": {"X": [[0.0, 1.0, 2.0]], "Y": [[1.0]]}}, "dataset.X"),
    ({"dataset": {"X": [[0.0, 1.0]], "Y": [[1.0, 0.0]]}}, "dataset.Y"),
    ({"dataset": {"X": [[0.0, 1.0]]}}, "dataset"),
    ({"dataset": {"name": "xor", "n": 10 ** 6}}, "dataset.n"),
    ({"dataset": {"name": "xor", "noise": -1}}, "dataset.noise"),
    ({"dataset": {"name": "xor", "n": 2}}, "dataset.n"),
    ({"layers": [3, 2, 1], "dataset": {"name": "xor"}}, "dataset"),
    ({"layers": [2, 2, 1], "activations": ["tanh", "sigmoid"], "loss": "cross_entropy",
      "dataset": {"X": [[0.0, 1.0]], "Y": [[2.0]]}}, "dataset.Y"),
    # unknown top-level field
    ({"layer": [2, 2, 1]}, "layer"),
]


@pytest.mark.parametrize("spec,field", CREATE_CASES, ids=[f"{s!r:.70}" for s, _ in CREATE_CASES])
def test_create_is_422_naming_the_field(api, spec, field):
    count = api.get("/api/health").json()["sessions"]
    r = api.post("/api/sessions", json=spec)
    assert r.status_code == 422, r.text
    field_named(r.json(), field)
    assert api.get("/api/health").json()["sessions"] == count      # nothing was created


def test_cross_entropy_targets_outside_0_1_are_422(h):
    sid = h.create(layers=[2, 2, 1], activations=["tanh", "sigmoid"], loss="cross_entropy")["id"]
    for action in ("forward", "backward", "step", "gradcheck"):
        resp = h.rejected(sid, "POST", f"/api/sessions/{sid}/{action}", 422,
                          json={"x": X2, "y": [1.5]})
        field_named(resp, "y")


@pytest.mark.parametrize("content,field", [
    (b'{"learning_rate": NaN}', "learning_rate"),
    (b'{"weights": [{"W": [[1e999, 0], [0, 0]], "b": [0, 0]}, {"W": [[0], [0]], "b": [0]}]}',
     "weights.0.W"),
    (b'{"dataset": {"X": [[0.0, Infinity]], "Y": [[1.0]]}}', "dataset.X"),
])
def test_create_with_non_finite_numbers_is_422(api, content, field):
    count = api.get("/api/health").json()["sessions"]
    r = api.post("/api/sessions", content=content, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    field_named(r.json(), field)
    assert api.get("/api/health").json()["sessions"] == count


@pytest.mark.parametrize("content", [b"[]", b'"x"', b"null"])
def test_body_that_is_not_an_object_is_422(h, content):
    sid = h.create(preset="lecture")["id"]
    h.rejected(sid, "POST", f"/api/sessions/{sid}/forward", 422, content=content)
