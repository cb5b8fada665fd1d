"""GET (and HEAD) /api/health: the server is up; the sessions held and the state of the
session store (writable, read-only and why, the last write error, quarantined sessions).
Answered from memory, never waiting for the database."""
from fastapi import APIRouter, Depends

from ... import __version__
from ...sessions import SessionStore
from .. import schemas
from ..deps import get_store
from ..serialize import json_response

router = APIRouter(prefix="/api", tags=["meta"])


@router.head("/health", include_in_schema=False)
@router.get("/health", response_model=schemas.Health)
async def health(store: SessionStore = Depends(get_store)):
    """`status` is "ok", or "degraded" when the store cannot take changes right now
    (read-only, or the last write failed: see `storage`)."""
    storage = store.status()
    return json_response({"status": "ok" if storage["writable"] else "degraded",
                          "version": __version__, "sessions": len(store), "storage": storage})
