"""A small httpx client for scripts and notebooks: one method per endpoint.

    from backprop_explorer.client import Client
    with Client("http://127.0.0.1:8000") as api:      # or Client(): $BPE_URL, else that URL
        s = api.create_session(preset="lecture")
        trace = api.step(s["id"], x=[1, 0], y=[1])

Every method returns the server's JSON as plain Python data. Inputs may be numpy arrays and
numpy scalars anywhere (or anything else with `.tolist()`); they are sent as plain numbers.

A 4xx/5xx answer raises `ApiError` carrying the status code and the server's message, as the
subclass for its status when there is one: `NotFound` (404), `Conflict` (409), `TooLarge`
(413), `Invalid` (422), `RateLimited` (429), `Unavailable` (503). No answer at all (nothing
listening, the server gone) raises `ServerUnreachable`, a `ConnectionError` naming the URL.
"""
from __future__ import annotations

import os
import subprocess
import time
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8000"
URL_VARIABLE = "BPE_URL"


def wait_until_serving(base_url: str, process: subprocess.Popen | None = None,
                       timeout: float = 20.0) -> None:
    """Poll GET /api/health until it answers 200, for a script that has just started the
    server (`process`, if given, is watched). Raises ChildProcessError if the process exits
    first, TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ChildProcessError(f"the server exited with code {process.returncode}")
        try:
            if httpx.get(base_url.rstrip("/") + "/api/health", timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise TimeoutError(f"the server did not answer within {timeout}s")


class ApiError(Exception):
    """The server answered 4xx/5xx. `status_code`, `detail` (the body's "detail": a message,
    or for 422 the list of field errors), `message` (detail as one line), `retry_after`
    (seconds from a Retry-After header, else None)."""

    def __init__(self, status_code: int, detail: Any, retry_after: float | None = None) -> None:
        self.status_code = status_code
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(f"{status_code}: {self.message}")

    @property
    def message(self) -> str:
        """The server's message; for 422, each field error as "field: message"."""
        if not isinstance(self.detail, list):
            return str(self.detail)
        parts = []
        for error in self.detail:     # 422: [{"loc": ["body", field, ...], "msg": ...}]
            field = ".".join(str(p) for p in error.get("loc", [])[1:])
            msg = str(error.get("msg", ""))
            parts.append(msg if not field or msg.startswith(field) else f"{field}: {msg}")
        return "; ".join(parts)


class NotFound(ApiError):
    """404: no such session (it never existed, was deleted or expired)."""


class Conflict(ApiError):
    """409: the call does not fit the session's state (no undo level left, no dataset)."""


class TooLarge(ApiError):
    """413: the request is over a server limit (body size, network size, work per call)."""


class Invalid(ApiError):
    """422: malformed or out-of-range input; `message` names the field."""


class RateLimited(ApiError):
    """429: the server is at a limit (e.g. live sessions); try again later."""


class Unavailable(ApiError):
    """503: the server cannot serve this now (e.g. its storage); `retry_after` says when
    to try again, if the server said."""


ERRORS: dict[int, type[ApiError]] = {404: NotFound, 409: Conflict, 413: TooLarge, 422: Invalid,
                                     429: RateLimited, 503: Unavailable}


class ServerUnreachable(ConnectionError):
    """No answer from the server at `url` (nothing listening there, or it went away)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        super().__init__(f"no Backprop Explorer server answers at {url} ({reason}); start "
                         f"one with `backprop-explorer`, or give its URL (or set {URL_VARIABLE})")


def plain(value: Any) -> Any:
    """`value` as JSON-ready Python data: numpy arrays and scalars (anything with .tolist())
    become lists and numbers, inside lists, tuples and dicts too."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()
    return value


def _body(**fields: Any) -> dict[str, Any]:
    return {k: plain(v) for k, v in fields.items() if v is not None}


class Client:
    """A client of one server. `base_url` defaults to $BPE_URL, else http://127.0.0.1:8000;
    `timeout` is in seconds per call; `transport` (httpx) is for tests. Use it as a context
    manager, or call close()."""

    def __init__(self, base_url: str | None = None, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = (base_url or os.environ.get(URL_VARIABLE) or DEFAULT_URL).rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, json: Any = None, token: str | None = None,
              params: dict | None = None, text: bool = False) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else None
        try:
            response = self._http.request(method, "/api" + path, json=json, headers=headers,
                                          params=params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as e:
            raise ServerUnreachable(self.base_url, str(e) or type(e).__name__) from e
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except (ValueError, AttributeError):
                detail = response.text
            try:
                retry_after: float | None = float(response.headers["retry-after"])
            except (KeyError, ValueError):
                retry_after = None
            raise ERRORS.get(response.status_code, ApiError)(response.status_code, detail,
                                                             retry_after)
        if text:
            return response.text
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # --- meta
    def health(self) -> dict:
        """GET /api/health: {"status": "ok", "version", ...}."""
        return self._call("GET", "/health")

    def datasets(self) -> list[dict]:
        """GET /api/datasets: the built-in datasets, each {"name", ...}."""
        return self._call("GET", "/datasets")

    def meta(self) -> dict:
        """GET /api/meta: the activations, losses, initialisations, γ_t schedules, presets
        and limits the server offers."""
        return self._call("GET", "/meta")

    # --- sessions
    def create_session(self, **spec: Any) -> dict:
        """POST /api/sessions: a new session; returns its state ("id", "network", "weights",
        ...). Any fields of the network spec: layers, activations, loss, learning_rate, l2,
        init, weights, dataset, preset."""
        return self._call("POST", "/sessions", _body(**spec))

    def get_session(self, session_id: str) -> dict:
        """GET /api/sessions/{id}: the session's state. NotFound if there is none."""
        return self._call("GET", f"/sessions/{session_id}")

    def delete_session(self, session_id: str) -> None:
        """DELETE /api/sessions/{id}."""
        self._call("DELETE", f"/sessions/{session_id}")

    def update_settings(self, session_id: str, learning_rate: float | None = None,
                        l2: float | None = None, schedule: dict | None = None,
                        dataset: dict | None = None) -> dict:
        """PATCH /api/sessions/{id}: set γ0 (learning_rate), λ (l2), the γ_t schedule
        (e.g. {"name": "inverse_time", "k": 0.01}) and/or regenerate the dataset
        ({"name"?, "n"?, "noise"?, "seed"?, "test_fraction"?}; weights are kept), all in one
        call; returns the state."""
        return self._call("PATCH", f"/sessions/{session_id}",
                          _body(learning_rate=learning_rate, l2=l2, schedule=schedule,
                                dataset=dataset))

    def set_weights(self, session_id: str, weights: list[dict]) -> dict:
        """PUT /api/sessions/{id}/weights: every layer's {"W": [n_in][n_out], "b": [n_out]}
        (numpy arrays welcome); pushes one undo level, returns the state."""
        return self._call("PUT", f"/sessions/{session_id}/weights", _body(weights=weights))

    def undo(self, session_id: str) -> dict:
        """POST /api/sessions/{id}/undo: back one level; Conflict when there is none."""
        return self._call("POST", f"/sessions/{session_id}/undo")

    def export_session(self, session_id: str) -> dict:
        """GET /api/sessions/{id}/export: the whole session as a JSON document."""
        return self._call("GET", f"/sessions/{session_id}/export")

    def export_script(self, session_id: str, format: str = "numpy") -> str:
        """GET /api/sessions/{id}/export?format=numpy|torch: a runnable Python script that
        rebuilds the network and does the session's next SGD step (its last line is the new
        weights as JSON). Conflict without a dataset."""
        return self._call("GET", f"/sessions/{session_id}/export", params={"format": format},
                          text=True)

    def import_session(self, document: dict) -> dict:
        """POST /api/sessions/import: a new session from an exported document."""
        return self._call("POST", "/sessions/import", plain(document))

    def dataset(self, session_id: str) -> dict:
        """GET /api/sessions/{id}/dataset: its examples X, Y; Conflict without a dataset."""
        return self._call("GET", f"/sessions/{session_id}/dataset")

    def metrics(self, session_id: str) -> dict:
        """GET /api/sessions/{id}/metrics: step, epoch and the current weights' loss and
        accuracy on the training and test parts. Conflict without a dataset."""
        return self._call("GET", f"/sessions/{session_id}/metrics")

    # --- traces
    def forward(self, session_id: str, x: Any, y: Any = None) -> dict:
        """POST /api/sessions/{id}/forward: every layer's s and a for input x (and the
        loss when the target y is given). Changes nothing."""
        return self._call("POST", f"/sessions/{session_id}/forward", _body(x=x, y=y))

    def backward(self, session_id: str, x: Any, y: Any) -> dict:
        """POST /api/sessions/{id}/backward: the forward trace plus every δ = ∂L/∂s and
        ∂L/∂w for one example. Changes nothing."""
        return self._call("POST", f"/sessions/{session_id}/backward", _body(x=x, y=y))

    def step(self, session_id: str, x: Any = None, y: Any = None,
             learning_rate: float | None = None, index: int | None = None,
             grid: dict | None = None) -> dict:
        """POST /api/sessions/{id}/step: one SGD update on (x, y), or on the dataset's next
        example (or example `index`); returns the backward trace and the update (and, with
        `grid` as for predict, the updated network's outputs on it as "grid_Y")."""
        return self._call("POST", f"/sessions/{session_id}/step",
                          _body(x=x, y=y, learning_rate=learning_rate, index=index, grid=grid))

    # --- training
    def train(self, session_id: str, epochs: int | None = None, steps: int | None = None,
              batch_size: int | None = None, learning_rate: float | None = None) -> dict:
        """POST /api/sessions/{id}/train: `epochs` passes or `steps` updates over the
        dataset, per example or in mini-batches of `batch_size`; returns the losses."""
        return self._call("POST", f"/sessions/{session_id}/train",
                          _body(epochs=epochs, steps=steps, batch_size=batch_size,
                                learning_rate=learning_rate))

    def predict(self, session_id: str, X: Any = None, grid: dict | None = None,
                units: bool | None = None) -> dict:
        """POST /api/sessions/{id}/predict: outputs {"Y"} for the rows of X, or for a grid
        {"x1": [lo, hi], "x2": [lo, hi], "n": 40}; with units=True also "units"[l][j][p],
        every unit's activation at every point."""
        return self._call("POST", f"/sessions/{session_id}/predict",
                          _body(X=X, grid=grid, units=units))

    def gradcheck(self, session_id: str, x: Any, y: Any, epsilon: float | None = None) -> dict:
        """POST /api/sessions/{id}/gradcheck: backprop's ∂L/∂w beside numeric differences
        (step `epsilon`) for one example, with the largest differences."""
        return self._call("POST", f"/sessions/{session_id}/gradcheck",
                          _body(x=x, y=y, epsilon=epsilon))

    # --- exercises (predict, then reveal)
    def create_exercise(self, session_id: str, **spec: Any) -> dict:
        """POST /api/sessions/{id}/exercises: blanks to fill for one example ({} = the next
        example; or x, y / index / seed; quantities, weight, kind, rtol, atol)."""
        return self._call("POST", f"/sessions/{session_id}/exercises", _body(**spec))

    def get_exercise(self, exercise_id: str) -> dict:
        """GET /api/exercises/{eid}: the exercise with the answers so far."""
        return self._call("GET", f"/exercises/{exercise_id}")

    def answer_exercise(self, exercise_id: str, answers: dict[int, float] | list[dict]) -> dict:
        """POST /api/exercises/{eid}/answers: `answers` as {blank: value} or the API's list
        [{"blank", "value"}]; returns each blank's result (correct, diagnosis) and the score."""
        if isinstance(answers, dict):
            answers = [{"blank": k, "value": v} for k, v in answers.items()]
        return self._call("POST", f"/exercises/{exercise_id}/answers", _body(answers=answers))

    def reveal_blank(self, exercise_id: str, blank: int) -> dict:
        """POST /api/exercises/{eid}/reveal: show one blank's value (it then counts as not
        answered right)."""
        return self._call("POST", f"/exercises/{exercise_id}/reveal", _body(blank=blank))

    # --- live classes (token: the teacher's or a student's, from create_class / join_class)
    def create_class(self, session_id: str) -> dict:
        """POST /api/classes: a live class on the session; {"id", "code", "teacher_token",
        "join_url"}."""
        return self._call("POST", "/classes", _body(session_id=session_id))

    def join_class(self, code: str, name: str | None = None) -> dict:
        """POST /api/classes/join: {"class_id", "student_id", "student_token"}."""
        return self._call("POST", "/classes/join", _body(code=code, name=name))

    def get_class(self, class_id: str, token: str) -> dict:
        """GET /api/classes/{id}: phase, students, the current question (and the role's
        extra fields)."""
        return self._call("GET", f"/classes/{class_id}", token=token)

    def set_class_phase(self, class_id: str, token: str, phase: int) -> dict:
        """POST /api/classes/{id}/phase (teacher): the phase every member's page shows."""
        return self._call("POST", f"/classes/{class_id}/phase", _body(phase=phase), token=token)

    def ask(self, class_id: str, token: str, blank: dict | None = None,
            kind: str | None = None, rtol: float | None = None,
            atol: float | None = None) -> dict:
        """POST /api/classes/{id}/questions (teacher): ask for one blank ({"quantity",
        "layer", "unit" | "i", "j"}) or kind="pick_weight"; {"question_id"}."""
        return self._call("POST", f"/classes/{class_id}/questions",
                          _body(blank=blank, kind=kind, rtol=rtol, atol=atol), token=token)

    def answer_question(self, class_id: str, question_id: str, token: str,
                        value: float | None = None, weight: dict | None = None) -> dict:
        """POST …/questions/{qid}/answers (student): a number, or a weight {"layer", "i",
        "j"} for pick_weight."""
        return self._call("POST", f"/classes/{class_id}/questions/{question_id}/answers",
                          _body(value=value, weight=weight), token=token)

    def question_results(self, class_id: str, question_id: str, token: str) -> dict:
        """GET …/questions/{qid}/results (teacher): counts, histogram or clicks, diagnoses."""
        return self._call("GET", f"/classes/{class_id}/questions/{question_id}/results",
                          token=token)

    def reveal_question(self, class_id: str, question_id: str, token: str) -> dict:
        """POST …/questions/{qid}/reveal (teacher): the results with the expected value."""
        return self._call("POST", f"/classes/{class_id}/questions/{question_id}/reveal",
                          token=token)

    def reopen_question(self, class_id: str, question_id: str, token: str) -> dict:
        """POST …/questions/{qid}/reopen (teacher): ask again, a new round."""
        return self._call("POST", f"/classes/{class_id}/questions/{question_id}/reopen",
                          token=token)

    def fork_class_session(self, class_id: str, token: str) -> dict:
        """POST /api/classes/{id}/fork (student): a copy of the teacher's session of one's own;
        {"session_id"}."""
        return self._call("POST", f"/classes/{class_id}/fork", token=token)

    def answers_csv(self, class_id: str, token: str) -> str:
        """GET /api/classes/{id}/answers.csv (teacher): every answer, with nicknames."""
        return self._call("GET", f"/classes/{class_id}/answers.csv", token=token, text=True)

    def close_class(self, class_id: str, token: str) -> None:
        """DELETE /api/classes/{id} (teacher): end the class."""
        self._call("DELETE", f"/classes/{class_id}", token=token)
