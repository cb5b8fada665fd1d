"""POST undo: at least 100 levels, each restoring weights, step count, epoch and position."""
from __future__ import annotations

from api_helpers import LECTURE_WEIGHTS


def test_120_steps_then_100_undos(h):
    sid = h.create(dataset={"name": "moons", "n": 16, "seed": 1}, learning_rate=0.3)["id"]
    first = h.state(sid)
    traces = []
    for k in range(120):
        if k % 3 == 0:
            trace = h.post(sid, "step", {"x": [0.01 * k, -0.5], "y": [1.0]})
        else:
            trace = h.post(sid, "step", {})
        assert trace["step"] == k + 1
        traces.append(trace)
    after_120 = h.state(sid)
    assert after_120["history"] >= 100
    assert after_120["weights"] == [{"W": u["W_after"], "b": u["b_after"]}
                                    for u in traces[-1]["update"]]
    for k in range(120, 20, -1):                  # 100 undos: back to the state after step 20
        undone = h.post(sid, "undo")
        step_k = traces[k - 1]                    # the update that undo takes back
        assert undone["step"] == k - 1
        assert undone["epoch"] == (traces[k - 2]["epoch"] if k > 1 else 0)
        assert undone["weights"] == [{"W": u["W_before"], "b": u["b_before"]}
                                     for u in step_k["update"]], f"undo to step {k - 1}"
        if step_k["example_index"] is not None:   # the dataset position is restored too
            assert undone["dataset"]["next_index"] == step_k["example_index"]
        if k % 10 == 0:
            assert h.state(sid) == undone
    assert undone["weights"] != first["weights"]
    # and the session goes on from there exactly as it did the first time
    redo = h.post(sid, "step", {})
    assert redo["step"] == 21
    assert redo["update"] == traces[20]["update"]
    assert redo["example_index"] == traces[20]["example_index"]


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
