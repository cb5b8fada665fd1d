"""Run a call on a session: inline on the event loop when it is small and the
session is free, otherwise in the thread pool.

A 2-2-1 step takes tens of microseconds; sending it to a worker thread costs
more than the work itself, so small calls on a free session run inline. A
busy session (e.g. a `train` in progress) or a big network goes to a thread,
where waiting for the lock never blocks the event loop. So does a session that is not
in memory: loading it (a big one takes seconds) happens in the thread, never on the loop.
A shared store (Redis) may find, on saving, that the local copy was older than another
process's change (`Stale`): nothing was applied, the copy was brought up to date, and the
call runs again inline (INLINE_TRIES times at most, then in a thread under the lock).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from ..sessions import Session, SessionStore, WouldBlock
from ..stores import Stale

T = TypeVar("T")
INLINE_MAX_PARAMETERS = 2_000
INLINE_MAX_ROWS = 2_500        # rows to predict (X or a grid) still cheap enough to run inline
INLINE_TRIES = 3               # inline runs of a call whose local copy was stale (Stale)


def _blocking(store: SessionStore, session_id: str, fn: Callable[[Session], T]) -> T:
    with store.use(session_id) as session:
        return fn(session)


async def on_session(store: SessionStore, session_id: str, fn: Callable[[Session], T],
                     inline: bool = True) -> T:
    live = store.peek(session_id)
    if inline and live is not None and live.arch.n_parameters <= INLINE_MAX_PARAMETERS:
        for _ in range(INLINE_TRIES):
            try:
                with store.use(session_id, blocking=False) as session:
                    return fn(session)
            except Stale:
                continue
            except WouldBlock:
                break
    return await run_in_threadpool(_blocking, store, session_id, fn)
