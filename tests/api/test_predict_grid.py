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


# ----- the same grid in the /step request: one round trip for a step and its heatmap -----
def test_step_with_grid_returns_the_updated_networks_grid_predictions(h, api):
    sid = h.create(preset="lecture")["id"]
    grid = {"x1": [-1.5, 1.5], "x2": [-1.5, 1.5], "n": 6}
    before = api.post(f"/api/sessions/{sid}/predict", json={"grid": grid}).json()["Y"]
    step = h.post(sid, "step", {"grid": grid})
    after = api.post(f"/api/sessions/{sid}/predict", json={"grid": grid}).json()["Y"]
    assert len(step["grid_Y"]) == 36
    assert step["grid_Y"] == after                     # the updated weights, same bits
    assert step["grid_Y"] != before                    # ... not the ones before the step
    # and it is the lecture network with the step's W_after, by hand for one grid point
    (W1, b1), (W2, b2) = [(u["W_after"], u["b_after"]) for u in step["update"]]
    x = grid_points(grid["x1"], grid["x2"], 6)[7]
    sig = lambda v: 1 / (1 + 2.718281828459045 ** -v)  # noqa: E731
    z = [sig(x[0] * W1[0][j] + x[1] * W1[1][j] + b1[j]) for j in range(2)]
    assert step["grid_Y"][7][0] == pytest.approx(z[0] * W2[0][0] + z[1] * W2[1][0] + b2[0], abs=1e-12)
    assert "grid_Y" not in h.post(sid, "step", {})     # only when asked for


def test_step_with_a_bad_grid_changes_nothing(h):
    sid = h.create(preset="lecture")["id"]
    resp = h.rejected(sid, "POST", f"/api/sessions/{sid}/step", 422,
                      json={"grid": {"x1": [0, 1], "x2": [0, 1], "n": 1000}})
    field_named(resp, "grid.n")
    sid3 = h.create(layers=[3, 2, 1], dataset={"name": "custom", "X": [[0, 0, 1]], "Y": [[1]]})["id"]
    resp = h.rejected(sid3, "POST", f"/api/sessions/{sid3}/step", 422,
                      json={"grid": {"x1": [0, 1], "x2": [0, 1], "n": 4}})
    field_named(resp, "grid")


def test_step_grid_is_held_to_max_dataset_size():
    from fastapi.testclient import TestClient

    from api_helpers import Api
    from backprop_explorer.api.app import create_app
    from backprop_explorer.api.config import Settings
    settings = Settings(memory=True, demo_session=False, max_dataset_size=30)
    with TestClient(create_app(settings)) as client:
        h = Api(client)
        sid = h.create(preset="lecture")["id"]
        resp = h.rejected(sid, "POST", f"/api/sessions/{sid}/step", 422,
                          json={"grid": {"x1": [0, 1], "x2": [0, 1], "n": 6}})   # 36 > 30
        assert "max_dataset_size=30" in field_named(resp, "grid.n")["msg"]
        assert len(h.post(sid, "step", {"grid": {"x1": [0, 1], "x2": [0, 1], "n": 5}})["grid_Y"]) == 25
