"""One server per data directory: a second server on the same folder (the wheel in one
clone, `make serve` in another) is refused with one line naming the folder and the pid of
the server that holds it, and exit code 2; the first goes on serving, unchanged. When the
first stops (even by SIGKILL), the folder can be used again."""
from __future__ import annotations

import signal

import httpx
import pytest
from storage_helpers import refused_start


@pytest.mark.timeout(120)
def test_a_second_server_on_the_same_data_dir_is_refused(make_server, tmp_path):
    data = str(tmp_path / "data")
    first = make_server("--data-dir", data, "--no-demo").start(timeout=90)
    with httpx.Client(base_url=first.url, timeout=10) as http:
        sid = http.post("/api/sessions", json={"preset": "lecture"}).json()["id"]
        assert http.post(f"/api/sessions/{sid}/step", json={}).json()["step"] == 1

        second = refused_start("--data-dir", data, "--no-demo")
        assert second.returncode == 2, (second.stdout, second.stderr)
        lines = [line for line in second.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, second.stderr          # one line, no traceback
        assert data in lines[0] and f"process {first.proc.pid}" in lines[0], lines[0]
        assert "Traceback" not in second.stderr + second.stdout

        # the first server is untouched and still the only writer
        assert http.post(f"/api/sessions/{sid}/step", json={}).json()["step"] == 2
        assert http.get(f"/api/sessions/{sid}").json()["step"] == 2

    # after a SIGKILL the kernel drops the lock: a new server takes the folder over
    first.stop(signal.SIGKILL)
    again = make_server("--data-dir", data, "--no-demo").start(timeout=90)
    assert httpx.get(f"{again.url}/api/sessions/{sid}", timeout=10).json()["step"] == 2
