"""`--workers N`: N processes on one port. With the embedded store it is refused (one line,
exit 2); with --redis, four workers serve one class, and killing one loses nothing it
acknowledged (uvicorn starts a new one; the others go on)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
from redis_server import LiveServer, free_port
from test_two_processes import create, listen, next_state, state


def test_workers_without_redis_is_refused_in_one_line():
    out = subprocess.run([sys.executable, "-m", "backprop_explorer", "--workers", "2",
                          "--port", str(free_port()), "--memory"],
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "--workers 2 needs --redis URL" in out.stderr


def workers_of(pid: int) -> list[int]:
    """The worker processes uvicorn's supervisor `pid` spawned."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and b"spawn_main" in cmd:
            found.append(int(entry.name))
    return found


def test_four_workers_serve_one_class_and_losing_one_loses_nothing(redis_server):
    # the run's redis-server (the in-process tests there use key prefixes of their own);
    # a short graceful shutdown: the student's open event stream would hold each worker's
    # for the default 10 s, and the supervisor's stop waits for all of them
    server = LiveServer("--redis", redis_server.url, "--workers", "4", "--no-demo",
                        "--log-level", "warning", "--shutdown-timeout", "1")
    try:
        server.start(timeout=240)
        url = server.url
        assert server.proc is not None
        workers = workers_of(server.proc.pid)
        assert len(workers) == 4, workers
        sid = create(url)["id"]
        cls = httpx.post(f"{url}/api/classes", json={"session_id": sid}, timeout=30).json()
        joined = httpx.post(f"{url}/api/classes/join", json={"code": cls["code"]},
                            timeout=30).json()
        events = f"{url}/api/classes/{joined['class_id']}/events?token={joined['student_token']}"
        student = listen(events)
        last = next_state(student, 0)

        acked: list[int] = []
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():        # a new connection each time: any worker takes it
                try:
                    r = httpx.post(f"{url}/api/sessions/{sid}/step", json={}, timeout=30)
                except httpx.HTTPError:
                    continue                # the killed worker's connection
                if r.status_code == 200:
                    acked.append(r.json()["step"])

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        while len(acked) < 30:
            threading.Event().wait(0.01)
        os.kill(workers[0], signal.SIGKILL)
        n = len(acked)
        while len(acked) < n + 30:          # the other three go on
            threading.Event().wait(0.01)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        final = state(url, sid)["step"]
        assert len(set(acked)) == len(acked) and final >= max(acked) >= len(acked)
        assert final <= len(acked) + 4      # at most the requests in flight when it died

        # the student sees the last step (reconnecting with its last id if its worker died)
        while True:
            kind, event = student.q.get(timeout=60)
            if kind != "event":
                student = listen(events, last_id=last["id"])
                continue
            if event["event"] == "state":
                last = event
                if event["data"]["state"]["step"] == final:
                    break
    finally:
        server.stop(signal.SIGTERM)
