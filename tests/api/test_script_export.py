"""Issue 13: GET /export?format=numpy|torch — runnable scripts that rebuild the network, its
weights, the next example and γ_t, and print the next step's new weights: run as
subprocesses, they print what the next POST /step returns (numpy rtol 1e-12, PyTorch float64
rtol 1e-10). The networks between them use every activation of the table and both losses on
both of their paths (δ = y − y* fused, and ∂L/∂y · f′(s))."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest

from backprop_explorer.engine import ACTIVATIONS

XOR = {"name": "xor", "n": 12, "noise": 0.1, "seed": 3, "test_fraction": 0.25}
NETWORKS = [
    {"preset": "lecture", "l2": 0.01, "schedule": {"name": "inverse_time", "k": 0.3}},
    {"layers": [2, 3, 3, 2], "activations": ["tanh", "relu", "softmax"],
     "loss": "cross_entropy", "learning_rate": 0.4, "dataset": XOR},
    {"layers": [2, 4, 1], "activations": ["leaky_relu", "sigmoid"], "loss": "cross_entropy",
     "schedule": {"name": "step_decay", "decay": 0.5, "every": 2}, "dataset": XOR},
    {"layers": [2, 2, 2, 1], "activations": ["sigmoid", "tanh", "sigmoid"], "loss": "squared",
     "learning_rate": 0.7, "l2": 0.05, "dataset": XOR},
]
RUN_ALL = "import runpy, sys\nfor p in sys.argv[1:]:\n    runpy.run_path(p, run_name='__main__')\n"


def test_the_networks_cover_every_activation():
    used = {a for spec in NETWORKS for a in spec.get("activations", ["sigmoid", "linear"])}
    assert used == set(ACTIVATIONS)


@pytest.fixture
def sessions(h):
    """Each network after two updates (so t and the dataset position are not at their
    start), with its scripts written next to each other."""
    out = []
    for spec in NETWORKS:
        sid = h.create(**spec)["id"]
        h.post(sid, "step", {})
        h.post(sid, "train", {"steps": 1})
        out.append(sid)
    return out


def _run(h, sids, fmt, tmp_path):
    paths = []
    for k, sid in enumerate(sids):
        r = h.client.get(f"/api/sessions/{sid}/export", params={"format": fmt})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/x-python")
        path = tmp_path / f"{fmt}_{k}.py"
        path.write_text(r.text)
        paths.append(str(path))
    done = subprocess.run([sys.executable, "-c", RUN_ALL, *paths], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    printed = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(printed) == len(sids), done.stdout
    assert "γ_t = " in done.stdout and "new W (w_ij^h)" in done.stdout
    return printed


def _check(h, sids, printed, rtol):
    for sid, out in zip(sids, printed, strict=True):
        state = h.state(sid)
        st = h.post(sid, "step", {})
        assert out["t"] == st["t"] == state["step"]
        assert out["example_index"] == st["example_index"] == state["dataset"]["next_index"]
        assert out["learning_rate"] == pytest.approx(st["learning_rate"], rel=1e-15)
        assert out["loss"] == pytest.approx(st["loss"], rel=rtol)
        for mine, theirs in zip(out["weights"], st["update"], strict=True):
            np.testing.assert_allclose(mine["W"], theirs["W_after"], rtol=rtol, atol=1e-15)
            np.testing.assert_allclose(mine["b"], theirs["b_after"], rtol=rtol, atol=1e-15)


def test_the_numpy_script_prints_the_next_steps_weights(h, sessions, tmp_path):
    _check(h, sessions, _run(h, sessions, "numpy", tmp_path), rtol=1e-12)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                    reason="PyTorch is not installed: it comes from the bench extra "
                           "(pip install -e '.[bench]')")
def test_the_torch_script_prints_the_next_steps_weights(h, sessions, tmp_path):
    _check(h, sessions, _run(h, sessions, "torch", tmp_path), rtol=1e-10)


def test_export_formats_and_errors(h):
    sid = h.create(preset="lecture")["id"]
    doc = h.client.get(f"/api/sessions/{sid}/export").json()
    assert doc == h.client.get(f"/api/sessions/{sid}/export?format=json").json()
    assert doc["format"] == "backprop-explorer-session"
    r = h.client.get(f"/api/sessions/{sid}/export?format=matlab")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "format"]
    bare = h.create()["id"]          # no dataset: no next example for a script
    assert h.client.get(f"/api/sessions/{bare}/export?format=numpy").status_code == 409
