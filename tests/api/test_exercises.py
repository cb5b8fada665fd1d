"""Exercises (issue 14): every blank's expected value is the engine's own trace, every
classic mistake is diagnosed by its code (the mistaken answers are computed here, from the
trace), right answers never get a diagnosis, and no value shows before it is answered."""
from __future__ import annotations

import httpx
import numpy as np
import pytest

from api_helpers import LECTURE_WEIGHTS
from backprop_explorer.exercises import CODES

TANH_2331 = {"layers": [2, 3, 3, 1], "activations": ["tanh", "tanh", "linear"],
             "learning_rate": 0.3,
             "weights": [{"W": [[0.5, -0.4, 0.2], [0.3, 0.8, -0.7]], "b": [0.1, -0.2, 0.05]},
                         {"W": [[0.6, -0.3, 0.4], [-0.5, 0.2, 0.9], [0.3, 0.7, -0.2]],
                          "b": [0.0, 0.1, -0.1]},
                         {"W": [[0.7], [-0.6], [0.5]], "b": [0.2]}]}
LECTURE = {"layers": [2, 2, 1], "activations": ["sigmoid", "linear"], "learning_rate": 0.5,
           "weights": LECTURE_WEIGHTS}
X, Y = [1.0, 0.5], [1.0]


def trace_value(trace: dict, b: dict) -> float:
    q, k = b["quantity"], b["layer"]
    if q == "loss":
        return trace["loss"]
    if q in ("s", "a"):
        return trace["forward"]["layers"][k][q][b["unit"]]
    g = trace["grads"][k]
    if q == "dL_dW":
        return g["dL_dW"][b["i"]][b["j"]]
    if q == "W_after":
        return trace["update"][k]["W_after"][b["i"]][b["j"]]
    if q == "b_after":
        return trace["update"][k]["b_after"][b["unit"]]
    return g[q][b["unit"]]


def setup(h, spec, x=X, y=Y, **body):
    sid = h.create(**spec)["id"]
    ex = h.client.post(f"/api/sessions/{sid}/exercises", json={"x": x, "y": y, **body})
    assert ex.status_code == 201, ex.text
    trace = h.post(sid, "step", {"x": x, "y": y})
    h.post(sid, "undo")
    return sid, ex.json(), trace


def answer(h, ex, blank, value):
    r = h.client.post(f"/api/exercises/{ex['id']}/answers",
                      json={"answers": [{"blank": blank, "value": value}]})
    assert r.status_code == 200, r.text
    return r.json()["results"][0]


def find(ex, quantity, layer=None, **idx):
    for b in ex["blanks"]:
        if b["quantity"] == quantity and (layer is None or b["layer"] == layer) and \
                all(b.get(k) == v for k, v in idx.items()):
            return b
    raise AssertionError(f"no blank {quantity} {layer} {idx}")


@pytest.mark.parametrize("spec", [LECTURE, TANH_2331], ids=["lecture-2-2-1", "tanh-2-3-3-1"])
def test_every_blank_is_the_trace_and_right_answers_are_right(h, spec):
    sid, ex, trace = setup(h, spec)
    depth = len(spec["layers"]) - 1
    units, weights = sum(spec["layers"][1:]), sum(i * o for i, o in zip(spec["layers"], spec["layers"][1:]))
    assert len(ex["blanks"]) == 2 * units + 1 + 3 * units + weights + weights + units
    assert [b["blank"] for b in ex["blanks"]] == list(range(len(ex["blanks"])))
    # the order backprop computes: forward bottom-up, L, backward top-down, then the update
    order = [b["quantity"] for b in ex["blanks"]]
    assert order.index("loss") > max(i for i, q in enumerate(order) if q in ("s", "a"))
    backward_layers = [b["layer"] for b in ex["blanks"] if b["quantity"] in ("dL_ds", "dL_dW")]
    assert backward_layers == sorted(backward_layers, reverse=True) and backward_layers[0] == depth - 1
    assert all(b["expected"] is None for b in ex["blanks"])
    r = h.client.post(f"/api/exercises/{ex['id']}/answers", json={"answers": [
        {"blank": b["blank"], "value": trace_value(trace, b)} for b in ex["blanks"]]})
    assert r.status_code == 200
    out = r.json()
    assert out["score"] == {"answered": len(ex["blanks"]), "correct": len(ex["blanks"]),
                            "total": len(ex["blanks"])}
    for b, res in zip(ex["blanks"], out["results"], strict=True):
        assert res["correct"] and res["diagnosis"] is None
        assert res["expected"] == pytest.approx(trace_value(trace, b), rel=1e-12, abs=1e-15)
    assert h.client.get(f"/api/sessions/{sid}").json()["step"] == 0     # session untouched


def test_lecture_labels(h):
    _, ex, _ = setup(h, LECTURE)
    labels = [b["label"] for b in ex["blanks"]]
    for label in ("s_1^h", "z2", "y", "L", "∂L/∂y", "δ^o", "δ_2^h", "∂L/∂w_22^h", "∂L/∂w_01^o",
                  "new w_22^h"):
        assert label in labels


def test_tolerance(h):
    _, ex, trace = setup(h, LECTURE)
    b = find(ex, "dL_dW", 0, i=1, j=1)           # ∂L/∂w_22^h
    v = trace_value(trace, b)
    assert not answer(h, ex, b["blank"], v * 1.02)["correct"]
    assert answer(h, ex, b["blank"], v * 1.005)["correct"]     # within the default 1 %
    small = find(ex, "dL_db", 0, unit=0)
    tight = h.client.post(f"/api/sessions/{ex['session_id']}/exercises",
                          json={"x": X, "y": Y, "rtol": 1e-6, "atol": 1e-9}).json()
    v = trace_value(trace, small)
    assert not answer(h, tight, small["blank"], v * 1.001)["correct"]
    assert answer(h, tight, small["blank"], v * (1 + 1e-7))["correct"]


def mistaken_answers(trace, spec, x, y):
    """(code, quantity, layer, index, the mistaken value), each computed from the trace."""
    f, g, u = trace["forward"]["layers"], trace["grads"], trace["update"]
    lr = spec["learning_rate"]
    W = [np.array(w["W"]) for w in spec["weights"]]
    top = len(g) - 1
    s0, a0 = np.array(f[0]["s"]), np.array(f[0]["a"])
    d1 = np.array(g[1]["dL_ds"])
    W1_after = np.array(u[1]["W_after"])
    da0 = g[0]["dL_da"][2]
    return [
        ("sign_flipped", "dL_dW", 0, {"i": 0, "j": 0}, -g[0]["dL_dW"][0][0]),
        ("missing_activation_derivative", "dL_ds", 0, {"unit": 2}, da0),
        ("derivative_of_wrong_value", "dL_ds", 0, {"unit": 2}, da0 * (1 - np.tanh(a0[2]) ** 2)),
        ("used_s_instead_of_a", "dL_dW", 1, {"i": 2, "j": 1}, s0[2] * d1[1]),
        ("missing_sum_over_units", "dL_da", 0, {"unit": 2}, W[1][2][0] * d1[0]),
        ("used_updated_weight", "dL_da", 0, {"unit": 2}, float(W1_after[2] @ d1)),
        ("update_sign", "W_after", 0, {"i": 1, "j": 2},
         W[0][1][2] + lr * g[0]["dL_dW"][1][2]),
        ("missing_learning_rate", "W_after", 0, {"i": 1, "j": 2}, W[0][1][2] - g[0]["dL_dW"][1][2]),
        ("missing_input_factor", "dL_dW", 0, {"i": 1, "j": 2}, g[0]["dL_ds"][2]),
        ("bias_input_not_one", "dL_db", 0, {"unit": 2}, x[0] * g[0]["dL_ds"][2]),
        ("loss_factor_half", "dL_da", top, {"unit": 0}, 2 * (f[top]["a"][0] - y[0])),
    ]


def test_every_classic_mistake_is_named(h):
    # an example with a large error and γ = 0.5, so that every mistake moves the value by far
    # more than the 1 % tolerance (backprop through updated weights differs by ~γ·δ²)
    spec, x, y = {**TANH_2331, "learning_rate": 0.5}, [1.5, -1.0], [3.0]
    _, ex, trace = setup(h, spec, x, y)
    cases = mistaken_answers(trace, spec, x, y)
    assert {c[0] for c in cases} == set(CODES)
    for code, quantity, layer, idx, wrong in cases:
        b = find(ex, quantity, layer, **idx)
        assert abs(wrong - trace_value(trace, b)) > 0.05 * abs(trace_value(trace, b)), code
        res = answer(h, ex, b["blank"], wrong)
        assert not res["correct"], code
        assert res["diagnosis"] is not None and res["diagnosis"]["code"] == code, (code, res)
        assert b["label"] in res["diagnosis"]["message"] or code in ("loss_factor_half",), res
        assert "\n" not in res["diagnosis"]["message"]
    # a wrong answer no mistake explains gets no diagnosis, and the right one never does
    b = find(ex, "dL_dW", 0, i=0, j=1)
    assert answer(h, ex, b["blank"], 12345.0)["diagnosis"] is None
    res = answer(h, ex, b["blank"], trace_value(trace, b))
    assert res["correct"] and res["diagnosis"] is None


def test_lecture_mistake_on_dl_dw22(h):
    """The lecture's ∂L/∂w_22^h = ∂L/∂y · w_21^o · z2(1 − z2) · x2 with z2(1 − z2) left out."""
    _, ex, trace = setup(h, LECTURE)
    b = find(ex, "dL_dW", 0, i=1, j=1)
    dL_dy, w21o, x2 = trace["grads"][1]["dL_da"][0], -0.6, X[1]
    res = answer(h, ex, b["blank"], dL_dy * w21o * x2)
    assert res["diagnosis"]["code"] == "missing_activation_derivative"
    assert "z2(1 − z2)" in res["diagnosis"]["message"]
    assert res["expected"] is None and res["tries"] == 1        # not settled after one try
    res = answer(h, ex, b["blank"], 0.0)
    assert res["expected"] == pytest.approx(trace_value(trace, b))  # settled after two


def _numbers(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _numbers(v, path + (k,))
    elif isinstance(obj, list):
        for v in obj:
            yield from _numbers(v, path)
    elif isinstance(obj, float):
        yield path, obj


def test_no_response_shows_a_value_before_it_is_answered(h):
    sid, ex, trace = setup(h, TANH_2331)
    expected = {b["blank"]: trace_value(trace, b) for b in ex["blanks"]}
    given = {"example", "weights", "network", "rtol", "atol"}   # the problem as stated
    bodies = [ex, h.client.get(f"/api/exercises/{ex['id']}").json()]
    first = ex["blanks"][5]["blank"]
    bodies.append(h.client.post(f"/api/exercises/{ex['id']}/answers",
                                json={"answers": [{"blank": first, "value": 999.0}]}).json())
    bodies.append(h.client.get(f"/api/exercises/{ex['id']}").json())
    hidden = {k: v for k, v in expected.items() if k != first}
    for body in bodies:
        for path, v in _numbers(body):
            if path and path[0] in given:
                continue
            if path[-1:] == ("answers",):
                continue                                   # the student's own answer
            for k, e in hidden.items():
                assert not (e != 0 and abs(v - e) <= 1e-12 * abs(e)), (path, v, k)
    revealed = h.client.post(f"/api/exercises/{ex['id']}/reveal", json={"blank": 7}).json()
    assert revealed["results"][0]["expected"] == pytest.approx(expected[7])


def test_modes_one_weight_backward_only_and_sign(h):
    sid = h.create(**LECTURE)["id"]
    one = h.client.post(f"/api/sessions/{sid}/exercises",
                        json={"x": X, "y": Y, "weight": {"layer": 0, "i": 1, "j": 1}}).json()
    assert [b["label"] for b in one["blanks"]] == [
        "∂L/∂y", "∂y/∂s^o", "δ^o", "∂L/∂z2", "∂z2/∂s_2^h", "δ_2^h", "∂L/∂w_22^h"]
    back = h.client.post(f"/api/sessions/{sid}/exercises",
                         json={"x": X, "y": Y, "quantities": ["dL_da", "dL_ds", "dL_dW", "dL_db"]}).json()
    assert {b["quantity"] for b in back["blanks"]} == {"dL_da", "dL_ds", "dL_dW", "dL_db"}
    sign = h.client.post(f"/api/sessions/{sid}/exercises",
                         json={"x": X, "y": Y, "kind": "sign"}).json()
    b = find(sign, "dL_da", 1)
    trace = h.post(sid, "backward", {"x": X, "y": Y})
    truth = trace["grads"][1]["dL_da"][0]
    assert answer(h, sign, b["blank"], 1.0 if truth > 0 else -1.0)["correct"]
    assert not answer(h, sign, b["blank"], -1.0 if truth > 0 else 1.0)["correct"]


def test_errors(h):
    sid, ex, _ = setup(h, LECTURE)
    assert h.client.get("/api/exercises/nope").status_code == 404
    assert h.client.post("/api/exercises/nope/answers",
                         json={"answers": [{"blank": 0, "value": 1.0}]}).status_code == 404
    r = h.client.post(f"/api/exercises/{ex['id']}/answers",
                      json={"answers": [{"blank": 999, "value": 1.0}]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "blank"
    r = h.client.post(f"/api/exercises/{ex['id']}/answers",
                      content=b'{"answers": [{"blank": 0, "value": 1e999}]}',
                      headers={"content-type": "application/json"})
    assert r.status_code == 422 and "value" in r.json()["detail"][0]["loc"]
    r = h.client.post(f"/api/exercises/{ex['id']}/reveal", json={"blank": -1})
    assert r.status_code == 422
    r = h.client.post(f"/api/sessions/{sid}/exercises", json={"weight": {"layer": 5, "i": 0, "j": 0}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "layer"
    assert h.client.get(f"/api/exercises/{ex['id']}").json()["score"]["answered"] == 0
    h.client.delete(f"/api/sessions/{sid}")
    assert h.client.get(f"/api/exercises/{ex['id']}").status_code == 404    # deleted with it


def test_next_example_and_seeded_problems(h):
    sid = h.create(preset="lecture")["id"]
    state = h.state(sid)
    ex = h.client.post(f"/api/sessions/{sid}/exercises", json={}).json()
    ds = h.client.get(f"/api/sessions/{sid}/dataset").json()
    k = state["dataset"]["next_index"]
    assert ex["example"] == {"x": ds["X"][k], "y": ds["Y"][k]}
    assert h.state(sid) == state                         # the session is not changed
    a = h.client.post(f"/api/sessions/{sid}/exercises", json={"seed": 17}).json()
    b = h.client.post(f"/api/sessions/{sid}/exercises", json={"seed": 17}).json()
    c = h.client.post(f"/api/sessions/{sid}/exercises", json={"seed": 18}).json()
    assert a["weights"] == b["weights"] and a["example"] == b["example"] and a["seed"] == 17
    assert a["weights"] != c["weights"]
    flat = [v for layer in a["weights"] for row in layer["W"] for v in row] + \
        [v for layer in a["weights"] for v in layer["b"]]
    assert all(round(v * 10) == v * 10 and v != 0 for v in flat)     # round tenths


def test_seeds_agree_across_two_server_processes(make_server, live_server):
    problems = []
    # the shared server (with its demo session) and a fresh one without: two processes
    for url in (live_server, make_server("--memory", "--no-demo").start().url):
        with httpx.Client(base_url=url) as c:
            sid = c.post("/api/sessions", json={"layers": [2, 3, 1]}).json()["id"]
            ex = c.post(f"/api/sessions/{sid}/exercises", json={"seed": 17}).json()
            problems.append((ex["weights"], ex["example"], [b["label"] for b in ex["blanks"]]))
            assert c.delete(f"/api/sessions/{sid}").status_code == 204
    assert problems[0] == problems[1]


def test_exercises_survive_a_restart(make_server, tmp_path):
    server = make_server("--data-dir", str(tmp_path), "--no-demo").start()
    with httpx.Client(base_url=server.url) as c:
        sid = c.post("/api/sessions", json=LECTURE).json()["id"]
        ex = c.post(f"/api/sessions/{sid}/exercises", json={"x": X, "y": Y}).json()
        c.post(f"/api/exercises/{ex['id']}/answers", json={"answers": [{"blank": 0, "value": 0.3}]})
    server.stop()
    server = make_server("--data-dir", str(tmp_path), "--no-demo").start()
    with httpx.Client(base_url=server.url) as c:
        back = c.get(f"/api/exercises/{ex['id']}").json()
        assert back["blanks"][0]["answers"] == [0.3] and back["score"]["answered"] == 1
        assert c.delete(f"/api/sessions/{sid}").status_code == 204
        assert c.get(f"/api/exercises/{ex['id']}").status_code == 404
    server.stop()
