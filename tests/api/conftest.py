"""An in-process app (FastAPI TestClient on create_app) with a fresh in-memory store per test,
and `h`, the helpers of api_helpers.Api over it (create sessions, prove that a rejected call
changed nothing)."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api_helpers import Api
from backprop_explorer.api.app import create_app
from backprop_explorer.api.config import Settings
from backprop_explorer.sessions import SessionStore


@pytest.fixture
def settings() -> Settings:
    return Settings(memory=True, demo_session=False)


@pytest.fixture
def api(settings):
    app = create_app(settings, SessionStore(max_sessions=settings.max_sessions))
    # server errors come back as 500 responses (the contract forbids them) rather than raising
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def h(api) -> Api:
    return Api(api)
