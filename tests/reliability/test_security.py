"""Security: unguessable session ids, no call that lists sessions, CORS off unless
configured, a Content-Security-Policy of 'self' on static files, no path traversal out of
the frontend folder, and no stack trace in any error body."""
from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
import pytest

from backprop_explorer import engine
from backprop_explorer.api.config import Settings
from backprop_explorer.sessions import store as store_module

REPO = Path(__file__).resolve().parents[2]
HEX32 = re.compile(r"^[0-9a-f]{32}$")


# ----- session ids -----------------------------------------------------------------------
def test_session_ids_are_128_bit_hex_and_all_differ(make_client):
    c = make_client()
    ids = [c.create()["id"] for _ in range(200)]
    ids.append(c.http.post("/api/sessions/import",
                           json=c.http.get(f"/api/sessions/{ids[0]}/export").json()).json()["id"])
    for sid in ids:
        assert HEX32.match(sid), sid
    assert len(set(ids)) == len(ids)
    # 128 random bits: across 201 ids every hex digit position takes many values
    for pos in range(32):
        assert len({sid[pos] for sid in ids}) >= 8, pos


def test_session_ids_come_from_secrets(make_client, monkeypatch):
    calls = []

    def token_hex(nbytes):
        calls.append(nbytes)
        return "ab" * nbytes

    monkeypatch.setattr(store_module.secrets, "token_hex", token_hex)
    c = make_client()
    assert c.create()["id"] == "ab" * 16
    assert calls == [16]                     # 16 bytes = 128 bits


# ----- nobody can list sessions ---------------------------------------------------------------
def test_there_is_no_route_listing_sessions(make_client):
    c = make_client()
    ids = [c.create()["id"] for _ in range(3)]
    r = c.http.get("/api/sessions")
    assert r.status_code in (404, 405), r.text
    assert not any(sid in r.text for sid in ids)
    paths = c.http.get("/openapi.json").json()["paths"]
    assert "get" not in paths.get("/api/sessions", {})
    # every GET that needs no session id: none of them reveals a session id
    for path, item in paths.items():
        if "get" in item and "{" not in path:
            r = c.http.get(path)
            assert r.status_code == 200, path
            assert not any(sid in r.text for sid in ids), path
    for path in ("/", "/docs", "/openapi.json", "/api", "/api/", "/api/sessions/"):
        r = c.http.get(path)
        assert not any(sid in r.text for sid in ids), path


# ----- CORS -----------------------------------------------------------------------------
PREFLIGHT = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "content-type"}


def test_cors_is_off_by_default(make_client):
    c = make_client()
    sid = c.create()["id"]
    r = c.http.get(f"/api/sessions/{sid}", headers={"Origin": "https://evil.example"})
    assert r.status_code == 200
    assert not any(h.startswith("access-control-") for h in r.headers), dict(r.headers)
    r = c.http.options("/api/sessions", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in r.headers, dict(r.headers)


def test_cors_allows_only_the_configured_origins(make_client):
    c = make_client(cors_origins=["https://class.example"])
    sid = c.create()["id"]
    r = c.http.get(f"/api/sessions/{sid}", headers={"Origin": "https://class.example"})
    assert r.headers.get("access-control-allow-origin") == "https://class.example"
    r = c.http.options(f"/api/sessions/{sid}/step",
                       headers={**PREFLIGHT, "Origin": "https://class.example"})
    assert r.status_code == 200
    assert r.headers.get("access-control-allow-origin") == "https://class.example"
    r = c.http.get(f"/api/sessions/{sid}", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    r = c.http.options("/api/sessions", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in r.headers


def test_cors_origins_from_the_environment(monkeypatch):
    monkeypatch.setenv("BPE_CORS_ORIGINS", "https://a.example, https://b.example")
    assert Settings.from_env().cors_origins == ["https://a.example", "https://b.example"]
    monkeypatch.delenv("BPE_CORS_ORIGINS")
    assert Settings.from_env().cors_origins == []


# ----- static files: CSP and no traversal ---------------------------------------------------
@pytest.fixture
def site(tmp_path):
    """A frontend folder with a secret next to it (and a symlink pointing at the secret)."""
    front = tmp_path / "frontend"
    (front / "js").mkdir(parents=True)
    (front / "index.html").write_text("<!doctype html><title>bpe</title>")
    (front / "js" / "app.js").write_text("console.log('app');")
    (tmp_path / "secret.txt").write_text("TOP-SECRET-OUTSIDE")
    (front / "link.txt").symlink_to(tmp_path / "secret.txt")
    return front


def test_static_files_carry_a_content_security_policy_of_self(make_client, site):
    c = make_client(frontend_dir=str(site))
    for path in ("/", "/index.html", "/js/app.js"):
        r = c.http.get(path)
        assert r.status_code == 200, path
        csp = r.headers.get("content-security-policy", "")
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
        assert directives.get("default-src") == "'self'", csp
        assert directives.get("script-src") == "'self'", csp       # no inline, no CDN
        assert "'unsafe-eval'" not in csp and "http" not in csp
        assert r.headers.get("x-content-type-options") == "nosniff"


def test_the_real_frontend_is_served_with_the_policy(make_client):
    c = make_client()
    r = c.http.get("/")
    assert r.status_code == 200
    assert "default-src 'self'" in r.headers.get("content-security-policy", "")


def raw_get(port: int, target: str) -> tuple[int, bytes]:
    """GET with the request target sent byte for byte (no client-side normalisation)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                     .encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


TRAVERSALS = ["/../pyproject.toml", "/%2e%2e/pyproject.toml", "/js/../../README.md",
              "/js/%2e%2e/%2e%2e/README.md", "/..%2fpyproject.toml", "/js/..%2f..%2fREADME.md",
              "/%2e%2e%2fpyproject.toml", "/....//pyproject.toml", "//etc/passwd",
              "/%2fetc%2fpasswd", "/..\\pyproject.toml", "/js/..%5c..%5cREADME.md",
              "/../../../../../../etc/passwd", "/%252e%252e/pyproject.toml",
              "/frontend/../pyproject.toml", "/static/../../pyproject.toml"]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_no_path_traversal_out_of_the_frontend_on_a_real_server(live_server, target):
    port = int(live_server.rsplit(":", 1)[1])
    status, body = raw_get(port, target)
    assert status in (400, 404, 405), (target, status, body[:200])
    assert b"[project]" not in body and b"[tool." not in body     # pyproject.toml
    assert b"root:" not in body                                   # /etc/passwd
    readme = (REPO / "README.md")
    if readme.exists() and readme.stat().st_size > 40:
        assert readme.read_bytes()[:40] not in body


def test_no_traversal_to_a_file_beside_the_frontend_folder(make_server, site):
    server = make_server("--memory", "--no-demo", "--frontend-dir", str(site)).start()
    for target in ("/../secret.txt", "/%2e%2e/secret.txt", "/js/../../secret.txt",
                   "/js/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt", "/link.txt"):
        status, body = raw_get(server.port, target)
        assert b"TOP-SECRET" not in body, target
        assert status in (400, 404), (target, status)
    status, body = raw_get(server.port, "/js/app.js")
    assert status == 200 and b"console.log" in body


# ----- no stack traces in error bodies --------------------------------------------------------
TRACE_MARKERS = ("Traceback", 'File "', ".py", "line ", "secret-internal-detail")


def test_an_internal_error_is_a_bare_500(make_client, monkeypatch):
    c = make_client()
    sid = c.create()["id"]

    def boom(*args, **kwargs):
        raise RuntimeError("secret-internal-detail in /srv/app/engine.py line 12")

    monkeypatch.setattr(engine, "forward", boom)
    monkeypatch.setattr(engine, "backward", boom)
    monkeypatch.setattr(engine, "sgd_step", boom)
    for action, body in (("forward", {"x": [1.0, 0.0]}), ("backward", {"x": [1.0, 0.0], "y": [1.0]}),
                         ("step", {"x": [1.0, 0.0], "y": [1.0]})):
        r = c.http.post(f"/api/sessions/{sid}/{action}", json=body)
        assert r.status_code == 500, r.text
        assert r.json() == {"detail": "internal error"}
        assert r.headers["content-type"].startswith("application/json")
        for marker in TRACE_MARKERS:
            assert marker not in r.text
    monkeypatch.undo()
    assert c.state(sid)["step"] == 0           # the failed step changed nothing


def test_client_errors_carry_no_stack_trace(make_client):
    c = make_client()
    sid = c.create()["id"]
    linear = c.create(activations=["linear", "linear"], init={"scheme": "uniform", "seed": 1})["id"]
    responses = [
        c.http.get("/api/sessions/" + "f" * 32),
        c.http.post(f"/api/sessions/{sid}/forward", json={"x": "nope"}),
        c.http.post(f"/api/sessions/{sid}/forward", content=b"{", headers={"content-type": "application/json"}),
        c.http.post(f"/api/sessions/{sid}/undo"),
        c.http.post(f"/api/sessions/{sid}/train", json={"epochs": 1}),
        c.http.post("/api/sessions", json={"layers": [2, 5000, 1]}),
        c.http.post(f"/api/sessions/{linear}/forward", json={"x": [1e300, 1e300], "y": [0.0]}),
    ]
    for r in responses:
        assert 400 <= r.status_code < 500, r.text
        assert r.headers["content-type"].startswith("application/json")
        for marker in ("Traceback", 'File "', "site-packages", "backprop_explorer/"):
            assert marker not in r.text, r.text


def test_a_reflected_session_id_is_not_served_as_html(make_client):
    c = make_client()
    r = c.http.get("/api/sessions/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers.get("x-content-type-options") == "nosniff"


def test_raw_requests_do_reach_the_frontend(live_server):
    """Sanity for the traversal checks: the same raw client gets a real file."""
    status, body = raw_get(int(live_server.rsplit(":", 1)[1]), "/index.html")
    assert status == 200 and b"<" in body
