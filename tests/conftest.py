"""Shared fixtures: a real server on a free loopback port, stopped by its own pid.

How the suite runs fast (read this before adding a test that starts anything)
---------------------------------------------------------------------------
`make test` runs pytest with pytest-xdist (`-n 4 --dist loadgroup`, see the Makefile): four
worker processes, each with its own browser, its own `live_server` and its own tmp_path
folders. A process start costs seconds here (imports, numba's cached kernels), so:

* Prefer an in-process app: the `api`/`h` fixtures (tests/api/conftest.py), `make_client`
  (tests/reliability/conftest.py) or `TestClient(create_app(Settings(...)))` — no process.
* Need real HTTP, a browser or the CLI's server? Use `live_server` (one `--memory` server per
  worker, shared by every test on it): make your own sessions and never count the server's
  sessions or assume you are alone on it.
* Only settings `live_server` lacks (flags, a data folder, restarts, kills) justify
  `make_server(...)`; one server per module (a module-scoped fixture built on `LiveServer`)
  is cheaper when several tests can share it safely.
* A module whose tests share expensive module-scoped state or depend on each other's
  results (tests/reliability/test_schemathesis.py) sets
  `pytestmark = pytest.mark.xdist_group("<name>")`: `--dist loadgroup` then runs the whole
  module on one worker, in order.
* Tests that start processes or browsers are handed out first (pytest_collection_modifyitems
  below), so the long ones overlap the many short in-process ones instead of ending the run.
* Ports come from the kernel (`free_port`), never fixed; a port taken by someone else
  between choosing it and binding it is retried with another one (LiveServer.start).
* No sleeps waiting for something to happen: wait for the condition (wait_until_serving,
  Playwright's expect).
"""
from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from backprop_explorer.client import wait_until_serving

REPO = Path(__file__).resolve().parent.parent


# ----- xdist: warm the kernels once, hand out the long tests first -------------------------
def pytest_configure(config: pytest.Config) -> None:
    """In the main process, before any worker or server starts: compile numba's kernels, or
    load their cached compilation (engine/compiled.py, cache=True). On a clean clone that is
    one compilation (~20 s of CPU) instead of one in every worker and in every server
    process that starts before the cache exists. BPE_COMPILED=0 makes it a no-op."""
    if not hasattr(config, "workerinput"):
        from backprop_explorer.engine import compiled
        compiled.warm_up()


#: tests that start processes or browsers: they wait more than they compute, so they go
#: first and the short in-process tests fill the gaps (and the run does not end on them)
HEAVY_FIXTURES = {"page", "context", "browser", "make_server", "live_server", "tmpfs"}
HEAVY_FOLDERS = {"e2e", "storage", "bench", "redis"}
HEAVY_MODULES = {"test_settings.py", "test_examples.py", "test_readme_tour.py",
                 "test_suite_servers.py"}


def _heavy(item: pytest.Item) -> bool:
    parts = item.path.parts[len((REPO / "tests").parts):]
    return (bool(HEAVY_FIXTURES.intersection(getattr(item, "fixturenames", ())))
            or bool(parts) and (parts[0] in HEAVY_FOLDERS or parts[-1] in HEAVY_MODULES))


def _set_id(item: pytest.Item, nodeid: str) -> None:
    if hasattr(item, "_id"):       # pytest >= 9 keeps the id as a structured NodeId
        from _pytest.nodeid import NodeId
        item._id = NodeId.parse(nodeid)
    else:
        item._nodeid = nodeid


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """1. Every test id unique: schemathesis names all its per-operation tests
    `test_api_conforms_to_its_schema`, and xdist, which hands tests out by id, would run
    only one of them; they get their name with the operation instead.
    2. Under --dist loadgroup: a test marked xdist_group gets "@<group>" after its id, which
    is how xdist's scheduler groups tests (xdist 3.8 writes it to `item._nodeid`, which
    pytest 9 no longer reads, so it is done here; done twice it still names one group).
    3. Under xdist only (every worker sorts the same way): the modules with a heavy test
    first, then the rest; within each part the modules that took longest in the last run
    first (their seconds are kept in pytest's cache, see module_seconds), so a long module
    does not start near the end and end the run last; without a record (a clean clone),
    collection order. The tests inside a module keep their order (the scheduler hands out
    the xdist_group groups before everything else anyway)."""
    seen: dict[str, int] = {}
    for item in items:
        seen[item.nodeid] = seen.get(item.nodeid, 0) + 1
    for item in items:
        if seen[item.nodeid] > 1 and item.parent is not None:
            _set_id(item, f"{item.parent.nodeid}::{item.name}")
    assert len({item.nodeid for item in items}) == len(items), "two tests with one id"
    if getattr(config.option, "loadgroup", False):
        for item in items:
            groups = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                             for mark in item.iter_markers("xdist_group")})
            if groups:
                _set_id(item, f"{item.nodeid}@{'_'.join(groups)}")
    if hasattr(config, "workerinput"):
        heavy = {item.path for item in items if _heavy(item)}
        cache = getattr(config, "cache", None)      # None under -p no:cacheprovider
        seconds = cache.get(_seconds_key(), {}) if cache else {}
        items.sort(key=lambda item: (item.path not in heavy,
                                     -seconds.get(item.nodeid.split("::", 1)[0], 0.0)))


# ----- each module's seconds in the last run, for the order above --------------------------
def _seconds_key() -> str:
    """One record per kind of run (make test's second run has other modules and times)."""
    return ("bpe/module_seconds/" + os.environ.get("BPE_COMPILED", "1") + "-"
            + os.environ.get("BPE_TEST_STORE", "memory"))


_module_seconds: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """In the main process (with xdist the controller, which sees every worker's reports):
    setup + call + teardown seconds of each module."""
    module = report.nodeid.split("::", 1)[0]
    _module_seconds[module] = _module_seconds.get(module, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    cache = getattr(config, "cache", None)          # None under -p no:cacheprovider
    if hasattr(config, "workerinput") or not cache or not _module_seconds:
        return
    key = _seconds_key()     # the modules this run did not run keep their last record
    cache.set(key, {**cache.get(key, {}),
                           **{m: round(t, 2) for m, t in _module_seconds.items()}})


_PR_SET_PDEATHSIG = 1
try:
    _libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
except OSError:     # pragma: no cover
    _libc = None


def die_with_parent() -> None:
    """For Popen(preexec_fn=...): the child gets SIGKILL when the test process that started
    it ends in any way (killed by pytest-timeout, ^C twice, an xdist worker lost), so no
    server outlives a killed run holding its port, its data folder or a CPU. (Linux
    prctl(PR_SET_PDEATHSIG); elsewhere a no-op. Popen is called from the test's own
    thread, whose end is what the kernel watches: the servers are started in the main
    thread.)"""
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A `python -m backprop_explorer` child process on 127.0.0.1."""

    def __init__(self, *extra_args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [sys.executable, "-m", "backprop_explorer", "--host", "127.0.0.1",
                     "--port", str(self.port), *extra_args]
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.log_path = REPO / "test-artifacts" / f"server-{self.port}.log"

    def _use_port(self, port: int) -> None:
        old = self.port
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.args[self.args.index("--port") + 1] = str(port)
        self.log_path = self.log_path.with_name(self.log_path.name.replace(str(old), str(port)))

    def start(self, timeout: float = 90.0, tries: int = 3) -> LiveServer:
        self.log_path.parent.mkdir(exist_ok=True)
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=self.env, cwd=REPO,
                                     preexec_fn=die_with_parent)
        try:
            wait_until_serving(self.url, self.proc, timeout)
        except ChildProcessError:
            text = self.log_path.read_text()
            # another process (a parallel worker, another checkout's tests) took the free
            # port between free_port() and the server's bind: the same start on another one
            if f"port {self.port} is in use" in text and tries > 1:
                self._use_port(free_port())
                return self.start(timeout, tries - 1)
            raise RuntimeError(f"server exited early:\n{text}") from None
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"server did not answer in {timeout}s:\n"
                               f"{self.log_path.read_text()}") from None
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture(scope="session")
def live_server():
    """One in-memory server for the whole test session (per xdist worker); yields its base
    URL. A generous start timeout: if it failed, every test of the worker that uses it would
    fail with it (and the workers start theirs at the same moment)."""
    server = LiveServer("--memory").start(timeout=300)
    yield server.url
    server.stop()


def _server_factory():
    servers: list[LiveServer] = []

    def factory(*args: str, env: dict[str, str] | None = None) -> LiveServer:
        server = LiveServer(*args, env=env)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop(signal.SIGKILL)


@pytest.fixture
def make_server():
    """Factory for extra servers (restart tests); all are stopped at the end."""
    yield from _server_factory()


@pytest.fixture(scope="module")
def make_module_server():
    """make_server for module-scoped fixtures: one server (or one restart) that several
    tests of a module check; all are stopped when the module ends."""
    yield from _server_factory()
