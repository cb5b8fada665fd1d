"""All server settings in one place: defaults, overridable by environment
variables (BPE_<NAME>) and by command-line flags (see __main__.py)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

import platformdirs

REPO_FRONTEND = Path(__file__).resolve().parents[3] / "frontend"


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    frontend_dir: str = str(REPO_FRONTEND)
    demo_session: bool = True
    # persistence: SQLite file in data_dir, or nothing kept with memory=True
    data_dir: str = platformdirs.user_data_dir("backprop-explorer", appauthor=False)
    memory: bool = False
    session_ttl: float = 7 * 86400      # seconds a session may stay idle before it expires
    evict_idle: float = 600             # at max_sessions, evict the oldest idle this long
    # limits
    max_layers: int = 10             # layers including input and output
    max_units: int = 1024            # units in any one layer
    max_parameters: int = 200_000    # weights + biases of one network
    max_sessions: int = 1000
    max_dataset_size: int = 10_000   # examples
    max_train_work: int = 50_000_000  # updates × batch × parameters in one train call
    max_body_bytes: int = 8_000_000
    max_gradcheck_parameters: int = 5_000   # gradcheck does 4 forward passes per parameter
    cors_origins: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"BPE_{f.name.upper()}")
            if raw is None:
                continue
            if f.type in ("int", int):
                values[f.name] = int(raw)
            elif f.type in ("float", float):
                values[f.name] = float(raw)
            elif f.type in ("bool", bool):
                values[f.name] = raw.lower() in ("1", "true", "yes", "on")
            elif f.name == "cors_origins":
                values[f.name] = [o.strip() for o in raw.split(",") if o.strip()]
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def database_path(self) -> Path:
        return Path(self.data_dir) / "sessions.db"

    # ----- store budget, response bounds and connection limits (the "store" helper's block)
    max_session_bytes: int = 1_000_000_000  # all sessions: parameters × (1 + undo levels) × 8 bytes
    max_loss_points: int = 1000      # /train: loss curve points at most (means of equal runs beyond)
    max_header_bytes: int = 65_536   # request line + headers of one request; more → 431
    header_timeout: float = 10.0     # seconds to receive a request's headers (also an idle new connection)
    body_timeout: float = 60.0       # seconds to receive a request's body once its headers are in
    keep_alive_timeout: float = 5.0  # seconds an idle keep-alive connection stays open
    shutdown_timeout: float = 10.0   # seconds a graceful shutdown waits for requests in flight
    retry_after: int = 5             # seconds a 503 (storage fault) tells clients to wait
