"""The rules of a live class in-process (TestClient; no timing): join codes, bounds,
validation naming the field, the idle timeout and the wrong-code window on an injected
clock, the histogram's bins, the CSV, the QR code."""
from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from fastapi.testclient import TestClient

from backprop_explorer.api.app import create_app
from backprop_explorer.api.config import Settings
from backprop_explorer.classroom import ALPHABET, WRONG_CODES, WRONG_WINDOW, classes, codes
from backprop_explorer.classroom.questions import MAX_BINS, Question
from backprop_explorer.engine import Architecture, Parameters
from backprop_explorer.exercises.blanks import make_blank
from backprop_explorer.sessions import SessionStore

LECTURE = {"preset": "lecture"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def app():
    settings = Settings(memory=True, demo_session=False, max_classes=3,
                        class_idle_timeout=3600)
    return create_app(settings, SessionStore(max_sessions=100))


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def opened(client, spec=LECTURE):
    sid = client.post("/api/sessions", json=spec).json()["id"]
    r = client.post("/api/classes", json={"session_id": sid})
    assert r.status_code == 201, r.text
    return sid, r.json()


def detail_names(r, field: str) -> bool:
    return any(field in e["msg"] or ".".join(map(str, e["loc"][1:])) == field
               for e in r.json()["detail"])


def test_codes_avoid_ambiguous_characters_and_clashes():
    assert not set(ALPHABET) & set("0O1IL") and len(ALPHABET) == 31
    taken = set()
    for _ in range(2000):
        code = codes.new_code(taken)
        assert len(code) == 6 and set(code) <= set(ALPHABET) and code not in taken
        taken.add(code)
    assert codes.normalise(" k7p-q2m ") == "K7PQ2M"


def test_unknown_session_code_and_limits(client, monkeypatch):
    assert client.post("/api/classes", json={"session_id": "nope"}).status_code == 404
    r = client.post("/api/classes", json={})
    assert r.status_code == 422 and detail_names(r, "session_id")
    assert client.post("/api/classes/join", json={"code": "ZZZZZZ"}).status_code == 404
    for _ in range(3):
        opened(client)
    sid = client.post("/api/sessions", json=LECTURE).json()["id"]
    r = client.post("/api/classes", json={"session_id": sid})
    assert r.status_code == 429 and "max_classes" in r.text
    # students per class
    monkeypatch.setattr(classes, "MAX_STUDENTS", 2)
    app = client.app
    cls = next(iter(app.state.classes.registry._classes.values()))
    for _ in range(2):
        assert client.post("/api/classes/join", json={"code": cls.code}).status_code == 201
    r = client.post("/api/classes/join", json={"code": cls.code})
    assert r.status_code == 429 and "max_students" in r.text


def test_questions_are_bounded_and_validated(client, monkeypatch):
    sid, cls = opened(client)
    cid, t = cls["id"], bearer(cls["teacher_token"])

    def ask(body):
        return client.post(f"/api/classes/{cid}/questions", json=body, headers=t)

    for body, field in (({"blank": {"quantity": "dL_ds", "layer": 2, "unit": 0}}, "blank.layer"),
                        ({"blank": {"quantity": "dL_ds", "layer": 0}}, "blank.unit"),
                        ({"blank": {"quantity": "dL_ds", "layer": 0, "unit": 2}}, "blank.unit"),
                        ({"blank": {"quantity": "dL_dW", "layer": 0, "i": 0}}, "blank.j"),
                        ({"blank": {"quantity": "dL_dW", "layer": 0, "i": 2, "j": 0}}, "blank.i"),
                        ({"blank": {"quantity": "loss", "layer": 0}}, "blank.layer"),
                        ({"blank": {"quantity": "delta", "layer": 0, "unit": 0}}, "blank.quantity"),
                        ({}, "blank"),
                        ({"kind": "pick_weight", "blank": {"quantity": "loss"}}, "blank")):
        r = ask(body)
        assert r.status_code == 422 and detail_names(r, field), (body, r.text)
    assert client.get(f"/api/classes/{cid}", headers=t).json()["questions"] == []
    # a session without a dataset has no example to ask about: 409
    sid2, cls2 = opened(client, {"layers": [2, 2, 1]})
    r = client.post(f"/api/classes/{cls2['id']}/questions", json={"blank": {"quantity": "loss"}},
                    headers=bearer(cls2["teacher_token"]))
    assert r.status_code == 409
    monkeypatch.setattr(classes, "MAX_QUESTIONS", 2)
    assert ask({"blank": {"quantity": "loss"}}).status_code == 201
    assert ask({"kind": "pick_weight"}).status_code == 201
    r = ask({"kind": "pick_weight"})
    assert r.status_code == 429 and "max_questions" in r.text


def test_answers_validated_replaced_and_only_for_the_current_question(client):
    sid, cls = opened(client)
    cid, t = cls["id"], bearer(cls["teacher_token"])
    s = client.post("/api/classes/join", json={"code": cls["code"], "name": "=cmd()"}).json()
    st = bearer(s["student_token"])
    q1 = client.post(f"/api/classes/{cid}/questions", json={"blank": {"quantity": "loss"}},
                     headers=t).json()["question_id"]
    url = f"/api/classes/{cid}/questions/{q1}/answers"
    for body, field in (({}, "value"), ({"value": "1"}, "value"),
                        ({"weight": {"layer": 0, "i": 0, "j": 0}}, "weight"),
                        ({"value": 1, "extra": 2}, "extra")):
        r = client.post(url, json=body, headers=st)
        assert r.status_code == 422 and detail_names(r, field), (body, r.text)
    assert client.post(f"/api/classes/{cid}/questions/nope/answers", json={"value": 1},
                       headers=st).status_code == 404
    assert client.post(url, json={"value": 1.0}, headers=st).status_code == 200
    assert client.post(url, json={"value": 2.0}, headers=st).status_code == 200
    res = client.get(f"/api/classes/{cid}/questions/{q1}/results", headers=t).json()
    assert res["answered"] == 1 and [(b["lo"], b["count"]) for b in res["histogram"]] == [(2.0, 1)]
    q2 = client.post(f"/api/classes/{cid}/questions", json={"kind": "pick_weight"},
                     headers=t).json()["question_id"]
    assert client.post(url, json={"value": 1.0}, headers=st).status_code == 409
    url2 = f"/api/classes/{cid}/questions/{q2}/answers"
    for weight, field in (({"layer": 2, "i": 0, "j": 0}, "weight.layer"),
                          ({"layer": 1, "i": 2, "j": 0}, "weight.i"),
                          ({"layer": 1, "i": 0, "j": 1}, "weight.j")):
        r = client.post(url2, json={"weight": weight}, headers=st)
        assert r.status_code == 422 and detail_names(r, field), (weight, r.text)
    # the CSV keeps a nickname from becoming a formula
    rows = list(csv.reader(io.StringIO(client.get(f"/api/classes/{cid}/answers.csv",
                                                  headers=t).text)))
    assert rows[0] == ["question", "label", "round", "student", "nickname", "value", "weight",
                       "correct", "diagnosis"]
    assert rows[1][4] == "'=cmd()" and rows[1][5] == "2.0" and rows[1][2] == "1"


def test_idle_classes_end_and_wrong_codes_age_out(app, client):
    clock = Clock()
    room = app.state.classes
    room.clock = clock
    sid, cls = opened(client)
    cid, t = cls["id"], bearer(cls["teacher_token"])
    clock.now += 3000
    assert client.get(f"/api/classes/{cid}", headers=t).status_code == 200   # activity
    clock.now += 3000
    assert room.expire() == 0
    clock.now += 700
    assert room.expire() == 1
    assert client.get(f"/api/classes/{cid}", headers=t).status_code == 404
    assert client.post("/api/classes/join", json={"code": cls["code"]}).status_code == 404
    # the wrong-code window: 20 wrong (one was just made), then 429, then free again
    _, cls2 = opened(client)
    for _ in range(WRONG_CODES - 1):
        assert client.post("/api/classes/join", json={"code": "ZZZZZZ"}).status_code == 404
    r = client.post("/api/classes/join", json={"code": cls2["code"]})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == int(WRONG_WINDOW) + 1
    clock.now += WRONG_WINDOW / 2
    r = client.post("/api/classes/join", json={"code": cls2["code"]})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == int(WRONG_WINDOW / 2) + 1
    clock.now += WRONG_WINDOW / 2 + 1
    assert client.post("/api/classes/join", json={"code": cls2["code"]}).status_code == 201


def test_qr_code_is_an_svg_of_the_join_url(client):
    _, cls = opened(client)
    r = client.get(f"/api/classes/{cls['id']}/qr.svg?token={cls['teacher_token']}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    assert r.text.lstrip().startswith("<svg") and "<path" in r.text
    assert f"/class.html?code={cls['code']}" in r.text          # in its <title>


def make_q() -> Question:
    """A loss question on the lecture's 2-2-1 network (graded with rtol 1 %)."""
    arch = Architecture((2, 2, 1), ("sigmoid", "linear"), "squared", 0.0)
    weights = Parameters.view(np.array([0.5, -0.4, 0.3, 0.8, 0.1, -0.2, 0.7, -0.6, 0.2]),
                              arch.shapes)
    x, y = np.array([1.0, -1.0]), np.array([1.0])
    b = make_blank(arch, weights, 0.5, x, y, "loss", None)
    return Question("q", "blank", arch, weights, 0.5, x, y, None, 0, 0.01, 1e-4, blank=b)


def test_histogram_bins_exact():
    q = make_q()
    e = q.blank.expected
    vals = [e, e, e * 1.002, -1.0, 3.0]
    for n, v in enumerate(vals):
        q.answers[f"s{n}"] = q.grade(f"s{n}", v, None)
    bins = q.histogram()
    assert [(b["lo"], b["count"]) for b in bins] == sorted(
        [(-1.0, 1), (3.0, 1), (float(f"{e:.3g}"), 2), (float(f"{e * 1.002:.3g}"), 1)])
    assert not any("right" in b for b in bins)
    # many distinct answers: MAX_BINS equal-width bins over [min, max]
    for n in range(40):
        q.answers[f"t{n}"] = q.grade(f"t{n}", -1.0 + n * 0.1, None)
    q.revealed = True
    bins = q.histogram()
    assert len(bins) == MAX_BINS and sum(b["count"] for b in bins) == 45
    assert bins[0]["lo"] == -1.0 and bins[-1]["hi"] == 3.0
    width = 4.0 / MAX_BINS
    for b in bins:
        inside = [v for v in [*vals, *(-1.0 + n * 0.1 for n in range(40))]
                  if b["lo"] <= v < b["hi"] or (b is bins[-1] and v == 3.0)]
        assert b["count"] == len(inside), b
    assert [b["right"] for b in bins].count(True) == 1
    hit = next(b for b in bins if b["right"])
    assert hit["lo"] <= e <= hit["hi"] and abs(hit["hi"] - hit["lo"] - width) < 1e-12
