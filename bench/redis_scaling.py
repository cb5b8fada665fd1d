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
The Redis configs of a transport are all started at once and measured in turn, ROUNDS
times (1, 2, 4 workers, 1, 2, 4, …): the ratio is taken round by round between runs made
moments apart, and the target is judged on the median of those ratios.

Run:  .venv/bin/python bench/redis_scaling.py           (needs redis-server and wrk: apt)
      .venv/bin/python bench/redis_scaling.py --quick   (tiny setting)
"""
from __future__ import annotations

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
TARGET = 1.7
ROUNDS = 3               # throughput runs of each config, interleaved
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
# The class: each connection one student stepping their own session (one wrk thread per
# connection, each given its session in setup: wrk does not tell a request's connection).
LUA_OWN = """
local ids = {%s}
local count = 0
setup = function(thread)
  count = count + 1
  thread:set("id", ids[count])
end
init = function(args)
  req = wrk.format("POST", "/api/sessions/" .. id .. "/step",
                   {["Content-Type"] = "application/json"}, "{}")
end
request = function()
  return req
end
"""
# scenario → (what it is, wrk threads); the target is judged on "own"
SCENARIOS = {
    "own": ("each of the 32 connections steps its own session (a class: each student's "
            "page on its keep-alive connection; one wrk thread per connection)",
            THROUGHPUT_CONNECTIONS),
    "random": ("each request steps one of the sessions picked at random (the worst case: "
               "with N workers a copy is stale (N-1)/N of the time; 1 wrk thread)", 1),
}


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


def _children(pid: int) -> list[int]:
    """pid's child processes (Linux /proc; none once it has gone)."""
    try:
        return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
                for child in (task / "children").read_text().split()]
    except OSError:
        return []


def _tree(pid: int) -> list[int]:
    """pid and its descendants (uvicorn's supervisor and its workers)."""
    return [pid] + [p for child in _children(pid) for p in _tree(child)]


def _workers(pid: int) -> list[int]:
    """The processes that serve requests: with --workers N, the N children uvicorn spawned
    (not its supervisor, nor multiprocessing's resource tracker); with one, pid itself."""
    out = []
    for child in _children(pid):
        try:
            if b"multiprocessing.spawn" in Path(f"/proc/{child}/cmdline").read_bytes():
                out.append(child)
        except OSError:
            pass
    return out or [pid]


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
        watch: dict[str, list[int]] | None = None, threads: int = 1) -> dict:
    """One wrk run; with `watch` ({component: pids}), the CPU seconds each component used
    per request, the load generator's own (wrk: its rusage) and the whole machine's."""
    watch = watch or {}
    before = {name: cpu_seconds(pids) for name, pids in watch.items()}
    each0 = {pid: cpu_seconds([pid]) for pid in watch.get("workers", [])}
    busy0, total0 = machine_cpu()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s",
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
    cpu = {name: (after[name] - before[name]) / max(requests, 1) for name in watch
           if name != "workers"}
    # each worker process, busiest first, as CPU-seconds per wall second (1.0 = one core);
    # "server" above is all of them with the supervisor
    cpu["server_processes_cores"] = [round(t / seconds, 2) for t in each]
    cpu["wrk"] = (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime) / max(requests, 1)
    cpu["machine"] = (busy1 - busy0) / max(requests, 1)
    cpu["machine_busy_fraction"] = (busy1 - busy0) / max(total1 - total0, 1e-9)
    return {"rps": rps, **lat, "requests": requests,
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": sock.group(1) if sock else None, "cpu_per_request": cpu}


class Config:
    """One server configuration, started once, with its sessions made and warmed."""

    def __init__(self, name: str, extra: list[str], sessions: int, tmp: Path,
                 redis_pid: int | None = None) -> None:
        self.name = name
        self.server = C.Server(extra).start(timeout=180)
        assert self.server.proc is not None
        self.redis_pid = redis_pid
        try:
            with httpx.Client(base_url=self.server.url, timeout=60) as c:
                self.ids = []
                for _ in range(sessions):
                    r = c.post("/api/sessions", json={"dataset": {"name": "xor", "n": 200,
                                                                  "seed": 1}})
                    r.raise_for_status()
                    self.ids.append(r.json()["id"])
                for sid in self.ids:                             # warm every worker's copy
                    c.post(f"/api/sessions/{sid}/step", json={}).raise_for_status()
            self.scripts = {"random": tmp / f"{abs(hash(name))}-random.lua",
                            "own": tmp / f"{abs(hash(name))}-own.lua"}
            self.scripts["random"].write_text(LUA % ", ".join(f'"{i}"' for i in self.ids))
            own = self.ids[:THROUGHPUT_CONNECTIONS]
            self.scripts["own"].write_text(LUA_OWN % ", ".join(f'"{i}"' for i in own))
            wrk(self.server.url, self.scripts["random"], THROUGHPUT_CONNECTIONS, 2.0)  # warm-up
        except BaseException:
            self.server.stop()
            raise
        self.rounds: dict[str, list[dict]] = {name: [] for name in SCENARIOS}
        self.students: dict | None = None

    def watch(self) -> dict[str, list[int]]:
        assert self.server.proc is not None
        pid = self.server.proc.pid                            # the workers, all started now
        watch = {"server": _tree(pid), "workers": _workers(pid)}
        if self.redis_pid is not None:
            watch["redis"] = [self.redis_pid]
        return watch

    def measure(self, scenario: str, seconds: float) -> dict:
        result = wrk(self.server.url, self.scripts[scenario], THROUGHPUT_CONNECTIONS, seconds,
                     self.watch(), threads=SCENARIOS[scenario][1])
        self.rounds[scenario].append(result)
        return result

    def measure_students(self, seconds: float) -> None:
        self.students = wrk(self.server.url, self.scripts["random"], STUDENTS, seconds,
                            self.watch())

    def result(self) -> dict:
        with httpx.Client(base_url=self.server.url, timeout=60) as c:  # every step counted once
            steps = sum(c.get(f"/api/sessions/{sid}").json()["step"] for sid in self.ids)
        out: dict = {"config": self.name, "students": self.students, "steps_stored": steps,
                     "scenarios": {}}
        for scenario, runs in self.rounds.items():
            median = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
            out["scenarios"][scenario] = {"median": median, "rounds": runs,
                                          "rounds_rps": [r["rps"] for r in runs]}
        return out

    def stop(self) -> None:
        self.server.stop()


def run_interleaved(configs: list[Config], seconds: float, rounds: int) -> None:
    """`rounds` throughput runs of every config and scenario, in turn (own: 1, 2, 4 workers,
    random: 1, 2, 4, then again): a run's neighbours ran moments before and after it, so a
    change in the machine's other load reaches them alike; then one 200-student run each."""
    for k in range(rounds):
        for scenario in SCENARIOS:
            for cfg in configs:
                r = cfg.measure(scenario, seconds)
                print(f"  round {k + 1}/{rounds}, {scenario}: {cfg.name}: {r['rps']:,.0f} "
                      "steps/s", flush=True)
    for cfg in configs:
        cfg.measure_students(seconds)


def main(argv=None) -> int:
    p = C.parser(__doc__.split("\n")[0])
    p.add_argument("--transport", choices=("unix", "tcp", "both"), default=None,
                   help="how the workers reach Redis (default: both, side by side; with "
                        "--quick, unix)")
    args = p.parse_args(argv)
    args.transport = args.transport or ("unix" if args.quick else "both")
    for tool in ("redis-server", "redis-cli", "wrk"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: apt-get install redis-server wrk", file=sys.stderr)
            return 2
    seconds, sessions, workers, rounds = ((1.0, THROUGHPUT_CONNECTIONS, [1, 2], 1) if args.quick
                                          else (6.0, SESSIONS, [1, 2, 4], ROUNDS))
    env = C.environment()
    print(C.env_line(env))
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    results = []
    ratios: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        embedded = Config("embedded (memory, 1 process)", [], sessions, tmp)
        try:
            run_interleaved([embedded], seconds, 1)
            results.append(embedded.result())
        finally:
            embedded.stop()
        transports = ["unix", "tcp"] if args.transport == "both" else [args.transport]
        for transport in transports:
            redis, url, port = start_redis(tmp / transport, transport == "unix")
            configs: list[Config] = []
            try:
                for n in workers:     # all started at once (idle, a server costs ~nothing)
                    configs.append(Config(f"redis {transport}, {n} worker{'s' * (n > 1)}",
                                          ["--redis", url, "--workers", str(n)], sessions,
                                          tmp, redis.pid))
                run_interleaved(configs, seconds, rounds)
                # each round's ratio, 2 workers against the 1-worker run just before it
                for scenario in SCENARIOS:
                    ratios[f"{transport}, {scenario}"] = [
                        two["rps"] / one["rps"] for one, two in
                        zip(configs[0].rounds[scenario], configs[1].rounds[scenario],
                            strict=True)]
                results += [cfg.result() for cfg in configs]
            finally:
                for cfg in configs:
                    cfg.stop()
                redis.terminate()
                redis.wait()
    rows = []
    for r in results:
        transport = r["config"].split(",")[0].removeprefix("redis ")
        base = next((x for x in results if x["config"] == f"redis {transport}, 1 worker"), None)
        for scenario, sc in r["scenarios"].items():
            sc["speedup_vs_redis_1"] = (None if base is None else sc["median"]["rps"]
                                        / base["scenarios"][scenario]["median"]["rps"])
            rows.append([r["config"], scenario, f"{sc['median']['rps']:,.0f}",
                         " / ".join(f"{v:,.0f}" for v in sc["rounds_rps"]),
                         "–" if sc["speedup_vs_redis_1"] is None
                         else f"{sc['speedup_vs_redis_1']:.2f}×",
                         str(sum(x["non_2xx"] for x in sc["rounds"]))])
    print("scenarios: " + "; ".join(f"{k}: {v[0]}" for k, v in SCENARIOS.items()))
    print(C.table(["store", "scenario", f"steps/s (median, {THROUGHPUT_CONNECTIONS} conn.)",
                   "each round", "vs 1 worker", "non-2xx"], rows))
    print(C.table(["store", f"p50 ({STUDENTS} students, random)", "p99", "steps/s", "non-2xx"],
                  [[r["config"], C.fmt_time(r["students"].get("p50")),
                    C.fmt_time(r["students"].get("p99")), f"{r['students']['rps']:,.0f}",
                    str(r["students"]["non_2xx"])] for r in results]))
    medians = {k: sorted(v)[len(v) // 2] for k, v in ratios.items()}
    for k, values in ratios.items():
        print(f"2 workers / 1 worker ({k}), round by round: "
              + ", ".join(f"{v:.2f}×" for v in values) + f"; median {medians[k]:.2f}×")
    cpu_rows = []
    for r in results:
        for scenario, sc in r["scenarios"].items():
            c = sc["median"]["cpu_per_request"]
            us = lambda k, c=c: f"{c[k] * 1e6:,.0f}" if k in c else "–"   # noqa: E731
            cpu_rows.append([r["config"], scenario, us("server"), us("redis"), us("wrk"),
                             us("machine"), f"{c['machine_busy_fraction'] * 100:.0f} %",
                             " + ".join(f"{v:.2f}" for v in c["server_processes_cores"])])
    print(f"CPU per step, µs (median round, {THROUGHPUT_CONNECTIONS} connections; server = "
          "every worker together; machine = every process here, other users' too):")
    print(C.table(["store", "scenario", "server", "redis", "wrk", "machine", "machine busy",
                   "cores used by each worker"], cpu_rows))
    met = {k: m >= TARGET for k, m in medians.items()}
    ok = None if not met else any(v for k, v in met.items() if k.endswith(", own"))
    print(f"target ≥ {TARGET}× at 2 workers (median of the round-by-round ratios, a class: "
          f"own sessions): {C.met(ok)}; worst case (random): "
          f"{C.met(any(v for k, v in met.items() if k.endswith(', random')))}  (cores: "
          f"{os.cpu_count()}; load average after: {[round(v, 2) for v in os.getloadavg()]})")
    env["loadavg_after"] = [round(v, 2) for v in os.getloadavg()]
    path = C.write_json(args.out, "redis_scaling", {
        "quick": args.quick, "env": env, "command": C.command("redis_scaling.py", False),
        "seconds": seconds, "sessions": sessions, "rounds": rounds, "results": results,
        "scenarios": {k: v[0] for k, v in SCENARIOS.items()}, "ratios_2_over_1": ratios,
        "median_ratio": medians, "target": TARGET,
        "target_met": ok})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
