"""Scaling-out benchmark (issue 16): POST /step throughput and latency of one server with
the embedded store beside 1, 2 and 4 worker processes (`--workers N`) on one Redis, in one
run, against real servers on free loopback ports.

Load: wrk (Debian's `wrk`, C, so the load generator costs little CPU), each request a
per-example step on one of SESSIONS lecture 2-2-1 sessions with a dataset, picked at random
(the students exploring on their own). Throughput: THROUGHPUT_CONNECTIONS connections;
latency: 200 connections (200 simulated students), p50/p99 from wrk's --latency. Target:
≥ 1.7× the 1-worker Redis throughput with 2 workers on 2 cores. The load generator, Redis
and the servers share this machine's cores (and, here, other users' work: the load average
is reported with the figures), so each run also reports the CPU seconds per step of the
server processes (each worker's share of a core too), of redis-server, of wrk and of the
whole machine (/proc), which tell what bounds the throughput. Redis is reached over a Unix
socket and over TCP (--transport), each on a redis-server of its own with AOF everysec.

Run:  .venv/bin/python bench/redis_scaling.py           (needs redis-server and wrk: apt)
      .venv/bin/python bench/redis_scaling.py --quick   (tiny setting)
"""
from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common as C
import httpx

SESSIONS = 200
THROUGHPUT_CONNECTIONS = 32
STUDENTS = 200
WRK_THREADS = 1          # wrk's threads (each an event loop on its own core at most)
TARGET = 1.7
LUA = """
local ids = {%s}
local requests = {}
init = function(args)          -- formatted once: wrk's own CPU per request stays small
  for i, id in ipairs(ids) do
    requests[i] = wrk.format("POST", "/api/sessions/" .. id .. "/step",
                             {["Content-Type"] = "application/json"}, "{}")
  end
end
request = function()
  return requests[math.random(#requests)]
end
"""


def start_redis(folder: Path, unix: bool) -> tuple[subprocess.Popen, str, int]:
    """redis-server with AOF (appendfsync everysec, the recommended setting); its URL over
    TCP on a free port, or over a Unix socket (the same machine's cheaper path)."""
    port = C.free_port()
    folder.mkdir(parents=True, exist_ok=True)
    sock = folder / "redis.sock"
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--unixsocket", str(sock), "--unixsocketperm", "700",
                             "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
                             "--dir", str(folder), "--maxmemory-policy", "noeviction"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    for _ in range(500):
        if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                          text=True).stdout.strip() == "PONG":
            return proc, f"unix://{sock}?db=0" if unix else f"redis://127.0.0.1:{port}/0", port
        time.sleep(0.02)
    raise RuntimeError("redis-server did not start")


def _tree(pid: int) -> list[int]:
    """pid and its descendants (uvicorn's supervisor and its workers)."""
    out = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                out += _tree(int(child))
    except OSError:
        pass
    return out


def cpu_seconds(pids: list[int]) -> float:
    """user + system CPU seconds of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    tck = os.sysconf("SC_CLK_TCK")
    return (sum(fields[:8]) - idle) / tck, sum(fields[:8]) / tck


def wrk(url: str, script: Path, connections: int, seconds: float,
        watch: dict[str, list[int]] | None = None) -> dict:
    """One wrk run; with `watch` ({component: pids}), the CPU seconds each component used
    per request, the load generator's own (wrk: its rusage) and the whole machine's."""
    watch = watch or {}
    before = {name: cpu_seconds(pids) for name, pids in watch.items()}
    each0 = {pid: cpu_seconds([pid]) for pid in watch.get("server", [])}
    busy0, total0 = machine_cpu()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds:g}s",
                             "--latency", "-s", str(script), url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)     # wrk, waited for: its own CPU
    busy1, total1 = machine_cpu()
    after = {name: cpu_seconds(pids) for name, pids in watch.items()}
    each = sorted((cpu_seconds([pid]) - t for pid, t in each0.items()), reverse=True)
    if proc.returncode:
        raise RuntimeError(f"wrk failed: {err}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if m:
            value = float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]
            lat[f"p{pct}"] = value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    cpu = {name: (after[name] - before[name]) / max(requests, 1) for name in watch}
    # the server's processes, busiest first, as CPU-seconds per wall second (1.0 = one core)
    cpu["server_processes_cores"] = [round(t / seconds, 2) for t in each if t > 0.01 * seconds]
    cpu["wrk"] = (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime) / max(requests, 1)
    cpu["machine"] = (busy1 - busy0) / max(requests, 1)
    cpu["machine_busy_fraction"] = (busy1 - busy0) / max(total1 - total0, 1e-9)
    return {"rps": rps, **lat, "requests": requests,
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": sock.group(1) if sock else None, "cpu_per_request": cpu}


def run_config(name: str, extra: list[str], seconds: float, sessions: int,
               tmp: Path, redis_pid: int | None = None) -> dict:
    server = C.Server(extra).start(timeout=180)
    assert server.proc is not None
    watch = {"server": _tree(server.proc.pid)}
    if redis_pid is not None:
        watch["redis"] = [redis_pid]
    try:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            ids = []
            for _ in range(sessions):
                r = c.post("/api/sessions", json={"dataset": {"name": "xor", "n": 200,
                                                              "seed": 1}})
                r.raise_for_status()
                ids.append(r.json()["id"])
            for sid in ids:                                  # warm every worker's copy
                c.post(f"/api/sessions/{sid}/step", json={}).raise_for_status()
        script = tmp / f"{name}.lua"
        script.write_text(LUA % ", ".join(f'"{i}"' for i in ids))
        wrk(server.url, script, THROUGHPUT_CONNECTIONS, min(2.0, seconds))   # warm-up
        watch["server"] = _tree(server.proc.pid)          # the workers, all started now
        throughput = wrk(server.url, script, THROUGHPUT_CONNECTIONS, seconds, watch)
        students = wrk(server.url, script, STUDENTS, seconds, watch)
        with httpx.Client(base_url=server.url, timeout=60) as c:   # every step counted once
            steps = sum(c.get(f"/api/sessions/{sid}").json()["step"] for sid in ids)
        return {"config": name, "throughput": throughput, "students": students,
                "steps_stored": steps}
    finally:
        server.stop()


def main(argv=None) -> int:
    p = C.parser(__doc__.split("\n")[0])
    p.add_argument("--transport", choices=("unix", "tcp", "both"), default="both",
                   help="how the workers reach Redis (default: both, side by side)")
    args = p.parse_args(argv)
    for tool in ("redis-server", "redis-cli", "wrk"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: apt-get install redis-server wrk", file=sys.stderr)
            return 2
    seconds, sessions, workers = (2.0, 20, [1, 2]) if args.quick else (8.0, SESSIONS, [1, 2, 4])
    env = C.environment()
    print(C.env_line(env))
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    results = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        results.append(run_config("embedded (memory, 1 process)", [], seconds, sessions, tmp))
        transports = ["unix", "tcp"] if args.transport == "both" else [args.transport]
        for transport in transports:
            redis, url, port = start_redis(tmp / transport, transport == "unix")
            try:
                for n in workers:
                    subprocess.run(["redis-cli", "-p", str(port), "flushall"],
                                   capture_output=True)
                    results.append(run_config(
                        f"redis {transport}, {n} worker{'s' * (n > 1)}",
                        ["--redis", url, "--workers", str(n)], seconds, sessions, tmp,
                        redis.pid))
            finally:
                redis.terminate()
                redis.wait()
    base_of = {t: next(r for r in results if r["config"] == f"redis {t}, 1 worker")
               ["throughput"]["rps"] for t in transports}
    rows = []
    for r in results:
        t, s = r["throughput"], r["students"]
        transport = r["config"].split(",")[0].removeprefix("redis ")
        base = base_of.get(transport, base_of[transports[0]])
        r["speedup_vs_redis_1"] = t["rps"] / base
        rows.append([r["config"], f"{t['rps']:,.0f}", f"{r['speedup_vs_redis_1']:.2f}×",
                     C.fmt_time(s.get("p50")), C.fmt_time(s.get("p99")), f"{s['rps']:,.0f}",
                     str(t["non_2xx"] + s["non_2xx"])])
    print(C.table(["store", f"steps/s ({THROUGHPUT_CONNECTIONS} conn.)", "vs 1 worker",
                   f"p50 ({STUDENTS} students)", "p99", "steps/s", "non-2xx"], rows))
    cpu_rows = []
    for r in results:
        c = r["throughput"]["cpu_per_request"]
        us = lambda k: f"{c[k] * 1e6:,.0f}" if k in c else "–"   # noqa: E731
        cpu_rows.append([r["config"], us("server"), us("redis"), us("wrk"), us("machine"),
                         f"{c['machine_busy_fraction'] * 100:.0f} %",
                         " + ".join(f"{v:.2f}" for v in c["server_processes_cores"])])
    print(f"CPU per step, µs ({THROUGHPUT_CONNECTIONS} connections; server = every worker "
          "together; machine = every process here, other users' too):")
    print(C.table(["store", "server", "redis", f"wrk ({WRK_THREADS} thread)", "machine",
                   "machine busy", "cores used by each server process"], cpu_rows))
    twos = [r for r in results if r["config"].endswith(", 2 workers")]
    ok = None if not twos else any(r["speedup_vs_redis_1"] >= TARGET for r in twos)
    print(f"target ≥ {TARGET}× at 2 workers: {C.met(ok)}  (cores: {os.cpu_count()}; load "
          f"average after: {[round(v, 2) for v in os.getloadavg()]})")
    env["loadavg_after"] = [round(v, 2) for v in os.getloadavg()]
    path = C.write_json(args.out, "redis_scaling", {
        "quick": args.quick, "env": env, "command": C.command("redis_scaling.py", False),
        "seconds": seconds, "sessions": sessions, "results": results, "target": TARGET,
        "target_met": ok})
    print(f"wrote {path}")
    json.dumps(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
