"""Sessions over real HTTP, for the tests that drive real servers (one process, or several
on one Redis): create one, read one, and the concurrency check both kinds make — N steps on
one session sent at once over the given servers equal N steps one after the other."""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx


def create(url: str, **spec) -> dict:
    r = httpx.post(f"{url}/api/sessions", json=spec, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()


def state(url: str, sid: str) -> dict:
    r = httpx.get(f"{url}/api/sessions/{sid}", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def concurrent_steps_equal_sequential(urls: list[str], spec: dict, body: dict, n: int = 200,
                                      threads: int = 16) -> dict:
    """`n` steps (`body`) on one session from `threads` threads, the i-th through
    urls[i % len(urls)], beside `n` steps one by one on a twin session: every step is
    applied exactly once (the responses' step numbers are 1..n, each once: each call saw
    the session alone) and the two end bit for bit equal. The concurrent one's state."""
    shared, alone = create(urls[0], **spec)["id"], create(urls[-1], **spec)["id"]
    with httpx.Client(timeout=60) as c:
        for i in range(n):
            r = c.post(f"{urls[0]}/api/sessions/{alone}/step", json=body)
            assert r.status_code == 200 and r.json()["step"] == i + 1, r.text
    local = threading.local()

    def step(i: int) -> int:
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=60)
        r = local.client.post(f"{urls[i % len(urls)]}/api/sessions/{shared}/step", json=body)
        assert r.status_code == 200, r.text
        return r.json()["step"]

    with ThreadPoolExecutor(threads) as pool:
        steps = list(pool.map(step, range(n)))
    assert sorted(steps) == list(range(1, n + 1))
    got, want = state(urls[-1], shared), state(urls[0], alone)
    assert got["step"] == want["step"] == n
    assert got["epoch"] == want["epoch"] and got["dataset"] == want["dataset"]
    # JSON floats are shortest round-trip reprs: equal text is equal float64 bits
    assert json.dumps(got["weights"]) == json.dumps(want["weights"])
    assert got["history"] == want["history"]
    return got
