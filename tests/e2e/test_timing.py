"""Honest timing: what a Step produced (the step counter, the loss chart, the heatmap and the
units' map thumbnails, the next example) appears when the animation reaches the step's update
phase, not when the answer arrives; until then the page shows the state before the step and
says which example the step is about ("this step: …") apart from the one after it ("next: …").
"""
from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect
from test_explorer import Watch, explorer, fmt, idle, session_id_of  # noqa: F401  (explorer: fixture)

UPDATE = 5  # 2-2-1: forward 1, forward 2, loss, backward 2, backward 1, update


def shown_state(page: Page) -> dict:
    return page.evaluate("""() => ({
      phase: document.body.dataset.phaseIndex,
      kind: document.body.dataset.traceKind,
      step: document.querySelector('[data-testid=session-info]').dataset.step,
      heatmap: document.querySelector('[data-testid=heatmap-canvas]').dataset.step,
      thumbnail: document.querySelector('[data-testid=unit-map-1-2]')?.dataset.step,
      loss: document.querySelector('[data-testid=loss-summary]').textContent,
      lossLine: !!document.querySelector('[data-testid=loss-step-line]'),
      next: document.querySelector('[data-testid=example-next]').textContent,
      nextIndex: document.querySelector('[data-testid=example-next]').dataset.index,
      thisStep: document.querySelector('[data-testid=example-this]').textContent,
    })""")


def test_micro_step_shows_the_state_before_until_the_update_phase(explorer: Watch, page: Page):
    expect(page.get_by_test_id("heatmap-canvas")).to_have_attribute("data-step", "0")
    sid = session_id_of(page)
    dataset = httpx.get(f"{explorer.base}/api/sessions/{sid}/dataset", timeout=10).json()
    first = httpx.get(f"{explorer.base}/api/sessions/{sid}", timeout=10).json()["dataset"]["next_index"]
    before = shown_state(page)
    assert before["step"] == "0" and before["loss"] == "No updates yet" and not before["lossLine"]
    assert before["thisStep"] == "" and before["nextIndex"] == str(first)
    x, y = dataset["X"][first], dataset["Y"][first]
    assert before["next"] == f"next: #{first}: x = ({fmt(x[0])}, {fmt(x[1])}), y* = {fmt(y[0])}"

    page.keyboard.press("m")
    with page.expect_response(lambda r: r.url.endswith("/step")) as info:
        page.keyboard.press("s")
    trace = info.value.json()
    idle(page)
    assert trace["step"] == 1 and trace["example_index"] == first
    second = trace["next_index"]  # (the order of the examples is the server's)
    this_step = f"this step: #{first}: x = ({fmt(trace['x'][0])}, {fmt(trace['x'][1])}), y* = {fmt(trace['y'][0])}"
    # phases 1 … 5 of 6: still the state before the step
    for phase in range(UPDATE):
        state = shown_state(page)
        assert state["phase"] == str(phase) and state["kind"] == "step"
        assert state["step"] == "0", state
        assert state["heatmap"] == "0", state
        assert state["thumbnail"] == "0", state   # z2's map in its unit: the weights before
        assert state["loss"] == "No updates yet" and not state["lossLine"], state
        assert state["thisStep"] == this_step
        assert state["next"] == "next: known after the update"
        # the network still draws the weights before the update
        assert page.get_by_test_id("edge-1-1-1").get_attribute("data-w-after") == ""
        page.keyboard.press("ArrowRight")
    # the update phase: the step's results, equal to the API's
    expect(page.locator("body")).to_have_attribute("data-phase-index", str(UPDATE))
    served = httpx.get(f"{explorer.base}/api/sessions/{session_id_of(page)}", timeout=10).json()
    assert served["step"] == 1
    expect(page.get_by_test_id("session-info")).to_have_attribute("data-step", "1")
    expect(page.get_by_test_id("heatmap-canvas")).to_have_attribute("data-step", "1")
    expect(page.get_by_test_id("unit-map-1-2")).to_have_attribute("data-step", "1")
    expect(page.get_by_test_id("loss-summary")).to_contain_text(f"1 update · last loss {fmt(trace['loss'])}")
    expect(page.get_by_test_id("loss-step-line")).to_have_count(1)
    state = shown_state(page)
    assert state["thisStep"] == this_step and state["nextIndex"] == str(second)
    assert state["next"].startswith(f"next: #{second}: x = ({fmt(dataset['X'][second][0])}, ")
    shown_session = page.evaluate("async () => (await import('/js/state.js')).getState().session")
    assert shown_session == served
    # going back a phase does not undo what was shown (and S goes on from the new state)
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_test_id("session-info")).to_have_attribute("data-step", "1")


# Every change of the shown values, with the phase on screen at that moment.
RECORD = """() => {
  window.__shown = [];
  const read = () => ({
    phase: Number(document.body.dataset.phaseIndex),
    kind: document.body.dataset.traceKind,
    step: document.querySelector('[data-testid=session-info]').dataset.step,
    heatmap: document.querySelector('[data-testid=heatmap-canvas]').dataset.step,
    thumbnail: document.querySelector('[data-testid=unit-map-1-2]')?.dataset.step,
    loss: document.querySelector('[data-testid=loss-summary]').textContent,
    next: document.querySelector('[data-testid=example-next]').dataset.index,
  });
  new MutationObserver(() => window.__shown.push(read()))
    .observe(document.body, { attributes: true, subtree: true, childList: true, characterData: true });
}"""


def test_animated_step_changes_nothing_before_its_update_phase(explorer: Watch, page: Page):
    """At the fastest speed, every state of the page while a step animates, recorded as it
    changes: the counter, the heatmap, the loss and the next example change only once the
    update phase is on screen."""
    expect(page.get_by_test_id("heatmap-canvas")).to_have_attribute("data-step", "0")
    page.locator("#speed").evaluate("(el) => { el.value = '4'; el.dispatchEvent(new Event('input')); }")
    expect(page.locator("body")).to_have_attribute("data-speed", "4")
    page.evaluate(RECORD)
    with page.expect_response(lambda r: r.url.endswith("/step")) as info:
        page.keyboard.press("s")
    trace = info.value.json()
    idle(page)
    expect(page.get_by_test_id("heatmap-canvas")).to_have_attribute("data-step", "1")
    records = page.evaluate("window.__shown")
    during = [r for r in records if r["kind"] == "step"]
    phases = sorted({r["phase"] for r in during})
    assert phases == list(range(UPDATE + 1)), phases      # every phase was on screen
    for r in during:
        if r["phase"] < UPDATE:
            assert (r["step"], r["heatmap"], r["thumbnail"], r["loss"]) == ("0", "0", "0", "No updates yet"), r
            assert r["next"] == "", r          # "next: known after the update"
    last = records[-1]
    assert last["phase"] == UPDATE and last["step"] == "1" and last["heatmap"] == "1"
    assert last["thumbnail"] == "1"
    assert last["loss"].startswith(f"1 update · last loss {fmt(trace['loss'])}")
    assert last["next"] == str(trace["next_index"])


def test_a_step_pressed_during_an_animation_starts_from_the_finished_one(explorer: Watch, page: Page):
    """S while the previous step still animates: the first step's results are shown at once and
    the second step is about the next example (its counter then waits for its own update)."""
    page.keyboard.press("m")
    with page.expect_response(lambda r: r.url.endswith("/step")):
        page.keyboard.press("s")
    idle(page)
    expect(page.get_by_test_id("session-info")).to_have_attribute("data-step", "0")
    with page.expect_response(lambda r: r.url.endswith("/step")) as info:
        page.keyboard.press("s")
    second = info.value.json()
    idle(page)
    assert second["step"] == 2
    expect(page.get_by_test_id("session-info")).to_have_attribute("data-step", "1")
    expect(page.get_by_test_id("loss-summary")).to_contain_text("1 update")
    expect(page.get_by_test_id("example-this")).to_contain_text(f"this step: #{second['example_index']}:")
    for _ in range(UPDATE):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("session-info")).to_have_attribute("data-step", "2")
    expect(page.get_by_test_id("loss-summary")).to_contain_text("2 updates")
