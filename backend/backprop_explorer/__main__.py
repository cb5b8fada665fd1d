"""`python -m backprop_explorer` / `backprop-explorer`: serve the API and the frontend."""
from __future__ import annotations

import argparse
import logging

import uvicorn

from .api.app import create_app
from .api.config import Settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="backprop-explorer", description=__doc__)
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 8000)")
    p.add_argument("--memory", action="store_true", default=None,
                   help="keep sessions in memory only (a throw-away server)")
    p.add_argument("--data-dir", default=None, help="folder of the SQLite session store "
                   "(env BPE_DATA_DIR; default: the user's data dir)")
    p.add_argument("--session-ttl", type=float, default=None,
                   help="seconds an idle session lives (env BPE_SESSION_TTL; default 7 days)")
    p.add_argument("--no-demo", action="store_true", help="don't create the demo session")
    p.add_argument("--frontend-dir", default=None, help="folder of the static frontend")
    for name in ("max_layers", "max_units", "max_parameters", "max_sessions",
                 "max_dataset_size", "max_train_work", "max_body_bytes",
                 "max_gradcheck_parameters"):
        p.add_argument("--" + name.replace("_", "-"), type=int, default=None, dest=name,
                       help=f"limit (env BPE_{name.upper()})")
    p.add_argument("--log-level", default="info")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    overrides = {k: getattr(args, k) for k in ("host", "port", "frontend_dir", "memory",
                                                "data_dir", "session_ttl", "max_layers",
                                                "max_units", "max_parameters", "max_sessions",
                                                "max_dataset_size", "max_train_work",
                                                "max_body_bytes", "max_gradcheck_parameters")}
    if args.no_demo:
        overrides["demo_session"] = False
    settings = Settings.from_env(**overrides)
    app = create_app(settings)
    logging.basicConfig(level=args.log_level.upper(), format="%(message)s")
    logging.getLogger("backprop_explorer").setLevel(args.log_level.upper())

    uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level,
                access_log=False, **app.state.server_options)


if __name__ == "__main__":
    main()
