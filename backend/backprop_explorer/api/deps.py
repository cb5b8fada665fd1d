"""Request-scoped access to the app's store and settings."""
from fastapi import Request

from ..sessions import SessionStore
from .config import Settings


def get_store(request: Request) -> SessionStore:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings
