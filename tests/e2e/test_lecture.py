"""Lecture mode against a real server, on the lecture's 2-2-1 network (preset "lecture").

Walks every scene of frontend/lecture/scenes.json forward and back; on the w_22^h scene checks
that the factors shown are (y − y*), w_21^o, z2(1 − z2), x2 of the API's backward trace and that
their product is dL_dW of layer 1, W[1][1]; changes x1 in the panel and checks the numbers follow
the new trace; applies the last scene's real SGD step and checks loss-after against the API's
loss_after. No console errors anywhere. Screenshots (normal and projector, 1280×720) go to
test-artifacts/.
"""
from __future__ import annotations

import json
import re
import math
from pathlib import Path

import httpx
import pytest
from shown_numbers import assert_shown
from playwright.sync_api import Page, expect

SCENES = json.loads((Path(__file__).resolve().parents[2] / "frontend" / "lecture" / "scenes.json").read_text())
IDS = [s["id"] for s in SCENES]
N = len(SCENES)


def close(a: float, b: float, what: str) -> None:
    assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15), f"{what}: {a!r} vs {b!r}"


@pytest.fixture
def lecture_session(new_session) -> str:
    return new_session({"preset": "lecture"})


@pytest.fixture
def errors(page: Page):
    found: list[str] = []
    page.on("pageerror", lambda exc: found.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: found.append(f"console: {msg.text}") if msg.type == "error" else None)
    yield found


def is_call(sid: str, name: str):
    return lambda r: r.url.endswith(f"/api/sessions/{sid}/{name}") and r.request.method == "POST"


def open_lecture(page: Page, base: str, sid: str) -> dict:
    """Load the explorer, press L; returns the backward trace the lecture asked for."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{base}/?session={sid}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    with page.expect_response(is_call(sid, "backward"), timeout=15000) as info:
        page.keyboard.press("l")
    assert info.value.status == 200
    expect(page.get_by_test_id("lecture")).to_be_visible()
    expect(page.get_by_test_id("lecture")).to_have_attribute("data-trace-kind", "backward")
    return info.value.json()


def goto_scene(page: Page, scene_id: str) -> None:
    page.get_by_test_id("lecture-scenes").locator("summary").click()
    page.get_by_test_id(f"lecture-scene-{scene_id}").click()
    expect(page.get_by_test_id("lecture")).to_have_attribute("data-scene", scene_id)


def w22_factors(page: Page) -> list[tuple[str, str, float]]:
    factors = page.get_by_test_id("lecture-equation").locator('[data-testid="lecture-factor"][data-chain="W[1][1][1]"]')
    expect(factors).to_have_count(4)
    return [(factors.nth(i).get_attribute("data-role"), factors.nth(i).inner_text(),
             float(factors.nth(i).get_attribute("data-value"))) for i in range(4)]


def check_w22(page: Page, trace: dict, weights: list[dict]) -> None:
    """The w_22^h scene shows (y − y*), w_21^o, z2(1 − z2), x2 of `trace` and their product."""
    forward = trace["forward"]
    z2 = forward["layers"][0]["a"][1]
    expected = [
        ("dL_dy", "(y − y*)", forward["output"][0] - trace["y"][0]),
        ("weight", "w_21^o", weights[1]["W"][1][0]),
        ("local", "z2(1 − z2)", z2 * (1 - z2)),
        ("input", "x2", trace["x"][1]),
    ]
    shown = w22_factors(page)
    product = 1.0
    for (role, text, value), (want_role, name, want) in zip(shown, expected):
        assert role == want_role, f"{name}: role {role}"
        close(value, want, name)
        assert_shown(text, want, name)
        product *= value
    dl_dw = trace["grads"][0]["dL_dW"][1][1]
    close(product, dl_dw, "product of the factors vs dL_dW[1][1] of layer 1")
    result = page.get_by_test_id("lecture-equation").locator('[data-testid="lecture-product"][data-chain="W[1][1][1]"]')
    close(float(result.get_attribute("data-value")), dl_dw, "product shown")
    assert_shown(result.inner_text(), dl_dw, "product text")
    s = page.get_by_test_id("lecture-equation").locator('[data-testid="lecture-value"][data-name="s_2^h"]')
    close(float(s.get_attribute("data-value")), forward["layers"][0]["s"][1], "s of z2")


def test_lecture_walk_w22_example_and_real_step(page: Page, live_server: str, lecture_session: str,
                                                errors: list[str], artifacts: Path):
    sid = lecture_session
    api = httpx.Client(base_url=f"{live_server}/api/sessions/{sid}", timeout=10)

    def session_state() -> dict:
        response = httpx.get(f"{live_server}/api/sessions/{sid}", timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    session = session_state()
    dataset = api.get("/dataset").json()
    first = open_lecture(page, live_server, sid)
    lecture = page.get_by_test_id("lecture")
    # the lecture starts from the first dataset example whose inputs are all non-zero
    index = next(i for i, x in enumerate(dataset["X"]) if all(v != 0 for v in x))
    x, y = dataset["X"][index], dataset["Y"][index]
    assert first["x"] == x and first["y"] == y

    # ---- every scene forward, then back
    for k, scene in enumerate(SCENES, start=1):
        expect(page.get_by_test_id("lecture-progress")).to_have_text(f"Scene {k} of {N}")
        expect(lecture).to_have_attribute("data-scene", scene["id"])
        expect(page.get_by_test_id("lecture-title")).to_have_text(scene["title"])
        assert page.get_by_test_id("lecture-text").inner_text().strip()
        equation = page.get_by_test_id("lecture-equation")
        expect(equation.locator(".katex")).to_have_count(1)
        expect(equation.locator(".katex-error")).to_have_count(0)
        assert equation.get_attribute("data-unknown") == "", f"{scene['id']}: unknown names"
        if scene.get("requires") != "step":
            assert equation.get_attribute("data-missing") == "", f"{scene['id']}: values missing"
        page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("lecture-progress")).to_have_text(f"Scene {N} of {N}")
    expect(page.get_by_test_id("lecture-next")).to_be_disabled()
    for k in range(N, 0, -1):
        expect(page.get_by_test_id("lecture-progress")).to_have_text(f"Scene {k} of {N}")
        expect(lecture).to_have_attribute("data-scene", IDS[k - 1])
        page.keyboard.press("ArrowLeft")
    expect(page.get_by_test_id("lecture-progress")).to_have_text(f"Scene 1 of {N}")
    assert session_state()["step"] == 0, "walking the scenes changes nothing"

    # ---- the w_22^h scene: factor by factor, against the API's backward trace
    goto_scene(page, "hidden-w22")
    trace = api.post("/backward", json={"x": x, "y": y}).json()
    check_w22(page, trace, session["weights"])
    # the highlighted edges and the cached δ on the network view
    for testid in ["edge-1-2-2", "edge-2-2-1", "unit-1-2", "unit-0-2"]:
        expect(page.get_by_test_id(testid)).to_have_class(re.compile(r"\blec-hl\b"))
    expect(page.get_by_test_id("unit-2-1-values")).to_have_class(re.compile(r"\blec-cached\b"))
    expect(page.locator("body")).to_have_attribute("data-playing", "false")
    page.wait_for_timeout(400)
    page.screenshot(path=str(artifacts / "lecture-w22-1280x720.png"))

    # ---- change x1 in the panel: the scene follows the new trace
    before = w22_factors(page)
    with page.expect_response(is_call(sid, "backward")) as info:
        page.get_by_test_id("lecture-x1").fill("0.25")
        page.get_by_test_id("lecture-x1").press("Enter")
    new_trace = info.value.json()
    new_x = [0.25, x[1]]
    assert new_trace["x"] == new_x
    expect(page.get_by_test_id("lecture-equation").locator('[data-testid="lecture-factor"][data-role="dL_dy"]')) \
        .not_to_have_attribute("data-value", str(before[0][2]))
    by_api = api.post("/backward", json={"x": new_x, "y": y}).json()
    check_w22(page, by_api, session["weights"])
    check_w22(page, new_trace, session["weights"])
    assert w22_factors(page)[0][2] != before[0][2]

    # ---- projector mode fills the screen
    page.keyboard.press("p")
    expect(page.locator("body")).to_have_class(re.compile(r"\bprojector\b"))
    box = lecture.bounding_box()
    network = page.locator("#network").bounding_box()
    assert box["x"] + box["width"] >= 1279 and box["y"] + box["height"] >= 719
    assert network["width"] + box["width"] >= 1270, "network and lecture panel share the whole width"
    expect(page.locator("body")).to_have_attribute("data-playing", "false")
    page.wait_for_timeout(400)
    page.screenshot(path=str(artifacts / "lecture-w22-projector-1280x720.png"))
    page.keyboard.press("p")

    # ---- the last scene: one real SGD step on this example
    page.keyboard.press("End")
    expect(lecture).to_have_attribute("data-scene", IDS[-1])
    expect(page.get_by_test_id("lecture-apply-step")).to_be_visible()
    assert "loss_after" in page.get_by_test_id("lecture-equation").get_attribute("data-missing").split()
    with page.expect_response(is_call(sid, "step")) as info:
        page.get_by_test_id("lecture-apply-step").click()
    step = info.value.json()
    assert step["x"] == new_x and step["y"] == y
    assert step["step"] == 1
    result = page.get_by_test_id("lecture-step-result")
    expect(result).to_be_visible()
    close(float(result.get_attribute("data-loss-after")), step["loss_after"], "loss after")
    close(float(result.get_attribute("data-loss")), step["loss"], "loss before")
    shown_after = page.get_by_test_id("lecture-equation").locator('[data-testid="lecture-value"][data-name="loss_after"]')
    close(float(shown_after.get_attribute("data-value")), step["loss_after"], "loss_after in the equation")
    assert_shown(shown_after.inner_text(), step["loss_after"], "loss_after text")
    w_after = page.get_by_test_id("lecture-equation").locator('[data-testid="lecture-value"][data-name="W_after[1][1][1]"]')
    close(float(w_after.get_attribute("data-value")), step["update"][0]["W_after"][1][1], "w_22^h after")
    assert session_state()["weights"][0]["W"][1][1] == step["update"][0]["W_after"][1][1]
    # the API agrees: the same example on the updated weights has the reported loss_after
    again = api.post("/forward", json={"x": new_x, "y": y}).json()
    close(again["loss"], step["loss_after"], "API forward after the step")

    # L leaves Lecture mode
    page.keyboard.press("l")
    expect(lecture).to_be_hidden()
    assert errors == [], errors


def test_lecture_micro_step_keys_work_inside_a_scene(page: Page, live_server: str, lecture_session: str,
                                                     errors: list[str]):
    sid = lecture_session
    open_lecture(page, live_server, sid)
    body = page.locator("body")
    lecture = page.get_by_test_id("lecture")
    page.keyboard.press("m")  # micro-step mode (controls.js)
    expect(page.locator("#btn-micro")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Home")
    expect(lecture).to_have_attribute("data-scene", "predict")
    # the forward scene covers phases forward-1 … forward-2: → walks them, then the next scene
    page.keyboard.press("ArrowLeft")  # already first: stays
    expect(body).to_have_attribute("data-phase-index", "0")
    page.keyboard.press("ArrowRight")
    expect(body).to_have_attribute("data-phase-index", "1")
    expect(lecture).to_have_attribute("data-scene", "predict")
    page.keyboard.press("ArrowRight")
    expect(lecture).to_have_attribute("data-scene", "loss")
    expect(body).to_have_attribute("data-phase-index", "2")
    # ← goes back into the previous scene at its last phase; PageUp / PageDown jump whole scenes
    page.keyboard.press("ArrowLeft")
    expect(lecture).to_have_attribute("data-scene", "predict")
    expect(body).to_have_attribute("data-phase-index", "1")
    page.keyboard.press("PageDown")
    page.keyboard.press("PageDown")
    expect(lecture).to_have_attribute("data-scene", "sgd")
    # other keys still reach controls.js: B recomputes, ? opens the shortcut list
    with page.expect_response(is_call(sid, "backward")):
        page.keyboard.press("b")
    page.keyboard.press("?")
    expect(page.get_by_test_id("help")).to_be_visible()
    expect(page.get_by_test_id("help")).to_contain_text("Lecture")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("help")).to_be_hidden()
    # the toolbar button toggles too
    page.locator("#btn-lecture-mode").click()
    expect(lecture).to_be_hidden()
    page.locator("#btn-lecture-mode").click()
    expect(lecture).to_be_visible()
    assert errors == [], errors


def test_lecture_on_a_deeper_tanh_network_shows_the_general_form(page: Page, live_server: str, errors: list[str],
                                                                 new_session):
    sid = new_session({"layers": [2, 3, 3, 1], "activations": ["tanh", "tanh", "linear"],
                       "init": {"scheme": "xavier", "seed": 2},
                       "dataset": {"X": [[0.5, 0.9], [-0.3, 0.7]], "Y": [[1.0], [0.0]]}})
    page.set_viewport_size({"width": 1280, "height": 720})
    with page.expect_response(is_call(sid, "backward"), timeout=15000) as info:
        page.goto(f"{live_server}/?session={sid}#lecture=hidden-w22")
    trace = info.value.json()
    lecture = page.get_by_test_id("lecture")
    expect(lecture).to_have_attribute("data-scene", "hidden-w22")
    expect(lecture).to_have_attribute("data-trace-kind", "backward")
    notes = page.get_by_test_id("lecture-notes")
    expect(notes).to_contain_text("not shaped like the lecture")
    expect(page.get_by_test_id("lecture-title")).to_have_text("Hidden layer: a weight, factor by factor")
    expect(notes).to_contain_text("tanh")
    expect(notes).to_contain_text("1 − z²")
    terms = page.get_by_test_id("lecture-equation").locator('[data-testid="lecture-term"]')
    expect(terms).to_have_count(6)  # three w·δ terms: the sum over the units above
    product = page.get_by_test_id("lecture-equation").locator('[data-testid="lecture-product"]')
    close(float(product.get_attribute("data-value")), trace["grads"][0]["dL_dW"][1][1], "dL_dW of w_22^(1)")
    assert errors == [], errors
