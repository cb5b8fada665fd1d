"""Error responses: 404 unknown session, 409 conflict, 422 naming the field, 413/429 a
server limit (naming the setting), 503 + Retry-After a storage fault. Nothing else reaches
a client as a stack trace."""
from __future__ import annotations

import logging
import math
import sqlite3

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


def _text(value: str) -> str:
    """A string that can be encoded as UTF-8: a lone surrogate (e.g. a JSON "\\ud800")
    is written out as its escape."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _json_safe(value):
    """Inputs echoed back in a 422 may be inf/NaN (e.g. 1e999), lone surrogates or integers
    too big for a JSON encoder: say them as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**64:
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {_json_safe(k): _json_safe(v) for k, v in value.items()}
    return value


def _unavailable(request: Request, message: str) -> JSONResponse:
    retry = str(getattr(request.app.state.settings, "retry_after", 5))
    return JSONResponse(status_code=503, content={"detail": _text(message)},
                        headers={"Retry-After": retry})


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
        return field_error(exc.field, _text(exc.message))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return JSONResponse(status_code=404, content={"detail": _text(str(exc))})

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict):
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    @app.exception_handler(LimitReached)
    async def _limit(request: Request, exc: LimitReached):
        headers = {"Retry-After": "60"} if exc.status == 429 else None
        return JSONResponse(status_code=exc.status, content={"detail": str(exc)},
                            headers=headers)

    @app.exception_handler(StorageError)
    async def _storage(request: Request, exc: StorageError):
        return _unavailable(request, str(exc))

    @app.exception_handler(sqlite3.Error)
    async def _sqlite(request: Request, exc: sqlite3.Error):
        # the store turns its own errors into StorageError; this is the net under it
        log.warning("storage error on %s %s: %s", request.method, request.url.path, exc)
        return _unavailable(request, f"the session store failed ({exc}); try again later")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content={"detail": "internal error"})
