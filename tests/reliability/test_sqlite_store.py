"""The SQLite store (sessions/sqlite.py) keeps exactly what the live session holds:
after every kind of change (step, undo, train, new weights, new settings), in any order,
past the undo limit, a fresh reader of the same file loads the same document, undo
history included. A step is a single INSERT. A data directory written by the first
release (schema version 0) is migrated on open without losing anything."""
from __future__ import annotations

import random
import sqlite3
import time

import orjson
import pytest
from store_helpers import reloaded

from backprop_explorer.sessions import SessionStore
from backprop_explorer.sessions.document import export_session, weights_to_lists
from backprop_explorer.sessions.presets import resolve_network_spec
from backprop_explorer.sessions.session import HISTORY_LEVELS
from backprop_explorer.sessions.sqlite import JOURNAL_SIZE_LIMIT, SCHEMA_VERSION, SqliteSessions

SPEC = {"layers": [2, 3, 1], "learning_rate": 0.2, "dataset": {"name": "xor", "n": 8, "seed": 1}}


def _change(session, what, rng):
    if what == "step":
        session.sgd_step()
    elif what == "undo":
        if session.history:
            session.undo()
    elif what == "train":
        session.train(steps=rng.randint(1, 5))
    elif what == "weights":
        session.set_weights([{"W": [[rng.uniform(-1, 1) for _ in range(o)] for _ in range(i)],
                              "b": [0.0] * o} for i, o in zip((2, 3), (3, 1))])
    elif what == "settings":
        session.set_hyperparameters(learning_rate=rng.choice([0.05, 0.1, 0.3]))


@pytest.mark.parametrize("seed", range(3))
def test_every_change_in_any_order_reloads_identically(tmp_path, seed):
    rng = random.Random(seed)
    path = tmp_path / "sessions.db"
    store = SessionStore(backend=SqliteSessions(path))
    sid = store.create(resolve_network_spec(SPEC)).id
    ops = ["step"] * 6 + ["undo"] * 3 + ["train", "weights", "settings"]
    for i in range(60):
        what = rng.choice(ops)
        with store.use(sid) as session:
            _change(session, what, rng)
        if i % 7 == 0 or what != "step":
            assert reloaded(path, sid) == export_session(store.get(sid)), (i, what)
    assert reloaded(path, sid) == export_session(store.get(sid))


def test_past_the_undo_limit_and_all_the_way_back(tmp_path):
    path = tmp_path / "sessions.db"
    store = SessionStore(backend=SqliteSessions(path))
    sid = store.create(resolve_network_spec(SPEC)).id
    for _ in range(HISTORY_LEVELS + 45):
        with store.use(sid) as session:
            session.sgd_step()
    doc = reloaded(path, sid)
    assert len(doc["history"]) == HISTORY_LEVELS and doc == export_session(store.get(sid))
    rows = sqlite3.connect(path).execute("SELECT COUNT(*) FROM states").fetchone()[0]
    assert rows <= HISTORY_LEVELS + 1 + 32          # older states are pruned
    for _ in range(HISTORY_LEVELS):
        with store.use(sid) as session:
            session.undo()
    doc = reloaded(path, sid)
    assert doc["history"] == [] and doc == export_session(store.get(sid))
    assert doc["step"] == 45


def test_a_step_is_one_insert(tmp_path):
    path = tmp_path / "sessions.db"
    backend = SqliteSessions(path)
    store = SessionStore(backend=backend)
    sid = store.create(resolve_network_spec(SPEC)).id
    statements: list[str] = []
    backend._conn.set_trace_callback(statements.append)
    with store.use(sid) as session:
        session.sgd_step()
    assert [s.split()[0] for s in statements] == ["INSERT"], statements


# ----- the first release's schema (version 0) -------------------------------------------------
SCHEMA_0 = """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY, meta BLOB NOT NULL, state BLOB NOT NULL, last_used REAL NOT NULL);
CREATE INDEX sessions_last_used ON sessions(last_used);
CREATE TABLE history (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, snapshot BLOB NOT NULL, PRIMARY KEY (session_id, seq));
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _blob(state) -> bytes:
    return orjson.dumps({"weights": weights_to_lists(state.weights), "step": state.step,
                         "epoch": state.epoch,
                         "cursor": getattr(state, "cursor", None) if hasattr(state, "cursor")
                         else (state.dataset.cursor if state.dataset else 0)})


def test_a_version_0_data_directory_is_migrated(tmp_path):
    # a session with undo history, written the way the first release wrote it
    memory = SessionStore()
    sid = memory.create(resolve_network_spec(SPEC)).id
    for _ in range(5):
        with memory.use(sid) as session:
            session.sgd_step()
    with memory.use(sid) as session:
        session.undo()
    live = memory.get(sid)
    expected = export_session(live)
    doc = dict(expected)
    meta = orjson.dumps({k: doc[k] for k in ("format", "version", "network", "dataset")})
    path = tmp_path / "sessions.db"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_0)
    db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)", (sid, meta, _blob(live), 123.0))
    db.executemany("INSERT INTO history VALUES (?, ?, ?)",
                   [(sid, i, _blob(s)) for i, s in enumerate(live.history)])
    db.execute("INSERT INTO settings VALUES ('demo_session_id', ?)", (sid,))
    db.commit()
    db.close()

    backend = SqliteSessions(path)
    loaded, last_used = backend.load(sid)
    assert export_session(loaded) == expected and last_used == 123.0
    assert backend.get_setting("demo_session_id") == sid
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in check.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"sessions", "states", "settings", "quarantine"}
    check.close()
    # and it goes on working: a step after the migration survives a reopen
    store = SessionStore(backend=backend)
    with store.use(sid) as session:
        session.sgd_step()
    assert reloaded(path, sid) == export_session(store.get(sid))
    assert len(reloaded(path, sid)["history"]) == len(expected["history"]) + 1


def _wal_resets(wal) -> int:
    """The WAL header's checkpoint sequence number: one more each time the WAL starts over."""
    with open(wal, "rb") as f:
        return int.from_bytes(f.read(16)[12:16], "big")


def _wait_for_a_checkpoint(backend, timeout=30.0):
    before, deadline = backend.checkpoints, time.monotonic() + timeout
    while backend.checkpoints == before:
        assert time.monotonic() < deadline, "no complete checkpoint in 30 s"
        time.sleep(0.002)


def test_the_wal_is_checkpointed_in_the_background_and_stays_bounded(tmp_path):
    """SQLite's automatic checkpoint is off (it made one request in ~300 wait ~12 ms); the
    store's own thread checkpoints instead, so the WAL is reused instead of growing.
    How often its rounds come depends on the machine (a loaded CI box delays the fsync), so
    this waits for rounds rather than timing them: after each complete round the next write
    starts the WAL over, and so it holds at most what was written since the round before."""
    path = tmp_path / "sessions.db"
    backend = SqliteSessions(path, checkpoint_every=0.02)
    assert backend._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    store = SessionStore(backend=backend)
    sid = store.create(resolve_network_spec(SPEC)).id
    statements: list[str] = []
    backend._conn.set_trace_callback(statements.append)
    wal = path.with_name(path.name + "-wal")
    sizes, resets = [], [_wal_resets(wal)]
    for i in range(2000):
        with store.use(sid) as session:
            session.sgd_step()
        if i % 100 == 99:
            _wait_for_a_checkpoint(backend)
            with store.use(sid) as session:
                session.sgd_step()
            sizes.append(wal.stat().st_size)
            resets.append(_wal_resets(wal))
    assert not any("checkpoint" in s.lower() for s in statements)   # none on the request path
    # every complete round was followed by a write, which started the WAL over
    assert all(b > a for a, b in zip(resets, resets[1:])), resets
    # a step writes 2 pages of 4 KiB: at most ~200 steps since the round before, not 2000
    assert max(sizes) < 4 * 1024 * 1024, sizes
    backend.close()
    assert wal.stat().st_size == 0 if wal.exists() else True          # closed: truncated
    assert reloaded(path, sid) == export_session(store.get(sid))


def test_a_wal_grown_past_its_limit_is_cut_back_by_the_next_round(tmp_path):
    """A burst of writes longer than a round (a slow disk's fsync) grows the WAL past
    JOURNAL_SIZE_LIMIT; the write after the next complete round cuts it back to the limit."""
    path = tmp_path / "sessions.db"
    backend = SqliteSessions(path, checkpoint_every=3600)      # rounds only when called here
    store = SessionStore(backend=backend)
    sid = store.create(resolve_network_spec(SPEC)).id
    wal = path.with_name(path.name + "-wal")
    while wal.stat().st_size <= JOURNAL_SIZE_LIMIT + 1024 * 1024:
        for _ in range(100):
            with store.use(sid) as session:
                session.sgd_step()
    grown, resets = wal.stat().st_size, _wal_resets(wal)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert backend._checkpoint_round(conn) and backend.checkpoints == 1
    finally:
        conn.close()
    with store.use(sid) as session:
        session.sgd_step()
    assert _wal_resets(wal) == resets + 1
    assert wal.stat().st_size <= JOURNAL_SIZE_LIMIT < grown, (grown, wal.stat().st_size)
    backend.close()
    assert reloaded(path, sid) == export_session(store.get(sid))
