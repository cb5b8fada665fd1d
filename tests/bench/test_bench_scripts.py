"""Each benchmark script runs on its tiny `--quick` setting and writes its JSON.

No timed assertions: benchmarks measure, the test suite only checks they still run.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench"


def run_script(name: str, out: Path, timeout: float = 240, wait_scale: float | None = None) -> dict:
    """`bench/<name>.py --quick --out <out>`; with wait_scale, through patient_playwright.py
    (every Playwright wait of the script bounded wait_scale times longer)."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "backend")}
    script = [str(BENCH / f"{name}.py"), "--quick", "--out", str(out)]
    if wait_scale is not None:
        script = [str(Path(__file__).with_name("patient_playwright.py")), str(wait_scale), *script]
    proc = subprocess.run([sys.executable, *script],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{name}.py --quick failed:\n{proc.stdout}\n{proc.stderr}"
    path = out / f"{name}.json"
    assert path.is_file(), f"{name}.py did not write {path}:\n{proc.stdout}"
    data = json.loads(path.read_text())
    assert data["quick"] is True
    return data


def test_engine_bench_quick(tmp_path):
    data = run_script("engine", tmp_path)
    cases = {c["case"]: c for c in data["cases"]}
    assert {"2-2-1", "2-8-8-1"} <= set(cases)
    for case in cases.values():
        assert case["stats"]["ours"]["median"] > 0
        # every contender computed the same weights as the engine
        assert all(d < 1e-9 for d in case["check_max_abs_diff_vs_ours"].values())


def test_scaling_bench_quick(tmp_path):
    data = run_script("scaling", tmp_path)
    assert data["by_units"] and data["by_depth"]
    if data["plot"]:
        assert (tmp_path / "scaling.png").stat().st_size > 0


def test_redis_scaling_bench_quick(tmp_path):
    data = run_script("redis_scaling", tmp_path)
    results = {r["config"]: r for r in data["results"]}
    assert set(results) == {"embedded (memory, 1 process)", "redis unix, 1 worker",
                            "redis unix, 2 workers"}
    for r in results.values():
        runs = [run for sc in r["scenarios"].values() for run in sc["rounds"]]
        runs.append(r["students"])
        assert len(runs) == 3
        assert all(run["non_2xx"] == 0 and run["rps"] > 0 for run in runs), r["config"]
        # every step wrk saw answered is stored, once (the warm-ups come on top)
        assert r["steps_stored"] >= sum(run["requests"] for run in runs), r["config"]
    two, one = results["redis unix, 2 workers"], results["redis unix, 1 worker"]
    for scenario in ("own", "random"):
        # one entry per worker process (uvicorn's supervisor and resource tracker are not)
        for config, n in ((two, 2), (one, 1)):
            cores = config["scenarios"][scenario]["median"]["cpu_per_request"]
            assert len(cores["server_processes_cores"]) == n, cores
        assert data["ratios_2_over_1"][f"unix, {scenario}"] == [
            two["scenarios"][scenario]["rounds_rps"][0] / one["scenarios"][scenario]["rounds_rps"][0]]


def test_api_bench_quick(tmp_path):
    data = run_script("api", tmp_path)
    assert data["endpoints"]["step"]["p50"] > 0 and data["endpoints"]["health"]["p50"] > 0


def test_profile_hotpaths_quick(tmp_path):
    data = run_script("profile_hotpaths", tmp_path)
    assert data["sections"]


# a browser, a server and continuous training beside the suite's other workers: the
# script's Playwright waits get 4× their bounds here (tests/bench/patient_playwright.py)
@pytest.mark.timeout(660)
def test_ui_bench_quick(tmp_path):
    if not (REPO / "frontend" / "index.html").is_file():
        pytest.skip("no frontend/index.html yet")
    if not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()):
        pytest.skip("Debian's chromium is not installed (make chromium)")
    pytest.importorskip("playwright.sync_api")
    data = run_script("ui", tmp_path, timeout=600, wait_scale=4)
    assert data["networks"]


def test_classroom_bench_quick(tmp_path):
    data = run_script("classroom", tmp_path)
    assert data["students"] == 12 and data["steps"] == 2
    assert data["checks"] and all(data["checks"].values()), data["checks"]
    assert data["fanout"]["n"] == 12 * 2 and data["fanout"]["p50"] > 0
