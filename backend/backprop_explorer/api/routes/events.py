"""GET /api/sessions/{id}/events: the session's state after every change, as Server-Sent
Events with a sequence number (`id:`), so every open page on a session stays in step.
A reconnect with Last-Event-ID resumes without losing an event (or, if more was missed
than the server keeps, starts again from a fresh snapshot marked "resync").

`sse_response` is the one stream loop of every SSE route (this one and the class events in
classes.py), on either event hub: the in-process one (live/hub.py) or the shared one
(redisstore/events.py), where the events are in Redis and a reconnect may reach any
server process."""
from __future__ import annotations

from collections.abc import Callable, Collection

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

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


async def subscribe(hub, topic: str, last_seq: int | None):
    """The hub's subscription, or 429 when the topic has all the subscribers it may."""
    try:
        return await hub.subscribe(topic, last_seq)
    except TooManySubscribers as exc:
        raise LimitReached("subscribers", str(exc)) from None


def sse_response(request: Request, sub, last_seq: int | None,
                 snapshot: Callable[[bool], tuple[int, list[bytes]]],
                 ends: Collection[str], gone: Callable[[], bool] = lambda: False
                 ) -> StreamingResponse:
    """Stream `sub`'s events: first what was missed since `last_seq` (or a snapshot: its
    sequence number and frames, made in the thread pool under the lock of what it shows,
    marked resync when the missed events are no longer kept), then every new event once,
    a keep-alive comment every HEARTBEAT seconds; an event named in `ends` is the last."""
    async def stream():
        sent = -1
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            if sub.missed is None or (sub.missed == [] and last_seq is None):
                sent, frames = await run_in_threadpool(
                    snapshot, sub.missed is None and last_seq is not None)
                for f in frames:
                    yield f
            else:
                for e in sub.missed:
                    sent = e.seq
                    yield frame(e.seq, e.name, e.data)
                    if e.name in ends:
                        return
            while True:
                item = await sub.next(HEARTBEAT)
                if item is False:
                    if await request.is_disconnected():
                        return
                    yield b": keep-alive\n\n"
                elif item is None:
                    if sub.closed or gone():
                        return
                    sent, frames = await run_in_threadpool(snapshot, True)
                    for f in frames:
                        yield f
                elif item.seq > sent:
                    sent = item.seq
                    yield frame(item.seq, item.name, item.data)
                    if item.name in ends:
                        return
        finally:
            sub.close()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


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
    if store.peek(session_id) is None:
        await run_in_threadpool(store.get, session_id)       # 404 before streaming
    else:
        store.get(session_id)
    last_seq = _last_id(last_event_id, last)
    sub = await subscribe(hub, session_id, last_seq)

    def snapshot(resync: bool) -> tuple[int, list[bytes]]:
        with store.use(session_id) as s:                     # no change can interleave
            seq = hub.seq(session_id)
            return seq, [frame(seq, "state", dumps({"seq": seq, "resync": resync,
                                                    "state": session_state(s)}))]

    return sse_response(request, sub, last_seq, snapshot, ends=("deleted",))


def publish_change(hub):
    """The session store's on_change hook: the new state, if anyone watches the session."""
    def hook(session) -> None:
        hub.publish(session.id, "state", lambda seq: dumps(
            {"seq": seq, "resync": False, "state": session_state(session)}))
    return hook
