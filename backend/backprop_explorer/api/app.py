"""Build the FastAPI app: API routes, error handlers, security headers, the frontend."""
from __future__ import annotations

import asyncio
import gc
import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from .. import __version__
from .. import engine
from ..sessions import NotFound, SessionStore
from ..sessions.sqlite import SqliteSessions
from ..sessions.presets import LECTURE, resolve_network_spec
from .config import Settings
from .errors import install_error_handlers
from .middleware import BodySizeLimit, SecurityHeaders
from ..exercises import ExerciseStore
from ..live import EventHub
from .routes import classes, events, exercises, meta, sessions, traces, training

log = logging.getLogger("backprop_explorer")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def build_store(settings: Settings) -> SessionStore:
    backend = None if settings.memory else SqliteSessions(settings.database_path)
    return SessionStore(max_sessions=settings.max_sessions, ttl_seconds=settings.session_ttl,
                        evict_idle_seconds=settings.evict_idle, backend=backend)


def ensure_demo_session(store: SessionStore) -> str:
    """The lecture's 2-2-1 demo session: the same one across restarts while it lives."""
    demo_id = store.get_setting("demo_session_id")
    if demo_id:
        try:
            store.get(demo_id)
            return demo_id
        except NotFound:
            pass
    demo_id = store.create(resolve_network_spec({"preset": "lecture"})).id
    store.set_setting("demo_session_id", demo_id)
    return demo_id


async def _expire_periodically(store: SessionStore, every: float = 60.0) -> None:
    while True:
        await asyncio.to_thread(store.expire)
        await asyncio.sleep(every)


def create_app(settings: Settings | None = None, store: SessionStore | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    store = store if store is not None else build_store(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # the compiled step (engine/compiled.py): compile, or load the cached compilation,
        # before the first request rather than during it
        engine.compiled.warm_up()
        if settings.demo_session and not app.state.demo_session_id:
            app.state.demo_session_id = ensure_demo_session(store)
        # everything made so far (modules, the app, numba's dispatchers) lives as long as the
        # process: take it out of the garbage collector's full passes, which then only look
        # at what requests create (a full pass went from ~70 ms to ~4 ms with 200 sessions)
        gc.collect()
        gc.freeze()
        sweeper = asyncio.create_task(_expire_periodically(store))
        class_sweeper = asyncio.create_task(classes.sweep(app.state.classes))
        url = f"http://{settings.host}:{settings.port}/"
        log.info("Backprop Explorer: %s", url)
        if app.state.demo_session_id:
            log.info("Demo session (the lecture's 2-2-1 network): %s?session=%s",
                     url, app.state.demo_session_id)
        try:
            yield
        finally:
            sweeper.cancel()
            class_sweeper.cancel()
            app.state.exercises.close()
            if store.backend:
                store.backend.close()

    app = FastAPI(
        title="Backprop Explorer",
        version=__version__,
        description="Numpy neural-network sessions: forward, backward (every cached δ = ∂L/∂s "
                    "and ∂L/∂w) and SGD steps, in the notation of the backpropagation lecture.",
        lifespan=lifespan,
        docs_url=None,      # served below from the vendored Swagger UI: no CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.exercises = ExerciseStore(None if store.backend is None else settings.database_path)
    store.on_delete.append(app.state.exercises.delete_session)
    app.state.events = EventHub()
    store.on_change.append(events.publish_change(app.state.events))
    store.on_delete.append(lambda sid: app.state.events.close(
        sid, "deleted", b'{"id": "%s"}' % sid.encode()))
    app.state.demo_session_id = None
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # the hot routes first: FastAPI matches routes in order
    for module in (traces, sessions, training, meta, exercises, events):
        app.include_router(module.router)
    classes.install(app)       # live classes: app.state.classes, its events, hooks, routes

    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["*"], allow_headers=["*"])

    app.add_middleware(SecurityHeaders, csp=CSP)

    frontend = Path(settings.frontend_dir)

    @app.get("/docs", include_in_schema=False)
    async def api_docs():
        return FileResponse(frontend / "api-docs.html")

    if frontend.is_dir():
        app.mount("/", StaticFiles(directory=frontend, html=True), name="frontend")
    return app


__all__ = ["create_app", "LECTURE"]
