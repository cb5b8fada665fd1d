"""Live session events over real HTTP (issue 15, item 1): every change to a session reaches
every subscriber, in order, once; a reconnect with Last-Event-ID gets what it missed."""
from __future__ import annotations

import json
import queue
import threading
import time

import httpx
import pytest
from api_helpers import LECTURE_WEIGHTS


def read_events(url: str, out: queue.Queue, stop: threading.Event, last_id: str | None = None):
    try:
        _read_events(url, out, stop, last_id)
    except httpx.HTTPError as exc:          # the server went away (the end of the run)
        out.put(("error", str(exc), time.monotonic()))


def _read_events(url: str, out: queue.Queue, stop: threading.Event, last_id: str | None):
    headers = {"Last-Event-ID": last_id} if last_id is not None else {}
    with httpx.Client(timeout=httpx.Timeout(30.0, read=30.0)) as c:
        with c.stream("GET", url, headers=headers) as r:
            out.put(("status", r.status_code))
            event: dict = {}
            for line in r.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("id: "):
                    event["id"] = int(line[4:])
                elif line.startswith("event: "):
                    event["event"] = line[7:]
                elif line.startswith("data: "):
                    event["data"] = json.loads(line[6:])
                elif line == "" and event:
                    out.put(("event", event, time.monotonic()))
                    if event.get("event") == "deleted":
                        return
                    event = {}


class Listener:
    def __init__(self, url: str, last_id: str | None = None) -> None:
        self.q: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=read_events, args=(url, self.q, self.stop, last_id),
                                       daemon=True)
        self.thread.start()
        assert self.q.get(timeout=20) == ("status", 200)

    def next(self, timeout: float = 10.0) -> tuple[dict, float]:
        kind, event, at = self.q.get(timeout=timeout)
        assert kind == "event", event
        return event, at

    def close(self) -> None:
        self.stop.set()


@pytest.fixture(scope="module")
def server(live_server):
    return live_server


def test_a_step_reaches_three_subscribers_in_order_once(server):
    with httpx.Client(base_url=server) as c:
        sid = c.post("/api/sessions", json={"preset": "lecture"}).json()["id"]
        listeners = [Listener(f"{server}/api/sessions/{sid}/events") for _ in range(3)]
        firsts = [lst.next()[0] for lst in listeners]
        assert all(e["event"] == "state" and e["data"]["state"]["step"] == 0 for e in firsts)
        start = time.monotonic()
        steps = [c.post(f"/api/sessions/{sid}/step", json={}).json() for _ in range(3)]
        c.patch(f"/api/sessions/{sid}", json={"learning_rate": 0.3})
        c.post(f"/api/sessions/{sid}/undo")
        for lst in listeners:
            got = [lst.next() for _ in range(5)]
            events = [e for e, _ in got]
            assert [e["data"]["state"]["step"] for e in events] == [1, 2, 3, 3, 2]
            assert [e["id"] for e in events] == list(range(firsts[0]["id"] + 1, firsts[0]["id"] + 6))
            assert [w["W"] for w in events[2]["data"]["state"]["weights"]] == \
                [u["W_after"] for u in steps[2]["update"]]
            assert events[3]["data"]["state"]["network"]["learning_rate"] == 0.3
            assert got[0][1] - start < 1.0                     # within a second of the step
            with pytest.raises(queue.Empty):
                lst.next(timeout=0.3)                          # each event once, nothing more
        for lst in listeners:
            lst.close()


def test_state_event_weights_equal_the_step(server):
    with httpx.Client(base_url=server) as c:
        sid = c.post("/api/sessions", json={"layers": [2, 2, 1], "weights": LECTURE_WEIGHTS,
                                            "activations": ["sigmoid", "linear"]}).json()["id"]
        lst = Listener(f"{server}/api/sessions/{sid}/events")
        lst.next()
        step = c.post(f"/api/sessions/{sid}/step", json={"x": [1, 0.5], "y": [1]}).json()
        event, _ = lst.next()
        got = event["data"]["state"]["weights"]
        assert [w["W"] for w in got] == [u["W_after"] for u in step["update"]]
        lst.close()


def test_reconnect_with_last_event_id_gets_what_it_missed(server):
    with httpx.Client(base_url=server) as c:
        sid = c.post("/api/sessions", json={"preset": "lecture"}).json()["id"]
        url = f"{server}/api/sessions/{sid}/events"
        first = Listener(url)
        e0, _ = first.next()
        c.post(f"/api/sessions/{sid}/step", json={})
        e1, _ = first.next()
        first.close()
        c.post(f"/api/sessions/{sid}/step", json={})          # a keeper stays subscribed,
        keeper = Listener(url)                                 # so the topic is recorded
        keeper.next()
        for _ in range(3):
            c.post(f"/api/sessions/{sid}/step", json={})
        again = Listener(url, last_id=str(e1["id"]))
        got = [again.next()[0] for _ in range(4)]
        assert [e["id"] for e in got] == [e1["id"] + k for k in range(1, 5)]
        assert [e["data"]["state"]["step"] for e in got] == [2, 3, 4, 5]
        assert not any(e["data"]["resync"] for e in got)
        # an id this server never had: a fresh snapshot, marked resync
        stale = Listener(url, last_id="999999")
        e, _ = stale.next()
        assert e["data"]["resync"] is True and e["data"]["state"]["step"] == 5
        # deleting the session ends every stream with a "deleted" event
        c.delete(f"/api/sessions/{sid}")
        for lst in (keeper, again, stale):
            names = []
            while not names or names[-1] != "deleted":
                names.append(lst.next()[0]["event"])
                assert len(names) <= 5, names
            assert set(names[:-1]) <= {"state"}


def test_unknown_session_is_404(server):
    with httpx.Client(base_url=server) as c:
        assert c.get("/api/sessions/nope/events").status_code == 404
