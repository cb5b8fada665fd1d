"""`python -m backprop_explorer` / `backprop-explorer`: serve the API and the frontend.

Every setting is a flag here and an environment variable BPE_<NAME> (api/config.py holds
them; the flags are derived from its fields). A bad value, a data folder that cannot be
written or a busy port stops the start with one line on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import difflib
import errno
import logging
import os
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, get_args, get_origin

import uvicorn

from . import __version__
from .api.config import Settings, SettingsError, field_comments

PROG = "backprop-explorer"
ALIASES = {"demo_session": ["--demo"],      # so --no-demo works, as in the first release
           "redis_url": ["--redis"]}
METAVARS = {int: "N", float: "X", str: "TEXT", list: "A,B"}
log = logging.getLogger("backprop_explorer")


class StartupError(Exception):
    """Why the server cannot start, in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:      # one line (argparse adds the usage)
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _base_type(annotation: Any) -> Any:
    if get_origin(annotation) is Annotated:
        return _base_type(get_args(annotation)[0])
    return annotation


def build_parser() -> argparse.ArgumentParser:
    """One flag per field of Settings, with the field's comment as help."""
    p = _Parser(prog=PROG, description="Serve Backprop Explorer: the REST API and the "
                                        "frontend, on one port.",
                epilog="Each flag can also be given as the environment variable BPE_<NAME> "
                       "(e.g. --max-units: BPE_MAX_UNITS); a flag wins over the variable.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    comments = field_comments()
    for name, field in Settings.model_fields.items():
        flags = [Settings.flag(name), *ALIASES.get(name, [])]
        kind = _base_type(field.annotation)
        default = field.get_default(call_default_factory=True)
        if isinstance(default, list):
            default = ",".join(default) or "none"
        text = (f"{comments.get(name, name)} (env {Settings.variable(name)}; "
                f"default {default})").replace("%", "%%")
        if kind is bool:
            p.add_argument(*flags, dest=name, action=argparse.BooleanOptionalAction,
                           default=None, help=text)
        elif get_origin(kind) is Literal:
            p.add_argument(*flags, dest=name, type=str.lower, choices=get_args(kind),
                           default=None, help=text)
        else:
            p.add_argument(*flags, dest=name, default=None, help=text,
                           metavar="DIR" if name.endswith("_dir")
                           else METAVARS.get(get_origin(kind) or kind, "VALUE"))
    return p


def check_frontend(settings: Settings) -> None:
    if not (Path(settings.frontend_dir) / "index.html").is_file():
        raise StartupError(f"no frontend in {settings.frontend_dir} (index.html missing): "
                           "reinstall the package, or give the folder with --frontend-dir "
                           "or BPE_FRONTEND_DIR")


def check_workers(settings: Settings) -> None:
    if settings.workers > 1 and not settings.redis_url:
        raise StartupError(f"--workers {settings.workers} needs --redis URL: the embedded "
                           "store (SQLite in --data-dir, or --memory) belongs to one process")


def check_data_dir(settings: Settings) -> None:
    """The session store's folder exists (created if needed) and takes a new file. A folder
    that cannot be written but already holds sessions.db is left to the store to open."""
    if settings.memory or settings.redis_url:
        return
    folder = Path(settings.data_dir)
    hint = "choose another with --data-dir or BPE_DATA_DIR, or keep nothing with --memory"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StartupError(f"the data folder {folder} cannot be created "
                           f"({e.strerror or e}); {hint}") from None
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        if not settings.database_path.is_file():
            raise StartupError(f"the data folder {folder} cannot be written "
                               f"({e.strerror or e}); {hint}") from None


def reserve_port(settings: Settings) -> socket.socket:
    """Bind and listen on the address the way uvicorn will: a busy port is found before
    anything is started or printed, and no second server can take it during the start-up.
    `release_when_started` hands it over to uvicorn."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    where = f"{settings.host}:{settings.port}"
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
        sock.listen()
    except socket.gaierror as e:
        sock.close()
        raise StartupError(f"cannot listen on {where}: unknown host {settings.host!r} "
                           f"({e.strerror}); set --host or BPE_HOST") from None
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise StartupError(f"port {settings.port} is in use on {settings.host} "
                               "(another server?); choose another with --port or "
                               "BPE_PORT") from None
        raise StartupError(f"cannot listen on {where}: {e.strerror or e}") from None
    return sock


def release_when_started(app: Any, reserved: socket.socket) -> None:
    """Close the reserved socket at the end of the app's start-up, right before uvicorn
    binds the same address."""
    startup = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        try:
            async with startup(app) as state:
                reserved.close()
                yield state
        finally:
            reserved.close()

    app.router.lifespan_context = lifespan


def load_settings(argv: list[str] | None = None) -> Settings:
    """The settings from the command line and the environment, checked; raises
    SettingsError or StartupError."""
    args = build_parser().parse_args(argv)
    settings = Settings.from_env(**{name: getattr(args, name) for name in Settings.model_fields})
    check_workers(settings)
    check_frontend(settings)
    check_data_dir(settings)
    return settings


def main(argv: list[str] | None = None) -> None:
    try:
        settings = load_settings(argv)
        reserved = reserve_port(settings)
    except SettingsError as e:
        for line in e.lines:
            print(f"{PROG}: error: {line}", file=sys.stderr)
        sys.exit(2)
    except StartupError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        sys.exit(2)

    logging.basicConfig(level=settings.log_level.upper(), format="%(message)s")
    log.setLevel(settings.log_level.upper())
    known = [Settings.variable(name) for name in Settings.model_fields]
    for name in Settings.unknown_variables():
        close = difflib.get_close_matches(name.upper(), known, n=1)
        log.warning("%s is not a setting, ignored%s", name,
                    f" (did you mean {close[0]}?)" if close else "")
    if settings.binds_every_address:           # uvicorn would print http://0.0.0.0:port
        logging.getLogger("uvicorn.error").addFilter(
            lambda record: not str(record.msg).startswith("Uvicorn running on"))

    from .api.app import create_app  # after the checks: a bad setting answers fast
    if settings.workers > 1:
        # uvicorn's supervisor starts the workers, each building its app from the settings
        # handed down in the environment (BPE_*), all on the one socket uvicorn binds
        from .api.protocol import server_options
        os.environ.update(settings.environment())
        options = server_options(settings)
        if "http" in options:           # a class made from the settings: by name, rebuilt there
            options["http"] = "backprop_explorer.api.app:EnvironmentHttpProtocol"
        reserved.close()
        from .workers import serve  # each worker on a SO_REUSEPORT socket of its own
        serve("backprop_explorer.api.app:app_from_environment", workers=settings.workers,
              host=settings.host, port=settings.port, log_level=settings.log_level,
              access_log=False, **options)
        return
    app = create_app(settings)
    release_when_started(app, reserved)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level,
                access_log=False, **app.state.server_options)


if __name__ == "__main__":
    main()
