"""Build the FastAPI app: API routes, error handlers, security headers, the frontend."""
from __future__ import annotations

import asyncio
import gc
import logging
import sys
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Match, Mount

from .. import __version__, engine
from ..exercises import ExerciseStore
from ..live import EventHub
from ..sessions import NotFound, SessionStore, StorageError, StoreUnusable
from ..sessions.presets import LECTURE, resolve_network_spec
from ..sessions.sqlite import SqliteSessions
from .config import Settings
from .errors import install_error_handlers
from .middleware import BodySizeLimit, SecurityHeaders
from .protocol import server_options
from .routes import classes, events, exercises, health, meta, sessions, traces, training

log = logging.getLogger("backprop_explorer")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def build_store(settings: Settings) -> SessionStore:
    """The session store the settings ask for: Redis with --redis, else SQLite in the data
    folder (or memory). A data directory that cannot be used (held by another server,
    damaged, unreadable) ends the process: one line, exit code 2."""
    if settings.redis_url:
        try:
            from ..redisstore import Redis, RedisSessionStore
        except ImportError:
            print("backprop-explorer: --redis needs the redis client: pip install "
                  "'backprop-explorer[redis]'", file=sys.stderr, flush=True)
            raise SystemExit(2) from None
        return RedisSessionStore(  # type: ignore[return-value]
            Redis(settings.redis_url), max_sessions=settings.max_sessions,
            ttl_seconds=settings.session_ttl, evict_idle_seconds=settings.evict_idle,
            max_session_bytes=settings.max_session_bytes)
    try:
        backend = None if settings.memory else SqliteSessions(settings.database_path)
    except StoreUnusable as exc:
        print(f"backprop-explorer: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    return SessionStore(max_sessions=settings.max_sessions, ttl_seconds=settings.session_ttl,
                        evict_idle_seconds=settings.evict_idle, backend=backend,
                        max_session_bytes=settings.max_session_bytes)


def ensure_demo_session(store: SessionStore) -> str | None:
    """The lecture's 2-2-1 demo session: the same one across restarts while it lives.
    None (logged) when the store cannot take it now (read-only or full disk)."""
    try:
        demo_id = store.get_setting("demo_session_id")
        if demo_id:
            try:
                store.get(demo_id)
                return demo_id
            except NotFound:
                pass
        demo_id = store.create(resolve_network_spec({"preset": "lecture"})).id
        claim = getattr(store, "claim_setting", None)
        if claim is None:
            store.set_setting("demo_session_id", demo_id)
            return demo_id
        held = claim("demo_session_id", demo_id)   # several processes start at once: one wins
        if held != demo_id:
            store.delete(demo_id)
        return held
    except StorageError as exc:
        log.warning("no demo session: %s", exc)
        return None


async def _expire_periodically(store: SessionStore, every: float = 60.0) -> None:
    while True:
        try:
            await asyncio.to_thread(store.expire)
        except StorageError as exc:      # e.g. a full disk: the next round tries again
            log.warning("expiry: %s", exc)
        await asyncio.sleep(every)


ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")


def _api_fallback(app: FastAPI):
    """An /api/ path no route takes: 405 with the Allow header of the routes on that path
    (not the static mount's "GET, HEAD"), or 404."""
    async def fallback(request: Request) -> JSONResponse:
        path = request.scope["path"]
        routes = [r for r in app.router.routes if getattr(r, "endpoint", None) is not fallback
                  and not isinstance(r, Mount)]
        allowed = sorted(m for m in ALL_METHODS
                         if any(r.matches({**request.scope, "method": m})[0] == Match.FULL
                                for r in routes))
        if allowed:
            return JSONResponse(status_code=405, headers={"Allow": ", ".join(allowed)},
                                content={"detail": f"method {request.method} is not allowed "
                                         f"on {path}; allowed: {', '.join(allowed)}"})
        return JSONResponse(status_code=404, content={"detail": f"no API path {path}"})
    return fallback


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
        # where sessions are kept: said once the store is open (a data folder that cannot be
        # used has ended the start with its one line before this)
        if conn is not None:
            log.info("Sessions, exercises, classes and events: shared through Redis (%s)",
                     store.status()["notes"][0].removeprefix("shared through "))
        elif settings.memory:
            log.info("Sessions: in memory only, gone when the server stops (--memory)")
        else:
            log.info("Sessions: %s", settings.database_path)
        urls = settings.urls()      # for 0.0.0.0 / ::, the addresses students can open
        url = urls[0]
        log.info("Backprop Explorer: %s", "  ".join(urls))
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
            for hub in (app.state.events, app.state.class_events):
                if hasattr(hub, "aclose"):
                    await hub.aclose()

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
    conn = app.state.redis = getattr(store, "conn", None)     # the shared store's Redis
    if conn is None:
        app.state.exercises = ExerciseStore(None if store.backend is None
                                            else settings.database_path)
        app.state.events = EventHub()
    else:
        from ..redisstore import RedisEventHub, RedisExercises
        app.state.exercises = RedisExercises(conn, settings.session_ttl)
        app.state.events = RedisEventHub(conn)
    store.on_delete.append(app.state.exercises.delete_session)
    store.on_change.append(events.publish_change(app.state.events))
    store.on_delete.append(lambda sid: app.state.events.close(
        sid, "deleted", b'{"id": "%s"}' % sid.encode()))
    app.state.demo_session_id = None
    install_error_handlers(app)
    if conn is not None:
        from redis.exceptions import RedisError

        @app.exception_handler(RedisError)
        async def _redis_down(request: Request, exc: RedisError):
            # the stores turn their Redis errors into StorageError (503); this is the net under
            # them: Redis away is never a 500
            log.warning("Redis: %s: %s", type(exc).__name__, exc)
            return JSONResponse(status_code=503, headers={"Retry-After": str(settings.retry_after)},
                                content={"detail": "the shared store (Redis) is unavailable; "
                                         "try again later"})
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # the hot routes first: FastAPI matches routes in order
    for module in (traces, sessions, training, meta, health, exercises, events):
        app.include_router(module.router)
    classes.install(app)       # live classes: app.state.classes, its events, hooks, routes
    # after every API route, before the frontend's mount: any method, any /api/ path
    app.router.add_route("/api/{rest:path}", _api_fallback(app), methods=list(ALL_METHODS),
                         include_in_schema=False)
    # for __main__'s uvicorn.run: the connection limits (api/protocol.py)
    app.state.server_options = server_options(settings)

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


def app_from_environment() -> FastAPI:
    """The app of one worker of --workers N (uvicorn's factory): settings from BPE_*."""
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level.upper(), format="%(message)s")
    log.setLevel(settings.log_level.upper())
    return create_app(settings)


def __getattr__(name: str):
    """EnvironmentHttpProtocol: the bounded HTTP protocol (api/protocol.py) of the settings in
    BPE_*, looked up by name in each worker of --workers N (a class cannot be sent there)."""
    if name == "EnvironmentHttpProtocol":
        from .protocol import bounded_protocol
        return bounded_protocol(Settings.from_env())
    raise AttributeError(name)


__all__ = ["create_app", "app_from_environment", "LECTURE"]
