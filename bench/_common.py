"""Shared helpers for the benchmark scripts: arguments, environment report,
interleaved timing, tables and JSON output.

Every script takes `--quick` (a tiny setting that finishes in seconds, used by
the test suite) and `--out DIR` (where <name>.json goes; default bench/results).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results"

# make `import backprop_explorer` work from a plain checkout too
_backend = REPO / "backend"
if str(_backend) not in sys.path:
    sys.path.insert(0, str(_backend))

from backprop_explorer.client import wait_until_serving  # noqa: E402


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true",
                   help="tiny setting that finishes in a few seconds (used by the tests)")
    p.add_argument("--out", type=Path, default=RESULTS,
                   help=f"folder for the JSON (and plots); default {RESULTS}")
    return p


def add_threads_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=int, default=None,
                   help="limit numpy's BLAS (via threadpoolctl) and torch to N threads "
                        "(default: leave numpy's as they are, give torch the same number)")


_limiter = None


def apply_threads(n: int | None) -> None:
    """Limit numpy's BLAS to n threads for the rest of the process (needs threadpoolctl)."""
    global _limiter
    if n is None:
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise SystemExit("--threads needs threadpoolctl (pip install -e '.[bench]')")
    _limiter = threadpool_limits(limits=n, user_api="blas")


def blas_info() -> dict:
    """numpy's BLAS library, kernel and thread count (via threadpoolctl when installed)."""
    import numpy as np
    info: dict = {"numpy": np.__version__,
                  "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
                  "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE")}
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        info["threadpoolctl"] = "not installed"
        info["blas_threads"] = os.cpu_count() or 1
        return info
    blas = [d for d in threadpool_info() if d.get("user_api") == "blas"]
    if blas:
        b = blas[0]
        info.update({"blas": b.get("internal_api"), "blas_version": b.get("version"),
                     "blas_kernel": b.get("architecture"), "blas_threads": b.get("num_threads")})
    else:
        info["blas_threads"] = os.cpu_count() or 1
    return info


def environment() -> dict:
    env = {"python": platform.python_version(), "machine": platform.machine(),
           "cpus": os.cpu_count(), "processor": _cpu_name(),
           "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
           "loadavg_1_5_15": [round(v, 2) for v in os.getloadavg()]}
    env.update(blas_info())
    try:
        import torch
        env["torch"] = torch.__version__
    except ImportError:
        env["torch"] = None
    return env


def _cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def env_line(env: dict) -> str:
    return (f"python {env['python']} · numpy {env['numpy']} · BLAS {env.get('blas')} "
            f"{env.get('blas_version')} kernel {env.get('blas_kernel')} × {env.get('blas_threads')} "
            f"threads · OPENBLAS_CORETYPE={env.get('OPENBLAS_CORETYPE')} · torch {env.get('torch')} · "
            f"{env['cpus']} CPUs ({env['processor']}) · load average {env.get('loadavg_1_5_15')}"
            + (f" · clock {env['clock']}" if env.get("clock") else ""))


CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}
_clock = time.perf_counter


def add_clock_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                   help="wall: elapsed time (default); cpu: CPU time of this thread, which a busy "
                        "machine inflates far less (implies --threads 1, so all work is on it)")


def apply_clock(args) -> None:
    global _clock
    _clock = CLOCKS[args.clock]
    if args.clock == "cpu" and getattr(args, "threads", None) is None:
        args.threads = 1


def interleaved(contenders: dict[str, tuple[Callable[[int], None], int]], reps: int,
                warmup: int = 1, reps_for: dict[str, int] | None = None) -> dict[str, list[float]]:
    """Time `fn(n)` (n iterations) for every contender {name: (fn, n)}, `reps` rounds, the
    order rotated each round so drifts in machine speed hit every contender alike (a contender
    with fewer `reps_for` sits out the later rounds). Returns seconds per iteration."""
    names = list(contenders)
    reps_for = reps_for or {}
    for _ in range(warmup):
        for name in names:
            fn, n = contenders[name]
            fn(max(1, n // 4))
    out: dict[str, list[float]] = {name: [] for name in names}
    # what exists now (modules, numba, the app, the contenders' inputs) lives to the end:
    # out of the collector's full passes, so the collect before each timing clears the
    # previous contender's garbage in ~1 ms instead of walking the whole heap (~100 ms each,
    # most of a --quick run), as the server does after its start-up (api/app.py)
    gc.collect()
    gc.freeze()
    for r in range(reps):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            if len(out[name]) >= reps_for.get(name, reps):
                continue
            fn, n = contenders[name]
            gc.collect()
            clock = _clock
            t0 = clock()
            fn(n)
            out[name].append((clock() - t0) / n)
    return out


def summary(samples: list[float]) -> dict:
    s = sorted(samples)
    q1 = s[len(s) // 4]
    q3 = s[(3 * len(s)) // 4]
    return {"median": statistics.median(s), "min": s[0], "q1": q1, "q3": q3, "n": len(s)}


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])


def write_json(out_dir: Path, name: str, data: dict) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def command(script: str, blas_env: bool = True) -> str:
    """The command line that reproduces this run (without --out)."""
    argv, skip = [], False
    for a in sys.argv[1:]:
        if skip:
            skip = False
            continue
        if a == "--out":
            skip = True
            continue
        if a.startswith("--out="):
            continue
        argv.append(a)
    prefix = "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE " if blas_env else ""
    return prefix + f".venv/bin/python bench/{script} " + " ".join(argv)


def met(ok: bool | None) -> str:
    return "n/a" if ok is None else ("MET" if ok else "NOT MET")


# ----- the server --------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`python -m backprop_explorer --memory` on a free loopback port, stopped by its pid."""

    def __init__(self, extra: list[str] | None = None, log_path: Path | None = None) -> None:
        extra = list(extra or [])
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        memory = [] if "--data-dir" in extra else ["--memory"]
        self.args = [sys.executable, "-m", "backprop_explorer", "--host", "127.0.0.1",
                     "--port", str(self.port), "--no-demo", "--log-level", "warning",
                     *memory, *extra]
        self.log_path = log_path or Path(os.devnull)
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> "Server":
        env = dict(os.environ)
        backend = str(REPO / "backend")
        env["PYTHONPATH"] = backend + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        if self.log_path != Path(os.devnull):
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(self.args, stdout=open(self.log_path, "wb"),
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env, cwd=REPO)
        try:
            wait_until_serving(self.url, self.proc, timeout)
        except ChildProcessError:
            raise RuntimeError(f"server exited early (log: {self.log_path})") from None
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"server did not answer within {timeout}s") from None
        return self

    def cpu_seconds(self) -> float | None:
        """user + system CPU time of the server process so far (Linux /proc)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError, AttributeError):
            return None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
