"""Helpers of the live-class tests: a class with students over real HTTP, and an SSE reader
that keeps every raw line it received (to prove what a student never saw)."""
from __future__ import annotations

import json
import queue
import threading
import time

import httpx


class Listener:
    """Reads a class's event stream in a thread: parsed events on a queue, raw text kept."""

    def __init__(self, url: str, last_id: str | None = None) -> None:
        self.url = url
        self.q: queue.Queue = queue.Queue()
        self.raw: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(last_id,), daemon=True)
        self.thread.start()
        kind, status = self.q.get(timeout=20)
        assert (kind, status) == ("status", 200), (kind, status)

    def _run(self, last_id: str | None) -> None:
        headers = {"Last-Event-ID": last_id} if last_id is not None else {}
        try:
            with httpx.Client(timeout=httpx.Timeout(30.0, read=60.0)) as c:
                with c.stream("GET", self.url, headers=headers) as r:
                    self.q.put(("status", r.status_code))
                    event: dict = {}
                    for line in r.iter_lines():
                        self.raw.append(line)
                        if self.stop.is_set():
                            return
                        if line.startswith("id: "):
                            event["id"] = int(line[4:])
                        elif line.startswith("event: "):
                            event["event"] = line[7:]
                        elif line.startswith("data: "):
                            event["data"] = json.loads(line[6:])
                        elif line == "" and event:
                            self.q.put(("event", event))
                            if event.get("event") == "closed":
                                return
                            event = {}
        except httpx.HTTPError as exc:
            self.q.put(("error", str(exc)))

    def next(self, timeout: float = 15.0) -> dict:
        kind, event = self.q.get(timeout=timeout)
        assert kind == "event", event
        return event

    def until(self, name: str, timeout: float = 15.0) -> tuple[dict, list[dict]]:
        """The next `name` event and the events before it."""
        before = []
        deadline = time.monotonic() + timeout
        while True:
            e = self.next(max(0.1, deadline - time.monotonic()))
            if e["event"] == name:
                return e, before
            before.append(e)

    def drain(self, wait: float = 0.3) -> list[dict]:
        out = []
        while True:
            try:
                kind, e = self.q.get(timeout=wait)
            except queue.Empty:
                return out
            if kind == "event":
                out.append(e)

    def close(self) -> None:
        self.stop.set()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def open_class(c: httpx.Client, spec: dict | None = None) -> tuple[str, dict]:
    sid = c.post("/api/sessions", json=spec or {"preset": "lecture"}).json()["id"]
    r = c.post("/api/classes", json={"session_id": sid})
    assert r.status_code == 201, r.text
    return sid, r.json()


def join(c: httpx.Client, code: str, name: str | None = None) -> dict:
    r = c.post("/api/classes/join", json={"code": code} if name is None else
               {"code": code, "name": name})
    assert r.status_code == 201, r.text
    return r.json()
