"""PATCH /api/sessions/{id}: the session's default γ and λ, kept across reloads and restarts."""
from __future__ import annotations

import pytest

from api_helpers import field_named
from backprop_explorer.api.app import create_app
from backprop_explorer.api.config import Settings
from fastapi.testclient import TestClient


def test_patch_learning_rate_is_used_by_the_next_step(api, h):
    sid = h.create(preset="lecture")["id"]
    state = api.patch(f"/api/sessions/{sid}", json={"learning_rate": 0.25}).json()
    assert state["network"]["learning_rate"] == 0.25
    assert state["history"] == 0                       # a setting, not an update
    trace = h.post(sid, "step", {"x": [1.0, -1.0], "y": [1.0]})
    assert trace["learning_rate"] == 0.25
    w, g = trace["update"][0]["W_before"][1][1], trace["grads"][0]["dL_dW"][1][1]
    assert trace["update"][0]["W_after"][1][1] == pytest.approx(w - 0.25 * g, abs=1e-15)


def test_patch_l2_changes_the_gradient_by_lambda_w(api, h):
    sid = h.create(preset="lecture")["id"]
    plain = h.post(sid, "backward", {"x": [1.0, -1.0], "y": [1.0]})
    api.patch(f"/api/sessions/{sid}", json={"l2": 0.1})
    with_l2 = h.post(sid, "backward", {"x": [1.0, -1.0], "y": [1.0]})
    W = h.state(sid)["weights"][0]["W"]
    assert with_l2["grads"][0]["dL_dW"][1][1] == pytest.approx(
        plain["grads"][0]["dL_dW"][1][1] + 0.1 * W[1][1], abs=1e-15)
    assert with_l2["loss"] == plain["loss"]            # the trace's loss is the data loss


@pytest.mark.parametrize("body,field", [({"learning_rate": 0}, "learning_rate"),
                                        ({"learning_rate": True}, "learning_rate"),
                                        ({"l2": -1}, "l2"), ({"gamma": 1}, "gamma")])
def test_bad_settings_are_422_and_change_nothing(h, body, field):
    sid = h.create(preset="lecture")["id"]
    resp = h.rejected(sid, "PATCH", f"/api/sessions/{sid}", 422, json=body)
    field_named(resp, field)


def test_patch_unknown_session_is_404(api):
    assert api.patch("/api/sessions/nope", json={"learning_rate": 0.1}).status_code == 404


def test_settings_survive_a_restart(tmp_path):
    settings = Settings(data_dir=str(tmp_path), demo_session=False)
    with TestClient(create_app(settings)) as api:
        sid = api.post("/api/sessions", json={"preset": "lecture"}).json()["id"]
        api.patch(f"/api/sessions/{sid}", json={"learning_rate": 0.125, "l2": 0.01})
        api.post(f"/api/sessions/{sid}/step", json={})
    with TestClient(create_app(settings)) as api:
        state = api.get(f"/api/sessions/{sid}").json()
    assert state["network"]["learning_rate"] == 0.125 and state["network"]["l2"] == 0.01
    assert state["step"] == 1 and state["history"] == 1


def test_gradcheck_over_its_parameter_limit_is_a_422_naming_it():
    settings = Settings(memory=True, demo_session=False, max_gradcheck_parameters=8)
    with TestClient(create_app(settings)) as api:
        sid = api.post("/api/sessions", json={"preset": "lecture"}).json()["id"]   # 9 parameters
        r = api.post(f"/api/sessions/{sid}/gradcheck", json={"x": [1, -1], "y": [1]})
    assert r.status_code == 422
    assert "max_gradcheck_parameters=8" in r.json()["detail"][0]["msg"]
