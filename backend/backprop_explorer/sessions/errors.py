"""Errors about sessions (the API maps them to 404 and 409)."""


class NotFound(LookupError):
    pass


class Conflict(RuntimeError):
    pass
