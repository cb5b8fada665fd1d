"""Engine traces and sessions → JSON bytes (orjson writes numpy arrays natively)."""
from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from fastapi import Response

from ..engine import label_of
from ..sessions import Session
from ..sessions.session import NO_METRICS

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY


def _fallback(value: Any) -> Any:
    if isinstance(value, np.ndarray):   # e.g. a non-contiguous view
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(content: Any) -> bytes:
    """JSON bytes of traces and states (numpy arrays included)."""
    return orjson.dumps(content, default=_fallback, option=_OPTIONS)


def json_response(content: Any, status_code: int = 200) -> Response:
    return Response(dumps(content),
                    status_code=status_code, media_type="application/json")


def session_state(session: Session) -> dict[str, Any]:
    ds = session.dataset
    dataset = None
    if ds is not None:
        dataset = {**ds.spec, "label": label_of(ds.spec["name"]), "task": ds.data.task,
                   "next_index": session.next_index(), "n_train": ds.n_train,
                   "n_test": int(ds.test.shape[0])}
    return {"id": session.id, "network": session.network_spec(),
            "weights": [{"W": W, "b": b} for W, b in session.weights],
            "step": session.step, "epoch": session.epoch, "dataset": dataset,
            "history": len(session.history)}


def forward_trace(t) -> dict[str, Any]:
    return {"x": t.x, "y": t.y, "layers": [{"s": L.s, "a": L.a} for L in t.layers],
            "output": t.output, "loss": t.loss}


def backward_trace(t) -> dict[str, Any]:
    return {"x": t.forward.x, "y": t.forward.y, "forward": forward_trace(t.forward),
            "loss": t.loss,
            "grads": [{"dL_da": g.dL_da, "dL_ds": g.dL_ds, "dL_dW": g.dL_dW, "dL_db": g.dL_db,
                       "da_ds": g.da_ds}
                      for g in t.grads]}


def step_trace(result, session: Session) -> dict[str, Any]:
    out = backward_trace(result.trace)
    out.update({
        "update": [{"W_before": u.W_before, "W_after": u.W_after,
                    "b_before": u.b_before, "b_after": u.b_after} for u in result.updates],
        "learning_rate": result.learning_rate, "step": session.step, "epoch": session.epoch,
        "example_index": result.example_index, "loss_after": result.loss_after,
        # so a client can update its copy of the session without another request
        "next_index": session.next_index(), "history": len(session.history),
        "t": result.t, "batch_size": 1,
        **(NO_METRICS if result.metrics is None else result.metrics.as_dict()),
    })
    if result.grid_Y is not None:
        out["grid_Y"] = result.grid_Y
    if result.grid_units is not None:
        out["grid_units"] = result.grid_units
    return out


def gradcheck_result(trace, numeric) -> dict[str, Any]:
    layers, max_abs, max_rel = [], 0.0, 0.0
    for g, (nW, nb) in zip(trace.grads, numeric, strict=True):
        for bp, num in ((g.dL_dW, nW), (g.dL_db, nb)):
            diff = np.abs(bp - num)
            max_abs = max(max_abs, float(diff.max()))
            scale = np.maximum(np.maximum(np.abs(bp), np.abs(num)), 1e-6)
            max_rel = max(max_rel, float((diff / scale).max()))
        layers.append({"dL_dW": {"backprop": g.dL_dW, "numeric": nW},
                       "dL_db": {"backprop": g.dL_db, "numeric": nb}})
    return {"layers": layers, "max_abs_diff": max_abs, "max_rel_diff": max_rel}
