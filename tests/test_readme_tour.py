"""The README's curl tour runs as written against a real server: every call succeeds."""
import shutil
import subprocess
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_readme_curl_tour_succeeds(live_server, tmp_path):
    text = README.read_text()
    start = text.index("API=http://127.0.0.1:8000/api")
    script = text[start:text.index("```", start)]
    script = script.replace("http://127.0.0.1:8000", live_server).replace("curl -s ", "curl -sf ")
    out = subprocess.run(["bash", "-euc", script], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr + out.stdout[-2000:]
    assert '"status":"ok"' in out.stdout                 # health
    assert '"dL_ds"' in out.stdout and '"loss_after"' in out.stdout
    assert (tmp_path / "session.json").read_text().startswith('{"format":"backprop-explorer-session"')
