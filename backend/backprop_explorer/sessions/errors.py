"""Errors about sessions (the API maps them to 404, 409, 429 and 503)."""


class NotFound(LookupError):
    pass


class Conflict(RuntimeError):
    pass


class LimitReached(RuntimeError):
    """A server-wide limit (e.g. max_sessions) is reached; retry later."""

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(f"{limit}: {message}")
        self.limit = limit


class StorageError(RuntimeError):
    """The session could not be persisted; the change was rolled back."""
