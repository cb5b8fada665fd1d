"""Exercise mode in the explorer and its worksheet (issue 14), in Chromium against a real server.

A student does the lecture's ∂L/∂w_22^h factor by factor with one wrong factor (∂L/∂z2 typed
for δ_2^h: the σ′(s) left out), reads the diagnosis, corrects it and gets green; then the
whole backward pass of the 2-2-1, every answer right — all from the keyboard, the right
answers computed here from the API's /backward trace. Seeds give the same problem again;
sign mode; the worksheet prints to PDF on A4 and Letter with every blank, and the key on its
own page, made without revealing anything on the student's exercise.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Page, expect

MINUS = "\u2212"


# ----------------------------------------------------------------- helpers

def open_explorer(page: Page, base: str) -> str:
    page.goto(base)
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    expect(page.locator("body")).to_have_attribute("data-busy", "false")
    expect(page.get_by_test_id("unit-2-1")).to_be_visible()
    return parse_qs(urlparse(page.url).query)["session"][0]


def is_create(response) -> bool:
    return response.request.method == "POST" and urlparse(response.url).path.endswith("/exercises")


def is_answer(response) -> bool:
    return response.request.method == "POST" and urlparse(response.url).path.endswith("/answers")


def press_expecting(page: Page, key: str, predicate) -> dict:
    with page.expect_response(predicate) as info:
        page.keyboard.press(key)
    assert info.value.status in (200, 201), info.value.text()
    body = info.value.json()
    expect(page.get_by_test_id("exercise")).to_have_attribute("data-busy", "false")
    return body


def js(value: float) -> str:
    """String(value) in JavaScript, with the typographic minus (exactText of exercise.js)."""
    text = repr(float(value))
    text = text[:-2] if text.endswith(".0") else text
    return text.replace("-", MINUS)


def focused_testid(page: Page) -> str | None:
    return page.evaluate("document.activeElement && document.activeElement.dataset.testid || null")


def trace_value(trace: dict, b: dict) -> float:
    q, k = b["quantity"], b["layer"]
    g = trace["grads"][k]
    if q == "dL_dW":
        return g["dL_dW"][b["i"]][b["j"]]
    if q == "da_ds":
        return g["da_ds"][b["unit"]]
    return g[q][b["unit"]]


def backward_trace(base: str, sid: str, example: dict) -> dict:
    r = httpx.post(f"{base}/api/sessions/{sid}/backward", json={"x": example["x"], "y": example["y"]},
                   timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def type_answer(page: Page, value: float) -> dict:
    """Type a number into the focused blank and press Enter: the one POST it makes."""
    page.keyboard.type(repr(value))
    out = press_expecting(page, "Enter", is_answer)
    assert len(out["results"]) == 1
    return out


def watch_requests(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(f"{r.method} {urlparse(r.url).path}"))
    return seen


# ----------------------------------------------------------------- the student's run

def test_one_weight_with_a_wrong_factor_then_backward_only_keyboard_only(page: Page, live_server: str,
                                                                         artifacts):
    """No mouse in this test: x opens the panel, arrows choose the mode, Enter goes to the
    first blank, each Enter grades one blank and moves on, Esc closes."""
    sid = open_explorer(page, live_server)
    requests = watch_requests(page)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    first = press_expecting(page, "x", is_create)              # opens on "every value"
    panel = page.get_by_test_id("exercise")
    expect(panel).to_be_visible()
    assert first["session_id"] == sid and first["kind"] == "value"
    assert focused_testid(page) == "exercise-mode-every"
    press_expecting(page, "ArrowDown", is_create)              # backward only
    ex = press_expecting(page, "ArrowDown", is_create)         # one weight
    assert focused_testid(page) == "exercise-mode-weight"
    expect(page.get_by_test_id("exercise-weight")).to_have_text("∂L/∂w_22^h")
    labels = [b["label"] for b in ex["blanks"]]
    assert labels[-1] == "∂L/∂w_22^h" and "δ_2^h" in labels and "∂L/∂z2" in labels, labels
    expect(page.get_by_test_id("exercise-blanks").locator("li")).to_have_count(len(labels))
    for b in ex["blanks"]:
        expect(page.get_by_test_id(f"blank-{b['blank']}").locator(".ex-label")).to_have_text(b["label"])
    # the exercise's own weights and example are shown
    problem = page.get_by_test_id("exercise-problem")
    expect(problem).to_contain_text("2-2-1")
    expect(problem).to_contain_text(f"w_22^h = {js(ex['weights'][0]['W'][1][1])}")
    expect(problem).to_contain_text(f"x1 = {js(ex['example']['x'][0])}")

    trace = backward_trace(live_server, sid, ex["example"])
    page.keyboard.press("Enter")                                # to the first blank
    assert focused_testid(page) == "blank-0-input"
    # typing letters in an answer fires no explorer shortcut (s = step, f = forward, …)
    page.keyboard.type("sfbtux")
    for _ in range(6):
        page.keyboard.press("Backspace")
    assert not any(r.endswith(("/step", "/forward", "/train", "/undo")) for r in requests), requests

    delta = next(b for b in ex["blanks"] if b["label"] == "δ_2^h")
    dz = next(b for b in ex["blanks"] if b["label"] == "∂L/∂z2")
    for b in ex["blanks"]:
        k = b["blank"]
        assert focused_testid(page) == f"blank-{k}-input"
        row = page.get_by_test_id(f"blank-{k}")
        right = trace_value(trace, b)
        if b is delta:
            # the network marks the blank's unit: z2 (unit 2 of layer 1)
            expect(page.get_by_test_id("unit-1-2")).to_have_class(re.compile(r"\bexercise-current\b"))
            wrong = trace_value(trace, dz)                      # ∂L/∂z2 without σ′(s_2^h)
            assert abs(wrong - right) > 0.05 * abs(right)
            out = type_answer(page, wrong)
            res = out["results"][0]
            assert res["correct"] is False and res["expected"] is None and res["tries"] == 1
            assert res["diagnosis"]["code"] == "missing_activation_derivative"
            expect(row).to_have_attribute("data-status", "wrong")
            expect(page.get_by_test_id(f"blank-{k}-message")).to_have_text(res["diagnosis"]["message"])
            expect(page.get_by_test_id(f"blank-{k}-hint")).to_contain_text("f′(s)")
            assert focused_testid(page) == f"blank-{k}-input"      # stays, text selected: retype
            page.screenshot(path=str(artifacts / "exercise-one-weight-diagnosis.png"))
        out = type_answer(page, right)
        res = out["results"][0]
        assert res["correct"] is True and res["diagnosis"] is None
        assert res["expected"] == pytest.approx(right, rel=1e-12)
        expect(row).to_have_attribute("data-status", "correct")
        expect(page.get_by_test_id(f"blank-{k}-value")).to_contain_text("✓")
    assert out["score"] == {"answered": len(labels), "correct": len(labels), "total": len(labels)}
    expect(page.get_by_test_id("exercise-score")).to_have_attribute("data-correct", str(len(labels)))
    # the values found stay on screen
    for b in ex["blanks"]:
        expect(page.get_by_test_id(f"blank-{b['blank']}")).to_have_attribute("data-status", "correct")
    assert page.locator(".ex-blank.correct").count() == len(labels)

    # Esc closes; x opens the same exercise again, no new request; ↑ = backward only
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    n_created = sum(r.endswith("/exercises") for r in requests)
    page.keyboard.press("x")
    expect(panel).to_be_visible()
    assert focused_testid(page) == "exercise-mode-weight"
    assert sum(r.endswith("/exercises") for r in requests) == n_created
    ex = press_expecting(page, "ArrowUp", is_create)
    assert {b["quantity"] for b in ex["blanks"]} == {"dL_da", "dL_ds", "dL_dW", "dL_db"}
    assert len(ex["blanks"]) == 2 * 3 + 9                  # ∂L/∂a and δ per unit; 9 weights and biases
    trace = backward_trace(live_server, sid, ex["example"])
    page.keyboard.press("Enter")
    for b in ex["blanks"]:
        assert focused_testid(page) == f"blank-{b['blank']}-input"
        if b["quantity"] == "dL_db":
            right = trace["grads"][b["layer"]]["dL_db"][b["unit"]]
        else:
            right = trace_value(trace, b)
        out = type_answer(page, right)
        assert out["results"][0]["correct"] is True, (b, out)
    assert out["score"] == {"answered": 15, "correct": 15, "total": 15}
    expect(page.get_by_test_id("exercise-score")).to_have_text("15 of 15 right (15 answered)")
    assert page.locator(".ex-blank.correct").count() == 15
    assert focused_testid(page) == "exercise-close"            # nothing left to answer
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    # the session itself was never changed
    session = httpx.get(f"{live_server}/api/sessions/{sid}", timeout=10).json()
    assert session["step"] == 0
    assert not errors, errors


def test_show_after_two_tries_and_on_request(page: Page, live_server: str):
    sid = open_explorer(page, live_server)
    with page.expect_response(is_create) as info:
        page.get_by_role("button", name=re.compile("^Exercise")).click()
    ex = info.value.json()
    expect(page.get_by_test_id("exercise")).to_have_attribute("data-busy", "false")
    assert ex["blanks"][0]["label"] == "s_1^h"
    fwd = httpx.post(f"{live_server}/api/sessions/{sid}/forward",
                     json={"x": ex["example"]["x"], "y": ex["example"]["y"]}, timeout=10).json()
    s1 = fwd["layers"][0]["s"][0]
    inp = page.get_by_test_id("blank-0-input")
    expect(page.get_by_test_id("exercise-mode-every")).to_be_focused()
    page.keyboard.press("Enter")
    expect(inp).to_be_focused()
    for n in (1, 2):
        inp.fill(str(s1 + 10))
        with page.expect_response(is_answer) as info:
            inp.press("Enter")
        res = info.value.json()["results"][0]
        assert res["tries"] == n and res["correct"] is False
    assert res["expected"] == pytest.approx(s1, rel=1e-12)
    row = page.get_by_test_id("blank-0")
    expect(row).to_have_attribute("data-status", "settled")
    expect(page.get_by_test_id("blank-0-message")).to_contain_text("shown after 2 tries")
    expect(page.get_by_test_id("blank-0-show")).to_be_hidden()
    # "show" reveals the next one without an answer
    expect(page.get_by_test_id("blank-1-input")).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith("/reveal")) as info:
        page.get_by_test_id("blank-1-show").click()
    res = info.value.json()["results"][0]
    assert res["expected"] == pytest.approx(fwd["layers"][0]["s"][1], rel=1e-12)
    expect(page.get_by_test_id("blank-1")).to_have_attribute("data-status", "revealed")
    shown = page.get_by_test_id("blank-1-value").text_content().replace(MINUS, "-")
    assert float(shown) == pytest.approx(res["expected"], rel=1e-5)
    # a non-number is refused in the page, no request
    expect(page.get_by_test_id("blank-2-input")).to_be_focused()
    page.keyboard.type("abc")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("blank-2-message")).to_have_text("“abc” is not a number")
    # Esc from inside an answer closes the panel (and clears nothing else)
    expect(page.get_by_test_id("blank-2-input")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("exercise")).to_be_hidden()
    expect(page.locator("#btn-exercise")).to_have_attribute("aria-pressed", "false")


def test_seed_gives_the_same_problem_and_sign_mode(page: Page, live_server: str):
    open_explorer(page, live_server)
    press_expecting(page, "x", is_create)
    seed = page.get_by_test_id("exercise-seed")
    assert 0 <= int(seed.input_value()) < 1000                  # a random default, shown

    def new_problem(value: int) -> dict:
        seed.fill(str(value))
        with page.expect_response(is_create) as info:
            page.get_by_test_id("exercise-new").click()
        assert info.value.request.post_data_json["seed"] == value
        expect(page.get_by_test_id("exercise")).to_have_attribute("data-busy", "false")
        return info.value.json()

    a, b, c = new_problem(17), new_problem(18), new_problem(17)
    assert a["seed"] == 17 and a["weights"] == c["weights"] and a["example"] == c["example"]
    assert a["weights"] != b["weights"]
    problem = page.get_by_test_id("exercise-problem")
    expect(problem).to_contain_text("seed 17")
    expect(problem).to_contain_text(f"w_11^h = {js(c['weights'][0]['W'][0][0])}")

    # predict the sign, on the same seed: + / − buttons
    with page.expect_response(is_create) as info:
        page.get_by_test_id("exercise-mode-sign").check()
    ex = info.value.json()
    assert ex["kind"] == "sign" and ex["seed"] == 17
    expect(page.get_by_test_id("exercise")).to_have_attribute("data-busy", "false")
    # ∂L/∂y = y − y*: its sign from the seed's own forward pass
    sid = ex["session_id"]
    copy = httpx.post(f"{live_server}/api/sessions/{sid}/exercises",
                      json={"seed": 17, "quantities": ["dL_da"]}, timeout=10).json()
    expected = httpx.post(f"{live_server}/api/exercises/{copy['id']}/reveal", json={"blank": 0},
                          timeout=10).json()["results"][0]["expected"]
    assert ex["blanks"][0]["label"] == "∂L/∂y"
    wrong = "minus" if expected > 0 else "plus"
    right = "plus" if expected > 0 else "minus"
    with page.expect_response(is_answer) as info:
        page.get_by_test_id(f"blank-0-{wrong}").click()
    assert info.value.json()["results"][0]["correct"] is False
    expect(page.get_by_test_id("blank-0")).to_have_attribute("data-status", "wrong")
    with page.expect_response(is_answer) as info:
        page.get_by_test_id(f"blank-0-{right}").click()
    assert info.value.json()["results"][0]["correct"] is True
    expect(page.get_by_test_id("blank-0")).to_have_attribute("data-status", "correct")
    expect(page.get_by_test_id("blank-0-value")).to_have_text("✓ " + ("+" if expected > 0 else MINUS))


# ----------------------------------------------------------------- the worksheet

def pdf_pages(path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdf_size(path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    return float(m.group(1)), float(m.group(2))


def test_worksheet_prints_blanks_and_the_key_on_its_own_page(page: Page, live_server: str, artifacts):
    sid = open_explorer(page, live_server)
    press_expecting(page, "x", is_create)
    with page.expect_response(is_create) as info:
        page.get_by_test_id("exercise-mode-backward").check()
    ex = info.value.json()
    expect(page.get_by_test_id("exercise")).to_have_attribute("data-busy", "false")
    with page.context.expect_page() as popup:
        page.get_by_test_id("exercise-worksheet").click()
    sheet = popup.value
    sheet.wait_for_load_state()
    expect(sheet.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    key_id = sheet.locator("body").get_attribute("data-key")
    assert key_id and key_id != ex["id"]
    # the student's own exercise is not revealed by printing it; the copy is
    own = httpx.get(f"{live_server}/api/exercises/{ex['id']}", timeout=10).json()
    assert all(b["expected"] is None and not b["revealed"] for b in own["blanks"])
    key = httpx.get(f"{live_server}/api/exercises/{key_id}", timeout=10).json()
    assert all(b["revealed"] for b in key["blanks"])
    assert key["weights"] == ex["weights"] and key["example"] == ex["example"]
    trace = backward_trace(live_server, sid, ex["example"])

    labels = [b["label"] for b in ex["blanks"]]
    sheet.emulate_media(media="print")
    expect(sheet.get_by_test_id("ws-toolbar")).to_be_hidden()
    assert sheet.get_by_test_id("ws-key").evaluate("e => getComputedStyle(e).breakBefore") == "page"
    rows = sheet.locator("#ws-blank-rows tr")
    assert rows.count() == len(labels)
    assert [t.strip() for t in sheet.locator("#ws-blank-rows .ws-sym").all_text_contents()] == labels
    assert all(not t.strip() for t in sheet.locator("#ws-blank-rows .ws-box").all_text_contents())
    answers = sheet.locator("#ws-key-rows .ws-answer").all_text_contents()
    for b, text in zip(ex["blanks"], answers, strict=True):
        if b["quantity"] == "dL_db":
            value = trace["grads"][b["layer"]]["dL_db"][b["unit"]]
        else:
            value = trace_value(trace, b)
        assert float(text.replace(MINUS, "-")) == pytest.approx(value, rel=1e-5, abs=1e-12), b
    problem = sheet.get_by_test_id("ws-problem")
    expect(problem).to_contain_text("2-2-1")
    expect(problem).to_contain_text("γ = 0.5")
    expect(problem).to_contain_text("hidden: sigmoid")
    expect(problem).to_contain_text(f"w_22^h = {js(ex['weights'][0]['W'][1][1])}")

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed: the print DOM was checked, not the PDF")
    for paper, size in (("A4", (595.28, 841.89)), ("Letter", (612.0, 792.0))):
        path = artifacts / f"worksheet-{paper}.pdf"
        sheet.pdf(path=str(path), format=paper, print_background=True)
        assert pdf_size(path) == pytest.approx(size, abs=1.5)    # Chromium rounds to whole px
        pages = pdf_pages(path)
        assert len(pages) >= 2, paper
        key_pages = [n for n, text in enumerate(pages) if "Answer key" in text]
        assert len(key_pages) == 1, paper
        k = key_pages[0]
        assert k >= 1 and pages[k].strip().startswith("Answer key"), (paper, pages[k][:200])
        before, after = "\n".join(pages[:k]), "\n".join(pages[k:])
        assert "Your answers" in before and "Your answers" not in after
        assert "Print" not in before and "Paper" not in before          # no UI chrome
        for label in labels:
            assert label in before, (paper, label)
            assert label in after, (paper, label)
        for text in answers:                                             # values only in the key
            assert text in after, (paper, text)
        assert "w_22^h" in before and "γ = 0.5" in before
