"""Run a call on a session: inline on the event loop when it is small and the
session is free, otherwise in the thread pool.

A 2-2-1 step takes tens of microseconds; sending it to a worker thread costs
more than the work itself, so small calls on a free session run inline. A
busy session (e.g. a `train` in progress) or a big network goes to a thread,
where waiting for the lock never blocks the event loop. So does a session that is not
in memory: loading it (a big one takes seconds) happens in the thread, never on the loop.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from ..sessions import Session, SessionStore, WouldBlock

T = TypeVar("T")
INLINE_MAX_PARAMETERS = 2_000
INLINE_MAX_ROWS = 2_500        # rows to predict (X or a grid) still cheap enough to run inline


def _blocking(store: SessionStore, session_id: str, fn: Callable[[Session], T]) -> T:
    with store.use(session_id) as session:
        return fn(session)


async def on_session(store: SessionStore, session_id: str, fn: Callable[[Session], T],
                     inline: bool = True) -> T:
    live = store.peek(session_id)
    if inline and live is not None and live.arch.n_parameters <= INLINE_MAX_PARAMETERS:
        try:
            with store.use(session_id, blocking=False) as session:
                return fn(session)
        except WouldBlock:
            pass
    return await run_in_threadpool(_blocking, store, session_id, fn)
