"""Undo history costs the garbage collector nothing per level: a session's 100 undo levels
are flat vectors and tuples of ints, not objects Python's full collections must scan (with
hundreds of sessions those made every full collection take tens of milliseconds: the p99
of bench/load.py). And the undo levels still give back exactly what they held."""
from __future__ import annotations

import gc

import numpy as np

from backprop_explorer.sessions import SessionStore
from backprop_explorer.sessions.presets import resolve_network_spec
from backprop_explorer.sessions.session import HISTORY_LEVELS


def _tracked() -> int:
    gc.collect()
    gc.collect()
    return len(gc.get_objects())


def test_a_hundred_undo_levels_add_no_tracked_objects():
    store = SessionStore()
    sid = store.create(resolve_network_spec({"preset": "lecture"})).id
    with store.use(sid) as session:
        session.sgd_step()                      # first step: whatever is made once is made
    before = _tracked()
    for _ in range(HISTORY_LEVELS + 20):
        with store.use(sid) as session:
            session.sgd_step()
    grown = _tracked() - before
    assert len(store.get(sid).history) == HISTORY_LEVELS
    assert grown < 20, f"{grown} more objects for the collector after {HISTORY_LEVELS} levels"


def test_undo_levels_give_back_what_they_held():
    store = SessionStore()
    sid = store.create(resolve_network_spec({"preset": "lecture"})).id
    seen = []
    for _ in range(5):
        with store.use(sid) as session:
            seen.append(([W.copy() for W, _ in session.weights], session.step, session.epoch))
            session.sgd_step()
    for weights, step, epoch in reversed(seen):
        with store.use(sid) as session:
            session.undo()
            assert session.step == step and session.epoch == epoch
            assert all(np.array_equal(W, W0) for (W, _), W0 in zip(session.weights, weights))
