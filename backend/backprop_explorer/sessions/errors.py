"""Errors about sessions (the API maps them to 404, 409, 413/429 and 503)."""


class NotFound(LookupError):
    pass


class Conflict(RuntimeError):
    pass


class LimitReached(RuntimeError):
    """A server-wide limit (e.g. max_sessions) is reached. `status` 429: retry later;
    413: this request can never fit under the limit."""

    def __init__(self, limit: str, message: str, status: int = 429) -> None:
        super().__init__(f"{limit}: {message}")
        self.limit = limit
        self.status = status


class StorageError(RuntimeError):
    """The session store cannot read or write right now (disk full, read-only, I/O error);
    any change was rolled back. Clients may retry later (503 with Retry-After)."""


class StoreUnusable(RuntimeError):
    """The data directory cannot be used at start-up (held by another process, damaged,
    not writable and nothing to read); the message is one line saying what and where."""
