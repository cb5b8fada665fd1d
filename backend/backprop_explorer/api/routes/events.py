"""GET /api/sessions/{id}/events: the session's state after every change, as Server-Sent
Events with a sequence number (`id:`), so every open page on a session stays in step.
A reconnect with Last-Event-ID resumes without losing an event (or, if more was missed
than the server keeps, starts again from a fresh snapshot marked "resync")."""
from __future__ import annotations

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from ...live import EventHub
from ...live.hub import TooManySubscribers
from ...sessions import LimitReached
from .. import schemas
from ..serialize import dumps, session_state

router = APIRouter(prefix="/api/sessions", tags=["events"])
HEARTBEAT = 15.0          # seconds between keep-alive comments
RETRY_MS = 1000           # the browser's reconnect delay


def frame(seq: int, name: str, data: bytes) -> bytes:
    """One SSE event; `data` is JSON already (encoded when the change was made, under the
    session's lock, so it is the state as it was then)."""
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (seq, name.encode(), data)


def _last_id(header: str | None, query: str | None) -> int | None:
    raw = header if header is not None else query
    try:
        value = int(raw) if raw is not None else None
    except ValueError:
        return None
    return value if value is not None and 0 <= value < 2**62 else None


@router.get("/{session_id}/events", responses={
    200: {"content": {"text/event-stream": {}},
          "description": "events `state` {seq, state, resync} and `deleted`"},
    404: {"model": schemas.ErrorDetail, "description": "unknown session"}})
async def session_events(session_id: str, request: Request,
                         last_event_id: str | None = Header(None),
                         last: str | None = None):
    """The session's state now (event `state`), then after every change (step, train
    chunk, undo, new weights, settings), each with its sequence number as the event id.
    `Last-Event-ID` (or `?last=`) resumes after that event."""
    store, hub = request.app.state.store, request.app.state.events
    store.get(session_id)                                    # 404 before streaming
    try:
        sub = hub.open(session_id, _last_id(last_event_id, last))
    except TooManySubscribers as exc:
        raise LimitReached("subscribers", str(exc)) from None

    def snapshot(resync: bool) -> tuple[int, bytes]:
        with store.use(session_id) as s:                     # no change can interleave
            seq = hub.seq(session_id)
            return seq, frame(seq, "state", dumps({"seq": seq, "resync": resync,
                                                   "state": session_state(s)}))

    async def stream():
        sent = -1
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            if sub.missed is None or (sub.missed == [] and _last_id(last_event_id, last) is None):
                sent, first = snapshot(sub.missed is None and
                                       _last_id(last_event_id, last) is not None)
                yield first
            else:
                for e in sub.missed:
                    sent = e.seq
                    yield frame(e.seq, e.name, e.data)
            while True:
                item = await sub.next(HEARTBEAT)
                if item is False:
                    if await request.is_disconnected():
                        return
                    yield b": keep-alive\n\n"
                elif item is None:
                    if sub.closed:
                        return
                    sent, data = snapshot(True)
                    yield data
                elif item.seq > sent:
                    sent = item.seq
                    yield frame(item.seq, item.name, item.data)
                    if item.name == "deleted":
                        return
        finally:
            sub.close()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def publish_change(hub: EventHub):
    """The session store's on_change hook: the new state, if anyone watches the session."""
    def hook(session) -> None:
        if hub.watched(session.id):
            hub.publish(session.id, "state", lambda seq: dumps(
                {"seq": seq, "resync": False, "state": session_state(session)}))
    return hook
