"""ASGI middleware: refuse request bodies over the size limit (413) before the app sees them.

With a Content-Length header the check is immediate. A chunked body is read
here, up to the limit, and replayed to the app only if it fits.
"""
from __future__ import annotations

import orjson


class BodySizeLimit:
    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send, size: str) -> None:
        body = orjson.dumps({"detail": f"max_body_bytes: the request body ({size} bytes) is over "
                                       f"the limit of {self.max_bytes} bytes"})
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                if not value.isdigit() or int(value) > self.max_bytes:
                    return await self._refuse(send, value.decode("latin-1")[:20])
                return await self.app(scope, receive, send)
        if scope.get("method") in ("GET", "HEAD", "DELETE", "OPTIONS"):
            return await self.app(scope, receive, send)
        # no Content-Length: buffer the (chunked) body up to the limit
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":   # client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return await self._refuse(send, f"more than {self.max_bytes}")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class SecurityHeaders:
    """Add security headers to every response: nosniff and no-referrer everywhere, and the
    Content-Security-Policy on everything but the JSON API."""

    def __init__(self, app, csp: str) -> None:
        self.app = app
        self.common = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
        self.page = [*self.common, (b"content-security-policy", csp.encode())]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = self.common if scope["path"].startswith("/api/") else self.page

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                message["headers"] = [*message.get("headers", ()),
                                      *(h for h in extra if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
