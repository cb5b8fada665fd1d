"""Sessions as a resource: create, read, delete, set weights, undo, export/import, dataset."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Response

from ...engine import InputError
from ...sessions import SessionStore
from ...sessions.document import dataset_to_lists, export_session
from ...sessions.presets import resolve_network_spec
from ...sessions.script_export import script
from .. import schemas
from ..config import Settings
from ..deps import get_settings, get_store
from ..limits import check_dataset_size, check_network
from ..run import on_session
from ..serialize import json_response, session_state

router = APIRouter(prefix="/api/sessions", tags=["sessions"], responses=schemas.COMMON_ERRORS)
NOT_FOUND: schemas.Responses = {404: {"model": schemas.ErrorDetail, "description": "unknown session"}}


def _dump(model) -> dict:
    return model.model_dump(exclude_none=True)


@router.post("", status_code=201, response_model=schemas.SessionState,
             responses=schemas.TOO_MANY_SESSIONS)
def create_session(body: schemas.NetworkSpec, store: SessionStore = Depends(get_store),
                   settings: Settings = Depends(get_settings)):
    """Create a session. Every field is optional; the defaults are the lecture's 2-2-1
    network (sigmoid hidden, linear output, squared loss). `"preset": "lecture"` adds the
    lecture's round weights and the 4-point XOR dataset."""
    spec = resolve_network_spec(_dump(body))
    check_network(spec["layers"], settings)
    ds = spec.get("dataset")
    if ds:
        check_dataset_size(len(ds["X"]) if ds.get("X") is not None else ds.get("n") or 0, settings)
    session = store.create(spec)
    return json_response(session_state(session), 201)


@router.post("/import", status_code=201, response_model=schemas.SessionState,
             responses=schemas.TOO_MANY_SESSIONS)
def import_session(body: schemas.SessionDocument, store: SessionStore = Depends(get_store),
                   settings: Settings = Depends(get_settings)):
    """Make a new session from an exported document."""
    check_network(body.network.layers, settings, "network.layers")
    if body.dataset is not None:
        check_dataset_size(len(body.dataset.X), settings, "dataset.X")
        if body.dataset.n is not None and body.dataset.n != len(body.dataset.X):
            raise InputError("dataset.n", f"is {body.dataset.n} but dataset.X has "
                             f"{len(body.dataset.X)} row(s)")
    session = store.import_document(body.model_dump())
    return json_response(session_state(session), 201)


@router.get("/{session_id}", response_model=schemas.SessionState, responses=NOT_FOUND)
async def read_session(session_id: str, store: SessionStore = Depends(get_store)):
    return await on_session(store, session_id, lambda s: json_response(session_state(s)))


@router.delete("/{session_id}", status_code=204, responses=NOT_FOUND)
def delete_session(session_id: str, store: SessionStore = Depends(get_store)):
    store.delete(session_id)
    return Response(status_code=204)


@router.patch("/{session_id}", response_model=schemas.SessionState,
              responses={**NOT_FOUND, 409: {"model": schemas.ErrorDetail,
                                            "description": "dataset: the session has none"}})
async def update_settings(session_id: str, body: schemas.SettingsBody,
                          store: SessionStore = Depends(get_store),
                          settings: Settings = Depends(get_settings)):
    """Change the session's learning rate γ (γ0 of the schedule), L2 strength λ, the
    learning-rate schedule γ_t, and/or regenerate its dataset (seeded: `n`, `noise`, `seed`,
    `name`, `test_fraction`; a new name brings its own default n and noise). Kept across
    reloads; not an update, so nothing to undo (weights and undo levels stay; the dataset
    position restarts at the current epoch's first example when the data changes)."""
    changes = None if body.dataset is None else _dump(body.dataset)
    if changes and changes.get("n") is not None:
        check_dataset_size(changes["n"], settings, "dataset.n")

    def run(session):
        if changes is not None:        # checked first: a refused dataset changes nothing
            session.regenerate_dataset(changes)
        if body.schedule is not None:
            session.set_schedule(body.schedule.model_dump())
        if body.learning_rate is not None or body.l2 is not None:
            session.set_hyperparameters(body.learning_rate, body.l2)
        return json_response(session_state(session))
    return await on_session(store, session_id, run)


@router.put("/{session_id}/weights", response_model=schemas.SessionState, responses=NOT_FOUND)
def set_weights(session_id: str, body: schemas.WeightsBody, store: SessionStore = Depends(get_store)):
    """Replace every weight and bias (undoable)."""
    with store.use(session_id) as session:
        session.set_weights(_dump(body)["weights"])
        return json_response(session_state(session))


@router.post("/{session_id}/undo", response_model=schemas.SessionState,
             responses={**NOT_FOUND, 409: {"model": schemas.ErrorDetail, "description": "no history"}})
def undo(session_id: str, store: SessionStore = Depends(get_store)):
    """Restore the weights (and step, epoch, dataset position) before the last change."""
    with store.use(session_id) as session:
        session.undo()
        return json_response(session_state(session))


@router.get("/{session_id}/export",
            responses={**NOT_FOUND, 409: {"model": schemas.ErrorDetail,
                                          "description": "numpy/torch: no dataset (no next example)"},
                       200: {"content": {"application/json": {}, "text/x-python": {}},
                             "description": "the session document, or a Python script"}})
def export(session_id: str, store: SessionStore = Depends(get_store),
           format: Literal["json", "numpy", "torch"] = Query(
               "json", description="json: the session document (import it back); numpy / "
               "torch: a runnable script that rebuilds the network and does its next step")
           ) -> Response:
    """The whole session (network, weights, dataset, position, undo history) as one
    document; or (format numpy / torch) a Python script that rebuilds the network, its
    weights, the next example and γ_t, does that SGD step and prints the new weights — the
    numbers the next POST /step returns."""
    with store.use(session_id) as session:
        if format == "json":
            return json_response(export_session(session))
        text = script(session, format)
    return Response(text, media_type="text/x-python", headers={
        "Content-Disposition": f'inline; filename="backprop-{session_id[:8]}-{format}.py"'})


@router.get("/{session_id}/dataset", response_model=schemas.DatasetData,
            responses={**NOT_FOUND, 409: {"model": schemas.ErrorDetail, "description": "no dataset"}})
def dataset(session_id: str, store: SessionStore = Depends(get_store)):
    """The session's training examples (targets shaped for its output layer)."""
    with store.use(session_id) as session:
        return json_response(dataset_to_lists(session.require_dataset("show")))
