"""The toolbar's "this step" / "next" (issue 12, item 4) at every phase of four micro-stepped
Steps on the lecture's network (one epoch of its 4 examples and the first of the next) and of
a Forward pass: "this step" is the example the step on screen used, "next" is "known after the
update" until its update phase and then the example the server takes next (naming the new
epoch when the reshuffled order starts with the same one); a Forward pass is "this forward
pass" (it takes no step: next is the same example)."""
from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect
from test_explorer import fmt

UPDATE = 5  # 2-2-1: forward 1, forward 2, loss, backward 2, backward 1, update

TOOLBAR = """async (phase) => {
  for (let i = 0; i < 200 && Number(document.body.dataset.phaseIndex) !== phase; i++) {
    await new Promise((r) => requestAnimationFrame(r));
  }
  return [Number(document.body.dataset.phaseIndex),
          document.querySelector('[data-testid=example-this]').textContent,
          document.querySelector('[data-testid=example-next]').textContent];
}"""


def example(dataset: dict, index: int) -> str:
    x, y = dataset["X"][index], dataset["Y"][index]
    return f"#{index}: x = ({', '.join(fmt(v) for v in x)}), y* = {', '.join(fmt(v) for v in y)}"


def test_this_step_and_next_are_right_at_every_phase(page: Page, live_server: str, new_session):
    sid = new_session({"preset": "lecture"})
    dataset = httpx.get(f"{live_server}/api/sessions/{sid}/dataset", timeout=10).json()
    page.goto(f"{live_server}/?session={sid}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    page.keyboard.press("m")
    epoch = 0
    new_epoch_seen = False
    for number in range(1, 6):
        with page.expect_response(lambda r: r.url.endswith("/step")) as info:
            page.keyboard.press("s")
        trace = info.value.json()
        assert trace["step"] == number
        this = f"this step: {example(dataset, trace['example_index'])}"
        for phase in range(UPDATE + 1):
            shown = page.evaluate(TOOLBAR, phase)
            assert shown[0] == phase
            assert shown[1] == this, (number, phase, shown)
            if phase < UPDATE:
                assert shown[2] == "next: known after the update", (number, phase, shown)
            else:
                begins = f" (epoch {trace['epoch']} begins)" if trace["epoch"] > epoch else ""
                new_epoch_seen = new_epoch_seen or bool(begins)
                assert shown[2] == f"next{begins}: {example(dataset, trace['next_index'])}", (number, shown)
            if phase < UPDATE:
                page.keyboard.press("ArrowRight")
        epoch = trace["epoch"]
    assert new_epoch_seen  # the 4th step ends the lecture's epoch of 4 examples

    # a Forward pass takes no step: it is "this forward pass", and next is the same example
    with page.expect_response(lambda r: r.url.endswith("/forward")):
        page.keyboard.press("f")
    upcoming = httpx.get(f"{live_server}/api/sessions/{sid}", timeout=10).json()["dataset"]["next_index"]
    for phase in range(3):  # forward 1, forward 2, loss
        shown = page.evaluate(TOOLBAR, phase)
        assert shown[1:] == [f"this forward pass: {example(dataset, upcoming)}",
                             f"next: {example(dataset, upcoming)}"], (phase, shown)
        if phase < 2:
            page.keyboard.press("ArrowRight")
