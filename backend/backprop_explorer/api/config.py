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
    max_classes: int = 100                  # live classes (classroom/)
    class_idle_timeout: float = 4 * 3600    # seconds a class may go unused before it ends
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
