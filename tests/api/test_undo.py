"""POST undo: at least 100 levels, each restoring weights, step count, epoch and position."""
from __future__ import annotations

from conftest import LECTURE_WEIGHTS


def _snapshot(state):
    return {k: state[k] for k in ("weights", "step", "epoch", "dataset")}


def test_120_steps_then_100_undos(h):
    sid = h.create(dataset={"name": "moons", "n": 16, "seed": 1}, learning_rate=0.3)["id"]
    states = [_snapshot(h.state(sid))]
    for k in range(120):
        if k % 3 == 0:
            trace = h.post(sid, "step", {"x": [0.01 * k, -0.5], "y": [1.0]})
        else:
            trace = h.post(sid, "step", {})
        assert trace["step"] == k + 1
        states.append(_snapshot(h.state(sid)))
    assert h.state(sid)["history"] >= 100
    for k in range(120, 20, -1):                  # 100 undos: back to the state after step 20
        undone = h.post(sid, "undo")
        assert _snapshot(undone) == states[k - 1], f"undo to step {k - 1}"
        assert undone["step"] == k - 1
        assert h.state(sid) == undone
    # and the session goes on from there exactly as it did the first time
    redo = h.post(sid, "step", {})
    assert _snapshot(h.state(sid)) == states[21]
    assert redo["step"] == 21


def test_undo_with_empty_history_is_409_and_changes_nothing(h):
    sid = h.create(preset="lecture")["id"]
    body = h.rejected(sid, "POST", f"/api/sessions/{sid}/undo", 409)
    assert isinstance(body["detail"], str) and body["detail"]


def test_undo_after_history_used_up_is_409(h):
    sid = h.create()["id"]
    h.post(sid, "step", {"x": [1.0, 0.0], "y": [1.0]})
    h.post(sid, "undo")
    h.rejected(sid, "POST", f"/api/sessions/{sid}/undo", 409)


def test_undo_restores_put_weights(api, h):
    created = h.create()
    sid = created["id"]
    assert api.put(f"/api/sessions/{sid}/weights",
                   json={"weights": LECTURE_WEIGHTS}).status_code == 200
    h.post(sid, "step", {"x": [1.0, 0.0], "y": [1.0]})
    assert h.post(sid, "undo")["weights"] == LECTURE_WEIGHTS
    assert h.post(sid, "undo")["weights"] == created["weights"]
