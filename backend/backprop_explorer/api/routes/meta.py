"""The built-in datasets and the engine's activation and loss table (health: routes/health.py)."""
from fastapi import APIRouter

from ...engine import ACTIVATIONS, DATASETS, LOSSES, SCHEDULES
from .. import schemas
from ..limits import MAX_UNIT_CELLS
from ..serialize import json_response

router = APIRouter(prefix="/api", tags=["meta"])


@router.get("/datasets", response_model=list[schemas.DatasetInfo])
async def datasets():
    """The built-in 2-D datasets, their defaults and the name a person reads (label)."""
    return json_response([k.describe() for k in DATASETS.values()])


@router.get("/meta", response_model=schemas.Meta)
async def meta():
    """The engine's activations, losses and learning-rate schedules with their formulas in
    the lecture's notation (text and LaTeX; `{s}` and `{a}` stand for a unit's s and
    activation, e.g. z2): what the frontend's notation module renders, so a formula is
    written in one place; and the fixed bounds a client plans its requests by (limits),
    so that bound too is written once."""
    return json_response({"activations": [a.describe() for a in ACTIVATIONS.values()],
                          "losses": [loss.describe() for loss in LOSSES.values()],
                          "schedules": [s.describe() for s in SCHEDULES.values()],
                          "limits": {"max_unit_cells": MAX_UNIT_CELLS}})
