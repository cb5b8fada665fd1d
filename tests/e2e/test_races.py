"""No races: an action that replaces the page's session (Create, the lecture preset, Reset,
Import, Undo) while training runs or a step animates ends the old loop first; afterwards the
page's session is the one in the URL, and the next Step goes to it."""
from __future__ import annotations

import json
import re
from urllib.parse import urlparse

from playwright.sync_api import Page, expect
from test_explorer import Watch, explorer, idle, session_id_of  # noqa: F401  (explorer: fixture)

CREATE = lambda r: urlparse(r.url).path == "/api/sessions" and r.request.method == "POST"  # noqa: E731


def page_session(page: Page) -> str:
    return page.evaluate("async () => (await import('/js/state.js')).getState().session.id")


def start_training(page: Page) -> None:
    with page.expect_response(lambda r: r.url.endswith("/train")):
        page.keyboard.press("t")
    expect(page.locator("body")).to_have_attribute("data-training", "true")


def assert_on(page: Page, sid: str) -> None:
    """The URL, the page's state and the next Step all name session `sid`."""
    expect(page.locator("body")).to_have_attribute("data-training", "false")
    assert session_id_of(page) == sid
    assert page.locator("body").get_attribute("data-session") == sid
    assert page_session(page) == sid
    with page.expect_request(lambda r: r.url.endswith("/step")) as request:
        page.keyboard.press("s")
    assert urlparse(request.value.url).path == f"/api/sessions/{sid}/step"
    idle(page)
    assert page_session(page) == sid and session_id_of(page) == sid
    expect(page.get_by_test_id("session-info")).to_have_attribute("data-step", "1")


def test_create_while_training_always_ends_on_the_new_session(explorer: Watch, page: Page):
    page.keyboard.press("i")
    page.keyboard.press("a")
    expect(page.locator("#setup")).to_be_visible()
    made = set()
    for _ in range(10):
        start_training(page)
        with page.expect_response(CREATE) as info:
            page.get_by_test_id("btn-create").click()
        new = info.value.json()["id"]
        assert new not in made
        made.add(new)
        idle(page)
        # room for an answer of the old loop still on its way (it must not land)
        page.wait_for_timeout(100)
        assert_on(page, new)


def test_preset_reset_and_import_while_training_end_on_the_new_session(explorer: Watch, page: Page,
                                                                      tmp_path):
    page.keyboard.press("i")
    with page.expect_download() as download:
        page.keyboard.press("e")
    path = tmp_path / "session.json"
    download.value.save_as(path)
    assert json.loads(path.read_text())["format"] == "backprop-explorer-session"
    page.keyboard.press("a")

    def lecture():
        page.locator("#btn-lecture").click()

    def reset():
        page.locator("#btn-reset").click()

    def import_file():
        page.locator("#import-file").set_input_files(str(path))

    for action in (lecture, reset, import_file):
        start_training(page)
        with page.expect_response(lambda r: r.request.method == "POST"
                                  and re.search(r"/api/sessions(/import)?$", urlparse(r.url).path)) as info:
            action()
        new = info.value.json()["id"]
        idle(page)
        page.wait_for_timeout(100)
        assert_on(page, new)


def test_undo_while_training_stops_it_and_undoes_on_the_shown_session(explorer: Watch, page: Page):
    page.keyboard.press("i")
    sid = session_id_of(page)
    start_training(page)
    with page.expect_response(lambda r: r.url.endswith("/undo")) as info:
        page.keyboard.press("u")
    undone = info.value.json()
    idle(page)
    page.wait_for_timeout(100)
    expect(page.locator("body")).to_have_attribute("data-training", "false")
    served = page.request.get(f"{explorer.base}/api/sessions/{sid}").json()
    # the page shows what the server holds: the last train chunk was not applied over the undo
    assert served["step"] == undone["step"]
    expect(page.get_by_test_id("session-info")).to_have_attribute("data-step", str(served["step"]))
    assert page.evaluate("async () => (await import('/js/state.js')).getState().session.step") == served["step"]


def test_reset_while_a_step_animates_stops_the_animation(explorer: Watch, page: Page):
    page.locator("#speed").evaluate("(el) => { el.value = '0.25'; el.dispatchEvent(new Event('input')); }")
    with page.expect_response(lambda r: r.url.endswith("/step")):
        page.keyboard.press("s")
    expect(page.locator("body")).to_have_attribute("data-playing", "true")
    old = session_id_of(page)
    with page.expect_response(CREATE) as info:
        page.keyboard.press("r")
    new = info.value.json()["id"]
    idle(page)
    assert new != old and session_id_of(page) == new == page_session(page)
    expect(page.locator("body")).to_have_attribute("data-trace-kind", "none")
    expect(page.get_by_test_id("session-info")).to_have_attribute("data-step", "0")
    page.keyboard.press("i")
    assert_on(page, new)


def test_undo_while_a_step_animates_stops_it_and_shows_the_undone_state(explorer: Watch, page: Page):
    sid = session_id_of(page)
    page.locator("#speed").evaluate("(el) => { el.value = '0.25'; el.dispatchEvent(new Event('input')); }")
    with page.expect_response(lambda r: r.url.endswith("/step")):
        page.keyboard.press("s")
    expect(page.locator("body")).to_have_attribute("data-playing", "true")
    with page.expect_response(lambda r: r.url.endswith("/undo")) as info:
        page.keyboard.press("u")
    assert info.value.json()["step"] == 0
    idle(page)
    expect(page.locator("body")).to_have_attribute("data-trace-kind", "none")
    expect(page.get_by_test_id("session-info")).to_have_attribute("data-step", "0")
    expect(page.get_by_test_id("loss-summary")).to_have_text("No updates yet")
    assert page.request.get(f"{explorer.base}/api/sessions/{sid}").json()["step"] == 0
    page.keyboard.press("i")
    assert_on(page, sid)
