"""The built-in datasets (health: routes/health.py)."""
from fastapi import APIRouter

from ...engine import DATASETS
from .. import schemas
from ..serialize import json_response

router = APIRouter(prefix="/api", tags=["meta"])


@router.get("/datasets", response_model=list[schemas.DatasetInfo])
async def datasets():
    """The built-in 2-D datasets and their defaults."""
    return json_response([{"name": k.name, "task": k.task, "description": k.description,
                           "default_n": k.default_n, "default_noise": k.default_noise}
                          for k in DATASETS.values()])
