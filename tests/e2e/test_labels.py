"""Label layout of the network view (issue 12, item 1), against a real server in Chromium.

For each network, in micro-step mode, at every phase of a Step (one page.evaluate a phase:
boxes, texts and the pairwise checks are worked out in the page, asserted here):
- the boxes of all visible labels (edge labels, unit value boxes, one-line labels, the phase
  table's cells, the loss box) overlap pairwise by 0 px, none covers a unit or bias node, none
  leaves the drawing;
- every value of the current phase is on screen and equal to the API's trace: z (and s) of
  each unit of the layer going forward, the loss, δ of each unit going backward, and on pairs
  of layers labelled edge by edge (≤ 30 edges, ≤ 5 units a side) every edge's ∂L/∂w going
  backward and its new w at the update. Small nets show them beside their units and edges;
  nets with a layer of more than 5 units list the layer's values in the phase table;
- on those dense nets, with a unit selected, the table lists the unit's values and the new w of
  every edge into and out of it, equal to the trace;
- a click at the midpoint of each drawn edge selects that edge: for every edge, the element
  under the midpoint lets the click through to the drawing (or is the edge's own label) and
  layout.js's pickEdge, as the view calls it, picks that edge there; a synthetic click (the
  pointerdown/click pair a mouse sends) on 12 of them, checked by the selection it makes; and
  three real mouse clicks.
"""
from __future__ import annotations

import random
import re

import httpx
import pytest
from labels_geometry import geometry
from playwright.sync_api import Browser, Page, expect
from shown_numbers import assert_shown, displayed

NETS = {
    "2-2-1": [2, 2, 1],
    "2-3-1": [2, 3, 1],
    "3-2-1": [3, 2, 1],
    "2-4-4-1": [2, 4, 4, 1],
    "2-4-4-1-1280": [2, 4, 4, 1],
    "2-6-6-6-1": [2, 6, 6, 6, 1],
    "2-16x6-1": [2, 16, 16, 16, 16, 16, 16, 1],
}
# 16 units a layer: the full-HD screen; 2-6-6-6-1 on a plain laptop screen (the phase table
# holds what finds no room beside its unit at any size); 2-4-4-1 there too, where its units'
# one-line labels show the number only but the first of each layer ("δ = 0.0657"), and so do
# the 40 edges' at the update ("new w = 0.7577", then "0.2737" …)
SCREEN = {"2-16x6-1": (1920, 1080), "2-6-6-6-1": (1280, 720), "2-4-4-1-1280": (1280, 720)}
# significant digits of the units' one-line labels where the view draws them short (a crowded
# drawing: 3 for the current phase's layer, network.js's compactUnitText); else 4
UNIT_DIGITS = {"2-4-4-1-1280": 3}


def spec(layers: list[int]) -> dict:
    n_in = layers[0]
    return {
        "layers": layers,
        "activations": ["sigmoid"] * (len(layers) - 2) + ["linear"],
        "init": {"scheme": "xavier", "seed": 3},
        "dataset": {"X": [[0.5 + 0.1 * i for i in range(n_in)], [-0.3] * n_in], "Y": [[1.0], [0.0]]},
    }


@pytest.fixture(scope="module")
def shared_page(browser: Browser, live_server: str):
    """One page for every network of this module (each test opens its own session in it)."""
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    made: list[str] = []
    page.made = made  # type: ignore[attr-defined]
    yield page
    context.close()
    for sid in made:
        httpx.delete(f"{live_server}/api/sessions/{sid}", timeout=10)


def open_net(page: Page, base: str, layers: list[int], name: str) -> str:
    response = httpx.post(f"{base}/api/sessions", json=spec(layers), timeout=10)
    assert response.status_code == 201, response.text
    sid = response.json()["id"]
    page.made.append(sid)  # type: ignore[attr-defined]
    width, height = SCREEN.get(name, (1600, 900))
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{base}/?session={sid}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=30000)
    expect(page.locator("body")).to_have_attribute("data-busy", "false")
    return sid


def step_in_microstep(page: Page, sid: str) -> dict:
    page.keyboard.press("m")
    expect(page.locator("body")).to_have_class(re.compile(r"\bmicrostep\b"))
    with page.expect_response(lambda r: r.url.endswith(f"/api/sessions/{sid}/step")
                              and r.request.method == "POST") as info:
        page.keyboard.press("s")
    assert info.value.ok
    expect(page.locator("body")).to_have_attribute("data-busy", "false")
    return info.value.json()


def check_boxes(g: dict, where: str) -> None:
    assert g["overlaps"] == [], f"{where}: labels overlap: {g['overlaps'][:5]}"
    assert g["covered"] == [], f"{where}: labels cover units: {g['covered'][:5]}"
    assert g["outside"] == [], f"{where}: labels outside the drawing: {g['outside'][:5]}"
    # every one-line label reads whole: a name is never left on its own ("δ =" over a unit,
    # its number elsewhere)
    bare = [label["id"] for label in g["labels"] if label["id"].endswith(("-compact", "-header"))
            and label["text"].strip().endswith("=")]
    assert bare == [], f"{where}: one-line labels with a name and no number: {bare[:5]}"


def number_of(label: dict) -> str:
    """The number of a one-line label ("z = 0.5", "δ₃⁽²⁾ = −0.01", "new w₁₂ʰ = 0.3", "0.5")."""
    return label["text"].rsplit("= ", 1)[-1]


def drawn(size: int) -> int:
    return size if size <= 16 else 15


def labelled_pair(layers: list[int], layer: int) -> bool:
    """A pair of layers whose edges are labelled one by one (network.js: 'full' or 'compact')."""
    below, above = drawn(layers[layer - 1]), drawn(layers[layer])
    return (below + 1) * above <= 30 and max(below, above) <= 5


def edge_value(trace: dict, layer: int, frm: int, to: int, what: str) -> float:
    if what == "grad":
        g = trace["grads"][layer - 1]
        return g["dL_db"][to - 1] if frm == 0 else g["dL_dW"][frm - 1][to - 1]
    u = trace["update"][layer - 1]
    return u["b_after"][to - 1] if frm == 0 else u["W_after"][frm - 1][to - 1]


def assert_digits(text: str, value: float, digits: int, what: str) -> None:
    """`text` shows `value` rounded to `digits` significant digits (format.js's toPrecision)."""
    if digits == 4:
        assert_shown(text, value, what)
        return
    want = float(f"{value:.{digits}g}")
    assert displayed(text) == pytest.approx(want, rel=1e-12, abs=1e-15), \
        f"{what}: shown {text!r}, trace {value!r} ({digits} digits: {want!r})"


def check_phase_values(g: dict, layers: list[int], trace: dict, where: str, unit_digits: int = 4) -> None:
    """Every value the current phase produced is shown (and equals the trace)."""
    by_id = {label["id"]: label for label in g["labels"]}
    phase = g["phaseId"]
    dense = max(drawn(v) for v in layers) > 5
    if phase == "loss":
        assert_shown(by_id["loss"]["roles"]["loss"], trace["loss"], f"{where}: L")
        return
    if phase.startswith(("forward-", "backward-")):
        layer = int(phase.split("-")[1])
        role = "a" if phase.startswith("forward-") else "delta"
        for j in range(1, drawn(layers[layer]) + 1):
            value = (trace["forward"]["layers"][layer - 1]["a"] if role == "a"
                     else trace["grads"][layer - 1]["dL_ds"])[j - 1]
            what = f"{where}: {role} of unit {layer}-{j}"
            if dense:
                cell = by_id.get(f"table-unit-{layer}-{j}-{role}")
                assert cell, f"{what} is not in the phase table"
                assert_shown(number_of(cell), value, what)
            elif f"unit-{layer}-{j}-values" in by_id:
                box = by_id[f"unit-{layer}-{j}-values"]
                assert_shown(box["roles"][role], value, what)
                if role == "a":
                    assert_shown(box["roles"]["s"], trace["forward"]["layers"][layer - 1]["s"][j - 1], what)
            else:
                assert f"unit-{layer}-{j}-compact" in by_id, f"{what} has no label"
                assert_digits(number_of(by_id[f"unit-{layer}-{j}-compact"]), value, unit_digits, what)
        if not dense:
            # a layer of one-line labels says what they are in one of them: "δ = 0.0657"
            # beside its unit (the others below it may show the number only)
            lines = [by_id[f"unit-{layer}-{j}-compact"]["text"] for j in range(1, drawn(layers[layer]) + 1)
                     if f"unit-{layer}-{j}-compact" in by_id]
            name = "δ = " if role == "delta" else ("y = " if layer == len(layers) - 1 else "z = ")
            assert not lines or any(t.startswith(name) for t in lines), f"{where}: {lines} never say {name!r}"
    if phase.startswith("backward-") or phase == "update":
        what_edge = "grad" if phase.startswith("backward-") else "after"
        for layer in range(1, len(layers)):
            if not labelled_pair(layers, layer) or (phase != "update" and layer != int(phase.split("-")[1])):
                continue
            for to in range(1, drawn(layers[layer]) + 1):
                for frm in range(0, drawn(layers[layer - 1]) + 1):
                    eid = f"edge-{layer}-{frm}-{to}"
                    value = edge_value(trace, layer, frm, to, what_edge)
                    if f"{eid}-label" in by_id:
                        role = "dL_dW" if what_edge == "grad" else "w_after"
                        assert_shown(by_id[f"{eid}-label"]["roles"][role], value, f"{where}: {eid}")
                    else:
                        assert f"{eid}-compact" in by_id, f"{where}: {eid} has no label"
                        assert_shown(number_of(by_id[f"{eid}-compact"]), value, f"{where}: {eid}")


# For every edge (client coordinates of its midpoint): what lies under the midpoint lets a
# click through to the drawing or is the edge's own label, and pickEdge — with the radius and
# tie network.js gives it — picks this edge there. Returns the misses.
PICKS = """async (edges) => {
  const { pickEdge, PICK_RADIUS, PICK_TIE } = await import('/js/layout.js');
  const svg = document.querySelector('svg.network');
  const m = svg.getScreenCTM();
  const inv = m.inverse();
  const lines = [...svg.querySelectorAll('.edge')].map((g) => {
    const l = g.querySelector('.edge-line');
    return { id: g.dataset.testid, x1: +l.getAttribute('x1'), y1: +l.getAttribute('y1'),
             x2: +l.getAttribute('x2'), y2: +l.getAttribute('y2') };
  });
  const misses = [];
  for (const e of edges) {
    const top = document.elementFromPoint(e.x, e.y);
    const label = top?.closest('.label, .loss');
    const ownLabel = label && label.dataset.testid?.startsWith(`${e.id}-`);
    if (!top || !svg.contains(top) || top.closest('.unit, .bias') || (label && !ownLabel)) {
      misses.push([e.id, 'covered by ' + (top?.closest('[data-testid]')?.dataset.testid ?? top?.tagName)]);
      continue;
    }
    if (ownLabel) continue;
    const p = new DOMPoint(e.x, e.y).matrixTransform(inv);
    const picked = pickEdge(lines, p, PICK_RADIUS / m.a, PICK_TIE / m.a);
    if (picked?.id !== e.id) misses.push([e.id, 'picks ' + picked?.id]);
  }
  return misses;
}"""

# The clicks a mouse makes (pointerdown, then click, on the element under the point), one
# edge after the other; the selection each makes, read after the view has redrawn.
CLICKS = """async (edges) => {
  const wrong = [];
  for (const e of edges) {
    const top = document.elementFromPoint(e.x, e.y);
    const at = { bubbles: true, cancelable: true, clientX: e.x, clientY: e.y, view: window };
    top.dispatchEvent(new PointerEvent('pointerdown', { ...at, pointerId: 1, isPrimary: true }));
    top.dispatchEvent(new MouseEvent('click', at));
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    const selected = [...document.querySelectorAll('svg.network .edge.selected')]
      .map((g) => g.dataset.testid);
    if (selected.length !== 1 || selected[0] !== e.id) wrong.push([e.id, selected]);
  }
  return wrong;
}"""


@pytest.mark.parametrize("name", list(NETS))
def test_every_value_of_every_phase_is_shown_apart_and_every_edge_midpoint_selects_it(
        shared_page: Page, live_server: str, name: str):
    page = shared_page
    layers = NETS[name]
    sid = open_net(page, live_server, layers, name)
    trace = step_in_microstep(page, sid)
    assert trace["step"] == 1
    n = len(layers) - 1
    phases = n + 1 + n + 1  # forward per layer, loss, backward per layer, update
    expect(page.locator(".phase-chips li")).to_have_count(phases)
    for index in range(phases):
        g = geometry(page, phase=index, edges=index == phases - 1)
        assert g["phase"] == index
        where = f"{name} phase {index + 1} ({g['phaseId']})"
        check_boxes(g, where)
        check_phase_values(g, layers, trace, where, UNIT_DIGITS.get(name, 4))
        if index + 1 < phases:
            page.keyboard.press("ArrowRight")
    edges = g["edges"]
    assert len(edges) == sum((drawn(layers[k - 1]) + 1) * drawn(layers[k]) for k in range(1, n + 1))

    dense = max(drawn(v) for v in layers) > 5
    if dense:
        # the selected unit: its values and the new w of every edge into and out of it
        page.get_by_test_id("unit-2-3").click()
        g = geometry(page)
        check_boxes(g, f"{name} with unit-2-3 selected")
        by_id = {label["id"]: label for label in g["labels"]}
        fwd = trace["forward"]["layers"][1]
        assert_shown(number_of(by_id["table-unit-2-3-a"]), fwd["a"][2], "z of unit 2-3")
        assert_shown(number_of(by_id["table-unit-2-3-delta"]), trace["grads"][1]["dL_ds"][2], "δ of unit 2-3")
        ins = [(2, frm, 3) for frm in range(0, drawn(layers[1]) + 1)]
        outs = [(3, 3, to) for to in range(1, drawn(layers[3]) + 1)]
        for layer, frm, to in ins + outs:
            cell = by_id.get(f"table-edge-{layer}-{frm}-{to}")
            assert cell, f"{name}: edge {layer}-{frm}-{to} of the selected unit is not listed"
            assert cell["text"].startswith("new w")
            assert_shown(number_of(cell), edge_value(trace, layer, frm, to, "after"),
                         f"{name}: edge {layer}-{frm}-{to}")
        page.keyboard.press("Escape")
        expect(page.locator("svg.network .unit.selected")).to_have_count(0)

    misses = page.evaluate(PICKS, edges)
    assert misses == [], f"{name}: {len(misses)} of {len(edges)} midpoints miss their edge: {misses[:5]}"
    # (a selection redraws the chain-rule panel too: a few hundred ms on the larger nets)
    sample = edges if len(edges) <= 12 else random.Random(12).sample(edges, 12)
    wrong = page.evaluate(CLICKS, sample)
    assert wrong == [], f"{name}: {len(wrong)} of {len(sample)} clicks missed: {wrong[:5]}"
    # a few real mouse clicks, the same way
    for edge in (edges[0], edges[len(edges) // 2], edges[-1]):
        page.mouse.click(edge["x"], edge["y"])
        expect(page.locator("svg.network .edge.selected")).to_have_attribute("data-testid", edge["id"])
    # with an edge selected (its label drawn in full) the labels still keep apart
    check_boxes(geometry(page), f"{name} with {edges[-1]['id']} selected")
    assert page.errors == []  # type: ignore[attr-defined]
