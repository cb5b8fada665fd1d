"""Keyboard and accessibility: a shortcut never fires on a focused control that uses the key
itself; Enter in a toolbar field commits it and gives the keys back to the page; the shortcut
list and the setup panel keep Tab inside and return the focus; an aria-live region says each
phase in words, with the trace's numbers."""
from __future__ import annotations

import re
from urllib.parse import urlparse

from playwright.sync_api import Page, expect
from test_explorer import Watch, explorer, fmt, idle, session_id_of  # noqa: F401  (explorer: fixture)


def api_posts(watch: Watch, start: int) -> list[str]:
    return [urlparse(u).path.rsplit("/", 1)[-1] for u in watch.requests[start:] if "/api/sessions/" in u]


def active(page: Page) -> str:
    return page.evaluate("document.activeElement === document.body ? 'body' : document.activeElement.id")


def focus(page: Page, selector: str) -> None:
    page.locator(selector).focus()
    assert active(page) == selector.lstrip("#")


def test_space_on_a_focused_button_presses_that_button_not_step(explorer: Watch, page: Page):
    page.keyboard.press("i")
    with page.expect_response(lambda r: r.url.endswith("/step")):
        page.keyboard.press("s")
    idle(page)
    expect(page.get_by_test_id("session-info")).to_have_attribute("data-step", "1")
    focus(page, "#btn-undo")
    start = len(explorer.requests)
    with page.expect_response(lambda r: r.url.endswith("/undo")):
        page.keyboard.press(" ")
    idle(page)
    expect(page.get_by_test_id("session-info")).to_have_attribute("data-step", "0")
    assert "step" not in api_posts(explorer, start)
    # Enter on a focused button: the button too (Forward, not a step)
    focus(page, "#btn-forward")
    start = len(explorer.requests)
    with page.expect_response(lambda r: r.url.endswith("/forward")):
        page.keyboard.press("Enter")
    idle(page)
    assert api_posts(explorer, start) == ["forward"]
    # a letter on a focused button is still a shortcut
    with page.expect_response(lambda r: r.url.endswith("/step")):
        page.keyboard.press("s")
    idle(page)
    # Space on the focused "instant" checkbox toggles it, and runs no step
    focus(page, "#instant")
    start = len(explorer.requests)
    page.keyboard.press(" ")
    expect(page.locator("#instant")).not_to_be_checked()
    expect(page.locator("body")).not_to_have_class(re.compile(r"\binstant\b"))
    page.wait_for_timeout(200)
    assert api_posts(explorer, start) == []


def test_arrows_on_the_speed_slider_move_the_speed_not_the_phase(explorer: Watch, page: Page):
    body = page.locator("body")
    page.keyboard.press("m")
    with page.expect_response(lambda r: r.url.endswith("/step")):
        page.keyboard.press("s")
    idle(page)
    expect(body).to_have_attribute("data-phase-index", "0")
    focus(page, "#speed")
    page.keyboard.press("ArrowRight")
    expect(body).to_have_attribute("data-speed", "1.25")
    page.keyboard.press("ArrowRight")
    expect(body).to_have_attribute("data-speed", "1.5")
    page.keyboard.press("ArrowLeft")
    expect(body).to_have_attribute("data-speed", "1.25")
    assert body.get_attribute("data-phase-index") == "0"
    # on the page (nothing focused) the arrows move the phase again
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    expect(body).to_have_attribute("data-phase-index", "1")
    assert body.get_attribute("data-speed") == "1.25"


def test_letters_in_a_select_or_field_run_no_shortcut(explorer: Watch, page: Page):
    focus(page, "#example-mode")
    start = len(explorer.requests)
    for key in ("s", "t", "f", "b", "u", "r"):
        page.keyboard.press(key)
    page.wait_for_timeout(200)
    assert api_posts(explorer, start) == []
    expect(page.locator("body")).to_have_attribute("data-training", "false")


def test_enter_in_a_field_commits_it_and_returns_the_keys_to_the_page(explorer: Watch, page: Page):
    page.keyboard.press("i")
    gamma = page.get_by_test_id("learning-rate")
    gamma.fill("0.2")
    with page.expect_response(lambda r: r.request.method == "PATCH") as patch:
        gamma.press("Enter")
    assert patch.value.ok and patch.value.json()["network"]["learning_rate"] == 0.2
    assert active(page) == "body"
    with page.expect_request(lambda r: r.url.endswith("/step")) as request:
        page.keyboard.press("s")
    assert request.value.post_data_json["learning_rate"] == 0.2
    idle(page)

    page.get_by_test_id("example-mode").select_option("custom")
    x = page.get_by_test_id("example-x")
    x.fill("0.5, -1")
    x.press("Enter")
    assert active(page) == "body"
    y = page.get_by_test_id("example-y")
    y.fill("1")
    y.press("Enter")
    assert active(page) == "body"
    with page.expect_request(lambda r: r.url.endswith("/step")) as request:
        page.keyboard.press("s")
    body = request.value.post_data_json
    assert body["x"] == [0.5, -1] and body["y"] == [1] and body["learning_rate"] == 0.2
    idle(page)
    # and T trains at once after Enter
    x.fill("1, 1")
    x.press("Enter")
    page.get_by_test_id("example-mode").select_option("next")
    assert active(page) == "body"
    with page.expect_response(lambda r: r.url.endswith("/train")):
        page.keyboard.press("t")
    page.keyboard.press("t")
    idle(page)
    expect(page.locator("body")).to_have_attribute("data-training", "false")


def tab_stays_inside(page: Page, box: str, presses: int) -> None:
    for key in ("Tab", "Shift+Tab"):
        for _ in range(presses):
            page.keyboard.press(key)
            inside = page.evaluate(f"document.querySelector('{box}').contains(document.activeElement)")
            assert inside, (key, active(page))


def test_the_shortcut_list_traps_the_focus_and_returns_it(explorer: Watch, page: Page):
    focus(page, "#btn-step")
    page.keyboard.press("?")
    expect(page.get_by_test_id("help")).to_be_visible()
    assert active(page) == "btn-help-close"
    tab_stays_inside(page, "#help", 4)
    # the page's shortcuts do not run behind the open list
    start = len(explorer.requests)
    page.keyboard.press("f")
    page.wait_for_timeout(200)
    assert api_posts(explorer, start) == []
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("help")).to_be_hidden()
    assert active(page) == "btn-step"
    # opened from its button, closed with its Close button: back on the Shortcuts button
    page.locator("#btn-help").click()
    expect(page.get_by_test_id("help")).to_be_visible()
    page.keyboard.press("Enter")             # on the focused Close button
    expect(page.get_by_test_id("help")).to_be_hidden()
    assert active(page) == "btn-help"


def test_the_setup_panel_traps_the_focus_and_returns_it(explorer: Watch, page: Page):
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("a")
    expect(page.locator("#setup")).to_be_visible()
    assert page.evaluate("document.querySelector('#setup').contains(document.activeElement)")
    tab_stays_inside(page, "#setup", 20)
    page.keyboard.press("Escape")
    expect(page.locator("#setup")).to_be_hidden()
    assert active(page) == "body"
    page.locator("#btn-setup").click()
    expect(page.locator("#setup")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#setup")).to_be_hidden()
    assert active(page) == "btn-setup"


def test_the_live_region_narrates_each_phase_with_the_trace_numbers(explorer: Watch, page: Page):
    narration = page.get_by_test_id("phase-narration")
    assert narration.get_attribute("aria-live") == "polite"
    page.keyboard.press("m")
    with page.expect_response(lambda r: r.url.endswith("/step")) as info:
        page.keyboard.press("s")
    trace = info.value.json()
    idle(page)
    fwd = trace["forward"]["layers"]
    expect(narration).to_contain_text("Forward, hidden layer: ")
    expect(narration).to_contain_text(f"s of z2 = {fmt(fwd[0]['s'][1])}, z2 = σ({fmt(fwd[0]['s'][1])}) = "
                                      f"{fmt(fwd[0]['a'][1])}")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    delta_y = trace["grads"][1]["dL_ds"][0]
    expect(narration).to_contain_text("Backward, output layer: δ of y = ")
    expect(narration).to_contain_text(f"= {fmt(delta_y)}")
    page.keyboard.press("ArrowRight")
    z2 = fwd[0]["a"][1]
    w21 = trace["update"][1]["W_before"][1][0]                 # w_21^o before the update
    delta_z2 = trace["grads"][0]["dL_ds"][1]

    def factor(v: float) -> str:
        return f"({fmt(v)})" if v < 0 else fmt(v)

    expect(narration).to_contain_text("Backward, hidden layer: ")
    expect(narration).to_contain_text(
        f"δ of z2 = z2(1 − z2) · w_21^o · δ of y = {factor(z2 * (1 - z2))} · {factor(w21)} · "
        f"{factor(delta_y)} = {fmt(delta_z2)}")
    page.keyboard.press("ArrowRight")
    u = trace["update"][0]
    expect(narration).to_contain_text(
        f"w_11^h = {fmt(u['W_before'][0][0])} − {fmt(trace['learning_rate'])} · "
        f"{factor(trace['grads'][0]['dL_dW'][0][0])} = {fmt(u['W_after'][0][0])}")
    assert session_id_of(page)
