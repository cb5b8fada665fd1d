"""`--workers N`: N server processes on one port, each accepting on a listening socket of
its own (SO_REUSEPORT), so the kernel spreads new connections over the workers.

uvicorn's supervisor hands every worker the one socket it bound; on it, the worker whose
event loop wakes first accepts every pending connection (libuv accepts until the queue is
empty), so a burst of connections — 32 browsers at a class's start, a load generator —
can all land on one worker while the others idle (measured: all 32 of wrk's connections
on one of 2 workers). Here the supervisor binds nothing: each worker (uvicorn's Process,
so the supervisor still restarts a dead one and checks their health) binds host:port
with SO_REUSEPORT before serving. Where the system has no SO_REUSEPORT, uvicorn's own
shared socket is used."""
from __future__ import annotations

import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import multiprocess


def reuse_port_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


class ReusePortProcess(multiprocess.Process):
    """A uvicorn worker that serves on a SO_REUSEPORT socket of its own."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # in the worker
        super().target([reuse_port_socket(self.config.host, self.config.port)])


def serve(app: str, workers: int, host: str, port: int, **options: Any) -> None:
    """uvicorn.run(app, factory=True, workers=…), one listening socket per worker."""
    if not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(app, factory=True, workers=workers, host=host, port=port, **options)
        return
    config = uvicorn.Config(app, factory=True, workers=workers, host=host, port=port, **options)
    multiprocess.Process = ReusePortProcess  # type: ignore[misc]   # what Multiprocess starts
    multiprocess.Multiprocess(config, sockets=[]).run()
