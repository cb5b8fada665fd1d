"""Concurrency on a real server over HTTP: calls on one session are serialised, calls on
different sessions don't wait for each other.

* 200 steps on one session from 16 threads at once: `step` ends at exactly 200, every
  response saw a distinct step number 1..200, and the weights are bit-for-bit those of 200
  sequential steps on the same example in a second session (identical float arithmetic).
* A long `train` on session A (sized with --max-train-work) does not block session B: a
  GET on B is answered while A's train is still running. A GET on A in the meantime sees
  A before or after the whole train, never half-way.
"""
from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

# the HTTP session helpers shared with the multi-process tests (tests/redis)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "redis"))
from http_sessions import concurrent_steps_equal_sequential  # noqa: E402
from http_sessions import create as _create  # noqa: E402
from http_sessions import state as _state  # noqa: E402

LECTURE_EXAMPLE = {"x": [1.0, -1.0], "y": [1.0]}
N_STEPS = 200
N_THREADS = 16




@pytest.mark.timeout(180)
def test_200_concurrent_steps_equal_200_sequential_steps(live_server):
    got = concurrent_steps_equal_sequential([live_server], {"preset": "lecture"},
                                            LECTURE_EXAMPLE, N_STEPS, N_THREADS)
    assert got["history"] == 100                 # every step an undo level, capped
    assert got["weights"] != _create(live_server, preset="lecture")["weights"]   # changed


@pytest.mark.timeout(120)
def test_concurrent_sessions_each_get_their_own_steps(live_server):
    """16 sessions stepped at the same time, 12 steps each: each ends at step 12 with the
    same weights as the others (nothing leaked from one session to another)."""
    url = live_server
    ids = [_create(url, preset="lecture")["id"] for _ in range(N_THREADS)]

    def run(sid: str) -> dict:
        with httpx.Client(base_url=url, timeout=60) as client:
            for _ in range(12):
                r = client.post(f"/api/sessions/{sid}/step", json={})   # next dataset example
                assert r.status_code == 200, r.text
        return _state(url, sid)

    with ThreadPoolExecutor(N_THREADS) as pool:
        states = list(pool.map(run, ids))
    for s in states:
        assert s["step"] == 12 and s["epoch"] == 3
        assert s["weights"] == states[0]["weights"]
        assert s["dataset"]["next_index"] == states[0]["dataset"]["next_index"]


# the train call: 2-16-16-1 network (337 parameters) on 200 XOR points, per-example SGD
BIG = {"layers": [2, 16, 16, 1], "activations": ["tanh", "tanh", "sigmoid"],
       "loss": "cross_entropy", "dataset": {"name": "xor", "n": 200, "seed": 1}}
TRAIN_STEPS = 20_000
TRAIN_WORK = TRAIN_STEPS * 1 * 337          # updates × batch × parameters


@pytest.mark.timeout(240)
def test_a_long_train_on_one_session_does_not_block_another(make_server):
    server = make_server("--memory", "--no-demo", "--max-train-work", str(TRAIN_WORK)).start()
    url = server.url
    a = _create(url, **BIG)["id"]
    b = _create(url, preset="lecture")["id"]
    before_a = _state(url, a)
    # the train is as big as the limit allows (one more step would be refused)
    r = httpx.post(f"{url}/api/sessions/{a}/train", json={"steps": TRAIN_STEPS + 1})
    assert r.status_code == 422 and "max_train_work" in r.text, r.text

    result: dict = {}
    done = threading.Event()

    def train():
        try:
            with httpx.Client(base_url=url, timeout=200) as client:
                result["response"] = client.post(f"/api/sessions/{a}/train",
                                                 json={"steps": TRAIN_STEPS})
        finally:
            done.set()

    trainer = threading.Thread(target=train)
    trainer.start()
    answered_during_train = 0
    seen_a_steps = set()
    with httpx.Client(base_url=url, timeout=60) as client:
        while not done.is_set():
            r = client.get(f"/api/sessions/{b}")
            assert r.status_code == 200, r.text
            if not done.is_set():
                answered_during_train += 1
            r = client.post(f"/api/sessions/{b}/step", json=LECTURE_EXAMPLE)
            assert r.status_code == 200, r.text
            if answered_during_train >= 5 and not seen_a_steps:
                # a read of A meanwhile waits for the train's lock: before or after, whole
                seen_a_steps.add(client.get(f"/api/sessions/{a}").json()["step"])
    trainer.join()
    response = result["response"]
    assert response.status_code == 200, response.text
    assert response.json()["updates"] == TRAIN_STEPS
    assert answered_during_train >= 1, "session B never answered while A was training"
    assert seen_a_steps <= {0, TRAIN_STEPS}, seen_a_steps
    after_a = _state(url, a)
    assert after_a["step"] == TRAIN_STEPS and after_a["weights"] != before_a["weights"]
    assert after_a["history"] == 1              # the whole train is one undo level
