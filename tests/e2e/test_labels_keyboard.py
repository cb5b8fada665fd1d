"""Units and weights are reachable from the keyboard (issue 12, item 6, the network's part):
Tab reaches w_22^h, Enter opens its chain rule (the same selection as a click), the arrow keys
walk units and weights, and every one has an aria-label in the lecture's notation."""
from __future__ import annotations

from playwright.sync_api import Page, expect


def test_tab_to_w22h_and_enter_opens_its_chain_rule(page: Page, live_server: str, new_session):
    sid = new_session({"preset": "lecture"})
    page.goto(f"{live_server}/?session={sid}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    page.locator("#instant").check()
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("b")
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "backward-1")

    labels = page.evaluate("[...document.querySelectorAll('svg.network [tabindex=\"0\"]')]"
                           ".map((n) => n.getAttribute('aria-label'))")
    assert len(labels) == 9 + 5  # every weight (biases included) and every unit
    assert any(label.startswith("weight w_22^h") for label in labels)
    assert "hidden unit z2 (hidden layer)" in labels

    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.dataset?.testid") == "edge-1-2-2":
            break
    else:
        raise AssertionError("Tab never reached w_22^h")
    focused = page.locator(":focus")
    assert focused.get_attribute("aria-label").startswith("weight w_22^h")
    page.keyboard.press("Enter")
    expect(page.locator('[data-testid="edge-1-2-2"].selected')).to_have_count(1)
    expect(page.get_by_test_id("inspector-factor")).to_have_count(4)
    expect(page.get_by_test_id("inspector-product")).to_have_count(1)

    # arrows: from w_22^h the next is the unit z2 (after its incoming edges), then back
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.testid") == "unit-1-2"
    page.keyboard.press("Enter")
    expect(page.locator('[data-testid="unit-1-2"].selected')).to_have_count(1)
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.dataset.testid") == "edge-1-2-2"
    # the phase did not move: the arrows belonged to the network while it had the focus
    expect(page.get_by_test_id("phase")).to_have_attribute("data-phase", "backward-1")
