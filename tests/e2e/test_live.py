"""Two explorer tabs on one session stay in step through GET /api/sessions/{id}/events
(frontend/js/live.js): a change made in one appears in the other, which says "updated
elsewhere"; the tab that made the change does not; a state arriving during a local
animation waits until the animation ends."""
from __future__ import annotations

import httpx
from playwright.sync_api import BrowserContext, Page, expect


def open_explorer(page: Page, url: str) -> str:
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    expect(page.locator("body")).to_have_attribute("data-live", "open", timeout=5000)
    return page.locator("body").get_attribute("data-session")


def test_a_step_in_one_tab_appears_in_the_other(context: BrowserContext, live_server: str):
    a, b = context.new_page(), context.new_page()
    sid = open_explorer(a, f"{live_server}/")
    assert open_explorer(b, f"{live_server}/?session={sid}") == sid
    a.keyboard.press("i")                       # instant: the step's result at once
    a.locator("#btn-step").click()
    expect(a.locator("body")).to_have_attribute("data-step", "1")
    expect(b.locator("body")).to_have_attribute("data-step", "1")
    expect(b.locator("#status")).to_contain_text("Updated elsewhere")
    # the same weights as the server's (B shows the session after A's step, not its own)
    server = httpx.get(f"{live_server}/api/sessions/{sid}", timeout=5).json()
    assert server["step"] == 1 and server["history"] == 1
    shown = b.evaluate("import('/js/state.js').then((m) => m.getState().session.weights)")
    assert shown == server["weights"]
    # A made the change: its own echo is not news
    expect(a.locator("#status")).not_to_contain_text("Updated elsewhere")
    assert a.locator("body").get_attribute("data-live-updates") is None

    # the other way, twice, and γ set in B reaches A
    b.keyboard.press("i")
    b.locator("#btn-step").click()
    expect(b.locator("body")).to_have_attribute("data-step", "2")
    b.locator("#btn-step").click()
    expect(b.locator("body")).to_have_attribute("data-step", "3")
    expect(a.locator("body")).to_have_attribute("data-step", "3")
    b.locator("#learning-rate").fill("0.3")
    b.locator("#learning-rate").press("Tab")
    expect(a.locator("#learning-rate")).to_have_value("0.3")
    assert httpx.get(f"{live_server}/api/sessions/{sid}", timeout=5).json()["network"]["learning_rate"] == 0.3
    # undo elsewhere goes back (a state this page had before is still news when another tab makes it)
    a.locator("#btn-undo").click()
    expect(b.locator("body")).to_have_attribute("data-step", "2")
    assert b.locator("body").get_attribute("data-live-updates") is not None


def test_a_foreign_state_waits_for_the_local_animation(context: BrowserContext, live_server: str):
    a, b = context.new_page(), context.new_page()
    sid = open_explorer(a, f"{live_server}/")
    open_explorer(b, f"{live_server}/?session={sid}")
    # animated at half speed (1.4 s a phase, 8.4 s in all): still playing, even on a slow machine,
    # when the other client's step has reached A
    b.locator("#speed").evaluate("(el) => { el.value = '0.5'; el.dispatchEvent(new Event('input')); }")
    b.locator("#btn-step").click()
    expect(b.locator("body")).to_have_attribute("data-playing", "true")
    # honest timing: B's own step shows as step 1 only at the update phase, the last
    expect(b.locator("body")).to_have_attribute("data-step", "0")
    # another client steps meanwhile
    r = httpx.post(f"{live_server}/api/sessions/{sid}/step", json={}, timeout=5)
    assert r.status_code == 200 and r.json()["step"] == 2
    expect(a.locator("body")).to_have_attribute("data-step", "2")
    # B keeps animating its own step: the trace is still there, the foreign state waits
    b.wait_for_timeout(300)
    assert b.locator("body").get_attribute("data-playing") == "true"
    assert b.locator("body").get_attribute("data-trace-kind") == "step"
    assert b.locator("body").get_attribute("data-step") in ("0", "1")
    # when the animation ends, B takes the newer state and says so
    expect(b.locator("body")).to_have_attribute("data-playing", "false", timeout=40000)
    expect(b.locator("body")).to_have_attribute("data-step", "2")
    expect(b.locator("#status")).to_contain_text("Updated elsewhere")


def test_stopping_training_is_not_news_from_elsewhere(context: BrowserContext, live_server: str):
    """The chunk in flight when Stop is pressed is still this page's own: its event (which can
    arrive before the page has read the session after it) is its echo, not "updated elsewhere"."""
    page = context.new_page()
    sid = open_explorer(page, f"{live_server}/")
    in_flight = "import('/js/state.js').then((m) => m.getState().trainInFlight)"
    for _ in range(6):
        page.locator("#btn-train").click()
        page.wait_for_timeout(300)
        page.locator("#btn-train").click()      # Stop
        for _poll in range(200):                 # the loop ends with the chunk in flight
            if not page.evaluate(in_flight):
                break
            page.wait_for_timeout(50)
        else:
            raise AssertionError("the training loop did not end after Stop")
        page.wait_for_timeout(400)               # the last chunk's event has arrived by now
    server = httpx.get(f"{live_server}/api/sessions/{sid}", timeout=5).json()
    assert int(page.locator("body").get_attribute("data-step")) == server["step"] > 0
    expect(page.locator("#status")).not_to_contain_text("Updated elsewhere")
    assert page.locator("body").get_attribute("data-live-updates") is None
