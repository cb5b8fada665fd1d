"""Issue 13's playground features in the page, against a real server (one page per module part).

- the overfitting preset, trained from the page with batch size 4: every /train the page sends
  carries batch_size 4, the chart draws the test loss above the training loss and the readout
  and the chart's legend show exactly GET /metrics' numbers; at 1280 × 720 the heatmap is
  inside the first screen;
- the lecture network: hovering z2 shows z2's own activation on the heatmap, cell by cell the
  colour of POST /predict {units: true}'s grid; "discretize" leaves two colours; typing
  w_22^h = 0.25 in place is one PUT /weights, the weight and the chain rule change (to the
  API's backward on the new weights), text that is no number changes nothing, and U undoes it.
"""
from __future__ import annotations

import json
import math

import httpx
import pytest
from heatmap_pixels import assert_drawn, cells, off_by, shown_colours
from playwright.sync_api import Page, expect
from test_explorer import idle

TIMEOUT = 15000


def api(base: str, method: str, path: str, body: dict | None = None) -> dict:
    response = httpx.request(method, f"{base}/api{path}", json=body, timeout=15)
    assert response.status_code < 300, response.text
    return response.json()


def value(page: Page, testid: str) -> float:
    return float(page.get_by_test_id(testid).get_attribute("data-value"))


def open_page(browser, base: str, sid: str) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/?session={sid}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=TIMEOUT)
    return page, errors


# ------------------------------------------------------------------ the overfitting preset

def test_overfit_preset_shows_test_loss_above_train_loss(browser, live_server: str, new_session):
    sid = new_session({"preset": "overfit"})
    page, errors = open_page(browser, live_server, sid)
    trains: list[dict] = []
    page.on("request", lambda r: trains.append(json.loads(r.post_data))
            if r.url.endswith(f"/api/sessions/{sid}/train") and r.method == "POST" else None)
    start = api(live_server, "GET", f"/sessions/{sid}/metrics")
    expect(page.get_by_test_id("readout-test-loss")).to_have_count(1, timeout=TIMEOUT)
    assert value(page, "readout-train-loss") == start["train_loss"]

    # batch 4: what /train is called with, and what the page says it means
    page.get_by_test_id("batch-size").fill("4")
    page.get_by_test_id("batch-size").press("Enter")
    page.keyboard.press("t")
    page.wait_for_function(f"() => Number(document.body.dataset.step) >= {20 * 20 // 4}", timeout=60000)
    page.keyboard.press("t")
    expect(page.locator("body")).to_have_attribute("data-training", "false")
    # not busy, and the chunk in flight when T paused has landed: else the metrics and the
    # session below are read on either side of it
    idle(page, timeout=TIMEOUT)
    assert trains and all(body["batch_size"] == 4 for body in trains), trains[:3]
    expect(page.get_by_test_id("loss-x-label")).to_contain_text("batch 4 = mean of 4 examples")

    m = api(live_server, "GET", f"/sessions/{sid}/metrics")
    state = api(live_server, "GET", f"/sessions/{sid}")
    assert m["step"] == state["step"] and m["epoch"] >= 20, m
    assert m["n_train"] == 20 and m["n_test"] == 20
    # overfitting, in the API's numbers: the training loss fell, the test loss is above it
    assert m["train_loss"] < start["train_loss"] and m["test_loss"] > m["train_loss"] + 0.05, m
    # … and the page shows exactly those numbers, in the readout and on the chart
    expect(page.get_by_test_id("readout-epoch")).to_have_text(str(m["epoch"]))
    for part in ("train", "test"):
        assert value(page, f"readout-{part}-loss") == m[f"{part}_loss"]
        assert value(page, f"readout-{part}-acc") == m[f"{part}_accuracy"]
        assert value(page, f"loss-legend-{part}") == m[f"{part}_loss"]
    # the readout wraps between its parts: no number cut at the side panel's edge ("test L 0.…")
    assert page.get_by_test_id("readout").evaluate("el => el.scrollWidth <= el.clientWidth")
    # on the chart: the test line's last point lies above (smaller y) the training line's
    ends = page.evaluate("""() => ['train', 'test'].map((p) => {
      const d = document.querySelector(`[data-testid=loss-${p}-line]`).getAttribute('d');
      return Number(d.trim().split(/[ML]/).filter(Boolean).at(-1).split(',')[1]);
    })""")
    assert ends[1] < ends[0] - 5, ends

    # test points are drawn hollow: the canvas at a test point's centre is not its class colour
    hollow = page.evaluate("""async () => {
      const { diverging } = await import('/js/views/heatmap.js');
      const ds = await (await fetch(`/api/sessions/${document.body.dataset.session}/dataset`)).json();
      const canvas = document.querySelector('[data-testid=heatmap-canvas]');
      const g = JSON.parse(canvas.dataset.grid); const size = canvas.width;
      const img = canvas.getContext('2d').getImageData(0, 0, size, size).data;
      return ds.X.map(([a, b], i) => {
        const x = Math.floor((a - g.x1[0]) / (g.x1[1] - g.x1[0]) * size);
        const y = Math.floor((g.x2[1] - b) / (g.x2[1] - g.x2[0]) * size);
        const at = (y * size + x) * 4;
        const fill = diverging(ds.Y[i][0] > 0.5 ? 1 : 0);
        return { test: ds.split[i] === 'test', filled: [0, 1, 2].every((k) => Math.abs(img[at + k] - fill[k]) <= 2) };
      });
    }""")
    assert all(p["filled"] for p in hollow if not p["test"])
    assert sum(p["filled"] for p in hollow if p["test"]) <= 2, hollow   # (a centre may match by chance)

    # 1280 × 720 (the toolbar in two rows here, for this preset's long example): at most a
    # tenth of the heatmap below the fold
    box = page.get_by_test_id("heatmap-canvas").bounding_box()
    assert box["height"] >= 200 and box["y"] + 0.9 * box["height"] <= 720, box
    assert not errors, errors
    page.close()


# ------------------------------------------------------------------ the lecture network

@pytest.fixture(scope="module")
def lecture(browser, live_server: str):
    sid = api(live_server, "POST", "/sessions", {"preset": "lecture"})["id"]
    page, errors = open_page(browser, live_server, sid)
    expect(page.get_by_test_id("heatmap-canvas")).to_have_attribute("data-step", "0", timeout=TIMEOUT)
    yield page, sid, errors
    page.close()
    httpx.delete(f"{live_server}/api/sessions/{sid}", timeout=10)


def test_hovering_a_hidden_unit_shows_its_own_map(lecture, live_server: str):
    page, sid, errors = lecture
    canvas = page.get_by_test_id("heatmap-canvas")
    expect(canvas).to_have_attribute("data-shows", "output")
    expect(page.get_by_test_id("unit-map-1-2")).to_have_count(1)          # thumbnails in the units
    grid = json.loads(canvas.get_attribute("data-grid"))
    units = api(live_server, "POST", f"/sessions/{sid}/predict", {"grid": grid, "units": True})["units"]
    X = api(live_server, "GET", f"/sessions/{sid}/dataset")["X"]

    page.get_by_test_id("unit-1-2").hover()
    expect(canvas).to_have_attribute("data-shows", "unit-1-2")
    expect(page.get_by_test_id("heatmap-caption")).to_contain_text("hidden unit z₂")
    assert_drawn(cells(page, units[0][1], X), "z2's map")
    # z1's map is another picture: the colours above are z2's, not any unit's
    assert sum(off_by(c) > 2 for c in cells(page, units[0][0], X)) > 200

    # discretize: two colours only (the palette's ends), and back
    page.get_by_test_id("heatmap-discretize").check()
    two = cells(page, units[0][1], X, discretize=True)
    assert shown_colours(two) == {tuple(c["expected"]) for c in two}
    assert len(shown_colours(two)) == 2
    page.mouse.move(5, 700)                                                  # off the unit: the output
    expect(canvas).to_have_attribute("data-shows", "output")
    assert len(shown_colours(cells(page, None, X))) == 2
    page.get_by_test_id("heatmap-discretize").uncheck()
    assert len(shown_colours(cells(page, None, X))) > 50
    # 1280 × 720, the lecture's screen: the whole heatmap inside the first screen
    box = canvas.bounding_box()
    assert box["height"] >= 200 and box["y"] + box["height"] <= 720, box
    assert not errors, errors


def test_editing_w22h_in_place_is_one_undoable_put(lecture, live_server: str):
    page, sid, errors = lecture
    puts: list[str] = []
    page.on("request", lambda r: puts.append(r.post_data) if r.method == "PUT" else None)
    page.keyboard.press("i")                                                 # instant: no animation
    with page.expect_response(lambda r: r.url.endswith("/backward")) as info:
        page.keyboard.press("b")
    before = info.value.json()
    example = {"x": before["x"], "y": before["y"]}
    page.get_by_test_id("edge-1-2-2").click(force=True)
    product = page.get_by_test_id("inspector-product")
    expect(product).to_have_count(1)
    assert float(product.get_attribute("data-value")) == before["grads"][0]["dL_dW"][1][1]

    # double-click: the field holds the exact value
    mid = page.evaluate("""() => { const r = document.querySelector('[data-testid=edge-1-2-2] .edge-line')
      .getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; }""")
    page.mouse.dblclick(*mid)
    field = page.get_by_test_id("weight-editor-input")
    expect(field).to_have_value("0.8")
    field.fill("a quarter")
    field.press("Enter")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("weight-editor-error")).to_contain_text("w_22^h")
    assert puts == []                                                        # refused text: nothing sent
    assert api(live_server, "GET", f"/sessions/{sid}")["weights"][0]["W"][1][1] == 0.8

    with page.expect_response(lambda r: r.url.endswith("/backward")) as info:
        field.fill("0.25")
        field.press("Enter")
    after = info.value.json()
    assert len(puts) == 1
    state = api(live_server, "GET", f"/sessions/{sid}")
    assert state["weights"][0]["W"][1][1] == 0.25 and state["history"] == 1
    expect(page.get_by_test_id("weight-editor")).to_be_hidden()
    expect(page.get_by_test_id("edge-1-2-2-label")).to_contain_text("0.25")
    # the chain rule is the API's backward on the new weights, same example
    again = api(live_server, "POST", f"/sessions/{sid}/backward", example)
    assert after["grads"][0]["dL_dW"][1][1] == again["grads"][0]["dL_dW"][1][1]
    assert not math.isclose(again["grads"][0]["dL_dW"][1][1], before["grads"][0]["dL_dW"][1][1])
    page.wait_for_function("(v) => Number(document.querySelector('[data-testid=inspector-product]')"
                           "?.dataset.value) === v", arg=again["grads"][0]["dL_dW"][1][1])

    # U undoes it
    with page.expect_response(lambda r: r.url.endswith("/undo")):
        page.keyboard.press("u")
    expect(page.get_by_test_id("edge-1-2-2-label")).to_contain_text("0.8")
    assert api(live_server, "GET", f"/sessions/{sid}")["weights"][0]["W"][1][1] == 0.8
    # W on the selected weight opens the same field
    page.get_by_test_id("edge-1-2-2").click(force=True)
    page.keyboard.press("w")
    expect(field).to_have_value("0.8")
    field.press("Escape")
    expect(page.get_by_test_id("weight-editor")).to_be_hidden()
    assert len(puts) == 1
    assert not errors, errors
