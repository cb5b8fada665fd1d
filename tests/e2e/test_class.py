"""A live class in one browser (issue 15): the teacher's explorer with the class panel and two
student pages (class.html), one on a 390×844 phone, against a real server.

The students follow the teacher's micro-step; a question (δ of the output unit) is answered on
both (one right, one with the sign flipped); the projector shows 2 answered and a histogram of 2
without the answer; Reveal marks the right bin, names the sign mistake and tells each student;
"ask again" starts a new round; "explore on my own" steps a private copy and leaves the teacher's
session alone; "back to class" follows again; ending the class tells the students.
"""
from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, Page, expect

from test_explorer import fmt, idle

PHONE = {"width": 390, "height": 844}


def ready(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)


def server_step(url: str, sid: str, step: int, timeout: float = 10.0) -> None:
    """Wait until the teacher's session is at `step` on the server."""
    import time
    deadline = time.monotonic() + timeout
    while httpx.get(f"{url}/api/sessions/{sid}", timeout=5).json()["step"] != step:
        assert time.monotonic() < deadline, f"the session did not reach step {step}"
        time.sleep(0.05)


def join(page: Page, url: str, code: str, name: str) -> None:
    ready(page, f"{url}/class.html")
    page.get_by_test_id("join-code").fill(code.lower())         # case does not matter
    page.get_by_test_id("join-name").fill(name)
    page.get_by_test_id("join-go").click()
    expect(page.locator("body")).to_have_attribute("data-joined", "true")
    expect(page.get_by_test_id("network")).to_be_visible()


def test_a_class_follows_answers_reveals_and_explores(browser: Browser, live_server: str, artifacts):
    teacher = browser.new_context().new_page()
    ready(teacher, f"{live_server}/")
    sid = teacher.locator("body").get_attribute("data-session")
    teacher.keyboard.press("m")                                 # micro-step: one phase per →

    teacher.keyboard.press("c")                                 # the Class key opens a class
    panel = teacher.get_by_test_id("class-panel")
    expect(panel).to_be_visible()
    code_box = teacher.get_by_test_id("class-code")
    expect(code_box).to_have_text(re.compile(r"^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$"))
    code = code_box.inner_text()
    expect(teacher.get_by_test_id("class-url")).to_contain_text("/class.html")
    qr = teacher.get_by_test_id("class-qr")
    expect(qr).to_have_attribute("src", re.compile(r"^/api/classes/[^/]+/qr\.svg\?token="))
    teacher.wait_for_function("document.querySelector('[data-testid=class-qr]').naturalWidth > 0")
    expect(teacher.get_by_test_id("class-students")).to_have_text("0 students")

    laptop = browser.new_context().new_page()
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    join(laptop, live_server, code, "Ada")
    join(phone, live_server, code, "")
    expect(teacher.get_by_test_id("class-students")).to_have_text("2 students")
    expect(phone.get_by_test_id("waiting")).to_be_visible()    # no step to follow yet
    expect(phone.get_by_test_id("phase")).to_be_hidden()

    # --- the students follow the teacher's micro-step
    teacher.get_by_test_id("class-hide").click()
    # the arrows move the phases of the step's trace once the page has it (pressed while the
    # step is in flight they would move the old one's, then the trace starts at phase 0)
    with teacher.expect_response(lambda r: r.url.endswith("/step")):
        teacher.keyboard.press("s")
    idle(teacher)
    expect(teacher.locator("body")).to_have_attribute("data-phase-index", "0")
    teacher.keyboard.press("ArrowRight")
    teacher.keyboard.press("ArrowRight")
    expect(teacher.locator("body")).to_have_attribute("data-phase-index", "2")
    title = teacher.get_by_test_id("phase-name").inner_text()
    for student in (laptop, phone):
        expect(student.locator("body")).to_have_attribute("data-step", "1")
        expect(student.get_by_test_id("waiting")).to_be_hidden()
        expect(student.locator("body")).to_have_attribute("data-phase-index", "2")
        expect(student.get_by_test_id("phase-name")).to_have_text(title)
        expect(student.get_by_test_id("unit-2-1")).to_be_visible()
    # the step's values are drawn as on the projector (the output unit after the forward pass;
    # the phone's narrow drawing shows values on demand only)
    shown = teacher.get_by_test_id("unit-2-1-values").text_content()
    assert shown and laptop.get_by_test_id("unit-2-1-values").text_content() == shown
    # the phone's network fits its width
    box = phone.get_by_test_id("network").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5
    teacher.keyboard.press("ArrowRight")
    expect(phone.locator("body")).to_have_attribute("data-phase-index", "3")
    phone.screenshot(path=str(artifacts / "class-phone-following.png"))

    # --- a question: δ of the output unit
    teacher.get_by_test_id("unit-2-1").click()
    teacher.locator("#btn-class").click()                       # shows the panel again
    expect(panel).to_be_visible()
    teacher.get_by_test_id("class-question-kind").select_option("dL_ds")
    expect(teacher.get_by_test_id("class-target")).to_contain_text("y")
    teacher.get_by_test_id("class-ask").click()
    for student in (laptop, phone):
        expect(student.get_by_test_id("student-question")).to_be_visible()
        expect(student.get_by_test_id("question-title")).to_contain_text("δ")
    # the right value, from the question's frozen example and weights (the session's next one)
    class_id = teacher.locator("body").get_attribute("data-class-id")
    token = teacher.evaluate("document.querySelector('[data-testid=class-csv]').href.split('token=')[1]")
    info = httpx.get(f"{live_server}/api/classes/{class_id}", params={"token": token}, timeout=5).json()
    ex = info["question"]["example"]
    trace = httpx.post(f"{live_server}/api/sessions/{sid}/backward",
                       json={"x": ex["x"], "y": ex["y"]}, timeout=5).json()
    delta = trace["grads"][1]["dL_ds"][0]
    assert delta != 0

    laptop.get_by_test_id("answer-value").fill(repr(delta))
    laptop.get_by_test_id("answer-go").click()
    expect(laptop.get_by_test_id("answer-status")).to_contain_text("Sent")
    # the phone: the answer box stays visible with the keyboard open (a shorter visual viewport)
    phone.set_viewport_size({"width": 390, "height": 480})
    field = phone.get_by_test_id("answer-value")
    field.tap()
    field.fill(f"{-delta!r}".replace("-", "\u2212"))           # typographic minus accepted
    phone.wait_for_timeout(100)
    fb = field.bounding_box()
    assert 0 <= fb["y"] and fb["y"] + fb["height"] <= 480
    on_top = phone.evaluate("""() => { const f = document.querySelector('[data-testid=answer-value]');
        const r = f.getBoundingClientRect(); return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === f; }""")
    assert on_top
    phone.get_by_test_id("answer-go").tap()
    expect(phone.get_by_test_id("answer-status")).to_contain_text("Sent")
    phone.screenshot(path=str(artifacts / "class-phone-keyboard.png"))
    phone.set_viewport_size(PHONE)

    # --- the projector: 2 answered, two bars of 1, nothing marked right yet
    expect(teacher.get_by_test_id("class-answered")).to_have_attribute("data-count", "2")
    hist = teacher.get_by_test_id("class-histogram")
    expect(hist).to_have_attribute("data-total", "2")
    expect(hist.locator(".bin")).to_have_count(2)
    expect(hist.locator(".bin.correct")).to_have_count(0)
    expect(teacher.get_by_test_id("class-expected")).to_have_count(0)

    # --- reveal: the right bin marked, the sign mistake named, each student told
    teacher.screenshot(path=str(artifacts / "class-projector-answers.png"))
    teacher.get_by_test_id("class-reveal").click()
    right = hist.locator(".bin.correct")
    expect(right).to_have_count(1)
    expect(right).to_have_attribute("data-count", "1")
    # the server's bars are the answers to 3 significant digits; the right one holds δ
    res = httpx.get(f"{live_server}/api/classes/{class_id}/questions/{info['question']['question_id']}/results",
                    params={"token": token}, timeout=5).json()
    bar = next(b for b in res["histogram"] if b["right"])
    assert bar["count"] == 1 and abs(bar["lo"] - delta) <= 5e-3 * abs(delta)
    expect(right.locator(".bin-label")).to_have_text(fmt(bar["lo"]))
    expect(teacher.get_by_test_id("class-expected")).to_contain_text(fmt(delta))
    expect(teacher.get_by_test_id("class-diagnoses").locator("[data-code=sign_flipped]")).to_contain_text("1 ×")
    expect(laptop.get_by_test_id("answer-result")).to_have_attribute("data-right", "true")
    expect(laptop.get_by_test_id("answer-result")).to_contain_text("Right")
    expect(phone.get_by_test_id("answer-result")).to_have_attribute("data-right", "false")
    expect(phone.get_by_test_id("answer-result")).to_contain_text(fmt(delta))

    # --- ask again: a new round, empty, and the students can answer again
    teacher.get_by_test_id("class-again").click()
    expect(teacher.get_by_test_id("class-question")).to_contain_text("round 2")
    expect(teacher.get_by_test_id("class-answered")).to_have_attribute("data-count", "0")
    expect(phone.get_by_test_id("answer-value")).to_be_enabled()
    expect(phone.get_by_test_id("answer-result")).to_have_text("")

    # --- explore on my own: a private copy steps; the teacher's session does not move
    with laptop.context.expect_page() as popup:
        laptop.get_by_test_id("explore").click()
    mine = popup.value
    expect(mine.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    own = mine.locator("body").get_attribute("data-session")
    assert own and own != sid
    expect(mine.locator("body")).to_have_attribute("data-step", "1")
    mine.keyboard.press("i")
    mine.keyboard.press("s")
    expect(mine.locator("body")).to_have_attribute("data-step", "2")
    mine.keyboard.press("s")
    expect(mine.locator("body")).to_have_attribute("data-step", "3")
    assert httpx.get(f"{live_server}/api/sessions/{sid}", timeout=5).json()["step"] == 1
    expect(laptop.get_by_test_id("mode")).to_contain_text("exploring")
    # the teacher goes on; the exploring student's class page waits, "back to class" catches up
    teacher.get_by_test_id("class-hide").click()
    teacher.keyboard.press("s")
    server_step(live_server, sid, 2)
    expect(phone.locator("body")).to_have_attribute("data-step", "2")
    assert laptop.locator("body").get_attribute("data-step") == "1"
    laptop.get_by_test_id("back").click()
    expect(laptop.locator("body")).to_have_attribute("data-step", "2")
    expect(laptop.get_by_test_id("mode")).to_contain_text("following")

    # --- a reload of the projector keeps the class, its students and the question's round
    teacher.reload()
    expect(teacher.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    expect(panel).to_be_visible()
    expect(code_box).to_have_text(code)
    expect(teacher.get_by_test_id("class-students")).to_have_text("2 students")
    expect(teacher.get_by_test_id("class-question")).to_contain_text("round 2")

    # --- end the class: the students are told
    teacher.get_by_test_id("class-end").click()
    expect(panel).to_be_hidden()
    for student in (laptop, phone):
        expect(student.get_by_test_id("mode")).to_contain_text("ended")


def tap_edge(page: Page, edge: str, touch: bool) -> None:
    """A tap (or a mouse click) on the drawn network at the weight's midpoint, its click spot."""
    x, y = page.evaluate("""(id) => {
        const line = document.querySelector(`[data-testid="edge-${id}"] .edge-line`);
        const at = (a) => Number(line.getAttribute(a));
        const p = new DOMPoint((at('x1') + at('x2')) / 2, (at('y1') + at('y2')) / 2)
            .matrixTransform(line.ownerSVGElement.getScreenCTM());
        return [p.x, p.y]; }""", edge)
    if touch:
        page.touchscreen.tap(x, y)
    else:
        page.mouse.click(x, y)


def heat_counts(teacher: Page) -> dict[str, int]:
    """The counts drawn on the projector's network: {edge id: count}."""
    return teacher.evaluate("""() => Object.fromEntries(
        [...document.querySelectorAll('#network .class-heat .heat-badge')]
            .map((b) => [b.dataset.testid.slice(5), Number(b.dataset.count)]))""")


def test_click_the_weight_with_the_largest_gradient(browser: Browser, live_server: str, artifacts):
    """Two students tap different weights on their drawn networks (one on a 390×844 phone);
    the projector's own network shows a count of 1 on each of those edges (as GET …/results
    has them) and no answer; the reveal marks the right weight there and on the phone."""
    teacher = browser.new_context().new_page()
    ready(teacher, f"{live_server}/")
    sid = teacher.locator("body").get_attribute("data-session")
    teacher.locator("#btn-class").click()
    code = teacher.get_by_test_id("class-code")
    expect(code).to_have_text(re.compile(r"^\w{6}$"))
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    laptop = browser.new_context().new_page()
    join(phone, live_server, code.inner_text(), "Bo")
    join(laptop, live_server, code.inner_text(), "Cy")
    expect(teacher.get_by_test_id("class-students")).to_have_text("2 students")

    teacher.get_by_test_id("class-question-kind").select_option("pick_weight")
    teacher.get_by_test_id("class-ask").click()
    expect(phone.get_by_test_id("pick-hint")).to_be_visible()
    expect(phone.get_by_test_id("answer-form")).to_be_hidden()
    caption = teacher.get_by_test_id("class-heat-caption")
    expect(caption).to_have_attribute("data-answered", "0")
    # the largest |∂L/∂w| on the question's example, over every weight and bias
    class_id = teacher.locator("body").get_attribute("data-class-id")
    token = teacher.evaluate("document.querySelector('[data-testid=class-csv]').href.split('token=')[1]")
    question = httpx.get(f"{live_server}/api/classes/{class_id}", params={"token": token},
                         timeout=5).json()["question"]
    ex = question["example"]
    grads = httpx.post(f"{live_server}/api/sessions/{sid}/backward", json={"x": ex["x"], "y": ex["y"]},
                       timeout=5).json()["grads"]
    size = {(k, i, j): abs(g["dL_dW"][i - 1][j - 1]) for k, g in enumerate(grads)
            for i in range(1, len(g["dL_dW"]) + 1) for j in range(1, len(g["dL_dW"][0]) + 1)}
    size.update({(k, 0, j): abs(g["dL_db"][j - 1]) for k, g in enumerate(grads)
                 for j in range(1, len(g["dL_db"]) + 1)})
    k, i, j = max(size, key=size.get)
    right = f"{k + 1}-{i}-{j}"
    others = [f"{k2 + 1}-{i2}-{j2}" for (k2, i2, j2), v in sorted(size.items(), key=lambda kv: kv[1])
              if v < 0.9 * size[(k, i, j)]]
    # the phone taps a wrong weight, then the right one: the new answer replaces the old
    tap_edge(phone, others[0], touch=True)
    expect(phone.get_by_test_id("answer-status")).to_contain_text("You picked")
    expect(phone.get_by_test_id(f"edge-{others[0]}")).to_have_class(re.compile("selected"))
    tap_edge(phone, right, touch=True)
    expect(phone.get_by_test_id(f"edge-{right}")).to_have_class(re.compile("selected"))
    # the laptop taps the largest weight w_22^h (0.8), not the largest gradient
    big_w = "1-2-2"
    assert big_w in others and big_w != others[0]
    tap_edge(laptop, big_w, touch=False)
    expect(laptop.get_by_test_id("answer-status")).to_contain_text("You picked")

    # the projector: 2 answered; on its network a 1 on each chosen edge, as the results say
    expect(teacher.get_by_test_id("class-answered")).to_have_attribute("data-count", "2")
    expect(caption).to_have_attribute("data-answered", "2")
    teacher.wait_for_function("document.querySelectorAll('#network .class-heat .heat-badge').length === 2")
    res = httpx.get(f"{live_server}/api/classes/{class_id}/questions/{question['question_id']}/results",
                    params={"token": token}, timeout=5).json()
    from_results = {f"{c['layer'] + 1}-{c['i'] + 1}-{c['j'] + 1}": c["count"] for c in res["clicks"]}
    assert heat_counts(teacher) == from_results == {right: 1, big_w: 1}
    heat = teacher.get_by_test_id("class-heat")
    expect(heat).to_have_attribute("data-status", "open")
    marks = teacher.locator("#network .class-heat .right, #network .class-heat-lines .heat-right-line")
    expect(marks).to_have_count(0)                                        # no answer yet
    hist = teacher.get_by_test_id("class-histogram")
    expect(hist).to_have_attribute("data-kind", "pick_weight")
    expect(hist).to_have_attribute("data-total", "2")
    teacher.get_by_test_id("class-hide").click()
    teacher.screenshot(path=str(artifacts / "class-projector-heat.png"))
    # the projector layout redraws the network: the heat map is drawn again on the new edges
    where = teacher.get_by_test_id(f"heat-{right}").get_attribute("transform")
    teacher.keyboard.press("p")
    expect(teacher.locator("body")).to_have_class(re.compile("projector"))
    expect(teacher.get_by_test_id(f"heat-{right}")).not_to_have_attribute("transform", where)
    assert heat_counts(teacher) == {right: 1, big_w: 1}
    teacher.keyboard.press("p")
    expect(teacher.locator("body")).not_to_have_class(re.compile("projector"))

    teacher.locator("#btn-class").click()
    teacher.get_by_test_id("class-reveal").click()
    expect(heat).to_have_attribute("data-status", "revealed")
    mark = teacher.get_by_test_id(f"heat-{right}")
    expect(mark).to_have_attribute("data-right", "true")
    expect(mark).to_have_text("✓ 1")
    expect(teacher.get_by_test_id(f"heat-{big_w}")).to_have_attribute("data-right", "false")
    expect(teacher.locator("#network .class-heat-lines .heat-right-line")).to_have_count(1)
    expect(caption).to_contain_text("1 of 2 right")
    expect(caption.locator("[data-code=largest_weight]")).to_contain_text(
        "1 × the weight with the largest |w|")
    expect(hist.locator(".bin.correct")).to_have_count(1)
    expect(hist.locator(".bin.correct")).to_have_attribute("data-count", "1")
    expect(phone.get_by_test_id("answer-result")).to_have_attribute("data-right", "true")
    expect(laptop.get_by_test_id("answer-result")).to_have_attribute("data-right", "false")
    # the right weight is shown selected on the student's network
    expect(phone.get_by_test_id(f"edge-{right}")).to_have_class(re.compile("selected"))
    teacher.get_by_test_id("class-hide").click()
    teacher.screenshot(path=str(artifacts / "class-projector-heat-revealed.png"))
    # the next question (the loss: no selection needed) replaces it on the phone, and the
    # heat map leaves the projector's network
    teacher.locator("#btn-class").click()
    teacher.get_by_test_id("class-question-kind").select_option("loss")
    teacher.get_by_test_id("class-ask").click()
    expect(phone.get_by_test_id("answer-form")).to_be_visible()
    expect(phone.get_by_test_id("question-title")).to_contain_text(
        f"for x = ({', '.join(fmt(v) for v in ex['x'])})")
    expect(teacher.get_by_test_id("class-answered")).to_have_attribute("data-count", "0")
    expect(heat).to_have_count(0)
    expect(caption).to_be_hidden()
