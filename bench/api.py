"""API benchmark: POST /api/sessions/{id}/step (2-2-1, full trace, body {}) beside
GET /api/health, against a real uvicorn server on a free loopback port, keep-alive HTTP.
Twice: with the default store (SQLite in a fresh data directory: every step is written
before the response) and with `--memory`.

Latency: one keep-alive connection (http.client), blocks of requests alternating between
the two endpoints; p50/p90/p99 per endpoint.
Throughput: `--concurrency` client processes, each with its own keep-alive connection,
hammer one endpoint for a time window; windows alternate between the endpoints.
Every loop is bounded in count and time; the server is stopped by its pid at the end.

Run:  .venv/bin/python bench/api.py
"""
from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import signal
import statistics
import sys
import tempfile
import time

import _common as C

TARGET_P50_RATIO = 1.5        # /step p50 at most 1.5× the health p50
TARGET_THROUGHPUT_SHARE = 0.6  # /step throughput at least 60% of health's
# each on its own server: the default (SQLite in a data directory, what `make serve` runs)
# and `--memory` (nothing kept across restarts)
DEFAULT_STORE = "sqlite (default)"
STORES = (DEFAULT_STORE, "memory")


SESSION_SPEC = {"layers": [2, 2, 1], "activations": ["sigmoid", "linear"], "loss": "squared",
                "learning_rate": 0.1, "dataset": {"name": "xor", "n": 200, "seed": 0}}


def create_session(port: int) -> str:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/api/sessions", body=json.dumps(SESSION_SPEC),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    body = r.read()
    c.close()
    if r.status != 201:
        raise RuntimeError(f"create session: {r.status} {body[:300]!r}")
    return json.loads(body)["id"]


def endpoints(session_id: str) -> dict[str, tuple[str, str, bytes | None]]:
    return {"health": ("GET", "/api/health", None),
            "step": ("POST", f"/api/sessions/{session_id}/step", b"{}")}


def _request(conn: http.client.HTTPConnection, method: str, path: str, body) -> int:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise RuntimeError(f"{method} {path}: {r.status} {data[:300]!r}")
    return len(data)


def latency(port: int, eps, rounds: int, block: int) -> tuple[dict[str, list[float]], dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    names = list(eps)
    out = {n: [] for n in names}
    sizes = {}
    for name in names:      # warm up
        for _ in range(max(5, block // 4)):
            sizes[name] = _request(conn, *eps[name])
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            method, path, body = eps[name]
            lat = out[name]
            for _ in range(block):
                t0 = time.perf_counter()
                _request(conn, method, path, body)
                lat.append(time.perf_counter() - t0)
    conn.close()
    return out, sizes


# ---- throughput workers (a pool of processes, each with one keep-alive connection)
_conn = None


def _worker_init(port: int) -> None:
    global _conn
    _conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)


def _worker_run(task) -> int:
    method, path, body, seconds, max_requests = task
    end = time.perf_counter() + seconds
    n = 0
    while n < max_requests and time.perf_counter() < end:
        _request(_conn, method, path, body)
        n += 1
    return n


def throughput(server, eps, windows: int, seconds: float,
               concurrency: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Requests per second per window, and the server's CPU seconds per request in each
    window (what the server itself spends, whatever the clients on the same cores cost)."""
    names = list(eps)
    out = {n: [] for n in names}
    cpu = {n: [] for n in names}
    cap = int(seconds * 20000) + 10   # bound on requests per worker per window
    ctx = mp.get_context("spawn" if sys.platform == "darwin" else "fork")
    with ctx.Pool(concurrency, initializer=_worker_init, initargs=(server.port,)) as pool:
        for name in names:   # warm-up
            pool.map(_worker_run, [(*eps[name], min(0.2, seconds), cap)] * concurrency)
        for w in range(windows):
            for name in (names if w % 2 == 0 else names[::-1]):
                c0, t0 = server.cpu_seconds(), time.perf_counter()
                counts = pool.map(_worker_run, [(*eps[name], seconds, cap)] * concurrency)
                out[name].append(sum(counts) / (time.perf_counter() - t0))
                c1 = server.cpu_seconds()
                if c0 is not None and c1 is not None and sum(counts):
                    cpu[name].append((c1 - c0) / sum(counts))
    return out, cpu


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def summarise(eps, lat, thr, cpu, sizes) -> dict:
    stats = {}
    for name in eps:
        v = lat[name]
        stats[name] = {"p50": statistics.median(v), "p90": pct(v, 0.90), "p99": pct(v, 0.99),
                       "mean": statistics.fmean(v), "requests": len(v),
                       "single_connection_rps": 1 / statistics.fmean(v),
                       "throughput_rps_median": statistics.median(thr[name]),
                       "throughput_rps_windows": thr[name], "response_bytes": sizes[name],
                       "server_cpu_per_request": statistics.median(cpu[name]) if cpu[name] else None}
    h, s = stats["health"], stats["step"]
    ratios = {"step_p50_over_health_p50": s["p50"] / h["p50"],
              "step_p99_over_health_p99": s["p99"] / h["p99"],
              "step_throughput_share": s["throughput_rps_median"] / h["throughput_rps_median"],
              # what the server spends per request, health's over /step's: the share of
              # health's throughput /step would reach on a server with its cores to itself
              "step_server_cpu_share": (h["server_cpu_per_request"] / s["server_cpu_per_request"]
                                        if h["server_cpu_per_request"] and s["server_cpu_per_request"]
                                        else None)}
    targets = {f"/step p50 <= {TARGET_P50_RATIO}x health p50":
                   ratios["step_p50_over_health_p50"] <= TARGET_P50_RATIO,
               f"/step throughput >= {TARGET_THROUGHPUT_SHARE:.0%} of health's":
                   ratios["step_throughput_share"] >= TARGET_THROUGHPUT_SHARE}
    return {"endpoints": stats, "ratios": ratios, "targets": targets}


def main(argv=None) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # run the finally: stop the server
    p = C.parser(__doc__.split("\n")[0])
    p.add_argument("--concurrency", type=int, default=4, help="client processes for throughput")
    args = p.parse_args(argv)
    if args.quick:
        rounds, block, windows, seconds = 2, 20, 1, 0.3
        conc = min(args.concurrency, 2)
    else:
        rounds, block, windows, seconds = 20, 200, 8, 2.0
        conc = args.concurrency
    env = C.environment()
    print(C.env_line(env))
    results = {}
    for store in STORES:
        with tempfile.TemporaryDirectory() as data_dir:
            extra = ["--data-dir", data_dir] if store == DEFAULT_STORE else []
            server = C.Server(extra).start()
            try:
                sid = create_session(server.port)
                eps = endpoints(sid)
                lat, sizes = latency(server.port, eps, rounds, block)
                thr, cpu = throughput(server, eps, windows, seconds, conc)
            finally:
                server.stop()
        results[store] = summarise(eps, lat, thr, cpu, sizes)

    print()
    print(f"uvicorn on 127.0.0.1, keep-alive; latency over {rounds}×{block} requests per endpoint "
          f"(one connection); throughput: {conc} client processes, {windows} windows × {seconds:g} s; "
          "each store is its own server, /step and health interleaved on it")
    rows = []
    for store, r in results.items():
        h, s = r["endpoints"]["health"], r["endpoints"]["step"]
        rows += [[store, name, C.fmt_time(st["p50"]), C.fmt_time(st["p90"]), C.fmt_time(st["p99"]),
                  f"{st['single_connection_rps']:,.0f}", f"{st['throughput_rps_median']:,.0f}",
                  C.fmt_time(st["server_cpu_per_request"]), f"{st['response_bytes']:,}"]
                 for name, st in (("GET /api/health", h), ("POST /step (2-2-1, {})", s))]
    print(C.table(["store", "endpoint", "p50", "p90", "p99", "req/s (1 conn)",
                   f"req/s ({conc} conns)", "server CPU/request", "response bytes"], rows))
    for store, r in results.items():
        q = r["ratios"]
        cpu_share = q["step_server_cpu_share"]
        print(f"\n{store}: /step ÷ health: p50 {q['step_p50_over_health_p50']:.2f}×, "
              f"p99 {q['step_p99_over_health_p99']:.2f}×, throughput {q['step_throughput_share']:.0%}"
              + ("" if cpu_share is None else f" (server CPU per request: health's is {cpu_share:.0%} "
                 "of /step's)"))
        for name, ok in r["targets"].items():
            print(f"  {name}: {C.met(ok)}")
    default = results[DEFAULT_STORE]
    path = C.write_json(args.out, "api", {
        "benchmark": "api", "quick": args.quick, "environment": env,
        "command": C.command("api.py", blas_env=False),
        "setup": {"rounds": rounds, "block": block, "windows": windows, "window_seconds": seconds,
                  "concurrency": conc, "session": SESSION_SPEC},
        # the default store (what `make serve` runs) at the top level, every store below
        "endpoints": default["endpoints"], "ratios": default["ratios"],
        "targets": default["targets"], "stores": results})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
