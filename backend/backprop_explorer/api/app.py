"""Build the FastAPI app: API routes, error handlers, security headers, the frontend."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..sessions import SessionStore
from ..sessions.presets import LECTURE, resolve_network_spec
from .config import Settings
from .errors import install_error_handlers
from .routes import meta, sessions, traces, training

log = logging.getLogger("backprop_explorer")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def create_app(settings: Settings | None = None, store: SessionStore | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    store = store or SessionStore(max_sessions=settings.max_sessions)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.demo_session and not getattr(app.state, "demo_session_id", None):
            app.state.demo_session_id = store.create(resolve_network_spec({"preset": "lecture"})).id
        url = f"http://{settings.host}:{settings.port}/"
        log.info("Backprop Explorer: %s", url)
        if app.state.demo_session_id:
            log.info("Demo session (the lecture's 2-2-1 network): %s?session=%s",
                     url, app.state.demo_session_id)
        yield

    app = FastAPI(
        title="Backprop Explorer",
        version=__version__,
        description="Numpy neural-network sessions: forward, backward (every cached δ = ∂L/∂s "
                    "and ∂L/∂w) and SGD steps, in the notation of the backpropagation lecture.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.demo_session_id = None
    install_error_handlers(app)
    for module in (meta, sessions, traces, training):
        app.include_router(module.router)

    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["*"], allow_headers=["*"])

    @app.middleware("http")
    async def security_headers(request, call_next):
        response = await call_next(request)
        if not request.url.path.startswith("/api/"):
            response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    frontend = Path(settings.frontend_dir)
    if frontend.is_dir():
        app.mount("/", StaticFiles(directory=frontend, html=True), name="frontend")
    return app


__all__ = ["create_app", "LECTURE"]
