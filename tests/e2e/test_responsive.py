"""Responsive layout (issue 12, item 2) in Chromium against a real server: at phone, tablet,
1280 × 720 at 100 %, 150 % and 200 % (device scale factor, i.e. the CSS viewport a zoomed
browser has) and full-HD, in the explorer and in projector mode, the page never scrolls
sideways, the phase title is not cut (its box is as wide as its text: titles wrap), the
network takes the width it has, and a screenshot of each is saved under test-artifacts/.
The 2-3-1 and 2-4-4-1 networks on the plain 1280 × 720 screen: the same checks, labels apart,
and their screenshots."""
from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from labels_geometry import geometry
from playwright.sync_api import Browser, Page, expect

# name: (CSS viewport width, height, device scale factor)
SCREENS = {
    "phone-390x844": (390, 844, 3),
    "tablet-768x1024": (768, 1024, 2),
    "1280x720": (1280, 720, 1),
    "1280x720-at-150": (1280 * 2 // 3, 720 * 2 // 3, 1.5),
    "1280x720-at-200": (640, 360, 2),
    "1920x1080": (1920, 1080, 1),
}

SIZES = """() => {
  const name = document.querySelector('[data-testid=phase-name]');
  const net = document.querySelector('svg.network').getBoundingClientRect();
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
          bodyScroll: document.body.scrollWidth,
          nameScroll: name.scrollWidth, nameClient: name.clientWidth, title: name.textContent,
          netWidth: net.width, netHeight: net.height};
}"""


def check_fits(page: Page, width: int, height: int, projector: bool) -> dict:
    sizes = page.evaluate(SIZES)
    assert sizes["scroll"] <= sizes["inner"], sizes
    assert sizes["bodyScroll"] <= sizes["inner"], sizes
    assert sizes["nameScroll"] <= sizes["nameClient"], sizes
    # the network uses the space it has: the full width on one-column screens, the width
    # beside the side panel on wide ones, and a usable height
    share = 0.95 if width <= 900 or projector else 0.6
    assert sizes["netWidth"] >= share * width - 4, sizes
    assert sizes["netHeight"] >= min(280, 0.6 * height), sizes
    return sizes


def open_page(browser: Browser, base: str, sid: str, width: int, height: int, scale: float):
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/?session={sid}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    page.locator("#instant").check()
    page.evaluate("document.activeElement.blur()")
    return context, page, errors


@pytest.mark.parametrize("screen", list(SCREENS))
def test_no_horizontal_scroll_and_the_phase_title_is_whole(browser: Browser, live_server: str,
                                                          new_session, artifacts: Path, screen: str):
    width, height, scale = SCREENS[screen]
    sid = new_session({"preset": "lecture"})
    context, page, errors = open_page(browser, live_server, sid, width, height, scale)
    try:
        # the longest titles: the hidden layer's backward phase, then the update
        page.keyboard.press("b")
        expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "backward-1")
        for projector in (False, True):
            if projector:
                page.keyboard.press("p")
                expect(page.locator("body")).to_have_class(re.compile(r"\bprojector\b"))
            sizes = check_fits(page, width, height, projector)
            assert "reuse cached δ" in sizes["title"]
            page.screenshot(path=str(artifacts / f"{screen}{'-projector' if projector else ''}.png"),
                            full_page=True)
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("layers", [[2, 3, 1], [2, 4, 4, 1]], ids=["2-3-1", "2-4-4-1"])
def test_larger_networks_on_a_laptop_screen(browser: Browser, live_server: str, artifacts: Path,
                                            layers: list[int]):
    name = "-".join(map(str, layers))
    spec = {"layers": layers, "activations": ["sigmoid"] * (len(layers) - 2) + ["linear"],
            "init": {"scheme": "xavier", "seed": 3},
            "dataset": {"X": [[0.5, 0.6], [-0.3, -0.3]], "Y": [[1.0], [0.0]]}}
    response = httpx.post(f"{live_server}/api/sessions", json=spec, timeout=10)
    assert response.status_code == 201, response.text
    sid = response.json()["id"]
    context, page, errors = open_page(browser, live_server, sid, 1280, 720, 1)
    try:
        page.keyboard.press("m")
        page.keyboard.press("s")
        expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "forward-1")
        # the hidden layer's backward phase (the busiest title), then the update
        for phase in ("backward-1", "update"):
            while page.get_by_test_id("phase").get_attribute("data-phase") != phase:
                page.keyboard.press("ArrowRight")
            check_fits(page, 1280, 720, False)
            g = geometry(page)
            assert g["overlaps"] == [] and g["covered"] == [] and g["outside"] == [], g
            page.screenshot(path=str(artifacts / f"1280x720-{name}-{phase}.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
        httpx.delete(f"{live_server}/api/sessions/{sid}", timeout=10)
