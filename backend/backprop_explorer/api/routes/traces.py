"""Forward, backward and the SGD step: the calls that return a trace. These run for every
frame the explorer draws, so they read the store off the Request (deps.store_of)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from ...engine import InputError
from .. import schemas
from ..deps import store_of
from ..limits import check_dataset_size, check_unit_cells
from ..run import INLINE_MAX_ROWS, on_session
from ..serialize import backward_trace, forward_trace, json_response, step_trace
from .sessions import NOT_FOUND

router = APIRouter(prefix="/api/sessions", tags=["traces"], responses=schemas.COMMON_ERRORS)
CONFLICT: schemas.Responses = {
    409: {"model": schemas.ErrorDetail, "description": "no dataset to take an example from"}}


@router.post("/{session_id}/forward", response_model=schemas.ForwardTrace, responses=NOT_FOUND)
async def forward(session_id: str, body: schemas.ForwardBody, request: Request):
    """Forward pass keeping every s and a; the loss too if y (the target y*) is given. Changes nothing."""
    return await on_session(store_of(request), session_id,
                            lambda s: json_response(forward_trace(s.forward(body.x, body.y))))


@router.post("/{session_id}/backward", response_model=schemas.BackwardTrace, responses=NOT_FOUND)
async def backward(session_id: str, body: schemas.BackwardBody, request: Request):
    """Forward, loss, then ∂L/∂a, δ = ∂L/∂s, ∂L/∂W, ∂L/∂b per layer, top-down. Changes nothing."""
    return await on_session(store_of(request), session_id,
                            lambda s: json_response(backward_trace(s.backward(body.x, body.y))))


@router.post("/{session_id}/step", response_model=schemas.StepTrace,
             responses={**NOT_FOUND, **CONFLICT})
async def step(session_id: str, body: schemas.StepBody, request: Request):
    """One SGD update w ← w − γ ∂L/∂w, on x/y, on dataset example `index`, or (with neither)
    on the next example of the dataset (reshuffled each epoch). With `grid`, the response
    also has `grid_Y`: the updated network's outputs on that grid, as /predict gives them."""
    grid = body.grid
    if grid is not None:
        check_dataset_size(grid.n * grid.n, request.app.state.settings, "grid.n")
    elif body.units:
        raise InputError("units", "units are the activations on a grid: give a grid too")

    def run(session):
        if body.units:
            check_unit_cells(session, grid.n * grid.n)
        result = session.sgd_step(body.x, body.y, body.index, body.learning_rate,
                                  None if grid is None else (tuple(grid.x1), tuple(grid.x2), grid.n),
                                  units=body.units)
        return json_response(step_trace(result, session))
    return await on_session(store_of(request), session_id, run,
                            inline=grid is None or (grid.n * grid.n <= INLINE_MAX_ROWS
                                                    and not body.units))
