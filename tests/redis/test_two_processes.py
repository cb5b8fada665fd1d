"""Two app processes (A and B, real `python -m backprop_explorer --redis …`) on one real
redis-server: everything one does, the other sees; concurrent steps on one session are
applied exactly once each, in some order, bit for bit as if one after the other; a class
followed through A keeps going through B when A is killed."""
from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "classroom"))
import http_sessions  # noqa: E402
from class_helpers import Listener  # noqa: E402  (tests/classroom: the SSE reader)
from http_sessions import concurrent_steps_equal_sequential, state  # noqa: E402

DATASET = {"dataset": {"name": "xor", "n": 12, "seed": 3}}


def create(url: str) -> dict:
    return http_sessions.create(url, **DATASET)


def test_create_on_a_step_on_b_read_on_a(pair):
    a, b = pair.a.url, pair.b.url
    sid = create(a)["id"]
    r = httpx.post(f"{b}/api/sessions/{sid}/step", json={}, timeout=30)
    assert r.status_code == 200, r.text
    after_b = state(b, sid)
    seen_on_a = state(a, sid)
    assert seen_on_a["step"] == 1 and seen_on_a["history"] == 1
    assert seen_on_a["weights"] == after_b["weights"]
    assert seen_on_a["weights"] != create(a)["weights"]       # a step changed them
    # and undo on A takes back B's step
    assert httpx.post(f"{a}/api/sessions/{sid}/undo", timeout=30).json()["step"] == 0
    assert state(b, sid)["step"] == 0


def test_200_concurrent_steps_over_both_are_200_sequential_ones(pair):
    got = concurrent_steps_equal_sequential([pair.a.url, pair.b.url], DATASET, {})
    assert got["history"] == 100                      # the capped undo list


def listen(url: str, last_id: int | None = None) -> Listener:
    return Listener(url, None if last_id is None else str(last_id))


def next_state(listener: Listener, step: int) -> dict:
    """The first `state` event showing the teacher's session at `step`."""
    while True:
        event = listener.next(timeout=30)
        if event["event"] == "state" and event["data"]["state"]["step"] == step:
            return event


def test_class_followed_through_a_survives_a_killed_mid_load(pair):
    a, b = pair.a.url, pair.b.url
    sid = create(b)["id"]
    cls = httpx.post(f"{b}/api/classes", json={"session_id": sid}, timeout=30).json()
    teacher = {"Authorization": f"Bearer {cls['teacher_token']}"}
    joined = httpx.post(f"{a}/api/classes/join", json={"code": cls["code"], "name": "ada"},
                        timeout=30).json()
    events = f"/api/classes/{joined['class_id']}/events?token={joined['student_token']}"
    student = listen(a + events)
    first = next_state(student, 0)                         # the snapshot, through A
    assert first["data"]["state"]["step"] == 0

    # the teacher steps through B: the student, subscribed through A, gets it
    assert httpx.post(f"{b}/api/sessions/{sid}/step", json={}, timeout=30).status_code == 200
    seen = next_state(student, 1)
    assert seen["data"]["last_step"] is not None           # the step's trace, to follow
    # the teacher asks through B; the student answers through A; the teacher sees it on B
    q = httpx.post(f"{b}/api/classes/{cls['id']}/questions", headers=teacher,
                   json={"blank": {"quantity": "loss"}}, timeout=30).json()
    r = httpx.post(f"{a}/api/classes/{cls['id']}/questions/{q['question_id']}/answers",
                   headers={"Authorization": f"Bearer {joined['student_token']}"},
                   json={"value": 0.25}, timeout=30)
    assert r.status_code == 200, r.text
    results = httpx.get(f"{b}/api/classes/{cls['id']}/questions/{q['question_id']}/results",
                        headers=teacher, timeout=30).json()
    assert results["answered"] == 1

    # load on both; A is killed in the middle of it
    acked = []
    stop = threading.Event()

    def load(url: str) -> None:
        with httpx.Client(timeout=10) as c:
            while not stop.is_set():
                try:
                    r = c.post(f"{url}/api/sessions/{sid}/step", json={})
                except httpx.HTTPError:
                    if url == a:
                        return                          # A is gone
                    raise
                if r.status_code == 200:
                    acked.append(r.json()["step"])

    threads = [threading.Thread(target=load, args=(u,)) for u in (a, a, b, b)]
    for t in threads:
        t.start()
    while len(acked) < 40:
        threading.Event().wait(0.01)
    pair.a.stop(signal.SIGKILL)
    before_b = len(acked)
    while len(acked) < before_b + 40:                      # B keeps serving
        threading.Event().wait(0.01)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    final = state(b, sid)["step"]
    # every acknowledged step is there (and at most the ones A applied without answering)
    assert sorted(acked) == sorted(set(acked)), "a step number acknowledged twice"
    assert final >= max(acked) and final >= 1 + len(acked)
    assert final <= 1 + len(acked) + 2                      # A's two requests in flight

    # the student reconnects to B with the last event id it had: nothing lost from there
    student_b = listen(b + events, last_id=seen["id"])
    assert httpx.post(f"{b}/api/sessions/{sid}/step", json={}, timeout=30).status_code == 200
    got = next_state(student_b, final + 1)
    assert got["id"] > seen["id"]
