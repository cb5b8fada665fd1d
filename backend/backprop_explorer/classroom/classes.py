"""Live classes: a teacher's session shown to students who joined with a code, the
teacher's phase, and the questions asked. Where they are kept is the registry's business:
in this process's memory (LocalClasses, the default), or in Redis for many processes
(redisstore/classes.py: each class a document, its lock shared, a change saved when the
lock is let go).

Locking: a class's own lock guards its phase, students and questions, and is taken after
the teacher's session lock when both are needed (the store's on_change hook runs under the
session's lock), so the two never wait on each other the other way round. Events are
published under the class lock, so every member receives them in the order they happened.

Bounds (a clear 429 or 413 when reached): MAX_STUDENTS per class, settings.max_classes
classes, MAX_QUESTIONS per class, MAX_ROUNDS per question (an answer per student per
round), MAX_FORKS per student; a wrong join code costs one of WRONG_CODES per WRONG_WINDOW
seconds per client address. Classes end when the teacher closes them, when the teacher's
session goes, or after `idle_timeout` seconds without a request or a change."""
from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import engine
from ..engine import InputError
from ..sessions import Conflict, LimitReached, NotFound
from ..sessions.session import Session, StepResult
from . import codes
from .questions import Answer, Question
from .tokens import Role, new_token, same

MAX_STUDENTS = 300
MAX_QUESTIONS = 200
MAX_ROUNDS = 20
MAX_FORKS = 20
MAX_PHASE = 100_000
WRONG_CODES = 20              # wrong join codes per client address …
WRONG_WINDOW = 600.0          # … per this many seconds; then 429 until the oldest ages out
MAX_CLIENTS_TRACKED = 10_000  # addresses remembered for the rate limit (oldest dropped)
RESULTS_EVERY = 0.5           # seconds: the students' answered count at most this often


class Forbidden(PermissionError):
    """The token does not give this role in this class (403)."""


class Gone(Conflict):
    """The question may no longer be answered (409)."""


@dataclass
class Student:
    id: str
    number: int                # 1, 2, … in the order they joined (the CSV's column)
    name: str
    token: str
    forks: int = 0


@dataclass
class Class:
    id: str
    code: str
    session_id: str
    teacher_token: str
    created: float
    last_active: float
    phase: int = 0
    students: dict[str, Student] = field(default_factory=dict)        # by id
    by_token: dict[str, Student] = field(default_factory=dict)
    questions: dict[str, Question] = field(default_factory=dict)      # in the order asked
    current: str | None = None                                        # the question on screen
    lock: threading.RLock = field(default_factory=threading.RLock)
    # the teacher's session as last seen: its state as JSON (without its id), and what is
    # needed to rebuild the step that led to the next state (the "last_step" trace)
    state_json: bytes = b"null"
    last_step_json: bytes = b"null"
    seen: tuple[int, np.ndarray, int, int, float] | None = None      # step, flat, epoch, cursor, γ
    closed: bool = False
    results_pending: float = 0.0         # when the students' counts began to wait for a timer

    def role(self, token: str | None) -> tuple[Role, Student | None]:
        if same(token, self.teacher_token):
            return Role.teacher, None
        student = self.by_token.get(token or "")
        if student is None:
            raise Forbidden("this call needs the class's teacher or student token "
                            "(Authorization: Bearer <token> or ?token=)")
        return Role.student, student

    def question(self, qid: str) -> Question:
        q = self.questions.get(qid)
        if q is None:
            raise NotFound(f"question {qid!r} not found in this class")
        return q


class WrongCodes:
    """The wrong join codes of each client address in the last WRONG_WINDOW seconds, in
    this process (the embedded registry's; RedisClasses counts them for every process)."""

    def __init__(self) -> None:
        self._wrong: dict[str, deque[float]] = {}
        self._guard = threading.Lock()

    def wait(self, client: str, now: float) -> int:
        """Seconds until this client may try a code again (0: now)."""
        with self._guard:
            wrong = self._wrong.get(client)
            while wrong and now - wrong[0] > WRONG_WINDOW:
                wrong.popleft()
            if wrong is not None and len(wrong) >= WRONG_CODES:
                return max(1, int(WRONG_WINDOW - (now - wrong[0])) + 1)
            return 0

    def record(self, client: str, now: float) -> None:
        with self._guard:
            wrong = self._wrong.get(client)
            if wrong is None:
                if len(self._wrong) >= MAX_CLIENTS_TRACKED:
                    self._wrong.pop(next(iter(self._wrong)))
                wrong = self._wrong[client] = deque()
            wrong.append(now)


class LocalClasses:
    """The classes of this process, in memory (the embedded registry)."""

    def __init__(self) -> None:
        self.wrong_codes = WrongCodes()
        self._classes: dict[str, Class] = {}
        self._by_code: dict[str, Class] = {}
        self._by_session: dict[str, list[Class]] = {}
        self._guard = threading.Lock()

    def count(self) -> int:
        return len(self._classes)

    def code_taken(self, code: str) -> bool:
        return code in self._by_code

    def add(self, cls: Class, max_classes: int) -> None:
        with self._guard:
            if len(self._classes) >= max_classes:
                raise LimitReached("max_classes", f"the server holds its limit of "
                                   f"{max_classes} live classes; try again later")
            if cls.code in self._by_code:
                raise KeyError(cls.code)
            self._classes[cls.id] = cls
            self._by_code[cls.code] = cls
            self._by_session.setdefault(cls.session_id, []).append(cls)

    def get(self, class_id: str) -> Class | None:
        return self._classes.get(class_id)

    def by_code(self, code: str) -> Class | None:
        return self._by_code.get(code)

    def of_session(self, session_id: str) -> list[Class]:
        return list(self._by_session.get(session_id, ()))

    def remove(self, cls: Class) -> None:
        with self._guard:
            self._classes.pop(cls.id, None)
            self._by_code.pop(cls.code, None)
            same_session = self._by_session.get(cls.session_id, [])
            if cls in same_session:
                same_session.remove(cls)
            if not same_session:
                self._by_session.pop(cls.session_id, None)

    def idle(self, before: float) -> list[Class]:
        return [c for c in list(self._classes.values()) if c.last_active < before]

    def touch(self, cls: Class) -> None:
        pass                       # last_active is the object's own


class ClassRoom:
    """Every live class, by id and by join code, and the events they send.

    `publish(cls, audience, name, data)` is given by the API layer (events are its
    business); audience is "teacher", "students" or "all"; `close(cls, reason)` ends the
    streams.
    `state_of(session)` is the session's state as the members see it (no id)."""

    def __init__(self, store, publish: Callable[[Class, str, str, Any], None],
                 close: Callable[[Class, str], None], state_of: Callable[[Session], bytes],
                 step_of: Callable[[StepResult, Session], bytes],
                 max_classes: int = 100, idle_timeout: float = 4 * 3600,
                 clock: Callable[[], float] = time.monotonic, registry=None) -> None:
        self.store = store
        self._publish, self._close = publish, close
        self._state_of, self._step_of = state_of, step_of
        self.max_classes = max_classes
        self.idle_timeout = idle_timeout
        self.clock = clock
        self.registry = registry if registry is not None else LocalClasses()

    def __len__(self) -> int:
        return self.registry.count()

    # ---- life ----
    def open(self, session_id: str) -> Class:
        self.expire()
        with self.store.use(session_id) as session:        # 404 for an unknown session
            taken = _Taken(self.registry)
            while True:
                now = self.clock()
                cls = Class(secrets.token_hex(16), codes.new_code(taken), session_id,
                            new_token(), now, now)
                try:
                    self.registry.add(cls, self.max_classes)
                    break
                except KeyError:        # the code was taken meanwhile (another process)
                    continue
            self._see(cls, session)
        return cls

    def get(self, class_id: str) -> Class:
        cls = self.registry.get(class_id)
        if cls is None or cls.closed:
            raise NotFound(f"class {class_id!r} not found (it may have ended)")
        if self.clock() - cls.last_active > self.idle_timeout:
            self.end(cls, "idle")
            raise NotFound(f"class {class_id!r} not found (it ended after "
                           f"{self.idle_timeout:g} s without activity)")
        return cls

    def member(self, class_id: str, token: str | None,
               role: Role | None = None) -> tuple[Class, Role, Student | None]:
        """The class and who the token belongs to; Forbidden unless it is `role` (if given)."""
        cls = self.get(class_id)
        got, student = cls.role(token)
        if role is not None and got is not role:
            raise Forbidden(f"only the class's {role.value} may do this")
        cls.last_active = self.clock()
        self.registry.touch(cls)
        return cls, got, student

    def end(self, cls: Class, reason: str) -> None:
        with cls.lock:
            if cls.closed:
                return
            cls.closed = True
        self.registry.remove(cls)
        self._close(cls, reason)

    def expire(self) -> int:
        """End the classes idle for longer than idle_timeout (the sweeper calls this)."""
        idle = self.registry.idle(self.clock() - self.idle_timeout)
        for cls in idle:
            self.end(cls, "idle")
        return len(idle)

    def session_deleted(self, session_id: str) -> None:
        for cls in self.registry.of_session(session_id):
            self.end(cls, "session_deleted")

    # ---- joining ----
    def join(self, typed_code: str, name: str | None, client: str) -> tuple[Class, Student]:
        now = self.clock()
        wrong = self.registry.wrong_codes
        retry = wrong.wait(client, now)
        if retry:
            raise TooManyWrongCodes(retry)
        cls = self.registry.by_code(codes.normalise(typed_code))
        if cls is None:
            wrong.record(client, now)
        if cls is None or cls.closed or now - cls.last_active > self.idle_timeout:
            raise NotFound("no live class has this code")
        with cls.lock:
            if len(cls.students) >= MAX_STUDENTS:
                raise LimitReached("max_students", f"this class has its limit of "
                                   f"{MAX_STUDENTS} students")
            number = len(cls.students) + 1
            student = Student(secrets.token_hex(8), number, name or f"student {number}",
                              new_token())
            cls.students[student.id] = student
            cls.by_token[student.token] = student
            cls.last_active = now
            self._publish(cls, "teacher", "students", {"students": len(cls.students)})
        return cls, student

    # ---- the teacher's session ----
    def session_changed(self, session: Session) -> None:
        """The store's on_change hook (under the session's lock): every class on this session
        sends the new state."""
        for cls in self.registry.of_session(session.id):
            self._see(cls, session)
            with cls.lock:
                self._publish_state(cls)

    def _see(self, cls: Class, session: Session) -> None:
        """Remember the session's state (under its lock) and, when this change was one SGD
        step on the next example of the dataset at the session's γ (what the explorer's
        Step does), rebuild that step's trace so students can follow its phases."""
        flat = engine.Parameters.pack(session.weights).flat.copy()
        ds = session.dataset
        cursor = ds.cursor if ds is not None else 0
        last_step = b"null"
        seen = cls.seen
        if seen is not None and ds is not None and session.step == seen[0] + 1:
            before = engine.Parameters.view(seen[1], session.arch.shapes)
            idx = int(ds.order(seen[2])[seen[3]])
            try:
                result = engine.sgd_step(session.arch, before, ds.data.X[idx], ds.targets[idx],
                                         seen[4])
            except (FloatingPointError, engine.DivergedError):
                result = None
            if result is not None and np.allclose(
                    engine.Parameters.pack(result.weights).flat, flat, rtol=1e-12, atol=1e-15):
                updates = [engine.LayerUpdate(W0, W1, b0, b1) for (W0, b0), (W1, b1)
                           in zip(before, result.weights, strict=True)]
                last_step = self._step_of(StepResult(result.backward, updates, seen[4], idx,
                                                     result.loss_after), session)
        state = self._state_of(session)
        with cls.lock:
            cls.seen = (session.step, flat, session.epoch, cursor, session.gamma())
            cls.state_json, cls.last_step_json = state, last_step
            cls.last_active = self.clock()

    def _publish_state(self, cls: Class) -> None:
        self._publish(cls, "all", "state", self.state_payload(cls))

    @staticmethod
    def state_payload(cls: Class, resync: bool = False) -> bytes:
        """The `state` event's data (JSON): the teacher's session state without its id, the
        phase, the trace of the step that led to it (or null), and whether it is a resync."""
        with cls.lock:
            return b'{"phase":%d,"resync":%s,"state":%s,"last_step":%s}' % (
                cls.phase, b"true" if resync else b"false", cls.state_json, cls.last_step_json)

    def set_phase(self, cls: Class, phase: int) -> None:
        with cls.lock:
            cls.phase = phase
            self._publish_state(cls)

    # ---- questions ----
    def ask(self, cls: Class, make: Callable[[str, Session], Question]) -> Question:
        if len(cls.questions) >= MAX_QUESTIONS:
            raise LimitReached("max_questions", f"a class may ask at most {MAX_QUESTIONS} "
                               "questions; open a new class")
        with self.store.use(cls.session_id) as session:
            q = make(secrets.token_hex(8), session)
        with cls.lock:
            if len(cls.questions) >= MAX_QUESTIONS:
                raise LimitReached("max_questions", f"a class may ask at most {MAX_QUESTIONS} "
                                   "questions; open a new class")
            cls.questions[q.id] = q
            cls.current = q.id
            self._publish(cls, "all", "question", q.public())
            self._publish_results(cls, q, now=True)
        return q

    def answer(self, cls: Class, qid: str, student: Student, value: float | None,
               weight: tuple[int, int, int] | None) -> Answer:
        with cls.lock:
            q = cls.question(qid)
            if cls.current != qid:
                raise Gone("this question is no longer asked: answer the current one")
            if q.revealed:
                raise Gone("the answer has been revealed: answers are closed until the "
                           "teacher asks again")
            a = q.grade(student.id, value, weight)
            q.answers[student.id] = a
            self._publish_results(cls, q)
        return a

    def _publish_results(self, cls: Class, q: Question, now: bool = False) -> None:
        """The projector's results at once; the students' counts at most every
        RESULTS_EVERY seconds (200 answers would otherwise be 200 × 200 events), the last
        one always sent."""
        self._publish(cls, "teacher", "results", q.teacher_results())
        if now:
            self._publish(cls, "students", "results", q.counts())
        elif time.time() - cls.results_pending > 4 * RESULTS_EVERY:
            # (a timer set by a process that died meanwhile counts as gone after a while)
            cls.results_pending = time.time()
            timer = threading.Timer(RESULTS_EVERY, self._flush_results, (cls,))
            timer.daemon = True
            timer.start()

    def _flush_results(self, cls: Class) -> None:
        with cls.lock:
            cls.results_pending = 0.0
            q = cls.questions.get(cls.current or "")
            if q is not None and not cls.closed:
                self._publish(cls, "students", "results", q.counts())

    def reveal(self, cls: Class, qid: str) -> Question:
        with cls.lock:
            q = cls.question(qid)
            q.revealed = True
            self._publish(cls, "all", "reveal", q.reveal_event())
        return q

    def reopen(self, cls: Class, qid: str) -> Question:
        with cls.lock:
            q = cls.question(qid)
            if len(q.rounds) >= MAX_ROUNDS:
                raise LimitReached("max_rounds", f"a question may be asked at most "
                                   f"{MAX_ROUNDS} times")
            q.rounds.append({})
            q.revealed = False
            cls.current = q.id
            self._publish(cls, "all", "question", q.public())
            self._publish_results(cls, q, now=True)
        return q

    # ---- explore on my own ----
    def fork(self, cls: Class, student: Student) -> Session:
        from ..sessions.document import export_session
        with cls.lock:
            if student.forks >= MAX_FORKS:
                raise LimitReached("max_forks", f"a student may make at most {MAX_FORKS} "
                                   "private copies in one class")
            student.forks += 1
        try:
            with self.store.use(cls.session_id) as session:
                doc = export_session(session)
        except NotFound:                  # its message names the session: not for students
            self.end(cls, "session_deleted")
            raise NotFound("this class has ended: the teacher's session is gone") from None
        doc["history"] = []               # the current state, not the teacher's undo levels
        return self.store.import_document(doc)

    # ---- views ----
    def view(self, cls: Class, role: Role, student: Student | None) -> dict[str, Any]:
        with cls.lock:
            q = cls.questions.get(cls.current or "")
            out: dict[str, Any] = {"id": cls.id, "code": cls.code, "phase": cls.phase,
                                   "students": len(cls.students), "role": role.value,
                                   "question": None if q is None else q.public()}
            if role is Role.teacher:
                out["session_id"] = cls.session_id
                out["questions"] = [{**x.public(), **x.counts()} for x in cls.questions.values()]
                out["idle_timeout"] = self.idle_timeout
            else:
                assert student is not None
                out["student"] = {"id": student.id, "name": student.name}
                mine = None if q is None else q.answers.get(student.id)
                out["my_answer"] = None if mine is None else {
                    "value": mine.value,
                    "weight": None if mine.weight is None else dict(zip(("layer", "i", "j"),
                                                                         mine.weight, strict=True)),
                    "correct": mine.correct if q is not None and q.revealed else None,
                    "diagnosis": None if not (q is not None and q.revealed and mine.diagnosis)
                    else {"code": mine.diagnosis[0], "message": mine.diagnosis[1]}}
            return out

    def csv_rows(self, cls: Class) -> list[list[Any]]:
        with cls.lock:
            names = {s.id: (s.number, s.name) for s in cls.students.values()}
            return [row for q in cls.questions.values() for row in q.csv_rows(names)]


class _Taken:
    """The registry's codes as a container, for codes.new_code."""

    def __init__(self, registry) -> None:
        self._registry = registry

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self._registry.code_taken(code)


class TooManyWrongCodes(LimitReached):
    def __init__(self, retry_after: int) -> None:
        super().__init__("join", f"too many wrong class codes from this address; try again "
                         f"in {retry_after} s")
        self.retry_after = retry_after


__all__ = ["ClassRoom", "LocalClasses", "Class", "Student", "Forbidden", "Gone", "TooManyWrongCodes",
           "Answer", "InputError"]
