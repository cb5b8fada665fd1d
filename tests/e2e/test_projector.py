"""Projector mode shows the teaching (issue 12, item 3), in Chromium against a real server:
selecting w_22^h opens the large chain-rule overlay with the factors of the API's backward
trace; while training the loss chart and the heatmap strip are on screen; γ and the example
are always on screen."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from shown_numbers import assert_shown

SPEC = {
    "layers": [2, 2, 1],
    "activations": ["sigmoid", "linear"],
    "loss": "squared",
    "learning_rate": 0.5,
    "weights": [
        {"W": [[0.5, -0.4], [0.3, 0.8]], "b": [0.1, -0.2]},
        {"W": [[0.7], [-0.6]], "b": [0.2]},
    ],
    "dataset": {"X": [[0.5, 0.9], [-0.3, 0.7]], "Y": [[1.0], [0.0]]},
}


def on_screen(page: Page, selector: str) -> bool:
    return page.evaluate("""(sel) => {
      const n = document.querySelector(sel);
      if (!n) return false;
      const r = n.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0
        && r.right <= innerWidth + 0.5 && r.bottom <= innerHeight + 0.5;
    }""", selector)


@pytest.mark.parametrize("viewport", [(1280, 720), (1920, 1080)], ids=["1280x720", "1920x1080"])
def test_projector_overlay_shows_the_backward_trace_factors(page: Page, live_server: str, new_session,
                                                            viewport):
    sid = new_session(SPEC)
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.goto(f"{live_server}/?session={sid}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    page.locator("#instant").check()
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("p")
    expect(page.locator("body")).to_have_class(re.compile(r"\bprojector\b"))
    # γ and the example are on screen
    assert on_screen(page, "#learning-rate")
    assert on_screen(page, "#example-preview")
    expect(page.get_by_test_id("example-preview")).to_contain_text("x = ")

    with page.expect_response(lambda r: r.url.endswith(f"/api/sessions/{sid}/backward")) as info:
        page.keyboard.press("b")
    trace = info.value.json()
    expect(page.get_by_test_id("inspector-card")).to_be_hidden()
    page.get_by_test_id("edge-1-2-2").locator(".edge-hit").click(force=True)
    card = page.get_by_test_id("inspector-card")
    expect(card).to_be_visible()
    assert on_screen(page, "[data-testid=inspector-card]")
    factors = card.get_by_test_id("inspector-factor")
    expect(factors).to_have_count(4)
    forward = trace["forward"]
    y, y_star = forward["output"][0], trace["y"][0]
    z2 = forward["layers"][0]["a"][1]
    expected = [(y - y_star), SPEC["weights"][1]["W"][1][0], z2 * (1 - z2), trace["x"][1]]
    for i, value in enumerate(expected):
        assert_shown(factors.nth(i).text_content(), value, f"factor {i}")
    assert_shown(card.get_by_test_id("inspector-product").text_content(), trace["grads"][0]["dL_dW"][1][1],
                 "∂L/∂w_22^h")
    # large type: the overlay's text is bigger than the normal panel's 14 px
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.inspector-card')).fontSize)")
    assert size >= 20
    # closing it
    page.get_by_test_id("overlay-close").click()
    expect(card).to_be_hidden()

    # training: the loss chart and the heatmap strip appear, and leave with the pause
    expect(page.locator(".loss-card")).to_be_hidden()
    page.keyboard.press("t")
    expect(page.locator("body")).to_have_class(re.compile(r"\btraining\b"))
    expect(page.locator(".loss-card")).to_be_visible()
    expect(page.locator(".heatmap-card")).to_be_visible()
    expect(page.get_by_test_id("loss-summary")).to_contain_text("update", timeout=10000)
    assert on_screen(page, ".loss-card")
    page.keyboard.press("t")
    expect(page.locator("body")).not_to_have_class(re.compile(r"\btraining\b"))
    expect(page.locator(".loss-card")).to_be_hidden()
