"""The chain-rule inspector against a real server: press Step, click w_22^h, and check that the
factors (y − y*), w_21^o, z2(1 − z2), x2 and their product are the API's step trace's numbers
to the displayed precision; each factor's own arithmetic (z2(1 − z2) = 0.1978(1 − 0.1978) = …) with the
local factor taken from the trace's da_ds; the note that the factors use the weights before the
update; only lecture notation where a person reads (no dL_dW[1][1]). Also: the loss chart and the
heatmap draw after the step."""
from __future__ import annotations

import math
import re

import pytest
from shown_numbers import assert_shown
from playwright.sync_api import Page, expect

# The lecture's 2-2-1 (sigmoid hidden, linear output, squared loss) with round weights and two
# examples whose x2 ≠ 0, so ∂L/∂w_22^h is not trivially zero whichever comes first.
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


@pytest.fixture
def session_id(new_session) -> str:
    return new_session(SPEC)


def test_inspector_shows_the_lecture_product_for_w22h(page: Page, live_server: str, session_id: str):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{live_server}/?session={session_id}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    expect(page.get_by_test_id("inspector-empty")).to_be_visible()

    with page.expect_response(lambda r: r.url.endswith(f"/api/sessions/{session_id}/step")
                              and r.request.method == "POST") as info:
        page.keyboard.press("s")
    assert info.value.status == 200
    step = info.value.json()

    # force: a horizontal edge's <g> has a zero-height bounding box, which Playwright counts as
    # invisible; the click still lands on the edge's wide hit line at the box's centre
    page.get_by_test_id("edge-1-2-2").click(force=True)

    factors = page.get_by_test_id("inspector-factor")
    expect(factors).to_have_count(4)
    roles = [factors.nth(i).get_attribute("data-role") for i in range(4)]
    assert roles == ["dL_dy", "weight", "local", "input"]

    forward = step["forward"]
    y, y_star = forward["output"][0], step["y"][0]
    z2 = forward["layers"][0]["a"][1]
    x2 = step["x"][1]
    w21o = step["update"][1]["W_before"][1][0]
    local = step["grads"][0]["da_ds"][1]  # f′(s) of z2 as the server computed it
    assert math.isclose(local, z2 * (1 - z2), rel_tol=1e-12)
    expected = [("(y − y*)", y - y_star), ("w_21^o", w21o), ("z2(1 − z2)", local), ("x2", x2)]
    for i, (name, value) in enumerate(expected):
        assert_shown(factors.nth(i).text_content(), value, name)

    gradient = step["grads"][0]["dL_dW"][1][1]  # layer 1, W[1][1] = w_22^h
    product = page.get_by_test_id("inspector-product")
    expect(product).to_have_count(1)
    assert_shown(product.text_content(), gradient, "∂L/∂w_22^h")
    assert math.isclose(float(product.get_attribute("data-value")), gradient, rel_tol=1e-9, abs_tol=1e-15)

    # the lecture's symbolic product, and the cached δ named
    label = page.locator("#inspector [role=math]").get_attribute("aria-label")
    assert label.startswith("∂L/∂w_22^h = ∂L/∂y · w_21^o · z2(1 − z2) · x2 = (y − y*) · w_21^o · z2(1 − z2) · x2 = ")
    expect(page.get_by_test_id("inspector-cached")).to_contain_text("Cached δ from the layer above")
    expect(page.get_by_test_id("inspector-check")).to_contain_text("✓")
    expect(page.get_by_test_id("inspector-check")).to_contain_text("∂L/∂w₂₂ʰ = ")

    # each factor with its own arithmetic, in the lecture's notation
    lines = page.get_by_test_id("inspector-factor-line")
    expect(lines).to_have_count(4)
    texts = [lines.nth(i).get_attribute("aria-label") for i in range(4)]
    m = re.fullmatch(r"z₂\(1 − z₂\) = (\S+)\(1 − (\S+)\) = (\S+)", texts[2])
    assert m, texts[2]
    assert_shown(m.group(1), z2, "z2 in z2(1 − z2)")
    assert_shown(m.group(2), z2, "z2 in (1 − z2)")
    assert_shown(m.group(3), local, "z2(1 − z2)")
    m = re.fullmatch(r"∂L/∂y = \(y − y\*\) = (\S+) − (\S+) = (\S+)", texts[0])
    assert m, texts[0]
    assert_shown(m.group(1), y, "y")
    assert_shown(m.group(2), y_star, "y*")
    assert_shown(m.group(3), y - y_star, "y − y*")
    m = re.fullmatch(r"w₂₁ᵒ = (\S+)", texts[1])
    assert m, texts[1]
    assert_shown(m.group(1), w21o, "w_21^o before the update")
    assert texts[3].startswith("x₂ = ")
    expect(page.get_by_test_id("inspector-weights-note")).to_contain_text(
        "weights before this step’s update")

    # nothing a person reads in the panel is a trace path
    shown = page.locator("#inspector").inner_text()
    assert not re.search(r"dL_d[Wbsa]|\[\d+\]", shown), shown

    # an output weight: ∂L/∂w_11^o = (y − y*) · z1
    page.get_by_test_id("edge-2-1-1").click(force=True)
    expect(factors).to_have_count(2)
    assert_shown(factors.nth(0).text_content(), y - y_star, "(y − y*)")
    assert_shown(factors.nth(1).text_content(), forward["layers"][0]["a"][0], "z1")
    assert_shown(product.text_content(), step["grads"][1]["dL_dW"][0][0], "∂L/∂w_11^o")

    # the loss chart and the heatmap have drawn
    expect(page.get_by_test_id("loss-summary")).to_contain_text("1 update")
    expect(page.get_by_test_id("heatmap-canvas")).to_be_visible()
    assert errors == []
