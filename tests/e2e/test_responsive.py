"""Responsive layout (issue 12, item 2) in Chromium against a real server: at phone, tablet,
1280 × 720 at 150 % and 200 % (device scale factor, i.e. the CSS viewport a zoomed browser
has) and full-HD the page never scrolls sideways, the phase title is not cut (its box is as
wide as its text: titles wrap), the network takes the width it has, and a screenshot of each is
saved under tests/e2e/artifacts/ (gitignored)."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

# name: (CSS viewport width, height, device scale factor)
SCREENS = {
    "phone-390x844": (390, 844, 3),
    "tablet-768x1024": (768, 1024, 2),
    "1280x720-at-150": (1280 * 2 // 3, 720 * 2 // 3, 1.5),
    "1280x720-at-200": (640, 360, 2),
    "1920x1080": (1920, 1080, 1),
}


@pytest.mark.parametrize("projector", [False, True], ids=["explorer", "projector"])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_no_horizontal_scroll_and_the_phase_title_is_whole(browser: Browser, live_server: str,
                                                          new_session, screen: str, projector: bool):
    width, height, scale = SCREENS[screen]
    sid = new_session({"preset": "lecture"})
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{live_server}/?session={sid}")
        expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
        page.locator("#instant").check()
        page.evaluate("document.activeElement.blur()")
        if projector:
            page.keyboard.press("p")
            expect(page.locator("body")).to_have_class(__import__("re").compile(r"\bprojector\b"))
        # the longest titles: the hidden layer's backward phase, then the update
        page.keyboard.press("b")
        expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "backward-1")
        sizes = page.evaluate("""() => {
          const name = document.querySelector('[data-testid=phase-name]');
          const net = document.querySelector('svg.network').getBoundingClientRect();
          return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
                  bodyScroll: document.body.scrollWidth,
                  nameScroll: name.scrollWidth, nameClient: name.clientWidth, title: name.textContent,
                  netWidth: net.width, netHeight: net.height};
        }""")
        assert sizes["scroll"] <= sizes["inner"], sizes
        assert sizes["bodyScroll"] <= sizes["inner"], sizes
        assert sizes["nameScroll"] <= sizes["nameClient"], sizes
        assert "reuse cached δ" in sizes["title"]
        # the network uses the space it has: the full width on one-column screens, the width
        # beside the side panel on wide ones, and a usable height
        share = 0.95 if width <= 900 or projector else 0.6
        assert sizes["netWidth"] >= share * width - 4, sizes
        assert sizes["netHeight"] >= min(280, 0.6 * height), sizes
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{screen}{'-projector' if projector else ''}.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
