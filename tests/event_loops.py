"""Running a coroutine from a test. A pytest-xdist worker that has run a Playwright test keeps
that test's event loop running in its main thread, where asyncio.run() (and uvloop.run())
refuse to start, so tests run theirs on a thread of their own."""
from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any


def in_own_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args) on a fresh thread (no running event loop there); its result or exception."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def run_coroutine(coroutine: Any) -> Any:
    """asyncio.run(coroutine) on a thread of its own."""
    return in_own_thread(asyncio.run, coroutine)
