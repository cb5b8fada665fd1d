"""The README's Python client script reproduces the lecture's 2-2-1 example against a real server."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_lecture_example_script_matches_hand_derivation(live_server):
    out = subprocess.run([sys.executable, str(REPO / "examples" / "lecture_221.py"),
                          "--url", live_server], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "∂L/∂w_22^h" in out.stdout
    worst = float(out.stdout.rsplit("hand and server:", 1)[1].split()[0])
    assert worst < 1e-12
    # the update arithmetic w − γ·∂L/∂w with γ = 0.5 and ∂L/∂w_22^h = 0.0441575391
    assert "w_22^h: +0.800000 → +0.777921" in out.stdout
