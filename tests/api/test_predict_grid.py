"""POST /predict {"grid"}: the server builds the heatmap grid (the layout of heatmap.js's
gridPoints: cell centres, row-major, row 0 at the largest x2) and predicts on it."""
from __future__ import annotations

import pytest

from api_helpers import field_named


def grid_points(x1, x2, n):
    """Python mirror of frontend/js/views/heatmap.js gridPoints()."""
    return [[x1[0] + (c + 0.5) / n * (x1[1] - x1[0]), x2[1] - (r + 0.5) / n * (x2[1] - x2[0])]
            for r in range(n) for c in range(n)]


def test_grid_prediction_equals_prediction_on_the_same_points(h, api):
    sid = h.create(preset="lecture")["id"]
    grid = {"x1": [-1.5, 2.0], "x2": [-1.0, 1.25], "n": 7}
    by_grid = api.post(f"/api/sessions/{sid}/predict", json={"grid": grid}).json()["Y"]
    by_rows = api.post(f"/api/sessions/{sid}/predict",
                       json={"X": grid_points(grid["x1"], grid["x2"], 7)}).json()["Y"]
    assert len(by_grid) == 49
    assert [y for (y,) in by_grid] == pytest.approx([y for (y,) in by_rows], abs=1e-15)


@pytest.mark.parametrize("body,field", [
    ({"grid": {"x1": [0, 1], "x2": [0, 1]}, "X": [[0, 0]]}, "grid"),
    ({}, "X"),
    ({"grid": {"x1": [0], "x2": [0, 1]}}, "grid.x1"),
    ({"grid": {"x1": [0, 1], "x2": [0, 1], "n": 1000}}, "grid.n"),
])
def test_bad_grid_requests_are_422(h, body, field):
    sid = h.create(preset="lecture")["id"]
    resp = h.rejected(sid, "POST", f"/api/sessions/{sid}/predict", 422, json=body)
    if field:
        field_named(resp, field)


def test_grid_needs_a_two_input_network(h):
    sid = h.create(layers=[3, 2, 1])["id"]
    resp = h.rejected(sid, "POST", f"/api/sessions/{sid}/predict", 422,
                      json={"grid": {"x1": [0, 1], "x2": [0, 1], "n": 4}})
    field_named(resp, "grid")
