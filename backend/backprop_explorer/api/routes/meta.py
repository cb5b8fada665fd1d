"""Health and the built-in datasets."""
from fastapi import APIRouter, Depends

from ... import __version__
from ...engine import ACTIVATIONS, DATASETS, LOSSES
from ...sessions import SessionStore
from .. import schemas
from ..deps import get_store
from ..serialize import json_response

router = APIRouter(prefix="/api", tags=["meta"])


@router.get("/health", response_model=schemas.Health)
async def health(store: SessionStore = Depends(get_store)):
    return json_response({"status": "ok", "version": __version__, "sessions": len(store)})


@router.get("/datasets", response_model=list[schemas.DatasetInfo])
async def datasets():
    """The built-in 2-D datasets and their defaults."""
    return json_response([{"name": k.name, "task": k.task, "description": k.description,
                           "default_n": k.default_n, "default_noise": k.default_noise}
                          for k in DATASETS.values()])


@router.get("/meta", response_model=schemas.Meta)
async def meta():
    """The engine's activations and losses with their formulas in the lecture's notation
    (text and LaTeX; `{s}` and `{a}` stand for a unit's s and activation, e.g. z2): what the
    frontend's notation module renders, so a formula is written in one place."""
    return json_response({"activations": [a.describe() for a in ACTIVATIONS.values()],
                          "losses": [loss.describe() for loss in LOSSES.values()]})
