"""The inline path on Redis (api/run.py → store.use(blocking=False)): the call runs on the
process's local copy and one script (COMMIT) saves it only if that copy was the stored
version, no process holds the session's lock and nobody follows the session. Two stores on
one real redis-server stand for two server processes."""
from __future__ import annotations

import random

import numpy as np
import pytest
from test_shared_store import SPEC, flat, step, two_stores

from backprop_explorer.api.run import on_session
from backprop_explorer.sessions import Session, WouldBlock
from backprop_explorer.stores import Stale
from event_loops import run_coroutine


def inline_step(store, sid: str) -> int:
    with store.use(sid, blocking=False) as s:
        s.sgd_step()
        return s.step


def stored(store, sid: str) -> tuple[int, int]:
    """(v, undo levels) as Redis has them."""
    return (int(store.r.hget(store.conn.key(sid), "v")),
            int(store.r.llen(store.conn.key(sid, "undo"))))


def test_a_stale_copy_is_not_saved_then_runs_again_up_to_date(redis_server):
    a, b = two_stores(redis_server.url)
    sid = a.create(SPEC).id
    assert b.get(sid).step == 0                      # B has a copy, at version 1
    assert inline_step(a, sid) == 1                  # A's change: B's copy is now stale
    before = stored(a, sid)
    with pytest.raises(Stale):
        inline_step(b, sid)                          # ran on step 0's weights: refused
    assert stored(a, sid) == before                  # nothing written
    assert b.peek(sid).step == 1                     # B's copy brought up to date
    assert flat(b.peek(sid)) == flat(a.get(sid))
    assert inline_step(b, sid) == 2                  # run again: applied, once
    assert stored(a, sid) == (before[0] + 1, 2)
    with a.use(sid) as s:                            # A sees B's step
        assert s.step == 2 and len(s.history) == 2


def test_often_stale_copies_are_brought_up_to_date_before_the_call(redis_server):
    a, b = two_stores(redis_server.url)
    sid = a.create(SPEC).id
    b.get(sid)
    inline_step(a, sid)                              # B's copy is stale
    b.stale_rate = 1.0                               # (as after many stale tries)
    calls = []
    real = b._commit_script
    b._commit_script = lambda keys, args: calls.append(1) or real(keys=keys, args=args)
    assert inline_step(b, sid) == 2                  # no Stale: PEEK updated it first
    assert calls == [1] and stored(a, sid) == (3, 2)
    assert flat(b.peek(sid)) == flat(a.get(sid))
    assert b.stale_rate == 1.0                       # it was stale (found by PEEK)
    for _ in range(40):
        inline_step(b, sid)                          # these were not: back to optimistic
    assert b.stale_rate < 0.25


def test_a_lock_held_elsewhere_or_a_follower_sends_the_change_to_the_lock_path(redis_server):
    a, b = two_stores(redis_server.url)
    sid = a.create(SPEC).id
    inline_step(a, sid)
    weights = flat(a.peek(sid))
    lock = a.conn.key(sid, "lock")
    a.r.set(lock, "another-process", px=5000)
    with pytest.raises(WouldBlock) as caught:
        inline_step(a, sid)
    assert not isinstance(caught.value, Stale)
    assert a.peek(sid).step == 1 and flat(a.peek(sid)) == weights     # rolled back
    assert stored(a, sid) == (2, 1)
    a.r.delete(lock)
    a.r.set(a.conn.key(sid, "watched"), b"1", px=5000)                 # an SSE subscriber
    with pytest.raises(WouldBlock):
        inline_step(a, sid)
    assert stored(a, sid) == (2, 1)
    step(a, sid)                                      # the lock path (publishes its event)
    assert stored(a, sid) == (3, 2) and a.peek(sid).step == 2


def test_a_resent_commit_reports_its_own_write_and_writes_nothing_more(redis_server):
    a, _ = two_stores(redis_server.url)
    sid = a.create(SPEC).id
    sent: list = []
    real = a._commit_script

    def twice(keys, args):               # the reply is lost; the client sends it again
        sent.append(args)
        real(keys=keys, args=args)
        return real(keys=keys, args=args)
    a._commit_script = twice
    assert inline_step(a, sid) == 1
    assert len(sent) == 1 and stored(a, sid) == (2, 1)        # one write, one undo level
    assert a.peek(sid).step == 1


def test_two_processes_stepping_at_random_equal_the_same_steps_in_one(redis_server):
    """400 inline steps spread at random over two stores (every other one stale): each
    applied exactly once, bit for bit the sequential result."""
    a, b = two_stores(redis_server.url)
    sid = a.create(SPEC).id
    b.get(sid)
    reference = Session.create("reference", SPEC)
    rng = random.Random(7)
    calls = {a: 0, b: 0}
    for store in (a, b):
        def counted(keys, args, store=store, real=store._commit_script):
            calls[store] += 1
            return real(keys=keys, args=args)
        store._commit_script = counted

    def run(s):
        r = s.sgd_step()
        return r.example_index, r.loss_after

    async def go():
        losses = []
        for _ in range(400):
            losses.append(await on_session(rng.choice((a, b)), sid, run))
        return losses
    losses = run_coroutine(go())
    assert calls[a] > 100 and calls[b] > 100 and sum(calls.values()) > 400   # stale ones ran again
    assert a.stale_rate > 0.25 and b.stale_rate > 0.25      # so they PEEK first by now
    expected = [(r.example_index, r.loss_after)
                for r in (reference.sgd_step() for _ in range(400))]
    assert losses == expected
    assert a.get(sid).step == 400 and b.get(sid).step == 400
    assert np.array_equal(np.array(flat(a.get(sid))), np.array(flat(reference)))
    assert stored(a, sid) == (401, 100)       # 400 saves; the undo list capped at 100


def test_every_key_keeps_its_time_to_live_when_writes_skip_the_refresh(redis_server):
    """Inline writes refresh the keys' TTL at most every touch_every s; an undo list that a
    write creates anew (after every level was undone) gets one at once."""
    a, _ = two_stores(redis_server.url)
    sid = a.create(SPEC).id
    h, undo = a.conn.key(sid), a.conn.key(sid, "undo")
    inline_step(a, sid)
    with a.use(sid) as s:
        s.undo()
    assert not a.r.exists(undo)                       # emptied: Redis removed the list
    a._touched[sid] = a.clock()                       # refreshed just now: no PEXPIRE due
    a.r.persist(h)
    assert inline_step(a, sid) == 1
    assert a.r.pttl(undo) > 0                         # the new list expires
    assert a.r.pttl(h) == -1                          # (not refreshed: not due)
    a._touched[sid] = float("-inf")                   # due again
    inline_step(a, sid)
    assert 0 < a.r.pttl(h) <= a._ttl_ms and 0 < a.r.pttl(undo) <= a._ttl_ms
