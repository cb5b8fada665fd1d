"""A sick disk: full, read-only, a damaged row, a zero-length or damaged file.

Full and read-only use a small tmpfs (root only; otherwise skipped with the reason) under a
real server. Every storage failure is a 503 with Retry-After and a message, never a 404 for
a session that exists and never a 500; nothing acknowledged is lost; when space returns the
server goes on by itself."""
from __future__ import annotations

import os
import sqlite3
import stat
import threading

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from storage_helpers import fill, refused_start, remount, tmpfs  # noqa: F401 (fixture)

from backprop_explorer.api.app import create_app
from backprop_explorer.api.config import Settings
from backprop_explorer.sessions import SessionStore, StorageError
from backprop_explorer.sessions.presets import resolve_network_spec
from backprop_explorer.sessions.sqlite import SqliteSessions

WIDE = {"layers": [2, 40, 40, 1], "dataset": {"name": "xor", "n": 40, "seed": 1}}


def _unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    assert int(r.headers["retry-after"]) > 0
    assert r.json()["detail"], r.text


# ----- a full disk ------------------------------------------------------------------------
@pytest.mark.timeout(240)
def test_a_full_disk_gives_503s_loses_nothing_and_recovers(make_server, tmpfs):
    disk = tmpfs("6m")
    data = str(disk / "data")
    server = make_server("--data-dir", data, "--no-demo").start(timeout=90)
    http = httpx.Client(base_url=server.url, timeout=30)
    sid = http.post("/api/sessions", json=WIDE).json()["id"]
    acked = 0
    for _ in range(5):
        assert http.post(f"/api/sessions/{sid}/step", json={}).status_code == 200
        acked += 1
    filler = fill(disk)

    statuses: dict[int, int] = {}
    for _ in range(400):           # each step adds a ~40 KB state row: the disk runs out
        r = http.post(f"/api/sessions/{sid}/step", json={})
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        if r.status_code == 200:
            acked += 1
            assert r.json()["step"] == acked
        else:
            _unavailable(r)
        if statuses.get(503, 0) >= 20:
            break
    assert statuses.get(503, 0) >= 20 and set(statuses) <= {200, 503}, statuses
    # calls queued behind failing saves on the same session: 200 or 503, never 404
    results: list[int] = []

    def burst():
        with httpx.Client(base_url=server.url, timeout=30) as c:
            for _ in range(5):
                results.append(c.post(f"/api/sessions/{sid}/step", json={}).status_code)
    threads = [threading.Thread(target=burst) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results) <= {200, 503} and 404 not in results, results
    acked += results.count(200)
    # reads still work, with the last saved state; creating and deleting say 503
    assert http.get(f"/api/sessions/{sid}").json()["step"] == acked
    health = http.get("/api/health").json()
    assert health["status"] == "degraded" and health["storage"]["last_write_error"], health
    _unavailable(http.post("/api/sessions", json=WIDE))
    _unavailable(http.delete(f"/api/sessions/{sid}"))
    assert http.get(f"/api/sessions/{sid}").status_code == 200

    filler.unlink()                # space returns: the same server goes on by itself
    r = http.post(f"/api/sessions/{sid}/step", json={})
    assert r.status_code == 200, r.text
    acked += 1
    assert r.json()["step"] == acked
    assert http.get("/api/health").json()["status"] == "ok"
    other = http.post("/api/sessions", json={"preset": "lecture"})
    assert other.status_code == 201, other.text
    http.close()
    # and nothing acknowledged was lost: a restart reads every acknowledged step
    server.stop()
    again = make_server("--data-dir", data, "--no-demo").start(timeout=90)
    with httpx.Client(base_url=again.url, timeout=30) as http:
        assert http.get(f"/api/sessions/{sid}").json()["step"] == acked
        assert http.get(f"/api/sessions/{other.json()['id']}").status_code == 200


@pytest.mark.timeout(180)
def test_starting_on_a_full_disk_serves_reads(make_server, tmpfs):
    disk = tmpfs("4m")
    data = str(disk / "data")
    server = make_server("--data-dir", data).start(timeout=90)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        sid = http.post("/api/sessions", json={"preset": "lecture"}).json()["id"]
        http.post(f"/api/sessions/{sid}/step", json={})
    server.stop()
    fill(disk)
    server = make_server("--data-dir", data).start(timeout=90)      # no crash loop
    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.get(f"/api/sessions/{sid}").json()["step"] == 1
        assert http.get("/api/health").status_code == 200
        created = http.post("/api/sessions", json=WIDE)
        assert created.status_code in (201, 503), created.text
        if created.status_code == 503:
            _unavailable(created)


# ----- a read-only file system ---------------------------------------------------------
@pytest.mark.timeout(180)
def test_a_read_only_data_dir_serves_reads_and_refuses_writes(make_server, tmpfs):
    disk = tmpfs("16m")
    data = disk / "data"
    server = make_server("--data-dir", str(data)).start(timeout=90)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        sid = http.post("/api/sessions", json={"preset": "lecture"}).json()["id"]
        for _ in range(3):
            http.post(f"/api/sessions/{sid}/step", json={})
        before = http.get(f"/api/sessions/{sid}/export").json()
    server.stop()
    remount(disk, "ro")
    try:
        server = make_server("--data-dir", str(data)).start(timeout=90)
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert http.get(f"/api/sessions/{sid}/export").json() == before
            health = http.get("/api/health").json()
            assert health["status"] == "degraded", health
            assert "read-only" in health["storage"]["read_only"].lower() or \
                "cannot be written" in health["storage"]["read_only"], health
            _unavailable(http.post(f"/api/sessions/{sid}/step", json={}))
            _unavailable(http.post("/api/sessions", json={}))
            _unavailable(http.delete(f"/api/sessions/{sid}"))
            assert http.post(f"/api/sessions/{sid}/forward", json={"x": [1, 0]}).status_code == 200
            assert http.get(f"/api/sessions/{sid}").json()["step"] == 3
        server.stop()
    finally:
        remount(disk, "rw")


def test_a_read_only_dir_without_a_database_exits_with_one_line(tmpfs):
    disk = tmpfs("1m")
    remount(disk, "ro")
    try:
        done = refused_start("--data-dir", str(disk))
    finally:
        remount(disk, "rw")
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and str(disk) in lines[0], done.stderr


# ----- damage ------------------------------------------------------------------------------
def _store(path, **kwargs) -> SessionStore:
    return SessionStore(backend=SqliteSessions(path), **kwargs)


def test_a_damaged_row_is_quarantined_logged_and_reported(tmp_path, caplog):
    path = tmp_path / "sessions.db"
    store = _store(path)
    good = store.create(resolve_network_spec({"preset": "lecture"})).id
    bad = store.create(resolve_network_spec({"preset": "lecture"})).id
    with store.use(bad) as session:
        session.sgd_step()
    store.backend.close()
    db = sqlite3.connect(path)
    db.execute("UPDATE states SET state = ? WHERE session_id = ? AND seq = 1",
               (b"\x00not json{", bad))
    db.commit()
    db.close()

    app = create_app(Settings(data_dir=str(tmp_path), demo_session=False))
    with TestClient(app) as http:
        health = http.get("/api/health").json()
        assert health["storage"]["quarantined"] == 1 and health["sessions"] == 1, health
        assert http.get(f"/api/sessions/{good}").status_code == 200
        r = http.get(f"/api/sessions/{bad}")       # set aside at start: no longer a session
        assert r.status_code == 404, r.text
        assert http.post(f"/api/sessions/{good}/step", json={}).status_code == 200
    assert any(bad in rec.getMessage() and "quarantine" in rec.getMessage()
               for rec in caplog.records), caplog.text
    # kept aside in the file, every row of it, with the reason
    db = sqlite3.connect(path)
    rows = db.execute("SELECT tbl, seq, data, reason FROM quarantine WHERE session_id = ?",
                      (bad,)).fetchall()
    assert {(t, s) for t, s, _, _ in rows} == {("sessions", None), ("states", 0), ("states", 1)}
    assert any(d == b"\x00not json{" for _, _, d, _ in rows) and all(r for *_, r in rows)
    assert db.execute("SELECT COUNT(*) FROM states WHERE session_id = ?", (bad,)).fetchone()[0] == 0
    db.close()


def test_a_row_that_decodes_but_is_no_session_is_quarantined_on_load(tmp_path):
    path = tmp_path / "sessions.db"
    store = _store(path)
    sid = store.create(resolve_network_spec({"preset": "lecture"})).id
    store.backend.close()
    db = sqlite3.connect(path)
    db.execute("UPDATE states SET state = ? WHERE session_id = ?",
               (orjson.dumps({"weights": [{"W": [[1.0]], "b": [0.0]}], "step": 0, "epoch": 0}),
                sid))
    db.commit()
    db.close()
    app = create_app(Settings(data_dir=str(tmp_path), demo_session=False))
    with TestClient(app, raise_server_exceptions=False) as http:
        for _ in range(2):            # not a 500, and not a 500 forever
            r = http.get(f"/api/sessions/{sid}")
            assert r.status_code == 404, r.text
        assert http.get("/api/health").json()["storage"]["quarantined"] == 1


def test_a_zero_length_database_is_moved_aside_not_silently_replaced(tmp_path):
    (tmp_path / "sessions.db").write_bytes(b"")
    app = create_app(Settings(data_dir=str(tmp_path), demo_session=False))
    with TestClient(app) as http:
        notes = http.get("/api/health").json()["storage"]["notes"]
    assert len(notes) == 1 and "0 bytes" in notes[0], notes
    aside = [p.name for p in tmp_path.iterdir() if p.name.startswith("sessions.db.empty-")]
    assert len(aside) == 1 and aside[0] in notes[0]


def test_a_damaged_database_file_exits_with_one_line(tmp_path):
    (tmp_path / "sessions.db").write_bytes(b"this is not an SQLite database at all\n" * 200)
    done = refused_start("--data-dir", str(tmp_path))
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "damaged" in lines[0] and str(tmp_path) in lines[0], done.stderr
    assert (tmp_path / "sessions.db").read_bytes().startswith(b"this is not")   # untouched


# ----- failures while serving (in process) --------------------------------------------------
def test_calls_queued_behind_a_failed_save_get_the_saved_version_not_404(tmp_path):
    store = _store(tmp_path / "sessions.db")
    sid = store.create(resolve_network_spec({"preset": "lecture"})).id
    backend = store.backend
    real_save = backend.save
    inside, release = threading.Event(), threading.Event()

    def failing_save(session, now):
        inside.set()
        release.wait(10)
        raise StorageError("could not save the change: the disk is full")
    backend.save = failing_save
    outcomes: list[object] = []

    def first():
        try:
            with store.use(sid) as session:
                session.sgd_step()
        except StorageError as exc:
            outcomes.append(exc)

    def queued():
        inside.wait(10)
        with store.use(sid) as session:     # waits for the lock held by first()
            outcomes.append(session.step)
    threads = [threading.Thread(target=first)] + [threading.Thread(target=queued) for _ in range(3)]
    for t in threads:
        t.start()
    inside.wait(10)
    backend.save = real_save
    release.set()
    for t in threads:
        t.join(10)
    assert isinstance(outcomes[0], StorageError)
    assert outcomes[1:] == [0, 0, 0], outcomes      # the saved version (step 0), not NotFound


def test_storage_errors_on_create_and_delete_are_503_with_retry_after(tmp_path, monkeypatch):
    app = create_app(Settings(data_dir=str(tmp_path), demo_session=False, retry_after=7))
    with TestClient(app, raise_server_exceptions=False) as http:
        created = http.post("/api/sessions", json={}).json()
        sid = created["id"]
        backend = app.state.store.backend

        class FullDisk:      # the store's connection, every write failing as on a full disk
            def __init__(self, conn):
                self.conn = conn

            def execute(self, sql, *args):
                if sql.split()[0].upper() in ("SELECT", "PRAGMA", "ROLLBACK"):
                    return self.conn.execute(sql, *args)
                raise sqlite3.OperationalError("database or disk is full")
            executemany = execute

            def __getattr__(self, name):
                return getattr(self.conn, name)
        monkeypatch.setattr(backend, "_conn", FullDisk(backend._conn))
        for r in (http.post("/api/sessions", json={}), http.delete(f"/api/sessions/{sid}"),
                  http.put(f"/api/sessions/{sid}/weights", json={"weights": [
                      {"W": [[0.0, 0.0], [0.0, 0.0]], "b": [0.0, 0.0]},
                      {"W": [[0.0], [0.0]], "b": [0.0]}]})):
            assert r.status_code == 503 and r.headers["retry-after"] == "7", r.text
            assert "disk is full" in r.json()["detail"]
        monkeypatch.undo()
        after = http.get(f"/api/sessions/{sid}").json()
        assert after["weights"] == created["weights"] and after["history"] == 0, after
        assert http.get("/api/health").json()["sessions"] == 1
        assert http.delete(f"/api/sessions/{sid}").status_code == 204


# ----- files ----------------------------------------------------------------------------
def test_the_database_files_are_private(tmp_path):
    store = _store(tmp_path / "sessions.db")
    store.create(resolve_network_spec({}))
    for name in ("sessions.db", "sessions.db-wal", "sessions.db.lock"):
        mode = stat.S_IMODE(os.stat(tmp_path / name).st_mode)
        assert mode == 0o600, (name, oct(mode))
    store.backend.close()


def test_the_files_shrink_after_sessions_go(tmp_path):
    path = tmp_path / "sessions.db"
    store = _store(path, ttl_seconds=100, clock=lambda: clock[0])
    clock = [1000.0]
    small = store.create(resolve_network_spec({})).id
    big = store.create(resolve_network_spec({"layers": [2, 200, 200, 1],
                                             "dataset": {"name": "xor", "n": 8}})).id
    for _ in range(40):
        with store.use(big) as session:
            session.sgd_step()
    store.backend.close()                          # checkpointed into the file
    grown = path.stat().st_size
    assert grown > 20_000_000, grown
    store = _store(path, ttl_seconds=100, clock=lambda: clock[0])
    with store.use(small):
        pass
    clock[0] += 50
    with store.use(small) as session:             # keeps the small one in use
        session.sgd_step([1.0, 0.0], [1.0])
    store.backend.touch_every = 0
    store.backend.touch(small, clock[0])
    clock[0] += 60                                 # the big one is now idle past the ttl
    assert store.expire() == 1                     # … and vacuum() gives its pages back
    store.backend.close()
    assert path.stat().st_size < grown / 10, (grown, path.stat().st_size)
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    store = _store(path)
    assert len(store) == 1 and store.get(small).step == 1
    store.backend.close()
