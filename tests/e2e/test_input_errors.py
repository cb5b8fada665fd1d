"""Input errors block: while a toolbar field holds a refused value, Step, Forward and Backward
say so and send nothing; a refused value is never kept; a message names its field once, in
the lecture's notation, with long numbers shortened, in at most two lines of the toast."""
from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect
from test_explorer import Watch, explorer, idle  # noqa: F401  (explorer: fixture)


@pytest.fixture
def watch(explorer: Watch):  # noqa: F811
    """The explorer page; the browser's log of the 422 answers these tests provoke is expected."""
    yield explorer
    explorer.errors = [e for e in explorer.errors if "status of 422" not in e]


def runs(watch: Watch, start: int) -> list[str]:
    return [urlparse(u).path.rsplit("/", 1)[-1] for u in watch.requests[start:]
            if re.search(r"/(step|forward|backward|train)$", u)]


def status(page: Page) -> str:
    return page.locator("#status-text").inner_text().strip()


def assert_blocked(page: Page, watch: Watch, message: str) -> None:
    """S, F and B each say they did not run because of `message`, and send nothing."""
    start = len(watch.requests)
    for key, what in (("s", "Step"), ("f", "Forward"), ("b", "Backward")):
        page.keyboard.press(key)
        expect(page.locator("#status-text")).to_have_text(re.compile(rf"^{what} not run: {re.escape(message)}"))
        expect(page.get_by_test_id("status")).to_have_class(re.compile(r"\berror\b"))
    page.wait_for_timeout(200)
    assert runs(watch, start) == []


def assert_tidy(page: Page, field: str) -> None:
    """The toast names `field` once, has no long digit runs, fits two lines, × on screen."""
    text = status(page)
    assert text.startswith(f"{field}: ") or re.match(rf"^\w+ not run: {re.escape(field)}: ", text), text
    names = re.findall(r"(?<![\w*])(x|y\*|γ): ", text)
    assert len(names) == 1, text
    assert not re.search(r"\d{8,}", text), text
    lines = page.locator("#status-text").evaluate("""(el) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
    }""")
    assert 1 <= lines <= 2, (lines, text)
    box = page.locator("#status-close").bounding_box()
    size = page.viewport_size
    assert box and 0 <= box["x"] and box["x"] + box["width"] <= size["width"], box
    assert 0 <= box["y"] and box["y"] + box["height"] <= size["height"], box


def set_field(page: Page, testid: str, text: str) -> None:
    page.get_by_test_id(testid).fill(text)
    page.get_by_test_id(testid).press("Enter")


def test_a_refused_learning_rate_is_not_kept(watch: Watch, page: Page):
    page.keyboard.press("i")
    with page.expect_response(lambda r: r.request.method == "PATCH") as info:
        set_field(page, "learning-rate", "1e308")
    assert info.value.status == 422
    expect(page.locator("#status-text")).to_have_text(re.compile(r"^γ: must be ≤ 1000"))
    assert_tidy(page, "γ")
    expect(page.get_by_test_id("learning-rate")).to_have_attribute("aria-invalid", "true")
    assert_blocked(page, watch, "γ: must be ≤ 1000")
    # a good value is accepted, said so, and used
    with page.expect_response(lambda r: r.request.method == "PATCH") as info:
        set_field(page, "learning-rate", "0.1")
    assert info.value.ok and info.value.json()["network"]["learning_rate"] == 0.1
    expect(page.locator("#status-text")).to_have_text(re.compile(r"^γ = 0\.1 from the next step on"))
    expect(page.get_by_test_id("status")).not_to_have_class(re.compile(r"\berror\b"))
    expect(page.get_by_test_id("learning-rate")).not_to_have_attribute("aria-invalid", "true")
    with page.expect_response(lambda r: r.url.endswith("/step")) as info:
        page.keyboard.press("s")
    assert info.value.request.post_data_json["learning_rate"] == 0.1
    assert info.value.json()["learning_rate"] == 0.1
    # a value refused in the page (not a number) is not kept either
    set_field(page, "learning-rate", "-3")
    expect(page.locator("#status-text")).to_have_text(re.compile(r"^γ: give a positive number"))
    assert_blocked(page, watch, "γ: give a positive number")
    with page.expect_response(lambda r: r.request.method == "PATCH"):
        set_field(page, "learning-rate", "0.1")
    idle(page)
    with page.expect_response(lambda r: r.url.endswith("/step")) as info:
        page.keyboard.press("s")
    assert info.value.json()["learning_rate"] == 0.1


def test_a_refused_x_blocks_the_next_step_instead_of_using_the_old_x(watch: Watch, page: Page):
    page.keyboard.press("i")
    page.get_by_test_id("example-mode").select_option("custom")
    set_field(page, "example-x", "1, 1")
    set_field(page, "example-y", "0")
    with page.expect_response(lambda r: r.url.endswith("/step")) as info:
        page.keyboard.press("s")
    assert info.value.request.post_data_json["x"] == [1, 1]
    idle(page)
    set_field(page, "example-x", "a, b")
    expect(page.locator("#status-text")).to_have_text(re.compile(r"^x: give 2 numbers, separated by commas"))
    assert_tidy(page, "x")
    expect(page.get_by_test_id("example-x")).to_have_value("a, b")     # the text typed stays, marked
    expect(page.get_by_test_id("example-x")).to_have_attribute("aria-invalid", "true")
    assert_blocked(page, watch, "x: give 2 numbers")
    # still blocked after another change elsewhere; fixed by a good x
    set_field(page, "example-y", "1")
    assert_blocked(page, watch, "x: give 2 numbers")
    expect(page.get_by_test_id("example-x")).to_have_value("a, b")
    set_field(page, "example-x", "0.5, 0.25")
    expect(page.get_by_test_id("status")).to_be_hidden()
    with page.expect_response(lambda r: r.url.endswith("/step")) as info:
        page.keyboard.press("s")
    assert info.value.request.post_data_json["x"] == [0.5, 0.25]
    assert info.value.request.post_data_json["y"] == [1]


def test_a_huge_target_names_one_field_once(watch: Watch, page: Page):
    page.keyboard.press("i")
    page.get_by_test_id("example-mode").select_option("custom")
    set_field(page, "example-y", "1e300")
    with page.expect_response(lambda r: r.url.endswith("/step")) as info:
        page.keyboard.press("s")
    assert info.value.status == 422
    expect(page.get_by_test_id("status")).to_have_class(re.compile(r"\berror\b"))
    text = status(page)
    assert not re.search(r"(x|y\*): (x|y\*):", text), text
    field = text.split(":")[0]
    assert field in ("x", "y*"), text
    assert_tidy(page, field)
    # the refused example is not used again: the next S says so and sends nothing
    start = len(watch.requests)
    page.keyboard.press("s")
    expect(page.locator("#status-text")).to_have_text(re.compile(rf"^Step not run: {re.escape(field)}: "))
    assert runs(watch, start) == []
    set_field(page, "example-y", "1")
    with page.expect_response(lambda r: r.url.endswith("/step")) as info:
        page.keyboard.press("s")
    assert info.value.ok


def test_a_huge_x_gives_a_short_message_with_its_close_button_on_screen(watch: Watch, page: Page):
    for width, height in ((1280, 720), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.keyboard.press("Escape")
        page.get_by_test_id("example-mode").select_option("custom")
        set_field(page, "example-x", "1e308, 0")
        with page.expect_response(lambda r: r.url.endswith("/step")) as info:
            page.keyboard.press("s")
        assert info.value.status == 422
        expect(page.locator("#status-text")).to_have_text(re.compile(r"^x: x1 must be ≤ 1e300"))
        assert_tidy(page, "x")
        assert_blocked(page, watch, "x: x1 must be ≤ 1e300")
        page.locator("#status-close").click()
        expect(page.get_by_test_id("status")).to_be_hidden()
        set_field(page, "example-x", "1, 0")
        idle(page)
