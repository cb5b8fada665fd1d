"""POST predict (batch forward) and POST gradcheck (finite differences vs backprop)."""
from __future__ import annotations

import numpy as np
import pytest

from api_helpers import LECTURE_WEIGHTS


def test_predict_is_the_forward_output_of_every_row(h):
    sid = h.create(layers=[2, 3, 2], activations=["tanh", "softmax"], loss="cross_entropy",
                   init={"scheme": "normal", "seed": 5})["id"]
    X = [[0.0, 0.0], [1.0, -1.0], [-0.5, 0.25], [2.0, 3.0]]
    before = h.export(sid)
    Y = h.post(sid, "predict", {"X": X})["Y"]
    assert np.shape(Y) == (4, 2)
    for x, y in zip(X, Y):
        assert y == pytest.approx(h.post(sid, "forward", {"x": x})["output"], rel=1e-13)
    assert np.allclose(np.sum(Y, axis=1), 1.0)        # softmax rows
    assert h.export(sid) == before


def test_predict_lecture_by_hand(h):
    sid = h.create(weights=LECTURE_WEIGHTS)["id"]
    Y = h.post(sid, "predict", {"X": [[1.0, 0.0], [0.0, 0.0]]})["Y"]
    sig = lambda s: 1 / (1 + np.exp(-s))      # noqa: E731
    assert Y[0][0] == pytest.approx(0.2 + 0.7 * sig(0.6) - 0.6 * sig(-0.6), rel=1e-14)
    assert Y[1][0] == pytest.approx(0.2 + 0.7 * sig(0.1) - 0.6 * sig(-0.2), rel=1e-14)


@pytest.mark.parametrize("spec,x,y", [
    ({"preset": "lecture"}, [1.0, -1.0], [1.0]),
    ({"layers": [3, 4, 4, 3], "activations": ["tanh", "sigmoid", "softmax"],
      "loss": "cross_entropy", "l2": 0.1, "init": {"scheme": "normal", "seed": 2}},
     [0.3, -0.8, 1.1], [0.0, 0.0, 1.0]),
    ({"layers": [2, 3, 2], "activations": ["leaky_relu", "sigmoid"], "loss": "cross_entropy",
      "init": {"scheme": "he", "seed": 9}}, [0.7, -0.4], [1.0, 0.0]),
])
def test_gradcheck_agrees(h, spec, x, y):
    sid = h.create(**spec)["id"]
    before = h.export(sid)
    r = h.post(sid, "gradcheck", {"x": x, "y": y})
    assert set(r) >= {"layers", "max_abs_diff", "max_rel_diff"}
    assert 0 <= r["max_rel_diff"] < 1e-6 and 0 <= r["max_abs_diff"] < 1e-9
    bwd = h.post(sid, "backward", {"x": x, "y": y})
    assert len(r["layers"]) == len(bwd["grads"])
    worst = 0.0
    for check, g in zip(r["layers"], bwd["grads"]):
        assert check["dL_dW"]["backprop"] == g["dL_dW"]
        assert check["dL_db"]["backprop"] == g["dL_db"]
        for key in ("dL_dW", "dL_db"):
            bp, num = np.array(check[key]["backprop"]), np.array(check[key]["numeric"])
            assert bp.shape == num.shape
            np.testing.assert_allclose(num, bp, rtol=1e-6, atol=1e-10)
            worst = max(worst, float(np.abs(bp - num).max()))
    assert r["max_abs_diff"] == pytest.approx(worst, rel=1e-9, abs=1e-300)
    assert h.export(sid) == before


def test_gradcheck_epsilon(h):
    sid = h.create(preset="lecture")["id"]
    coarse = h.post(sid, "gradcheck", {"x": [1.0, 1.0], "y": [0.0], "epsilon": 0.1})
    fine = h.post(sid, "gradcheck", {"x": [1.0, 1.0], "y": [0.0]})
    assert coarse["max_abs_diff"] > fine["max_abs_diff"]        # the step size is used
