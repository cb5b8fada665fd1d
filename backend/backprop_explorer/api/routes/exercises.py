"""Exercises: the values of one step as blanks a student fills in, graded with a diagnosis
of the classic mistakes (exercises/). Made from a session (which they do not change) and
deleted with it."""
from __future__ import annotations

from fastapi import APIRouter, Request

from ... import engine
from ...engine import InputError
from ...exercises import MAX_BLANKS, Exercise, seeded_problem
from ...exercises.blanks import BACKWARD_QUANTITIES, DEFAULT_QUANTITIES
from .. import schemas
from ..serialize import json_response

router = APIRouter(tags=["exercises"], responses=schemas.COMMON_ERRORS)
NOT_FOUND: schemas.Responses = {
    404: {"model": schemas.ErrorDetail, "description": "unknown session or exercise"}}


def _exercises(request: Request):
    return request.app.state.exercises


@router.post("/api/sessions/{session_id}/exercises", status_code=201,
             response_model=schemas.ExerciseOut,
             responses={**NOT_FOUND, 409: {"model": schemas.ErrorDetail,
                                           "description": "no dataset to take an example from"}})
def create_exercise(session_id: str, body: schemas.ExerciseBody, request: Request):
    """Freeze the session's network, weights, γ and an example (x/y, dataset `index`, the
    next example, or a `seed`'s per-student problem) into blanks. No response shows a value
    before its blank is answered or revealed; the session is not changed."""
    store, exercises = request.app.state.store, _exercises(request)
    with store.use(session_id) as s:
        arch, lr = s.arch, s.gamma()   # γ_t of the next update
        if body.weight is not None:
            w = body.weight
            if w.layer >= len(arch.shapes):
                raise InputError("weight.layer", f"this network has layers 0 to {len(arch.shapes) - 1}")
            n_in, n_out = arch.shapes[w.layer]
            if w.i >= n_in:
                raise InputError("weight.i", f"layer {w.layer} has units 0 to {n_in - 1} below (-1: bias)")
            if w.j >= n_out:
                raise InputError("weight.j", f"layer {w.layer} has units 0 to {n_out - 1}")
        weights: engine.Weights = engine.Parameters.view(
            engine.Parameters.pack(s.weights).flat.copy(), arch.shapes)
        if body.seed is not None:
            if body.x is not None or body.y is not None or body.index is not None:
                raise InputError("seed", "a seed makes its own example: give no x, y or index")
            weights, xv, yv = seeded_problem(arch, body.seed)
        elif body.x is not None or body.y is not None:
            if body.index is not None:
                raise InputError("index", "give either x and y or an index, not both")
            if body.x is None or body.y is None:
                raise InputError("y" if body.y is None else "x", "x and y go together")
            xv, yv = s.labelled(body.x, body.y)
        else:
            ds = s.require_dataset("take an example from")
            k = s.next_index() if body.index is None else body.index
            if k is None or not 0 <= k < ds.data.n:
                raise InputError("index", f"must be between 0 and {ds.data.n - 1}")
            xv, yv = ds.data.X[k], ds.targets[k]
    quantities = tuple(body.quantities) if body.quantities else DEFAULT_QUANTITIES
    n_blanks = _count(arch, quantities)
    if body.weight is None and n_blanks > MAX_BLANKS:
        raise InputError("quantities", f"this network would have {n_blanks} blanks; at most "
                         f"{MAX_BLANKS}: ask for fewer quantities (e.g. {list(BACKWARD_QUANTITIES)[:2]}) "
                         "or one weight")
    with engine_errors():
        ex = exercises.add(lambda new_id: Exercise(
            new_id, session_id, arch, weights, lr, xv, yv, body.kind, body.rtol, body.atol,
            quantities, None if body.weight is None else
            (body.weight.layer, body.weight.i, body.weight.j), body.seed))
    return json_response(ex.public(), 201)


def _count(arch: engine.Architecture, quantities: tuple[str, ...]) -> int:
    units = sum(arch.layers[1:])
    per = {"s": units, "a": units, "loss": 1, "dL_da": units, "da_ds": units, "dL_ds": units,
           "dL_dW": sum(i * o for i, o in arch.shapes), "dL_db": units,
           "W_after": sum(i * o for i, o in arch.shapes), "b_after": units}
    return sum(per[q] for q in set(quantities))


class engine_errors:
    """An example that overflows float64 is the example's fault: 422 on x."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if kind is FloatingPointError:
            raise InputError("x", "the numbers are too large for this network: the "
                             "computation overflows float64") from None
        return False


@router.get("/api/exercises/{exercise_id}", response_model=schemas.ExerciseOut, responses=NOT_FOUND)
def get_exercise(exercise_id: str, request: Request):
    """The exercise: its blanks, what has been answered, and the values settled so far."""
    return json_response(_live(request, exercise_id).public())


@router.post("/api/exercises/{exercise_id}/answers", response_model=schemas.AnswersOut,
             responses=NOT_FOUND)
def answer(exercise_id: str, body: schemas.AnswersBody, request: Request):
    """Grade answers at once: correct within rtol of the value (or atol near 0), else a
    diagnosis when the answer is what a classic mistake gives. A blank's value is shown once
    it is settled (right, revealed, or after max_tries answers)."""
    ex = _live(request, exercise_id)
    items = [(a.blank, a.value) for a in body.answers]
    results = _exercises(request).update(ex, lambda e: e.answer(items))
    return json_response({"results": results, "score": ex.score()})


@router.post("/api/exercises/{exercise_id}/reveal", response_model=schemas.AnswersOut,
             responses=NOT_FOUND)
def reveal(exercise_id: str, body: schemas.RevealBody, request: Request):
    """Show a blank's value (it then counts as settled, not as correct)."""
    ex = _live(request, exercise_id)
    result = _exercises(request).update(ex, lambda e: e.reveal(body.blank))
    return json_response({"results": [result], "score": ex.score()})


def _live(request: Request, exercise_id: str) -> Exercise:
    ex = _exercises(request).get(exercise_id)
    request.app.state.store.get(ex.session_id)     # 404 once its session is gone
    return ex
