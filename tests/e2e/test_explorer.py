"""The explorer page against a real in-memory server, in Debian's Chromium.

Covers: the values drawn after a Step equal the API's step trace to the displayed
precision (format.js's rules, mirrored below); every keyboard shortcut does its
action; micro-step forward and back; reload resumes the session; an unknown
session id starts a new one and says so; export/import; CSV upload and the
architecture editor; projector mode fills 1280×720 and 1920×1080 without
scrolling; screenshots; no console errors and only same-origin requests.
"""
from __future__ import annotations

import json
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Page, expect

MINUS = "\u2212"


# ----------------------------------------------------------------- format.js, in Python

def fmt(value: float | None, digits: int = 4) -> str:
    """formatNumber() of frontend/js/format.js: 4 significant digits, zeros stripped,
    scientific outside [1e-3, 1e4), typographic minus; rounding on the exact binary
    value, ties away from zero (JavaScript's toPrecision)."""
    if value is None:
        return "—"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else MINUS + "∞"
    if value == 0:
        return "0"
    sign = MINUS if value < 0 else ""
    exact = Decimal(abs(value))
    exponent = exact.adjusted()
    rounded = exact.quantize(Decimal(1).scaleb(exponent - digits + 1), rounding=ROUND_HALF_UP)
    if rounded.adjusted() != exponent:  # 9.9996 -> 10.00: one more digit before the point
        exponent = rounded.adjusted()
        rounded = exact.quantize(Decimal(1).scaleb(exponent - digits + 1), rounding=ROUND_HALF_UP)

    def strip(text: str) -> str:
        return text.rstrip("0").rstrip(".") if "." in text else text

    if Decimal("0.001") <= abs(exact) and rounded < Decimal(10) ** digits:
        return sign + strip(format(rounded, "f"))
    mantissa = strip(format(rounded.scaleb(-exponent), "f"))
    return f"{sign}{mantissa}e{MINUS if exponent < 0 else ''}{abs(exponent)}"


def test_python_mirror_of_format_js():
    assert fmt(0.5) == "0.5"
    assert fmt(0.123456) == "0.1235"
    assert fmt(-0.25) == MINUS + "0.25"
    assert fmt(1234.5) == "1235"
    assert fmt(1.5e-5) == f"1.5e{MINUS}5"
    assert fmt(123456) == "1.235e5"
    assert fmt(9999.7) == "1e4"
    assert fmt(0.0012344) == "0.001234"
    assert fmt(0) == "0"


# ----------------------------------------------------------------- page helpers

class Watch:
    """Collects console errors, page errors and requests to other origins."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.origin = urlparse(base)
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.requests: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("request", self._request)

    def _console(self, msg) -> None:
        if msg.type == "error":
            self.errors.append(f"console: {msg.text}")

    def _request(self, request) -> None:
        self.requests.append(request.url)
        url = urlparse(request.url)
        if url.scheme in ("data", "blob"):
            return
        if (url.scheme, url.netloc) != (self.origin.scheme, self.origin.netloc):
            self.foreign.append(request.url)

    def check(self) -> None:
        assert not self.errors, self.errors
        assert not self.foreign, self.foreign
        assert self.requests, "the page made no requests at all?"


@pytest.fixture
def explorer(page: Page, live_server: str):
    watch = Watch(page, live_server)
    open_page(page, live_server)
    yield watch
    watch.check()


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    expect(page.locator("body")).to_have_attribute("data-busy", "false")
    expect(page.get_by_test_id("unit-2-1")).to_be_visible()


def session_id_of(page: Page) -> str:
    return parse_qs(urlparse(page.url).query)["session"][0]


def idle(page: Page, timeout: float = 15000) -> None:
    expect(page.locator("body")).to_have_attribute("data-busy", "false", timeout=timeout)
    # after Pause the chunk in flight still lands (the server applies it): wait for it
    expect(page.locator("body")).to_have_attribute("data-train-in-flight", "false", timeout=timeout)
    expect(page.locator("body")).to_have_attribute("data-playing", "false", timeout=timeout)


def press_and_get(page: Page, key: str, endpoint: str) -> dict:
    with page.expect_response(lambda r: urlparse(r.url).path.endswith(endpoint)
                              and r.request.method == "POST") as info:
        page.keyboard.press(key)
    response = info.value
    assert response.ok, response.text()
    idle(page)
    return response.json()


def step_count(page: Page) -> int:
    return int(page.get_by_test_id("session-info").get_attribute("data-step"))


def shown(page: Page, testid: str, role: str) -> str:
    return page.locator(f'[data-testid="{testid}"] [data-role="{role}"]').text_content().strip()


def api_session(base: str, sid: str) -> dict:
    response = httpx.get(f"{base}/api/sessions/{sid}", timeout=10)
    response.raise_for_status()
    return response.json()


# ----------------------------------------------------------------- the values of one step

def test_step_shows_the_api_step_trace(explorer: Watch, page: Page):
    """Press Step with the normal animation; when it ends, every activation, δ,
    ∂L/∂a, ∂L/∂w and new weight on screen is the trace's, as format.js shows it."""
    trace = press_and_get(page, "s", "/step")
    expect(page.get_by_test_id("phase-name")).to_contain_text("Update: w ← w − γ·∂L/∂w")
    layers = [2, 2, 1]
    forward = trace["forward"]

    for i, x in enumerate(trace["x"], start=1):
        unit = page.get_by_test_id(f"unit-0-{i}")
        assert unit.get_attribute("data-a") == fmt(x)
        assert shown(page, f"unit-0-{i}-values", "a") == fmt(x)

    checked = 0
    for l in range(1, len(layers)):
        fl = forward["layers"][l - 1]
        g = trace["grads"][l - 1]
        u = trace["update"][l - 1]
        for j in range(1, layers[l] + 1):
            unit = page.get_by_test_id(f"unit-{l}-{j}")
            values = f"unit-{l}-{j}-values"
            for attr, role, value in (("data-s", "s", fl["s"][j - 1]), ("data-a", "a", fl["a"][j - 1]),
                                      ("data-dlda", "dlda", g["dL_da"][j - 1]),
                                      ("data-delta", "delta", g["dL_ds"][j - 1])):
                assert unit.get_attribute(attr) == fmt(value), (l, j, attr)
                assert shown(page, values, role) == fmt(value), (l, j, role)
                checked += 1
            for i in range(0, layers[l - 1] + 1):
                edge = page.get_by_test_id(f"edge-{l}-{i}-{j}")
                label = f"edge-{l}-{i}-{j}-label"
                if i == 0:
                    w, grad, new = u["b_before"][j - 1], g["dL_db"][j - 1], u["b_after"][j - 1]
                else:
                    w, grad = u["W_before"][i - 1][j - 1], g["dL_dW"][i - 1][j - 1]
                    new = u["W_after"][i - 1][j - 1]
                assert edge.get_attribute("data-w") == fmt(w), (l, i, j)
                assert edge.get_attribute("data-dl-dw") == fmt(grad), (l, i, j)
                assert edge.get_attribute("data-w-after") == fmt(new), (l, i, j)
                assert shown(page, label, "w") == fmt(w)
                assert shown(page, label, "w_after") == fmt(new)
                arithmetic = shown(page, label, "arithmetic")
                assert fmt(trace["learning_rate"]) in arithmetic
                assert fmt(grad) in arithmetic and arithmetic.startswith(f"= {fmt(w)} − ")
                checked += 3
    assert checked == 2 * 4 + 4 + 9 * 3
    loss = page.get_by_test_id("loss")
    assert loss.get_attribute("data-loss") == fmt(trace["loss"])
    assert loss.get_attribute("data-target") == fmt(trace["y"][0])
    expect(loss).to_contain_text(fmt(trace["loss"]))
    # The cached δ of every non-input unit is on screen, marked as cached.
    expect(page.locator(".cache-badge:visible")).to_have_count(3)
    # The weights drawn are now the session's.
    state = api_session(explorer.base, session_id_of(page))
    assert state["step"] == trace["step"] == step_count(page)
    assert state["weights"][0]["W"] == trace["update"][0]["W_after"]


def test_backward_marks_the_reuse_of_cached_deltas(explorer: Watch, page: Page):
    """In micro-step mode the hidden layer's backward phase shows the output δ being reused."""
    page.keyboard.press("m")
    trace = press_and_get(page, "b", "/backward")
    assert trace["grads"]
    for _ in range(4):  # forward 1, forward 2, loss, backward 2 -> backward 1
        page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("phase-name")).to_contain_text("Backward · hidden layer: reuse cached δ")
    expect(page.locator('.edge.reuse')).to_have_count(2)   # w_11^o and w_21^o carry δ_y down
    expect(page.locator('[data-testid="unit-2-1-values"].reused')).to_have_count(1)
    assert page.get_by_test_id("unit-1-2").get_attribute("data-delta") == fmt(trace["grads"][0]["dL_ds"][1])


# ----------------------------------------------------------------- shortcuts

def test_every_keyboard_shortcut_does_its_action(explorer: Watch, page: Page, tmp_path):
    body = page.locator("body")
    page.keyboard.press("i")  # instant first: the checks below need no animation
    expect(body).to_have_class(re.compile(r"\binstant\b"))

    # f: forward only
    trace = press_and_get(page, "f", "/forward")
    assert "grads" not in trace
    expect(body).to_have_attribute("data-trace-kind", "forward")
    # b: forward + backward
    trace = press_and_get(page, "b", "/backward")
    assert "grads" in trace
    expect(body).to_have_attribute("data-trace-kind", "backward")
    # s and Space: one step each
    before = step_count(page)
    press_and_get(page, "s", "/step")
    expect(page.get_by_test_id("session-info")).to_have_attribute("data-step", str(before + 1))
    press_and_get(page, " ", "/step")
    expect(page.get_by_test_id("session-info")).to_have_attribute("data-step", str(before + 2))
    expect(body).to_have_attribute("data-trace-kind", "step")
    # u: undo
    press_and_get(page, "u", "/undo")
    expect(page.get_by_test_id("session-info")).to_have_attribute("data-step", str(before + 1))
    # t: train continuously, t again: pause
    with page.expect_response(lambda r: r.url.endswith("/train")):
        page.keyboard.press("t")
    expect(body).to_have_attribute("data-training", "true")
    expect(page.locator("#btn-train")).to_have_attribute("aria-pressed", "true")
    # the first chunk's updates reach the page (under load after its response, at its frame)
    expect(page.get_by_test_id("session-info")).not_to_have_attribute("data-step",
                                                                       str(before + 1))
    page.keyboard.press("t")
    expect(body).to_have_attribute("data-training", "false")
    idle(page)
    assert step_count(page) > before + 1
    # r: reset makes a new session (new id in the URL) and says so
    old = session_id_of(page)
    with page.expect_response(lambda r: urlparse(r.url).path == "/api/sessions" and r.request.method == "POST"):
        page.keyboard.press("r")
    idle(page)
    expect(page).not_to_have_url(re.compile(old))
    assert step_count(page) == 0
    expect(page.get_by_test_id("status")).to_contain_text("Reset")
    # n: next example (with "pick by index", the index moves on)
    page.get_by_test_id("example-mode").select_option("index")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("n")
    expect(page.get_by_test_id("example-index")).to_have_value("1")
    # m, → and ←: micro-step mode and phases
    page.keyboard.press("m")
    expect(body).to_have_class(re.compile(r"\bmicrostep\b"))
    press_and_get(page, "s", "/step")
    expect(body).to_have_attribute("data-phase-index", "0")
    page.keyboard.press("ArrowRight")
    expect(body).to_have_attribute("data-phase-index", "1")
    page.keyboard.press("ArrowLeft")
    expect(body).to_have_attribute("data-phase-index", "0")
    page.keyboard.press("m")
    expect(body).not_to_have_class(re.compile(r"\bmicrostep\b"))
    # i: instant off again
    page.keyboard.press("i")
    expect(body).not_to_have_class(re.compile(r"\binstant\b"))
    # + and -: animation speed
    speed = float(body.get_attribute("data-speed"))
    page.keyboard.press("+")
    expect(body).not_to_have_attribute("data-speed", str(speed).rstrip("0").rstrip("."))
    faster = float(body.get_attribute("data-speed"))
    assert faster > speed
    page.keyboard.press("-")
    assert float(body.get_attribute("data-speed")) < faster
    # a: setup panel
    page.keyboard.press("a")
    expect(page.locator("#setup")).to_be_visible()
    page.keyboard.press("a")
    expect(page.locator("#setup")).to_be_hidden()
    # p: projector mode
    page.keyboard.press("p")
    expect(body).to_have_class(re.compile(r"\bprojector\b"))
    expect(page.locator(".side")).to_be_hidden()
    page.keyboard.press("p")
    expect(body).not_to_have_class(re.compile(r"\bprojector\b"))
    # e: export downloads the session document
    with page.expect_download() as download:
        page.keyboard.press("e")
    path = tmp_path / "export.json"
    download.value.save_as(path)
    assert json.loads(path.read_text())["format"] == "backprop-explorer-session"
    # ?: the shortcut list, Esc closes it
    page.keyboard.press("?")
    help_box = page.get_by_test_id("help")
    expect(help_box).to_be_visible()
    for key in ("F", "B", "S", "Space", "T", "U", "R", "N", "M", "→", "←", "I", "+", "P", "A", "E", "?", "Esc"):
        expect(help_box.locator("kbd", has_text=re.compile(f"^{re.escape(key)}$", re.I)).first).to_be_visible()
    page.keyboard.press("Escape")
    expect(help_box).to_be_hidden()
    # Esc also clears a selection made by clicking a weight
    page.get_by_test_id("edge-1-2-2").locator(".edge-hit").click(force=True)
    expect(page.locator('[data-testid="edge-1-2-2"].selected')).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.locator(".edge.selected")).to_have_count(0)


def test_buttons_mirror_the_shortcuts(explorer: Watch, page: Page):
    page.locator("#instant").check()
    with page.expect_response(lambda r: r.url.endswith("/step")):
        page.locator("#btn-step").click()
    idle(page)
    assert step_count(page) == 1
    with page.expect_response(lambda r: r.url.endswith("/undo")):
        page.locator("#btn-undo").click()
    idle(page)
    assert step_count(page) == 0
    expect(page.locator("#btn-undo")).to_be_disabled()


# ----------------------------------------------------------------- micro-step

def test_micro_step_goes_forward_and_back_naming_each_phase(explorer: Watch, page: Page):
    page.keyboard.press("m")
    press_and_get(page, "s", "/step")
    name = page.get_by_test_id("phase-name")
    y = page.get_by_test_id("unit-2-1")
    expected = ["Forward · hidden layer", "Forward · output layer", "Loss: L = ½ Σ (y − y*)²",
                "Backward · output layer: δ = ∂L/∂s cached", "Backward · hidden layer: reuse cached δ",
                "Update: w ← w − γ·∂L/∂w"]
    expect(name).to_contain_text(expected[0])
    assert y.get_attribute("data-s") == ""            # the output is not computed yet
    assert page.get_by_test_id("unit-1-1").get_attribute("data-s") != ""
    for title in expected[1:]:
        page.keyboard.press("ArrowRight")
        expect(name).to_contain_text(title)
    assert page.get_by_test_id("edge-1-1-1").get_attribute("data-w-after") != ""
    page.keyboard.press("ArrowRight")                # already at the end: stays
    expect(name).to_contain_text(expected[-1])
    for title in reversed(expected[:-1]):
        page.keyboard.press("ArrowLeft")
        expect(name).to_contain_text(title)
    assert y.get_attribute("data-s") == ""
    assert page.get_by_test_id("edge-1-1-1").get_attribute("data-w-after") == ""
    assert page.get_by_test_id("unit-1-1").get_attribute("data-delta") == ""
    # the on-screen buttons do the same
    page.locator("#btn-next").click()
    expect(name).to_contain_text(expected[1])
    page.locator("#btn-prev").click()
    expect(name).to_contain_text(expected[0])


# ----------------------------------------------------------------- sessions in the URL

def test_reload_resumes_the_session(explorer: Watch, page: Page):
    page.keyboard.press("i")
    press_and_get(page, "s", "/step")
    press_and_get(page, "s", "/step")
    sid = session_id_of(page)
    state = api_session(explorer.base, sid)
    assert state["step"] == 2
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    assert session_id_of(page) == sid
    expect(page.get_by_test_id("session-info")).to_have_attribute("data-step", "2")
    for l, layer in enumerate(state["weights"], start=1):
        for j, b in enumerate(layer["b"], start=1):
            assert page.get_by_test_id(f"edge-{l}-0-{j}").get_attribute("data-w") == fmt(b)
        for i, row in enumerate(layer["W"], start=1):
            for j, w in enumerate(row, start=1):
                assert page.get_by_test_id(f"edge-{l}-{i}-{j}").get_attribute("data-w") == fmt(w)


def test_unknown_session_starts_a_new_one_and_says_so(page: Page, live_server: str):
    watch = Watch(page, live_server)
    missing = "0" * 32
    page.goto(f"{live_server}/?session={missing}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    assert session_id_of(page) != missing
    expect(page.get_by_test_id("status")).to_contain_text("not found")
    # The browser logs the expected 404 of GET /api/sessions/<missing> as a failed resource.
    watch.errors = [e for e in watch.errors if "404" not in e]
    watch.check()


def test_export_then_import_makes_a_new_session(explorer: Watch, page: Page, tmp_path):
    page.keyboard.press("i")
    press_and_get(page, "s", "/step")
    with page.expect_download() as download:
        page.locator("#btn-export").click()
    path = tmp_path / "session.json"
    download.value.save_as(path)
    old = session_id_of(page)
    with page.expect_response(lambda r: r.url.endswith("/api/sessions/import")):
        page.locator("#import-file").set_input_files(str(path))
    idle(page)
    assert session_id_of(page) != old
    expect(page.get_by_test_id("session-info")).to_have_attribute("data-step", "1")
    expect(page.get_by_test_id("status")).to_contain_text("Imported")


def test_csv_upload_and_architecture_editor(explorer: Watch, page: Page, tmp_path):
    page.keyboard.press("a")
    csv = tmp_path / "points.csv"
    csv.write_text("x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n0.5,0.5,1\n")
    with page.expect_response(lambda r: urlparse(r.url).path == "/api/sessions" and r.request.method == "POST"):
        page.get_by_test_id("setup-csv").set_input_files(str(csv))
    idle(page)
    state = api_session(explorer.base, session_id_of(page))
    assert state["dataset"]["n"] == 5
    # a deeper network: layer superscripts in the labels, one phase per layer
    page.get_by_test_id("setup-layers").fill("2-3-3-1")
    page.get_by_test_id("setup-layers").dispatch_event("change")
    page.get_by_test_id("setup-activation-2").select_option("tanh")
    with page.expect_response(lambda r: urlparse(r.url).path == "/api/sessions" and r.request.method == "POST"):
        page.get_by_test_id("btn-create").click()
    idle(page)
    state = api_session(explorer.base, session_id_of(page))
    assert state["network"]["layers"] == [2, 3, 3, 1]
    assert state["network"]["activations"] == ["sigmoid", "tanh", "linear"]
    assert page.get_by_test_id("edge-2-1-3").get_attribute("data-label") == "w₁₃⁽²⁾"
    assert page.get_by_test_id("unit-2-3").get_attribute("data-label") == "z₃⁽²⁾"
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("i")
    trace = press_and_get(page, "s", "/step")
    assert page.get_by_test_id("unit-2-3").get_attribute("data-delta") == fmt(trace["grads"][1]["dL_ds"][2])
    expect(page.locator(".phase-chips li")).to_have_count(3 + 1 + 3 + 1)


def test_wide_layers_collapse_visibly(explorer: Watch, page: Page):
    page.keyboard.press("a")
    page.get_by_test_id("setup-layers").fill("2-20-16-16-16-1")
    page.get_by_test_id("setup-layers").dispatch_event("change")
    with page.expect_response(lambda r: urlparse(r.url).path == "/api/sessions" and r.request.method == "POST"):
        page.get_by_test_id("btn-create").click()
    idle(page)
    expect(page.get_by_test_id("more-1")).to_contain_text("… 5 more")
    expect(page.get_by_test_id("unit-1-15")).to_be_visible()
    expect(page.get_by_test_id("unit-1-16")).to_have_count(0)
    expect(page.get_by_test_id("unit-3-16")).to_be_visible()


# ----------------------------------------------------------------- projector mode, screenshots

def no_scrollbars(page: Page) -> None:
    sizes = page.evaluate("""() => ({sh: document.scrollingElement.scrollHeight, ih: innerHeight,
                                     sw: document.scrollingElement.scrollWidth, iw: innerWidth})""")
    assert sizes["sh"] <= sizes["ih"] and sizes["sw"] <= sizes["iw"], sizes


def test_screenshots_and_projector_mode_fit_without_scrolling(explorer: Watch, page: Page, artifacts):
    page.set_viewport_size({"width": 1280, "height": 720})
    press_and_get(page, "s", "/step")
    no_scrollbars(page)
    page.screenshot(path=str(artifacts / "explorer-1280x720.png"))

    page.keyboard.press("p")
    expect(page.locator("body")).to_have_class(re.compile(r"\bprojector\b"))
    expect(page.locator(".side")).to_be_hidden()
    expect(page.locator("#setup")).to_be_hidden()
    page.wait_for_timeout(300)
    for width, height in ((1280, 720), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)
        no_scrollbars(page)
        # the whole 2-2-1 network is on screen and uses most of it
        box = page.get_by_test_id("network").bounding_box()
        assert box["width"] >= 0.95 * width and box["height"] >= 0.7 * height, box
        for testid in ("unit-0-1", "unit-0-2", "unit-1-1", "unit-1-2", "unit-2-1", "loss",
                       "unit-1-2-values", "unit-2-1-values"):
            b = page.get_by_test_id(testid).bounding_box()
            assert b and b["x"] >= 0 and b["y"] >= 0, testid
            assert b["x"] + b["width"] <= width and b["y"] + b["height"] <= height, (testid, b)
        page.screenshot(path=str(artifacts / f"explorer-projector-{width}x{height}.png"))
    # Larger type than the normal view: the unit names grow with the screen.
    size = page.get_by_test_id("unit-1-1").locator(".unit-name").bounding_box()["height"]
    page.keyboard.press("p")
    page.wait_for_timeout(300)
    assert page.get_by_test_id("unit-1-1").locator(".unit-name").bounding_box()["height"] < size


def test_undo_without_history_explains_instead_of_calling(explorer: Watch, page: Page):
    requests_before = len(explorer.requests)
    page.keyboard.press("u")
    expect(page.get_by_test_id("status")).to_contain_text("nothing to undo")
    assert not any(url.endswith("/undo") for url in explorer.requests[requests_before:])
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("status")).to_be_hidden()


def test_typed_example_and_learning_rate_go_into_the_step(explorer: Watch, page: Page):
    page.get_by_test_id("example-mode").select_option("custom")
    page.get_by_test_id("example-x").fill("0.5, -2")
    page.get_by_test_id("example-y").fill("3")
    page.get_by_test_id("example-y").dispatch_event("change")
    page.get_by_test_id("learning-rate").fill("0.25")
    page.get_by_test_id("learning-rate").dispatch_event("change")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("i")
    with page.expect_request(lambda r: r.url.endswith("/step")) as request:
        trace = press_and_get(page, "s", "/step")
    # (and the heatmap's grid, whose outputs and the unit thumbnails' grids come back with the
    # step: test_heatmap.py)
    grid = json.loads(page.get_by_test_id("heatmap-canvas").get_attribute("data-grid"))
    assert request.value.post_data_json == {"x": [0.5, -2], "y": [3], "learning_rate": 0.25, "grid": grid,
                                            "units": True}
    assert trace["learning_rate"] == 0.25 and trace["example_index"] is None
    assert page.get_by_test_id("unit-0-2").get_attribute("data-a") == fmt(-2)
    assert page.get_by_test_id("loss").get_attribute("data-target") == "3"
    expect(page.get_by_test_id("edge-2-1-1-label").locator('[data-role="arithmetic"]')).to_contain_text("0.25·")


def test_learning_rate_is_kept_with_the_session_across_a_reload(explorer: Watch, page: Page):
    sid = session_id_of(page)
    with page.expect_response(lambda r: r.request.method == "PATCH") as info:
        page.get_by_test_id("learning-rate").fill("0.125")
        page.get_by_test_id("learning-rate").dispatch_event("change")
    assert info.value.ok and info.value.json()["network"]["learning_rate"] == 0.125
    assert explorer_session(page, explorer, sid)["network"]["learning_rate"] == 0.125
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    assert session_id_of(page) == sid
    expect(page.get_by_test_id("learning-rate")).to_have_value("0.125")


def explorer_session(page: Page, explorer: Watch, sid: str) -> dict:
    return page.request.get(f"{explorer.base}/api/sessions/{sid}").json()


def test_step_updates_the_session_from_its_trace_without_another_request(explorer: Watch,
                                                                          page: Page):
    sid = session_id_of(page)
    before = len(explorer.requests)
    trace = press_and_get(page, "s", "/step")
    after_step = explorer.requests[before:]
    assert not any(u.endswith(f"/api/sessions/{sid}") for u in after_step), after_step
    shown_session = page.evaluate(
        "async () => (await import('/js/state.js')).getState().session")
    served = explorer_session(page, explorer, sid)
    assert shown_session == served                 # weights, step, epoch, history, next_index
    assert served["step"] == trace["step"] == step_count(page)


def test_inspector_waits_for_the_backward_pass_in_micro_step_mode(explorer: Watch, page: Page):
    """Narrating: a weight clicked during the forward pass shows no gradient yet; the chain-rule
    product appears when the backward pass reaches that weight's layer."""
    page.keyboard.press("m")
    trace = press_and_get(page, "s", "/step")
    name = page.get_by_test_id("phase-name")
    expect(name).to_contain_text("Forward · hidden layer")
    page.get_by_test_id("edge-1-2-2").click(force=True)            # w_22^h
    expect(page.get_by_test_id("inspector-empty")).to_contain_text("backward pass reaches")
    for title in ("Forward · output layer", "Loss", "Backward · output layer"):
        page.keyboard.press("ArrowRight")
        expect(name).to_contain_text(title)
    expect(page.get_by_test_id("inspector-empty")).to_be_visible()  # layer 1 not reached yet
    page.keyboard.press("ArrowRight")
    expect(name).to_contain_text("Backward · hidden layer")
    product = page.get_by_test_id("inspector-product")
    expect(product).to_be_visible()
    assert product.inner_text().strip() == fmt(trace["grads"][0]["dL_dW"][1][1])
