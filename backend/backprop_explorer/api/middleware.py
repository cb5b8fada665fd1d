"""ASGI middleware: refuse request bodies over the size limit (413) before reading them."""
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
                break
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(received)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge as exc:
            await self._refuse(send, f"more than {exc.args[0]}")


class BodyTooLarge(Exception):
    pass
