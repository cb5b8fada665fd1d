"""One engine, one contract (issue 10): every route gives the same numbers for the same
example, and no route can store a non-finite weight.

Routes on one network go through one dispatcher (engine/dispatch.py), so they run the same
code and agree exactly; they are compared here to rtol 1e-12 (well above float64 rounding,
~1e-16 per operation, and far below any real error) rather than bit for bit, so the test
states what it means and holds on any CPU and on either path. `make test` runs this module
with the compiled path on and, under BPE_COMPILED=0, off.
"""
from __future__ import annotations

import numpy as np
import pytest
from api_helpers import Api
from fastapi.testclient import TestClient

from backprop_explorer.api.app import create_app
from backprop_explorer.api.config import Settings
from backprop_explorer.engine import ACTIVATIONS, LOSSES, dispatch

RTOL = 1e-12


def close(a, b, what: str) -> None:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0), 1e-300)
    # relative to each array's own scale: a gradient entry that cancels to ~0 is compared
    # at the precision its neighbours were computed with
    assert np.allclose(a, b, rtol=RTOL, atol=RTOL * scale), f"{what}: {a} vs {b}"


@pytest.fixture(scope="module")
def shared(module_store):
    """One app for the 600 cases, on the store under test (BPE_TEST_STORE: conftest.py)."""
    settings = Settings(memory=True, demo_session=False)
    app = create_app(settings, module_store)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client)


def _cases():
    """50 random networks × every activation × every loss (with an output it allows)."""
    out = []
    for seed in range(50):
        for act_name, act in ACTIVATIONS.items():
            for loss_name, loss in LOSSES.items():
                allowed = loss.output_activations or [a for a in ACTIVATIONS]
                if act.output_only and act_name not in allowed:
                    continue
                out.append((seed, act_name, loss_name))
    return out


CASES = _cases()


def _network(seed: int, act: str, loss: str) -> dict:
    rng = np.random.default_rng(seed * 7919 + sum(map(ord, act + loss)))
    depth = int(rng.integers(1, 4))
    sizes = [int(rng.integers(1, 5))] + [int(rng.integers(1, 6)) for _ in range(depth)]
    allowed = LOSSES[loss].output_activations
    if ACTIVATIONS[act].output_only:
        hidden, out_act = [str(rng.choice([a for a, v in ACTIVATIONS.items()
                                           if not v.output_only]))] * depth, act
    else:
        hidden = [act] * depth
        out_act = act if allowed is None or act in allowed else str(rng.choice(list(allowed)))
    n_out = int(rng.integers(2, 4)) if out_act == "softmax" else int(rng.integers(1, 3))
    sizes.append(n_out)
    weights = [{"W": rng.normal(0, 0.8, (i, o)).tolist(), "b": rng.normal(0, 0.3, o).tolist()}
               for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    x = rng.normal(0, 1.5, sizes[0]).tolist()
    if loss == "cross_entropy" and out_act == "softmax":
        y = np.eye(n_out)[int(rng.integers(n_out))].tolist()
    elif loss == "cross_entropy":
        y = rng.integers(0, 2, n_out).astype(float).tolist()
    else:
        y = rng.normal(0, 1, n_out).tolist()
    return {"spec": {"layers": sizes, "activations": hidden + [out_act], "loss": loss,
                     "learning_rate": 0.1, "weights": weights,
                     "dataset": {"X": [x], "Y": [y]}},
            "x": x, "y": y}


@pytest.mark.parametrize(("seed", "act", "loss"), CASES,
                         ids=[f"{a}-{lo}-{s}" for s, a, lo in CASES])
def test_every_route_gives_the_same_numbers(shared, seed, act, loss):
    h = shared
    net = _network(seed, act, loss)
    x, y = net["x"], net["y"]
    sid = h.create(**net["spec"])["id"]
    fwd = h.post(sid, "forward", {"x": x, "y": y})
    bwd = h.post(sid, "backward", {"x": x, "y": y})
    predicted = h.post(sid, "predict", {"X": [x]})["Y"][0]
    step = h.post(sid, "step", {"x": x, "y": y})
    for name, other in (("backward", bwd["forward"]), ("step", step["forward"])):
        for k, (mine, theirs) in enumerate(zip(fwd["layers"], other["layers"], strict=True)):
            close(mine["s"], theirs["s"], f"{name} s of layer {k}")
            close(mine["a"], theirs["a"], f"{name} a of layer {k}")
        close(fwd["loss"], other["loss"], f"{name} loss")
    close(predicted, fwd["output"], "predict vs forward output")
    for k, (g, gs) in enumerate(zip(bwd["grads"], step["grads"], strict=True)):
        for key in ("dL_da", "dL_ds", "dL_dW", "dL_db"):
            close(g[key], gs[key], f"step {key} of layer {k}")
        assert (g["da_ds"] is None) == (gs["da_ds"] is None)
    # the update is w − γ·∂L/∂w with the gradient /backward reported
    for u, g in zip(step["update"], bwd["grads"], strict=True):
        close(u["W_after"], np.asarray(u["W_before"]) - 0.1 * np.asarray(g["dL_dW"]), "W_after")
    # /train, one step at batch size 1 on the same (only) example, from the same weights
    h.post(sid, "undo")
    trained = h.post(sid, "train", {"steps": 1})
    close(trained["loss"][0], bwd["loss"], "train loss")
    after = h.state(sid)["weights"]
    for k, (u, w) in enumerate(zip(step["update"], after, strict=True)):
        close(u["W_after"], w["W"], f"train W of layer {k}")
        close(u["b_after"], w["b"], f"train b of layer {k}")
    h.client.delete(f"/api/sessions/{sid}")


def test_both_paths_are_covered_by_this_run():
    """Says which path this run exercises (make test runs both); fails if the setting is
    ignored."""
    import os
    small = dispatch.Architecture((2, 2, 1), ("sigmoid", "linear"))
    off = (os.environ.get("BPE_COMPILED", "1").lower() in ("0", "false", "no", "off")
           or os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"))   # kernels as Python
    assert dispatch.uses_compiled(small) is (not off)


# ---- all or nothing: no route stores a non-finite weight ------------------------------

DIVERGING = {"layers": [1, 1, 1], "activations": ["linear", "linear"], "learning_rate": 0.5,
             "weights": [{"W": [[2.0]], "b": [0.0]}, {"W": [[2.0]], "b": [0.0]}],
             "dataset": {"X": [[1000.0]], "Y": [[0.0]]}}
TWO_ROWS = {**DIVERGING, "dataset": {"X": [[1000.0], [900.0]], "Y": [[0.0], [1.0]]}}


def _refused_unchanged(h, sid: str, body: dict) -> dict:
    before = h.export(sid)
    r = h.client.post(f"/api/sessions/{sid}/train", json=body)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"][-1] == "learning_rate"
    assert "diverges" in detail["msg"] and "update" in detail["msg"]
    assert h.export(sid) == before          # weights, step, epoch, position, undo levels
    return detail


def test_the_reported_contract_break_is_refused(h):
    sid = h.create(**DIVERGING)["id"]
    assert h.post(sid, "step", {})["step"] == 1
    assert h.post(sid, "step", {})["step"] == 2
    r = h.client.post(f"/api/sessions/{sid}/step", json={})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "learning_rate"
    h.post(sid, "undo")
    h.post(sid, "undo")                     # back to the start: /train must refuse the same
    detail = _refused_unchanged(h, sid, {"steps": 3})
    assert "update 3" in detail["msg"]      # names the update that diverged


@pytest.mark.parametrize("body", [{"steps": 3, "batch_size": 2}, {"epochs": 3, "batch_size": 2},
                                  {"epochs": 5}, {"steps": 50}],
                         ids=["steps-batch2", "epochs-batch2", "epochs", "steps"])
def test_train_refuses_every_diverging_form(h, body):
    sid = h.create(**TWO_ROWS)["id"]
    _refused_unchanged(h, sid, body)


def test_a_train_that_stays_finite_returns_numbers_only(h):
    sid = h.create(**{**TWO_ROWS, "learning_rate": 1e-7})["id"]
    out = h.post(sid, "train", {"epochs": 3})
    values = out["loss"] + out["epoch_loss"] + [out["dataset_loss"]]
    assert all(isinstance(v, float) and np.isfinite(v) for v in values)
    assert out["updates"] == 6 and out["step"] == 6


@pytest.mark.parametrize("route", ["forward", "backward", "step"])
def test_an_overflowing_target_is_reported_on_y_and_an_overflowing_x_on_x(h, route):
    sid = h.create(preset="lecture")["id"]
    before = h.export(sid)
    r = h.client.post(f"/api/sessions/{sid}/{route}", json={"x": [1, 0.5], "y": [1e300]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "y"]
    big = [{"W": [[1e10, 1e10], [1e10, 1e10]], "b": [0, 0]}, {"W": [[1], [1]], "b": [0]}]
    linear = h.create(layers=[2, 2, 1], activations=["linear", "linear"], weights=big)["id"]
    r = h.client.post(f"/api/sessions/{linear}/{route}", json={"x": [1e300, 1e300], "y": [0]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "x"]
    assert h.export(sid) == before
