"""Issue 13: POST /predict with "units": true — every layer's activations on the grid in one
request, equal to the forward traces at those points, and bounded."""
from __future__ import annotations

import numpy as np
import pytest

from api_helpers import field_named


def _grid_points(x1, x2, n):
    """The contract's grid: n×n cell centres, row-major, row 0 at the largest x2."""
    c = (np.arange(n) + 0.5) / n
    cols, rows = x1[0] + c * (x1[1] - x1[0]), x2[1] - c * (x2[1] - x2[0])
    return [(a, b) for b in rows for a in cols]


def test_the_unit_grids_equal_forward_traces_at_those_points(h):
    sid = h.create(layers=[2, 3, 2, 1], activations=["tanh", "relu", "sigmoid"],
                   init={"scheme": "xavier", "seed": 4})["id"]
    grid = {"x1": [-1.5, 1.0], "x2": [-0.5, 2.0], "n": 5}
    r = h.post(sid, "predict", {"grid": grid, "units": True})
    units = r["units"]
    assert [len(layer) for layer in units] == [3, 2, 1]
    assert all(len(unit) == 25 for layer in units for unit in layer)
    assert r["Y"] == h.post(sid, "predict", {"grid": grid})["Y"]
    for p, x in enumerate(_grid_points(grid["x1"], grid["x2"], grid["n"])):
        trace = h.post(sid, "forward", {"x": list(x)})
        for layer, traced in zip(units, trace["layers"], strict=True):
            np.testing.assert_allclose([unit[p] for unit in layer], traced["a"],
                                       rtol=1e-12, atol=1e-15)
        assert units[-1][0][p] == pytest.approx(r["Y"][p][0], rel=1e-12, abs=1e-15)
    # rows of X too
    X = [[0.3, -0.2], [1.0, 1.0]]
    r = h.post(sid, "predict", {"X": X, "units": True})
    for p, x in enumerate(X):
        hidden = h.post(sid, "forward", {"x": x})["layers"][0]["a"]
        np.testing.assert_allclose([u[p] for u in r["units"][0]], hidden, rtol=1e-12, atol=1e-15)
    assert "units" not in h.post(sid, "predict", {"X": X})


def test_units_are_bounded_and_strict(h):
    sid = h.create(layers=[2, 200, 200, 1])["id"]     # 401 units
    big = {"grid": {"x1": [-1, 1], "x2": [-1, 1], "n": 40}, "units": True}   # 1600 × 401
    r = h.client.post(f"/api/sessions/{sid}/predict", json=big)
    assert r.status_code == 422
    assert "400,000" in field_named(r.json(), "units")["msg"]
    small = {"grid": {"x1": [-1, 1], "x2": [-1, 1], "n": 30}, "units": True}  # 900 × 401
    assert len(h.post(sid, "predict", small)["units"][0]) == 200
    r = h.client.post(f"/api/sessions/{sid}/predict", json={**small, "units": "yes"})
    assert r.status_code == 422
    field_named(r.json(), "units")
