"""Live classes (issue 15): the teacher opens a class on a session; students join with the
code and follow the session, the phase and the questions over Server-Sent Events; the
teacher asks, sees the answers come in, reveals, asks again, downloads the CSV.

Tokens: `Authorization: Bearer <token>` or `?token=` (EventSource sends no headers).
Teacher routes refuse a student's token or none with 403. A student never sees the
teacher's session id: the `state` event carries the session's state without it."""
from __future__ import annotations

import asyncio
import csv
import io
import logging
import time
from typing import Any, cast

import segno
from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response

from ... import engine
from ...classroom import MAX_STUDENTS, Class, ClassRoom, Forbidden, Question, Role, TooManyWrongCodes
from ...engine import InputError
from ...exercises.blanks import make_blank
from ...live import EventHub
from ...sessions.session import Session
from .. import class_schemas as cs
from .. import schemas
from ..serialize import dumps, json_response, session_state, step_trace
from .events import _last_id, frame, sse_response, subscribe
from .exercises import engine_errors

log = logging.getLogger("backprop_explorer")
Responses = dict[int | str, dict[str, Any]]
router = APIRouter(prefix="/api/classes", tags=["classes"],
                   responses=cast(Responses, schemas.COMMON_ERRORS))
JOIN_PATH = "/class.html"        # the students' page; join_url = JOIN_PATH?code=<code>
SWEEP_EVERY = 30.0               # seconds between idle-class sweeps

FORBIDDEN: Responses = {403: {"model": schemas.ErrorDetail,
                   "description": "no token, or not this class's teacher (student) token"}}
NOT_FOUND: Responses = {404: {"model": schemas.ErrorDetail, "description": "unknown or ended class"}}
TEACHER: Responses = {**FORBIDDEN, **NOT_FOUND}


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.query_params.get("token")


def _room(request: Request) -> ClassRoom:
    return request.app.state.classes


def _teacher(request: Request, class_id: str) -> Class:
    return _room(request).member(class_id, _token(request), Role.teacher)[0]


def _join_url(code: str) -> str:
    return f"{JOIN_PATH}?code={code}"


# ---- opening, joining, closing ----
@router.post("", status_code=201, response_model=cs.ClassOut,
             responses={404: {"model": schemas.ErrorDetail, "description": "unknown session"},
                        429: {"model": schemas.ErrorDetail, "description": "max_classes reached"}})
def open_class(body: cs.ClassBody, request: Request):
    """Open a class on a session: its join code, the teacher's token (keep it: every teacher
    call needs it) and the students' join page."""
    cls = _room(request).open(body.session_id)
    return json_response({"id": cls.id, "code": cls.code, "teacher_token": cls.teacher_token,
                          "join_url": _join_url(cls.code)}, 201)


@router.post("/join", status_code=201, response_model=cs.JoinOut,
             responses={404: {"model": schemas.ErrorDetail, "description": "no class has this code"},
                        429: {"model": schemas.ErrorDetail,
                              "description": "too many wrong codes from this address "
                                             "(Retry-After), or the class is full"}})
def join_class(body: cs.JoinBody, request: Request):
    """Join with the code (case and spaces do not matter) and an optional nickname."""
    client = request.client.host if request.client else "unknown"
    try:
        cls, student = _room(request).join(body.code, body.name, client)
    except TooManyWrongCodes as exc:
        return JSONResponse(status_code=429, content={"detail": str(exc)},
                            headers={"Retry-After": str(exc.retry_after)})
    return json_response({"class_id": cls.id, "student_id": student.id,
                          "student_token": student.token}, 201)


@router.delete("/{class_id}", status_code=204, responses=TEACHER)
def close_class(class_id: str, request: Request):
    """End the class: every member receives `closed`; the code stops working."""
    room = _room(request)
    room.end(_teacher(request, class_id), "closed_by_teacher")
    return Response(status_code=204)


@router.get("/{class_id}", response_model=cs.ClassView, responses={**FORBIDDEN, **NOT_FOUND})
def get_class(class_id: str, request: Request):
    """The class as the token's holder may see it: the teacher also gets the session id and
    every question; a student their own answer (right or not once revealed)."""
    room = _room(request)
    cls, role, student = room.member(class_id, _token(request))
    return json_response(room.view(cls, role, student))


@router.get("/{class_id}/qr.svg", responses={200: {"content": {"image/svg+xml": {}}}, **TEACHER})
def qr_code(class_id: str, request: Request):
    """A QR code (SVG, made here: no network) of the join page's full URL as this request
    reached the server, for the projector."""
    cls = _teacher(request, class_id)
    url = str(request.base_url).rstrip("/") + _join_url(cls.code)
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=8, border=2, xmldecl=False,
                                    title=f"Join the class: {url}")
    return Response(buf.getvalue(), media_type="image/svg+xml",
                    headers={"Cache-Control": "no-store"})


# ---- the teacher's pace ----
@router.post("/{class_id}/phase", responses=TEACHER)
def set_phase(class_id: str, body: cs.PhaseBody, request: Request):
    """The phase (micro-step) the teacher shows; every member receives `state`."""
    room = _room(request)
    cls = _teacher(request, class_id)
    room.set_phase(cls, body.phase)
    return json_response({"phase": cls.phase})


# ---- questions ----
@router.post("/{class_id}/questions", status_code=201, response_model=cs.QuestionOut,
             responses={**TEACHER, 409: {"model": schemas.ErrorDetail,
                                         "description": "the session has no dataset"},
                        429: {"model": schemas.ErrorDetail, "description": "max_questions"}})
def ask(class_id: str, body: cs.QuestionBody, request: Request):
    """Ask a value of the step on the session's next example (as exercise mode's blanks) or
    "click the weight with the largest |∂L/∂w|"; every member receives `question`."""
    room = _room(request)
    cls = _teacher(request, class_id)
    q = room.ask(cls, lambda qid, s: make_question(qid, s, body))
    return json_response({"question_id": q.id}, 201)


def make_question(qid: str, s: Session, body: cs.QuestionBody) -> Question:
    arch = s.arch
    ds = s.require_dataset("take the question's example from")
    k = s.next_index()
    assert k is not None
    x, y = ds.data.X[k], ds.targets[k]
    weights = engine.Parameters.view(engine.Parameters.pack(s.weights).flat.copy(), arch.shapes)
    common = dict(arch=arch, weights=weights, learning_rate=s.gamma(), x=x, y=y,
                  example_index=k, step=s.step, rtol=body.rtol, atol=body.atol)
    with engine_errors():
        if body.blank is None:
            return Question(qid, "pick_weight", **common)
        b = body.blank
        layer, unit, i, j = _check_blank(arch, b, weights, x, y)
        return Question(qid, "blank", **common,
                        blank=make_blank(arch, weights, s.gamma(), x, y, b.quantity,
                                         layer, unit, i, j))


def _check_blank(arch: engine.Architecture, b: cs.BlankSpec, weights, x, y):
    if b.quantity == "loss":
        for name in ("layer", "unit", "i", "j"):
            if getattr(b, name) is not None:
                raise InputError(f"blank.{name}", "the loss L has no layer or unit")
        return None, None, None, None
    if b.layer is None:
        raise InputError("blank.layer", "required (0-based over the non-input layers)")
    if b.layer >= len(arch.shapes):
        raise InputError("blank.layer", f"this network has layers 0 to {len(arch.shapes) - 1}")
    n_in, n_out = arch.shapes[b.layer]
    if b.quantity in ("dL_dW", "W_after"):
        if b.unit is not None:
            raise InputError("blank.unit", "a weight is given by i and j, not unit")
        if b.i is None or b.i >= n_in:
            raise InputError("blank.i", f"required: a unit 0 to {n_in - 1} of the layer below")
        if b.j is None or b.j >= n_out:
            raise InputError("blank.j", f"required: a unit 0 to {n_out - 1} of layer {b.layer}")
        return b.layer, None, b.i, b.j
    for name in ("i", "j"):
        if getattr(b, name) is not None:
            raise InputError(f"blank.{name}", f"{b.quantity} belongs to a unit: give unit")
    if b.unit is None or b.unit >= n_out:
        raise InputError("blank.unit", f"required: a unit 0 to {n_out - 1} of layer {b.layer}")
    if b.quantity == "da_ds" and engine.backward(arch, weights, x, y).grads[b.layer].da_ds is None:
        raise InputError("blank.quantity", "this layer's f′(s) is not a separate value here "
                         "(the loss folds it into δ)")
    return b.layer, b.unit, None, None


@router.post("/{class_id}/questions/{question_id}/answers", response_model=cs.AnswerOut,
             responses={**FORBIDDEN, **NOT_FOUND,
                        409: {"model": schemas.ErrorDetail,
                              "description": "revealed, or not the current question"}})
async def answer(class_id: str, question_id: str, body: cs.AnswerBody, request: Request):
    """A student's answer: {"value"} for a blank, {"weight": {"layer", "i", "j"}} for
    pick_weight. One per student and round: a new one replaces the old until the reveal.
    Nothing about right or wrong is said before the reveal."""
    room = _room(request)
    cls, _, student = room.member(class_id, _token(request), Role.student)
    assert student is not None
    w = body.weight
    room.answer(cls, question_id, student, body.value,
                None if w is None else (w.layer, w.i, w.j))
    q = cls.question(question_id)
    return json_response({"question_id": q.id, "round": q.round, "accepted": True})


@router.get("/{class_id}/questions/{question_id}/results", response_model=cs.ResultsOut,
            responses=TEACHER)
def results(class_id: str, question_id: str, request: Request):
    """The current round: answered, how many right, the histogram (or clicks per weight),
    the diagnoses with counts; the expected answer once revealed. Teacher only."""
    cls = _teacher(request, class_id)
    with cls.lock:
        return json_response(cls.question(question_id).results())


@router.post("/{class_id}/questions/{question_id}/reveal", response_model=cs.ResultsOut,
             responses=TEACHER)
def reveal(class_id: str, question_id: str, request: Request):
    """Show the answer: everyone receives `reveal` (the right bin marked, diagnoses with
    counts; anonymous). Answers are closed until the teacher asks again."""
    room = _room(request)
    cls = _teacher(request, class_id)
    with cls.lock:
        return json_response(room.reveal(cls, question_id).results())


@router.post("/{class_id}/questions/{question_id}/reopen", status_code=201,
             response_model=cs.QuestionOut, responses=TEACHER)
def reopen(class_id: str, question_id: str, request: Request):
    """Ask again (after discussion): a new round; the old rounds' answers stay for the CSV."""
    room = _room(request)
    cls = _teacher(request, class_id)
    q = room.reopen(cls, question_id)
    return json_response({"question_id": q.id, "round": q.round}, 201)


@router.get("/{class_id}/answers.csv", responses={200: {"content": {"text/csv": {}}}, **TEACHER})
def answers_csv(class_id: str, request: Request):
    """Every answer of every round: question, label, round, student (number in join order),
    nickname, value, weight (layer:i:j), correct, diagnosis."""
    room = _room(request)
    cls = _teacher(request, class_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["question", "label", "round", "student", "nickname", "value", "weight",
                     "correct", "diagnosis"])
    for row in room.csv_rows(cls):
        row[4] = _cell(row[4])
        writer.writerow(row)
    return Response(out.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="class-{cls.code}-answers.csv"'})


def _cell(text: str) -> str:
    """A nickname cannot become a spreadsheet formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# ---- explore on my own ----
@router.post("/{class_id}/fork", status_code=201, response_model=cs.ForkOut,
             responses={**FORBIDDEN, **NOT_FOUND, **cast(Responses, schemas.TOO_MANY_SESSIONS)})
def fork(class_id: str, request: Request):
    """A private copy of the teacher's current state as a new session of the student's own
    (no undo levels); changing it changes nothing in the class."""
    room = _room(request)
    cls, _, student = room.member(class_id, _token(request), Role.student)
    assert student is not None
    return json_response({"session_id": room.fork(cls, student).id}, 201)


# ---- events ----
def _topic(cls: Class, role: Role) -> str:
    return f"class:{cls.id}:{'t' if role is Role.teacher else 's'}"


@router.get("/{class_id}/events", responses={
    200: {"content": {"text/event-stream": {}},
          "description": "events state, question, results, reveal, students (teacher), closed"},
    **FORBIDDEN, **NOT_FOUND})
async def class_events(class_id: str, request: Request, last_event_id: str | None = Header(None),
                       last: str | None = None):
    """The class as it happens: `state` now and after every change of the teacher's session
    or phase, the current `question`, `results` (students: counts; teacher: the histogram
    too), `reveal`, and `closed` at the end. Last-Event-ID (or `?last=`) resumes."""
    room, hub = _room(request), request.app.state.class_events
    cls, role, _ = room.member(class_id, _token(request))
    topic = _topic(cls, role)
    last_seq = _last_id(last_event_id, last)
    sub = await subscribe(hub, topic, last_seq)

    def snapshot(resync: bool) -> tuple[int, list[bytes]]:
        with cls.lock:
            seq = hub.seq(topic)
            frames = [frame(seq, "state", room.state_payload(cls, resync))]
            if role is Role.teacher:
                frames.append(frame(seq, "students", dumps({"students": len(cls.students)})))
            q = cls.questions.get(cls.current or "")
            if q is not None:
                frames.append(frame(seq, "question", dumps(q.public())))
                frames.append(frame(seq, "results", dumps(
                    q.teacher_results() if role is Role.teacher else q.counts())))
                if q.revealed:
                    frames.append(frame(seq, "reveal", dumps(q.reveal_event())))
            return seq, frames

    return sse_response(request, sub, last_seq, snapshot, ends=("closed",),
                        gone=lambda: cls.closed)


# ---- wiring ----
def install(app: FastAPI) -> ClassRoom:
    """The class registry on app.state.classes, its events on app.state.class_events, the
    store's hooks, the 403 handler and the routes."""
    settings, store = app.state.settings, app.state.store
    conn = app.state.redis                   # None: this process's memory
    registry, clock = None, time.monotonic
    hub: Any
    if conn is None:
        hub = app.state.class_events = EventHub(max_subscribers=2 * MAX_STUDENTS)
    else:
        from ...redisstore.classes import RedisClasses
        from ...redisstore.events import RedisEventHub
        hub = app.state.class_events = RedisEventHub(conn, max_subscribers=2 * MAX_STUDENTS)
        registry, clock = RedisClasses(conn, settings.class_idle_timeout), time.time

    def publish(cls: Class, audience: str, name: str, payload) -> None:
        data = payload if isinstance(payload, bytes) else dumps(payload)
        for role in ((Role.teacher, Role.student) if audience == "all" else
                     (Role.teacher,) if audience == "teacher" else (Role.student,)):
            hub.publish(_topic(cls, role), name, lambda seq: data)

    def close(cls: Class, reason: str) -> None:
        data = dumps({"reason": reason})
        for role in (Role.teacher, Role.student):
            hub.close(_topic(cls, role), "closed", data)

    def state_of(session: Session) -> bytes:
        state = session_state(session)
        del state["id"]                      # a student never learns the teacher's session id
        return dumps(state)

    def step_of(result, session: Session) -> bytes:
        return dumps(step_trace(result, session))

    room = app.state.classes = ClassRoom(
        store, publish, close, state_of, step_of, max_classes=settings.max_classes,
        idle_timeout=settings.class_idle_timeout, clock=clock, registry=registry)
    store.on_change.append(room.session_changed)
    store.on_delete.append(room.session_deleted)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        return JSONResponse(status_code=403, content={"detail": str(exc)})

    app.include_router(router)
    return room


async def sweep(room: ClassRoom, every: float = SWEEP_EVERY) -> None:
    """End idle classes now and then (a class is also ended when it is next used)."""
    while True:
        await asyncio.sleep(every)
        try:
            room.expire()
        except Exception:                    # the sweeper must survive anything
            log.exception("could not sweep idle classes")

