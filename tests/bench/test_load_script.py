"""bench/load.py runs end to end in its --quick setting: it starts its own server, drives
it, prints the figures and writes load.json with sane contents."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_load_script_quick_writes_its_json(tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "load.py"), "--quick",
                           "--out", str(tmp_path)], capture_output=True, text=True,
                          cwd=REPO, timeout=110)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for word in ("p50", "p99", "errors", "throughput"):
        assert word in proc.stdout, proc.stdout
    result = json.loads((tmp_path / "load.json").read_text())
    assert result["students"] == 10
    assert result["requests"] > 0
    assert result["ok"] + result["errors"] == result["requests"]
    assert result["errors"] == 0, result["error_samples"]
    lat = result["latency_ms"]
    assert 0 < lat["p50"] <= lat["p99"] <= lat["max"]
    assert result["throughput_rps"] > 0
    # every student's session really took its steps
    assert all(s is not None and s > 0 for s in result["sample_session_steps"])
    assert "met" in result["target"]
