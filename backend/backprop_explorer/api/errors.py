"""Error responses: 404 unknown session, 409 conflict, 422 naming the field.
Nothing else reaches a client as a stack trace."""
from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ..engine import InputError
from ..sessions import Conflict, LimitReached, NotFound, StorageError

log = logging.getLogger("backprop_explorer")


def _loc(field: str) -> list[str | int]:
    return ["body", *(int(p) if p.isdigit() else p for p in field.split("."))]


def field_error(field: str, message: str, status_code: int = 422) -> JSONResponse:
    return JSONResponse(status_code=status_code, content={"detail": [
        {"loc": _loc(field), "msg": f"{field}: {message}", "type": "value_error"}]})


def _json_safe(value):
    """Inputs echoed back in a 422 may be inf/NaN (e.g. 1e999): say so as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        return JSONResponse(status_code=422,
                            content={"detail": _json_safe(jsonable_encoder(exc.errors()))})

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        if exc.status_code == 400:      # FastAPI: a body it could not decode (e.g. not UTF-8)
            return JSONResponse(status_code=422, content={"detail": [
                {"loc": ["body"], "msg": f"body: {exc.detail} (send UTF-8 JSON)",
                 "type": "json_invalid"}]})
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail},
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError):
        return field_error(exc.field, exc.message)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict):
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    @app.exception_handler(LimitReached)
    async def _limit(request: Request, exc: LimitReached):
        return JSONResponse(status_code=429, content={"detail": str(exc)},
                            headers={"Retry-After": "60"})

    @app.exception_handler(StorageError)
    async def _storage(request: Request, exc: StorageError):
        return JSONResponse(status_code=503, content={"detail": str(exc)})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content={"detail": "internal error"})
