"""Request-scoped access to the app's store and settings (async: a sync dependency
would cost a thread-pool hop on every request)."""
from fastapi import Request

from ..sessions import SessionStore
from .config import Settings


async def get_store(request: Request) -> SessionStore:
    return request.app.state.store


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings
