"""Issue 13: the learning-rate schedule γ_t (engine/schedule.py) — hand formulas, t and undo,
/train applying γ_t per update (per example and mini-batch), strict 422s, /meta, export."""
from __future__ import annotations

import numpy as np
import pytest

from api_helpers import field_named


def _flat(weights):
    return np.concatenate([np.ravel(layer[k]) for layer in weights for k in ("W", "b")])


def test_inverse_time_gamma_t_matches_the_hand_formula_and_undo_restores_t(h):
    sid = h.create(preset="lecture")["id"]
    r = h.client.patch(f"/api/sessions/{sid}", json={"schedule": {"name": "inverse_time",
                                                                   "k": 0.1}})
    assert r.json()["network"]["schedule"] == {"name": "inverse_time", "k": 0.1}
    traces = [h.post(sid, "step", {}) for _ in range(3)]
    for t, st in enumerate(traces):
        gamma = 0.5 / (1 + 0.1 * t)
        assert st["t"] == t and st["learning_rate"] == pytest.approx(gamma, rel=1e-15)
        for u, g in zip(st["update"], st["grads"], strict=True):   # w ← w − γ_t ∂L/∂w
            np.testing.assert_allclose(u["W_after"],
                                       np.array(u["W_before"]) - gamma * np.array(g["dL_dW"]),
                                       rtol=1e-13, atol=1e-15)
    h.post(sid, "undo")
    h.post(sid, "undo")
    again = h.post(sid, "step", {})
    assert again["t"] == 1 and again["learning_rate"] == traces[1]["learning_rate"]
    assert again["update"] == traces[1]["update"]
    # a request's learning_rate is γ0 for that call, still scheduled
    st = h.post(sid, "step", {"learning_rate": 0.2})
    assert st["t"] == 2 and st["learning_rate"] == pytest.approx(0.2 / 1.2, rel=1e-15)


def test_step_decay_per_update_in_train_equals_single_steps(h):
    spec = {"layers": [2, 3, 1], "activations": ["tanh", "linear"], "learning_rate": 0.2,
            "schedule": {"name": "step_decay", "decay": 0.5, "every": 3},
            "dataset": {"name": "xor", "n": 8, "seed": 1, "test_fraction": 0.25}}
    a, b = h.create(**spec)["id"], h.create(**spec)["id"]
    assert h.state(a)["network"]["schedule"] == {"name": "step_decay", "decay": 0.5, "every": 3}
    r = h.post(a, "train", {"steps": 8})
    assert r["t"] == 0 and r["learning_rate"] == 0.2
    assert r["learning_rate_last"] == 0.2 * 0.5 ** (7 // 3)
    rates = [h.post(b, "step", {})["learning_rate"] for _ in range(8)]
    assert rates == [0.2 * 0.5 ** (t // 3) for t in range(8)]
    np.testing.assert_allclose(_flat(h.state(a)["weights"]), _flat(h.state(b)["weights"]),
                               rtol=1e-12, atol=1e-15)
    # mini-batch: one γ_t per update, t counting updates
    r = h.post(a, "train", {"steps": 2, "batch_size": 3})
    assert (r["t"], r["learning_rate"], r["learning_rate_last"], r["batch_size"]) == \
        (8, 0.2 * 0.5 ** 2, 0.2 * 0.5 ** 3, 3)


@pytest.mark.parametrize("schedule, field", [
    ({"name": "inverse_time", "k": -1}, "schedule.inverse_time.k"),
    ({"name": "step_decay", "decay": 0, "every": 5}, "schedule.step_decay.decay"),
    ({"name": "step_decay", "decay": 0.5, "every": 1.5}, "schedule.step_decay.every"),
    ({"name": "constant", "k": 1}, "schedule.constant.k"),
    ({"name": "cosine"}, "schedule"),
])
def test_a_bad_schedule_is_a_422_naming_the_field(h, schedule, field):
    sid = h.create()["id"]
    body = h.rejected(sid, "PATCH", f"/api/sessions/{sid}", 422, json={"schedule": schedule})
    field_named(body, field)


def test_meta_lists_the_schedules_with_their_formulas(api):
    schedules = {s["name"]: s for s in api.get("/api/meta").json()["schedules"]}
    assert set(schedules) == {"constant", "inverse_time", "step_decay"}
    assert schedules["inverse_time"]["formula"]["text"] == "γ_t = γ₀ / (1 + k·t)"
    assert schedules["step_decay"]["formula"]["latex"] == \
        r"\gamma_t = \gamma_0 \, d^{\lfloor t / T \rfloor}"
    assert [p["symbol"] for p in schedules["step_decay"]["parameters"]] == ["d", "T"]


def test_the_schedule_is_exported_and_old_documents_are_constant(h):
    sid = h.create(preset="lecture", schedule={"name": "inverse_time", "k": 0.5})["id"]
    doc = h.export(sid)
    assert doc["network"]["schedule"] == {"name": "inverse_time", "k": 0.5}
    copy = h.client.post("/api/sessions/import", json=doc).json()
    assert copy["network"]["schedule"] == {"name": "inverse_time", "k": 0.5}
    del doc["network"]["schedule"]
    old = h.client.post("/api/sessions/import", json=doc)
    assert old.status_code == 201 and old.json()["network"]["schedule"] == {"name": "constant"}
