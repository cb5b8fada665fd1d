"""The `api` fixture of the client tests: a Client of the worker's live `--memory` server."""
from __future__ import annotations

import pytest

from backprop_explorer.client import Client


@pytest.fixture
def api(live_server):
    with Client(live_server) as client:
        yield client
