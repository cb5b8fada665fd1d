"""Load benchmark: N simulated students on loopback, each with their own session, each
stepping at a set rate for a bounded time. Prints p50/p99 latency, the error count and the
throughput; writes <out>/load.json.

    python bench/load.py                       # 200 students × 2 steps/s for 20 s
    python bench/load.py --students 50 --rate 4 --duration 10
    python bench/load.py --url http://127.0.0.1:8000   # drive a server that is already running
    python bench/load.py --quick               # tiny setting (used by the tests)

Without --url it starts its own server (`python -m backprop_explorer --memory --no-demo`
on a free loopback port) and stops it at the end. Each student creates a session (the
lecture preset: the 2-2-1 network and its 4-point XOR dataset), then sends
`POST /api/sessions/{id}/step {}` (the next example of its dataset) on an open-loop
schedule: step k is due at start + phase + k/rate, whatever happened to step k-1, so a slow
server can't slow the clients down and hide its own latency. Latency is measured from the
moment a request is sent to the moment its whole response is read; the lag of the send
behind the schedule is reported too (a large lag means the client machine couldn't keep up).

Target on the 2-core dev machine: 200 students at 2 steps/s with p99 < 50 ms and 0 errors.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import httpx

import _common as C

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results"
TARGET_P99_MS = 50.0


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=200, help="simulated students (default 200)")
    p.add_argument("--rate", type=float, default=2.0, help="steps per second per student (default 2)")
    p.add_argument("--duration", type=float, default=20.0, help="seconds of stepping (default 20)")
    p.add_argument("--url", default=None, help="base URL of a running server (default: start one)")
    p.add_argument("--quick", action="store_true",
                   help="tiny setting that finishes in a few seconds (10 students, 3 s)")
    p.add_argument("--out", type=Path, default=RESULTS, help=f"folder for load.json (default {RESULTS})")
    p.add_argument("--seed", type=int, default=0, help="seed of the students' start phases")
    p.add_argument("--server-args", default="",
                   help="extra arguments for the server this script starts (e.g. '--data-dir /tmp/x')")
    args = p.parse_args(argv)
    if args.quick:
        args.students, args.duration = min(args.students, 10), min(args.duration, 3.0)
    if args.students < 1 or args.rate <= 0 or args.duration <= 0:
        p.error("--students, --rate and --duration must be positive")
    return args


# ----- the students ---------------------------------------------------------------------------
class Connection:
    """One keep-alive HTTP/1.1 connection on raw asyncio streams: a student's browser tab.
    (Much lighter than a general client, so one client process can offer 400+ req/s on a
    small machine without becoming the bottleneck it measures.)"""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            await self.open()
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        self.writer.write(head.encode("latin-1") + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                data += await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            data = await self.reader.read()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def student(conn: Connection, sid: str, start: float, phase: float,
                  rate: float, end: float, out: dict) -> None:
    path = f"/api/sessions/{sid}/step"
    k = 0
    while True:
        due = start + phase + k / rate
        if due >= end:
            return
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent = time.perf_counter()
        out["lag"].append(sent - due)
        try:
            status, data = await asyncio.wait_for(conn.request("POST", path, b"{}"), 30)
            done = time.perf_counter()
            if status == 200:
                out["latency"].append(done - sent)
            else:
                out["errors"].append(f"{status} {data[:200]!r}")
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as exc:
            conn.close()
            out["errors"].append(f"{type(exc).__name__}: {exc}")
        k += 1


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


async def drive(url: str, students: int, rate: float, duration: float, seed: int,
                server: C.Server | None) -> dict:
    parsed = httpx.URL(url)
    host, port = parsed.host, parsed.port or 80
    conns = [Connection(host, port) for _ in range(students)]
    # every student gets a session (created with bounded concurrency) and a warm connection
    sem = asyncio.Semaphore(32)

    async def create(conn: Connection) -> str:
        async with sem:
            status, data = await conn.request("POST", "/api/sessions",
                                              json.dumps({"preset": "lecture"}).encode())
            if status != 201:
                raise RuntimeError(f"could not create a session: {status} {data[:300]!r}")
            return json.loads(data)["id"]

    ids = await asyncio.gather(*(create(c) for c in conns))

    rng = random.Random(seed)
    out: dict = {"latency": [], "lag": [], "errors": []}
    cpu0 = server.cpu_seconds() if server else None
    start = time.perf_counter() + 0.2
    end = start + duration
    await asyncio.gather(*(student(c, sid, start, rng.uniform(0, 1 / rate), rate, end, out)
                           for c, sid in zip(conns, ids)))
    wall = time.perf_counter() - start
    cpu1 = server.cpu_seconds() if server else None

    # the sessions really advanced: a sample of students' step counts
    steps = []
    for c, sid in list(zip(conns, ids))[:5]:
        status, data = await c.request("GET", f"/api/sessions/{sid}")
        steps.append(json.loads(data)["step"] if status == 200 else None)
    for c in conns:
        c.close()

    lat = sorted(out["latency"])
    lag = sorted(out["lag"])
    requests = len(out["latency"]) + len(out["errors"])
    ms = lambda v: None if v is None else round(v * 1000, 3)
    result = {
        "students": students, "rate_per_student": rate, "duration_s": duration,
        "offered_rate": students * rate, "requests": requests, "ok": len(lat),
        "errors": len(out["errors"]), "error_samples": out["errors"][:10],
        "throughput_rps": round(len(lat) / wall, 2) if wall > 0 else None,
        "latency_ms": {"p50": ms(percentile(lat, 50)), "p90": ms(percentile(lat, 90)),
                       "p99": ms(percentile(lat, 99)), "max": ms(lat[-1] if lat else None),
                       "mean": ms(statistics.fmean(lat) if lat else None)},
        "schedule_lag_ms": {"p50": ms(percentile(lag, 50)), "p99": ms(percentile(lag, 99)),
                            "max": ms(lag[-1] if lag else None)},
        "server_cpu_s": None if cpu0 is None or cpu1 is None else round(cpu1 - cpu0, 3),
        "sample_session_steps": steps,
    }
    result["server_cpu_fraction"] = (None if result["server_cpu_s"] is None
                                     else round(result["server_cpu_s"] / wall, 3))
    result["server_cpu_ms_per_request"] = (None if result["server_cpu_s"] is None or not requests
                                           else round(1000 * result["server_cpu_s"] / requests, 3))
    p99 = result["latency_ms"]["p99"]
    result["target"] = {"p99_ms_below": TARGET_P99_MS, "zero_errors": True,
                        "met": p99 is not None and p99 < TARGET_P99_MS and not out["errors"]}
    return result


def environment() -> dict:
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "loadavg_before": load, "httpx": httpx.__version__,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def main(argv=None) -> int:
    args = parse_args(argv)
    env = environment()
    server = None
    if args.url is None:
        server = C.Server(["--max-sessions", str(max(1000, 2 * args.students)),
                           *args.server_args.split()], args.out / "load-server.log").start()
        url = server.url
    else:
        url = args.url.rstrip("/")
    try:
        result = asyncio.run(drive(url, args.students, args.rate, args.duration, args.seed, server))
    finally:
        if server:
            server.stop()
    result["command"] = " ".join([Path(sys.executable).name, "bench/load.py",
                                  *(argv if argv is not None else sys.argv[1:])])
    result["server"] = url if not server else "started by load.py (" + (
        "SQLite in --data-dir" if "--data-dir" in args.server_args else "--memory") + ")"
    result["environment"] = env

    lat, lag = result["latency_ms"], result["schedule_lag_ms"]
    print(f"load: {args.students} students × {args.rate:g} steps/s for {args.duration:g} s "
          f"against {result['server']}  ({env['cpus']} CPUs, load avg before {env['loadavg_before']})")
    print(f"  requests {result['requests']}  ok {result['ok']}  errors {result['errors']}  "
          f"throughput {result['throughput_rps']} req/s (offered {result['offered_rate']:g})")
    print(f"  latency  p50 {lat['p50']} ms  p90 {lat['p90']} ms  p99 {lat['p99']} ms  "
          f"max {lat['max']} ms")
    print(f"  client schedule lag p50 {lag['p50']} ms  p99 {lag['p99']} ms")
    if result["server_cpu_s"] is not None:
        print(f"  server CPU {result['server_cpu_s']} s ({result['server_cpu_fraction']:.0%} of one "
              f"core, {result['server_cpu_ms_per_request']} ms per request)")
    for sample in result["error_samples"][:3]:
        print(f"  error: {sample}")
    met = result["target"]["met"]
    print(f"  target p99 < {TARGET_P99_MS:g} ms with 0 errors: {'MET' if met else 'NOT MET'}")

    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "load.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"  wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
