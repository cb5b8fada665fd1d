"""Playwright runs Debian's Chromium (Playwright's own browser download does not work here)."""
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

# A Step animates for six phases of 700 ms (4.2 s at speed 1) before the step counter, the loss
# chart and the heatmap show its result (issue 12's honest timing), and CI machines are shared:
# Playwright's default 5 s left too little room for "wait until the step's result is drawn"
# (a CI run failed at 5 s). Waits that pass return as soon as they pass, so this only decides
# how long a failing one takes to say so.
expect.set_options(timeout=15_000)

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
