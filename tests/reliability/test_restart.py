"""Sessions survive a restart: a real server on a data directory is killed with SIGKILL and
started again on the same directory; every session is there with the same weights, step,
epoch, next dataset example and undo history (and undo still restores the right weights).
A kill in the middle of a burst of steps leaves a whole version. `--memory` keeps nothing.
The demo session keeps its id across restarts.
"""
from __future__ import annotations

import functools
import re
import signal
import threading
import time

import httpx
import pytest

EXAMPLE = {"x": [1.0, -1.0], "y": [1.0]}
DEMO_LINE = re.compile(r"\?session=([0-9a-f]{32})")

# Generous but bounded waits: each test starts two or three servers and sends a few hundred
# requests; on a loaded 2-core machine (the suite's other workers, other jobs) one answer
# has taken over 30 s. A server that does not answer within these still fails the test.
HTTP_TIMEOUT = 120
START_TIMEOUT = 180
TEST_TIMEOUT = 600

# the module's calls outside an httpx.Client (which is given HTTP_TIMEOUT too)
get, post, delete = (functools.partial(f, timeout=HTTP_TIMEOUT)
                     for f in (httpx.get, httpx.post, httpx.delete))

# the two tests that share `restarted` (module-scoped) run on one worker, so it is made once
# under xdist; the other tests of the module are handed out on their own
shares_restarted = pytest.mark.xdist_group("restart")


def _ok(r: httpx.Response, status: int = 200) -> dict:
    assert r.status_code == status, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r.json() if r.content else {}


def demo_id(server) -> str:
    """The demo session id from the startup line in the server's log (written before the
    server answers /api/health, so it is normally there at once)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = DEMO_LINE.findall(server.log_path.read_text(errors="replace"))
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"no demo session line in the log:\n{server.log_path.read_text()}")


def build_sessions(http: httpx.Client) -> dict[str, str]:
    """Several sessions in different situations; returns {label: id}."""
    ids = {}
    # the lecture preset (4-point XOR dataset): 7 x-less steps cross an epoch, then one undo
    ids["lecture"] = _ok(http.post("/api/sessions", json={"preset": "lecture"}), 201)["id"]
    for _ in range(7):
        _ok(http.post(f"/api/sessions/{ids['lecture']}/step", json={}))
    _ok(http.post(f"/api/sessions/{ids['lecture']}/undo"))
    # a built-in dataset, trained in mini-batches, then stepped
    ids["moons"] = _ok(http.post("/api/sessions", json={
        "layers": [2, 5, 3, 1], "activations": ["tanh", "relu", "sigmoid"],
        "loss": "cross_entropy", "l2": 0.01, "init": {"scheme": "he", "seed": 7},
        "dataset": {"name": "moons", "n": 60, "noise": 0.2, "seed": 5}}), 201)["id"]
    _ok(http.post(f"/api/sessions/{ids['moons']}/train", json={"steps": 25, "batch_size": 8}))
    for _ in range(3):
        _ok(http.post(f"/api/sessions/{ids['moons']}/step", json={}))
    _ok(http.post(f"/api/sessions/{ids['moons']}/step", json={"index": 11}))
    # no dataset: explicit steps, new weights, undo
    ids["plain"] = _ok(http.post("/api/sessions", json={"learning_rate": 0.3}), 201)["id"]
    for _ in range(4):
        _ok(http.post(f"/api/sessions/{ids['plain']}/step", json=EXAMPLE))
    _ok(http.put(f"/api/sessions/{ids['plain']}/weights", json={"weights": [
        {"W": [[0.25, -0.5], [1.5, 0.125]], "b": [0.0, -1.0]}, {"W": [[2.0], [-3.0]], "b": [0.5]}]}))
    _ok(http.post(f"/api/sessions/{ids['plain']}/step", json=EXAMPLE))
    _ok(http.post(f"/api/sessions/{ids['plain']}/undo"))
    # softmax classifier on user-supplied one-hot data, one epoch of training
    X = [[float(i % 5) - 2.0, float(i % 3) - 1.0] for i in range(9)]
    Y = [[1.0 if i % 3 == k else 0.0 for k in range(3)] for i in range(9)]
    ids["softmax"] = _ok(http.post("/api/sessions", json={
        "layers": [2, 6, 3], "activations": ["leaky_relu", "softmax"], "loss": "cross_entropy",
        "dataset": {"X": X, "Y": Y, "seed": 4}}), 201)["id"]
    _ok(http.post(f"/api/sessions/{ids['softmax']}/train", json={"epochs": 1}))
    # an imported copy of the lecture session, stepped once more
    doc = _ok(http.get(f"/api/sessions/{ids['lecture']}/export"))
    ids["imported"] = _ok(http.post("/api/sessions/import", json=doc), 201)["id"]
    _ok(http.post(f"/api/sessions/{ids['imported']}/step", json={}))
    # untouched
    ids["fresh"] = _ok(http.post("/api/sessions", json={"layers": [3, 4, 2]}), 201)["id"]
    return ids


@pytest.mark.timeout(TEST_TIMEOUT)
def test_sessions_survive_sigkill_and_restart(make_server, tmp_path):
    data = str(tmp_path / "data")
    first = make_server("--data-dir", data).start(timeout=START_TIMEOUT)
    with httpx.Client(base_url=first.url, timeout=HTTP_TIMEOUT) as http:
        ids = build_sessions(http)
        before = {k: (_ok(http.get(f"/api/sessions/{sid}")),
                      _ok(http.get(f"/api/sessions/{sid}/export"))) for k, sid in ids.items()}
    demo = demo_id(first)
    assert before["lecture"][0]["step"] == 6 and before["lecture"][0]["epoch"] == 1
    assert before["lecture"][0]["history"] == 6
    first.stop(signal.SIGKILL)
    assert first.proc.returncode == -signal.SIGKILL

    second = make_server("--data-dir", data).start(timeout=START_TIMEOUT)
    assert demo_id(second) == demo, "the demo session changed across the restart"
    with httpx.Client(base_url=second.url, timeout=HTTP_TIMEOUT) as http:
        _ok(http.get(f"/api/sessions/{demo}"))
        for label, sid in ids.items():
            state, doc = before[label]
            # same weights, step, epoch, dataset position (next_index) and history depth
            assert _ok(http.get(f"/api/sessions/{sid}")) == state, label
            # same whole document: dataset, cursor, shuffle seed and every undo level
            assert _ok(http.get(f"/api/sessions/{sid}/export")) == doc, label

        for label, sid in ids.items():
            state, doc = before[label]
            if state["dataset"] is not None:
                # the next x-less step takes the same example, with the same result, as the
                # same step on a copy imported from the pre-crash document
                twin = _ok(http.post("/api/sessions/import", json=doc), 201)["id"]
                a = _ok(http.post(f"/api/sessions/{sid}/step", json={}))
                b = _ok(http.post(f"/api/sessions/{twin}/step", json={}))
                assert a["example_index"] == state["dataset"]["next_index"], label
                assert (a["example_index"], a["update"], a["step"], a["epoch"]) == \
                       (b["example_index"], b["update"], b["step"], b["epoch"]), label
                _ok(http.post(f"/api/sessions/{sid}/undo"))        # back to the saved state
                assert _ok(http.get(f"/api/sessions/{sid}")) == state, label
            if doc["history"]:
                # undo restores the level saved before the crash
                top = doc["history"][-1]
                after = _ok(http.post(f"/api/sessions/{sid}/undo"))
                assert after["weights"] == top["weights"], label
                assert (after["step"], after["epoch"]) == (top["step"], top["epoch"]), label
                assert after["history"] == len(doc["history"]) - 1, label
            else:
                r = http.post(f"/api/sessions/{sid}/undo")
                assert r.status_code == 409, (label, r.text)
    second.stop(signal.SIGKILL)

    # and the undo itself was persisted
    third = make_server("--data-dir", data).start(timeout=START_TIMEOUT)
    with httpx.Client(base_url=third.url, timeout=HTTP_TIMEOUT) as http:
        for label, sid in ids.items():
            state, doc = before[label]
            now = _ok(http.get(f"/api/sessions/{sid}"))
            assert now["history"] == max(len(doc["history"]) - 1, 0), label
            if doc["history"]:
                assert now["weights"] == doc["history"][-1]["weights"], label


@pytest.mark.timeout(TEST_TIMEOUT)
def test_sigkill_during_a_burst_of_steps_leaves_a_whole_version(make_server, tmp_path):
    """Steps are acknowledged one by one while the server is killed; after the restart the
    session is exactly `step` sequential updates from its start (never a half-written one),
    and no acknowledged step is lost."""
    data = str(tmp_path / "data")
    server = make_server("--data-dir", data, "--no-demo").start(timeout=START_TIMEOUT)
    sid = _ok(post(server.url + "/api/sessions", json={"preset": "lecture"}), 201)["id"]
    acknowledged = []
    stop = threading.Event()

    def hammer():
        with httpx.Client(base_url=server.url, timeout=HTTP_TIMEOUT) as http:
            while not stop.is_set():
                try:
                    r = http.post(f"/api/sessions/{sid}/step", json=EXAMPLE)
                except httpx.HTTPError:
                    return
                if r.status_code == 200:
                    acknowledged.append(r.json()["step"])

    workers = [threading.Thread(target=hammer) for _ in range(4)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.stop(signal.SIGKILL)
    stop.set()
    for w in workers:
        w.join()
    assert acknowledged, "no step was acknowledged before the kill"

    again = make_server("--data-dir", data, "--no-demo").start(timeout=START_TIMEOUT)
    with httpx.Client(base_url=again.url, timeout=HTTP_TIMEOUT) as http:
        state = _ok(http.get(f"/api/sessions/{sid}"))
        doc = _ok(http.get(f"/api/sessions/{sid}/export"))
        n = state["step"]
        assert n >= max(acknowledged), (n, max(acknowledged))
        assert state["history"] == min(n, 100)
        assert [h["step"] for h in doc["history"]] == list(range(n - len(doc["history"]), n))
        # the saved weights are exactly n sequential steps from the start
        ref = _ok(http.post("/api/sessions", json={"preset": "lecture"}), 201)["id"]
        for _ in range(n):
            _ok(http.post(f"/api/sessions/{ref}/step", json=EXAMPLE))
        assert _ok(http.get(f"/api/sessions/{ref}"))["weights"] == state["weights"]
        # and the session goes on working
        assert _ok(http.post(f"/api/sessions/{sid}/step", json=EXAMPLE))["step"] == n + 1


@pytest.mark.timeout(TEST_TIMEOUT)
def test_memory_server_keeps_nothing_after_a_restart(make_server):
    first = make_server("--memory").start(timeout=START_TIMEOUT)
    sid = _ok(post(first.url + "/api/sessions", json={"preset": "lecture"}), 201)["id"]
    _ok(post(f"{first.url}/api/sessions/{sid}/step", json={}))
    demo = demo_id(first)
    first.stop(signal.SIGKILL)
    second = make_server("--memory").start(timeout=START_TIMEOUT)
    assert get(f"{second.url}/api/sessions/{sid}").status_code == 404
    assert get(f"{second.url}/api/sessions/{demo}").status_code == 404
    assert demo_id(second) != demo
    assert get(f"{second.url}/api/health").json()["sessions"] == 1   # the new demo only


SPIRAL = {"layers": [2, 6, 3], "activations": ["leaky_relu", "softmax"], "loss": "cross_entropy",
          "dataset": {"name": "spiral", "n": 30, "seed": 2}}


@pytest.fixture(scope="module")
def restarted(make_module_server, tmp_path_factory):
    """One SIGKILL and restart on one data folder for the checks below (each a test of its
    own): a kept and a deleted session, and a stepped softmax session on a built-in
    dataset. Yields the second server's url, the ids and the softmax session's state."""
    data = str(tmp_path_factory.mktemp("restarted") / "data")
    first = make_module_server("--data-dir", data, "--no-demo").start(timeout=START_TIMEOUT)
    ids = {label: _ok(post(first.url + "/api/sessions", json={}), 201)["id"]
           for label in ("keep", "gone")}
    assert delete(f"{first.url}/api/sessions/{ids['gone']}").status_code == 204
    ids["softmax"] = _ok(post(first.url + "/api/sessions", json=SPIRAL), 201)["id"]
    _ok(post(f"{first.url}/api/sessions/{ids['softmax']}/step", json={}))
    state = _ok(get(f"{first.url}/api/sessions/{ids['softmax']}"))
    first.stop(signal.SIGKILL)
    second = make_module_server("--data-dir", data, "--no-demo").start(timeout=START_TIMEOUT)
    return second.url, ids, state


@shares_restarted
@pytest.mark.timeout(TEST_TIMEOUT)
def test_a_deleted_session_stays_deleted_after_a_restart(restarted):
    url, ids, _ = restarted
    assert get(f"{url}/api/sessions/{ids['gone']}").status_code == 404
    _ok(get(f"{url}/api/sessions/{ids['keep']}"))


@shares_restarted
@pytest.mark.timeout(TEST_TIMEOUT)
def test_a_softmax_session_on_a_builtin_dataset_survives_a_restart(restarted):
    url, ids, state = restarted
    assert _ok(get(f"{url}/api/sessions/{ids['softmax']}")) == state
