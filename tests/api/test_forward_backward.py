"""POST forward and backward: traces with the contract's keys and the right numbers;
neither changes the session."""
from __future__ import annotations

import math

import pytest

from api_helpers import LECTURE_WEIGHTS


def sigma(s):
    return 1 / (1 + math.exp(-s))


@pytest.fixture
def lecture(h):
    return h.create(layers=[2, 2, 1], weights=LECTURE_WEIGHTS, learning_rate=0.5)["id"]


def _hand(x1, x2, y_star):
    """The lecture preset's weights worked through by hand."""
    s1, s2 = 0.1 + 0.5 * x1 + 0.3 * x2, -0.2 - 0.4 * x1 + 0.8 * x2
    z1, z2 = sigma(s1), sigma(s2)
    y = 0.2 + 0.7 * z1 - 0.6 * z2
    return s1, s2, z1, z2, y, y - y_star


def test_forward_without_target(h, lecture):
    before = h.export(lecture)
    fwd = h.post(lecture, "forward", {"x": [0.3, -0.7]})
    assert set(fwd) >= {"x", "layers", "output", "loss"}
    s1, s2, z1, z2, y, _ = _hand(0.3, -0.7, 0)
    assert fwd["x"] == [0.3, -0.7]
    assert fwd["loss"] is None
    assert fwd.get("y") is None
    assert len(fwd["layers"]) == 2
    assert fwd["layers"][0]["s"] == pytest.approx([s1, s2], rel=1e-14)
    assert fwd["layers"][0]["a"] == pytest.approx([z1, z2], rel=1e-14)
    assert fwd["layers"][1]["s"] == pytest.approx([y], rel=1e-14)
    assert fwd["layers"][1]["a"] == fwd["layers"][1]["s"]           # linear output
    assert fwd["output"] == fwd["layers"][1]["a"]
    assert h.export(lecture) == before


def test_forward_with_target_gives_the_loss(h, lecture):
    fwd = h.post(lecture, "forward", {"x": [1.0, 1.0], "y": [0.0]})
    *_, y, err = _hand(1.0, 1.0, 0.0)
    assert fwd["y"] == [0.0]
    assert fwd["output"][0] == pytest.approx(y, rel=1e-14)
    assert fwd["loss"] == pytest.approx(0.5 * err * err, rel=1e-14)


def test_backward_is_the_lectures_closed_forms(h, lecture):
    before = h.export(lecture)
    x1, x2, y_star = 0.4, -1.2, 0.9
    bwd = h.post(lecture, "backward", {"x": [x1, x2], "y": [y_star]})
    assert set(bwd) >= {"forward", "loss", "grads"}
    s1, s2, z1, z2, y, err = _hand(x1, x2, y_star)
    assert bwd["forward"]["output"][0] == pytest.approx(y, rel=1e-14)
    assert bwd["forward"]["loss"] == bwd["loss"] == pytest.approx(0.5 * err ** 2, rel=1e-14)
    hidden, out = bwd["grads"]
    for g in (hidden, out):
        assert set(g) == {"dL_da", "dL_ds", "dL_dW", "dL_db", "da_ds"}
    assert out["da_ds"] == [1.0]                      # linear output: ∂y/∂s = 1
    # output: δ = y − y*; ∂L/∂w_01^o, ∂L/∂w_11^o, ∂L/∂w_21^o
    assert out["dL_da"] == pytest.approx([err], rel=1e-14)
    assert out["dL_ds"] == pytest.approx([err], rel=1e-14)
    assert out["dL_db"] == pytest.approx([err], rel=1e-14)
    assert out["dL_dW"] == [pytest.approx([err * z1], rel=1e-14), pytest.approx([err * z2], rel=1e-14)]
    # hidden: ∂L/∂a_j = δ_out · w_j1^o, δ_j = ∂L/∂a_j · z_j(1 − z_j), ∂L/∂w_ij^h = δ_j · x_i
    w_o = {1: 0.7, 2: -0.6}
    z = {1: z1, 2: z2}
    x = {0: 1.0, 1: x1, 2: x2}
    for j in (1, 2):
        assert hidden["dL_da"][j - 1] == pytest.approx(err * w_o[j], rel=1e-14)
        assert hidden["da_ds"][j - 1] == pytest.approx(z[j] * (1 - z[j]), rel=1e-14)
        delta = err * w_o[j] * z[j] * (1 - z[j])
        assert hidden["dL_ds"][j - 1] == pytest.approx(delta, rel=1e-13)
        assert hidden["dL_db"][j - 1] == pytest.approx(delta * x[0], rel=1e-13)
        for i in (1, 2):
            assert hidden["dL_dW"][i - 1][j - 1] == pytest.approx(delta * x[i], rel=1e-13)
    # the lecture's example: ∂L/∂w_22^h = (y − y*) · w_21^o · z2(1 − z2) · x2
    assert hidden["dL_dW"][1][1] == pytest.approx(err * -0.6 * z2 * (1 - z2) * x2, rel=1e-13)
    assert h.export(lecture) == before


def test_backward_with_l2_reports_data_loss_and_total_gradient(h):
    sid = h.create(layers=[2, 2, 1], weights=LECTURE_WEIGHTS, l2=0.5)["id"]
    plain = h.create(layers=[2, 2, 1], weights=LECTURE_WEIGHTS)["id"]
    body = {"x": [1.0, -1.0], "y": [0.5]}
    a, b = h.post(sid, "backward", body), h.post(plain, "backward", body)
    assert a["loss"] == b["loss"]
    for l, layer in enumerate(LECTURE_WEIGHTS):
        for i, row in enumerate(layer["W"]):
            for j, w in enumerate(row):
                assert a["grads"][l]["dL_dW"][i][j] == pytest.approx(
                    b["grads"][l]["dL_dW"][i][j] + 0.5 * w, rel=1e-14, abs=1e-15)
        assert a["grads"][l]["dL_db"] == b["grads"][l]["dL_db"]
