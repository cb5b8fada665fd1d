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
    limit = h.client.get("/api/meta").json()["limits"]["max_unit_cells"]
    assert limit == 400_000                            # served, so the frontend plans by it
    # exactly at the bound is answered, one point over it is refused (2-249-1: 250 units)
    edge = h.create(layers=[2, 249, 1])["id"]
    X = [[0.1 * (p % 7), -0.05 * (p % 11)] for p in range(limit // 250)]
    assert len(h.post(edge, "predict", {"X": X, "units": True})["units"][0][0]) == limit // 250
    r = h.client.post(f"/api/sessions/{edge}/predict", json={"X": X + [[0, 0]], "units": True})
    assert r.status_code == 422 and f"{limit:,}" in field_named(r.json(), "units")["msg"]
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


def test_a_step_returns_the_updated_unit_grids_exactly_as_predict_does(h):
    """POST /step {grid, units: true}: the unit grids beside grid_Y are the updated network's,
    the very numbers the next /predict {grid, units: true} returns (one request per Step)."""
    sid = h.create(layers=[2, 3, 2, 1], activations=["tanh", "relu", "sigmoid"],
                   init={"scheme": "xavier", "seed": 4},
                   dataset={"name": "xor", "n": 20, "seed": 1})["id"]
    grid = {"x1": [-1.5, 1.0], "x2": [-0.5, 2.0], "n": 7}
    before = h.post(sid, "predict", {"grid": grid, "units": True})
    r = h.post(sid, "step", {"grid": grid, "units": True})
    after = h.post(sid, "predict", {"grid": grid, "units": True})
    assert r["grid_units"] == after["units"]          # exactly, every float
    assert r["grid_Y"] == after["Y"]
    assert r["grid_units"] != before["units"]         # the updated weights', not the old ones
    assert [len(layer) for layer in r["grid_units"]] == [3, 2, 1]
    assert all(len(unit) == 49 for layer in r["grid_units"] for unit in layer)
    # an explicit example and an index too; without units: no grid_units
    r = h.post(sid, "step", {"x": [0.2, -0.7], "y": [1.0], "grid": grid, "units": True})
    assert r["grid_units"] == h.post(sid, "predict", {"grid": grid, "units": True})["units"]
    assert "grid_units" not in h.post(sid, "step", {"index": 3, "grid": grid})
    assert "grid_units" not in h.post(sid, "step", {})


def test_step_units_are_bounded_strict_and_change_nothing_when_refused(h):
    sid = h.create(layers=[2, 200, 200, 1], dataset={"name": "xor", "n": 20, "seed": 1})["id"]
    path = f"/api/sessions/{sid}/step"
    big = {"grid": {"x1": [-1, 1], "x2": [-1, 1], "n": 40}, "units": True}   # 1600 × 401
    assert "400,000" in field_named(h.rejected(sid, "POST", path, 422, json=big), "units")["msg"]
    assert "grid" in field_named(h.rejected(sid, "POST", path, 422, json={"units": True}),
                                 "units")["msg"]
    field_named(h.rejected(sid, "POST", path, 422, json={**big, "units": "yes"}), "units")
    small = {"grid": {"x1": [-1, 1], "x2": [-1, 1], "n": 30}, "units": True}  # 900 × 401
    r = h.post(sid, "step", small)
    assert [len(layer) for layer in r["grid_units"]] == [200, 200, 1]
    assert r["step"] == 1
