"""Session life: ids, per-session lock, undo history, the store, presets."""

from .errors import Conflict, LimitReached, NotFound, StorageError, StoreUnusable
from .session import Session, TrainResult
from .store import SessionStore, WouldBlock

__all__ = ["Conflict", "LimitReached", "NotFound", "StorageError", "StoreUnusable", "Session",
           "TrainResult", "SessionStore", "WouldBlock"]
