"""Many updates at once, batch prediction (heatmaps) and the gradient check."""
from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Depends, Request

from ...engine import InputError
from ...sessions import SessionStore
from .. import schemas
from ..config import Settings
from ..deps import get_settings, get_store, store_of
from ..limits import check_dataset_size, check_unit_cells
from ..run import INLINE_MAX_ROWS, on_session
from ..serialize import gradcheck_result, json_response
from .sessions import NOT_FOUND

router = APIRouter(prefix="/api/sessions", tags=["training"], responses=schemas.COMMON_ERRORS)


def downsample(values: list[float], max_points: int) -> tuple[np.ndarray, int]:
    """At most max_points points of a curve, and the run length k: point i is the mean of
    values[i·k : (i+1)·k] (the last run may be shorter). k = 1 (every value) when they fit."""
    n = len(values)
    arr = np.asarray(values, dtype=np.float64)
    if n <= max_points:
        return arr, 1
    k = -(-n // max_points)
    full = n // k
    means = arr[:full * k].reshape(full, k).mean(axis=1)
    if n > full * k:
        means = np.append(means, arr[full * k:].mean())
    return means, k


@router.post("/{session_id}/train", response_model=schemas.TrainResult,
             responses={**NOT_FOUND, 409: {"model": schemas.ErrorDetail, "description": "no dataset"}})
def train(session_id: str, body: schemas.TrainBody, store: SessionStore = Depends(get_store),
          settings: Settings = Depends(get_settings)):
    """SGD on the session's dataset for a number of `epochs` or `steps` (updates);
    `batch_size` 1 is the lecture's per-example SGD. One undo level restores the weights
    before the whole call. `updates` is the exact number of updates; `loss` has one point
    per update when there are at most max_loss_points of them, otherwise point i is the
    mean loss of updates i·loss_every … (i+1)·loss_every − 1 (likewise `epoch_loss`)."""
    with store.use(session_id) as session:
        ds = session.require_dataset("train on")
        batch = min(body.batch_size, ds.n_train)
        updates = body.steps if body.steps is not None else \
            -(-body.epochs * ds.n_train // batch)  # type: ignore[operator]
        work = updates * batch * session.arch.n_parameters
        if work > settings.max_train_work:
            raise InputError("steps" if body.steps is not None else "epochs",
                             f"this call would do {work:,} units of work (updates × batch × "
                             f"parameters), over the limit of max_train_work="
                             f"{settings.max_train_work:,}")
        result = session.train(epochs=body.epochs, steps=body.steps, batch_size=batch,
                               learning_rate=body.learning_rate)
        step, epoch = session.step, session.epoch
    # the curves, bounded (max_loss_points), outside the session's lock
    loss, loss_every = downsample(result.losses, max(settings.max_loss_points, 1))
    epoch_loss, epoch_loss_every = downsample(result.epoch_losses, max(settings.max_loss_points, 1))
    epoch_test, epoch_test_every = downsample(result.epoch_test_losses,
                                              max(settings.max_loss_points, 1))
    return json_response({"updates": result.updates, "loss": loss, "loss_every": loss_every,
                          "epoch_loss": epoch_loss, "epoch_loss_every": epoch_loss_every,
                          "epoch_test_loss": epoch_test, "epoch_test_loss_every": epoch_test_every,
                          "step": step, "epoch": epoch, "dataset_loss": result.dataset_loss,
                          "accuracy": result.accuracy, "batch_size": result.batch_size,
                          "t": result.t, "learning_rate": result.learning_rate,
                          "learning_rate_last": result.learning_rate_last,
                          **result.metrics.as_dict()})


@router.post("/{session_id}/predict", response_model=schemas.PredictResult, responses=NOT_FOUND)
async def predict(session_id: str, body: schemas.PredictBody, request: Request):
    """Batch forward pass: the output for every row of X, or for every point of a grid
    (row-major, row 0 at the largest x2), e.g. for a heatmap. With `units: true`, also
    every layer's activations at every point (units[l][j][p]: unit j of layer l, point p),
    e.g. a small heatmap per unit, in the same request."""
    store, settings = store_of(request), request.app.state.settings
    if body.X is None and body.grid is None:
        raise InputError("X", "give the rows to predict (or a grid)")
    if body.X is not None and body.grid is not None:
        raise InputError("grid", "give either X or grid, not both")
    if body.grid is not None:
        g = body.grid
        check_dataset_size(g.n * g.n, settings, "grid.n")
        x1, x2 = (g.x1[0], g.x1[1]), (g.x2[0], g.x2[1])
        rows, field = g.n * g.n, "grid"

        def run(s):
            if not body.units:
                return json_response({"Y": s.predict_grid(x1, x2, g.n)})
            return _with_units(s, s.grid_points(x1, x2, g.n), field)
    else:
        X = body.X
        assert X is not None
        check_dataset_size(len(X), settings, "X")
        rows, field = len(X), "X"

        def run(s):
            if not body.units:
                return json_response({"Y": s.predict(X)})
            return _with_units(s, s.rows(X), field)
    return await on_session(store, session_id, run,
                            inline=rows <= INLINE_MAX_ROWS and not body.units)


def _with_units(session, points: np.ndarray, field: str):
    check_unit_cells(session, points.shape[0])
    return json_response({"Y": session.predict_points(points, field),
                          "units": session.units(points, field)})


@router.get("/{session_id}/metrics", response_model=schemas.MetricsOut,
            responses={**NOT_FOUND, 409: {"model": schemas.ErrorDetail, "description": "no dataset"}})
async def metrics(session_id: str, request: Request):
    """Loss and accuracy of the current weights on the training part and the test part."""
    def run(s):
        ds = s.require_dataset("evaluate")
        return json_response({"step": s.step, "epoch": s.epoch, "n_train": ds.n_train,
                              "n_test": int(ds.test.shape[0]), **s.metrics().as_dict()})
    return await on_session(store_of(request), session_id, run)


@router.post("/{session_id}/gradcheck", response_model=schemas.GradcheckResult, responses=NOT_FOUND)
def gradcheck(session_id: str, body: schemas.GradcheckBody, store: SessionStore = Depends(get_store),
              settings: Settings = Depends(get_settings)):
    """Backprop's ∂L/∂W, ∂L/∂b next to fourth-order central finite differences, per parameter
    (4 forward passes per parameter, so limited to max_gradcheck_parameters)."""
    with store.use(session_id) as session:
        limit = settings.max_gradcheck_parameters
        if session.arch.n_parameters > limit:
            raise InputError("x", f"this network has {session.arch.n_parameters} parameters; "
                             f"gradcheck is limited to max_gradcheck_parameters={limit}")
        trace, numeric = session.gradcheck(body.x, body.y, body.epsilon)
        return json_response(gradcheck_result(trace, numeric))
