"""Session life: ids, per-session lock, undo history, the store, presets."""

from .errors import Conflict, NotFound
from .session import Session, TrainResult
from .store import SessionStore

__all__ = ["Conflict", "NotFound", "Session", "TrainResult", "SessionStore"]
