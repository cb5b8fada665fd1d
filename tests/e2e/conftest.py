"""Playwright runs Debian's Chromium (Playwright's own browser download does not work here)."""
from pathlib import Path

import httpx
import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"],
    }


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def new_session(live_server: str):
    """new_session(spec) → the id of a session made over the API from spec; every session a
    test makes is deleted when it ends."""
    made: list[str] = []

    def make(spec: dict) -> str:
        response = httpx.post(f"{live_server}/api/sessions", json=spec, timeout=10)
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
        return made[-1]

    yield make
    for sid in made:
        httpx.delete(f"{live_server}/api/sessions/{sid}", timeout=10)
