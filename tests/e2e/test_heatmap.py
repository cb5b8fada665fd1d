"""The output heatmap against a real server.

A Step is one request: POST /step carries the heatmap's grid and its answer's grid_Y (the
updated network on that grid) is what the page draws — checked against POST /predict on the
same grid with the session's new weights, in numbers and in the canvas's pixels; the unit
thumbnails come in the same answer (grid_units), with no /predict {units: true} after it. Undo, which
is not a step, still asks /predict. Also: the loss box, sized without a layout of the page,
encloses its text exactly as a measurement of the text would.
"""
from __future__ import annotations

import json
import math

import httpx
import pytest
from heatmap_pixels import assert_drawn, cells, off_by
from playwright.sync_api import Page, expect

# The lecture's 2-2-1 with round weights, γ = 0.5 and the four XOR points: one step moves the
# output over the plane enough to change its colours (checked below, so a heatmap left on the
# old weights would fail this test).
SPEC = {"preset": "lecture"}


@pytest.fixture
def session_id(new_session) -> str:
    return new_session(SPEC)


def predict(base: str, sid: str, grid: dict) -> list[list[float]]:
    response = httpx.post(f"{base}/api/sessions/{sid}/predict", json={"grid": grid}, timeout=10)
    response.raise_for_status()
    return response.json()["Y"]


def canvas_state(page: Page) -> dict:
    canvas = page.get_by_test_id("heatmap-canvas")
    return {"step": canvas.get_attribute("data-step"), "grid": json.loads(canvas.get_attribute("data-grid"))}


def colours(page: Page, Y: list[list[float]], dataset: dict) -> list[dict]:
    """The canvas's cells next to the palette's colour of the outputs Y over the range of y*."""
    lo = min(v for row in dataset["Y"] for v in row)
    hi = max(v for row in dataset["Y"] for v in row)
    return cells(page, [row[0] for row in Y], dataset["X"], lo=lo, hi=hi)


def test_a_step_draws_the_heatmap_from_its_own_answer(page: Page, live_server: str, session_id: str):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    requests: list[tuple[str, str, str | None]] = []
    page.on("request", lambda r: requests.append((r.method, r.url, r.post_data)))

    page.goto(f"{live_server}/?session={session_id}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    canvas = page.get_by_test_id("heatmap-canvas")
    expect(canvas).to_have_attribute("data-step", "0")          # drawn from /predict on load
    dataset = httpx.get(f"{live_server}/api/sessions/{session_id}/dataset", timeout=10).json()
    grid = canvas_state(page)["grid"]
    assert grid["n"] == 40
    before = predict(live_server, session_id, grid)
    assert_drawn(colours(page, before, dataset), "after loading")

    # Step: one request, carrying the grid; its grid_Y is drawn, no /predict follows
    start = len(requests)
    with page.expect_response(lambda r: r.url.endswith(f"/api/sessions/{session_id}/step")
                              and r.request.method == "POST") as info:
        page.keyboard.press("s")
    trace = info.value.json()
    expect(canvas).to_have_attribute("data-step", str(trace["step"]))
    expect(page.locator("body")).to_have_attribute("data-busy", "false")
    # the thumbnails in the units show the new weights from the same answer (grid_units)
    for unit in ("1-1", "1-2", "2-1"):
        expect(page.get_by_test_id(f"unit-map-{unit}")).to_have_attribute("data-step", str(trace["step"]))
    page.wait_for_timeout(300)                                   # room for a stray /predict
    api_calls = [(m, u) for m, u, _ in requests[start:] if "/api/" in u]
    assert api_calls == [("POST", f"{live_server}/api/sessions/{session_id}/step")], api_calls
    body = json.loads(requests[start][2])
    assert body["grid"] == grid and body["units"] is True
    units = httpx.post(f"{live_server}/api/sessions/{session_id}/predict",
                       json={"grid": grid, "units": True}, timeout=10).json()["units"]
    assert trace["grid_units"] == units

    after = predict(live_server, session_id, grid)               # the session's new weights
    assert len(trace["grid_Y"]) == len(after) == 40 * 40
    for got, want in zip(trace["grid_Y"], after):
        assert math.isclose(got[0], want[0], rel_tol=1e-12, abs_tol=1e-14), (got, want)
    cells = colours(page, after, dataset)
    assert_drawn(cells, "after the step")
    # the step changed the picture: the colours of the old weights would not pass
    stale = colours(page, before, dataset)
    assert sum(off_by(c) > 2 for c in stale) > 100

    # Undo is not a step: the heatmap asks /predict for the restored weights
    start = len(requests)
    with page.expect_response(lambda r: r.url.endswith(f"/api/sessions/{session_id}/predict")
                              and "units" not in json.loads(r.request.post_data)):
        page.keyboard.press("u")
    expect(canvas).to_have_attribute("data-step", "0")
    assert_drawn(colours(page, before, dataset), "after undo")
    assert errors == []


def test_the_loss_box_encloses_its_text(page: Page, live_server: str, session_id: str):
    """The loss box is sized from the text's fonts (no layout of the page on each step): it must
    come out as the text's measured bounding box plus its padding, whatever the numbers."""
    page.goto(f"{live_server}/?session={session_id}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    page.keyboard.press("i")
    widths = set()
    for _ in range(6):
        step = page.locator("body").get_attribute("data-step")
        page.keyboard.press("s")
        expect(page.locator("body")).not_to_have_attribute("data-step", step)
        expect(page.locator("body")).to_have_attribute("data-busy", "false")
        box = page.evaluate("""() => {
          const g = document.querySelector('[data-testid=loss]');
          const rect = g.querySelector('rect');
          const b = [...g.querySelectorAll('text')].map((t) => t.getBBox());
          const x0 = Math.min(...b.map((r) => r.x)), x1 = Math.max(...b.map((r) => r.x + r.width));
          const y0 = Math.min(...b.map((r) => r.y)), y1 = Math.max(...b.map((r) => r.y + r.height));
          return { text: g.textContent,
                   rect: ['x', 'y', 'width', 'height'].map((k) => Number(rect.getAttribute(k))),
                   text_box: [x0 - 8, y0 - 4, x1 - x0 + 16, y1 - y0 + 8] };
        }""")
        for got, want in zip(box["rect"], box["text_box"]):
            assert abs(got - want) <= 0.15, box
        widths.add(box["rect"][2])
    assert len(widths) > 1          # the numbers changed width at least once on the way
