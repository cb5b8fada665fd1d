"""Session life: ids, per-session lock, undo history, the store, presets."""

from .errors import Conflict, LimitReached, NotFound, StorageError
from .session import Session, TrainResult
from .store import SessionStore, WouldBlock

__all__ = ["Conflict", "LimitReached", "NotFound", "StorageError", "Session", "TrainResult", "SessionStore", "WouldBlock"]
