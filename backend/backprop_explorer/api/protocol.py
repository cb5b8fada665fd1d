"""Connection limits the ASGI app cannot enforce, because they act before (or while) a
request is read: the size of the request head, and how long a client may take to send it
and its body. Passed to uvicorn by server_options() (see __main__.py's uvicorn.run call).

- max_header_bytes: the request line and headers of one request; more is answered
  431 and the connection closed, as soon as the limit is crossed (httptools would
  otherwise buffer a 64 MB header, stalling every other client while it does).
- header_timeout: from a connection's first byte (or from its opening, for a connection
  that sends nothing) until the headers are in; then 408 and close.
- body_timeout: from the headers until the whole body is in; then 408 and close, so a
  half-sent body holds neither a worker nor a graceful shutdown.
- keep_alive_timeout, shutdown_timeout: uvicorn's own timeout_keep_alive and
  timeout_graceful_shutdown.

Under h11 (where httptools is missing) the header limit is h11's max incomplete event
size, and the two timeouts are not applied.
"""
from __future__ import annotations

import asyncio
from typing import Any

import orjson

from .config import Settings

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:      # pragma: no cover - httptools not installed: uvicorn uses h11
    HttpToolsProtocol = None  # type: ignore[assignment,misc]


def _raw_response(status: int, reason: str, detail: str) -> bytes:
    body = orjson.dumps({"detail": detail})
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


def bounded_protocol(settings: Settings) -> type:
    """An HttpToolsProtocol with the settings' head size limit and receive timeouts."""
    assert HttpToolsProtocol is not None
    max_head = settings.max_header_bytes
    header_timeout, body_timeout = settings.header_timeout, settings.body_timeout
    too_large = _raw_response(431, "Request Header Fields Too Large",
                              f"max_header_bytes: the request line and headers are over the "
                              f"limit of {max_head} bytes")
    head_late = _raw_response(408, "Request Timeout", f"header_timeout: the request headers "
                              f"did not arrive within {header_timeout:g} s")
    body_late = _raw_response(408, "Request Timeout", f"body_timeout: the request body did "
                              f"not arrive within {body_timeout:g} s")

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        _head_bytes = 0
        _awaiting_head = True     # the next bytes belong to a request line and headers
        _timer: asyncio.TimerHandle | None = None
        _received_any = False

        def _arm(self, delay: float, response: bytes | None) -> None:
            self._disarm()
            self._timer = self.loop.call_later(delay, self._late, response)

        def _disarm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _late(self, response: bytes | None) -> None:
            self._timer = None
            if self.transport.is_closing():
                return
            if response is not None and not (self.cycle and self.cycle.response_started):
                self.transport.write(response)
            self.transport.close()

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm(header_timeout, None)       # a connection that never sends anything

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._awaiting_head:
                end = data.find(b"\r\n\r\n")
                size = self._head_bytes + (len(data) if end < 0 else end)
                if size > max_head:
                    self._disarm()
                    self._awaiting_head = False
                    self.transport.write(too_large)
                    self.transport.close()
                    return
                self._head_bytes = size
                if self._timer is None or not self._received_any:
                    self._arm(header_timeout, head_late)
                self._received_any = True
            super().data_received(data)

        def on_headers_complete(self) -> None:
            self._awaiting_head = False
            self._head_bytes = 0
            self._arm(body_timeout, body_late)
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._disarm()
            self._awaiting_head = True            # what comes next is the next request
            super().on_message_complete()

    return BoundedHttpToolsProtocol


def server_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for uvicorn.run / uvicorn.Config."""
    options: dict[str, Any] = {
        "timeout_keep_alive": settings.keep_alive_timeout,
        "timeout_graceful_shutdown": settings.shutdown_timeout,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
    }
    if HttpToolsProtocol is not None:
        options["http"] = bounded_protocol(settings)
    return options
