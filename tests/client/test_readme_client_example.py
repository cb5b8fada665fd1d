"""The README's Python client example runs as written against a real server."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_client_example_runs(live_server, tmp_path):
    text = README.read_text()
    section = text[text.index("## Python client"):]
    start = section.index("```python\n") + len("```python\n")
    code = section[start:section.index("```", start)].replace("http://127.0.0.1:8000",
                                                               live_server)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, timeout=60)
    assert out.returncode == 0, out.stderr
    gradient, error = out.stdout.splitlines()
    float(gradient)
    assert error == "422 422: x: expected 2 number(s), got 3"
