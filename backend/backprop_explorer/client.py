"""A small httpx client for scripts and notebooks: one method per endpoint.

    from backprop_explorer.client import Client
    with Client("http://127.0.0.1:8000") as api:
        s = api.create_session(preset="lecture")
        trace = api.step(s["id"], x=[1, 0], y=[1])

Every method returns the server's JSON as plain Python data. A 4xx/5xx answer
raises `ApiError` carrying the status code and the server's message.
"""
from __future__ import annotations

import subprocess
import time
from typing import Any

import httpx


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
    def __init__(self, status_code: int, detail: Any) -> None:
        self.status_code = status_code
        self.detail = detail
        super().__init__(f"{status_code}: {self.message}")

    @property
    def message(self) -> str:
        if not isinstance(self.detail, list):
            return str(self.detail)
        parts = []
        for error in self.detail:     # 422: [{"loc": ["body", field, ...], "msg": ...}]
            field = ".".join(str(p) for p in error.get("loc", [])[1:])
            msg = str(error.get("msg", ""))
            parts.append(msg if not field or msg.startswith(field) else f"{field}: {msg}")
        return "; ".join(parts)


def _body(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


class Client:
    def __init__(self, base_url: str = "http://127.0.0.1:8000", timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout,
                                  transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, json: Any = None) -> Any:
        response = self._http.request(method, "/api" + path, json=json)
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ApiError(response.status_code, detail)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # --- meta
    def health(self) -> dict:
        return self._call("GET", "/health")

    def datasets(self) -> list[dict]:
        return self._call("GET", "/datasets")

    # --- sessions
    def create_session(self, **spec: Any) -> dict:
        """Any fields of the network spec: layers, activations, loss, learning_rate, l2,
        init, weights, dataset, preset."""
        return self._call("POST", "/sessions", _body(**spec))

    def get_session(self, session_id: str) -> dict:
        return self._call("GET", f"/sessions/{session_id}")

    def delete_session(self, session_id: str) -> None:
        self._call("DELETE", f"/sessions/{session_id}")

    def update_settings(self, session_id: str, learning_rate: float | None = None,
                        l2: float | None = None) -> dict:
        return self._call("PATCH", f"/sessions/{session_id}",
                          _body(learning_rate=learning_rate, l2=l2))

    def set_weights(self, session_id: str, weights: list[dict]) -> dict:
        return self._call("PUT", f"/sessions/{session_id}/weights", {"weights": weights})

    def undo(self, session_id: str) -> dict:
        return self._call("POST", f"/sessions/{session_id}/undo")

    def export_session(self, session_id: str) -> dict:
        return self._call("GET", f"/sessions/{session_id}/export")

    def import_session(self, document: dict) -> dict:
        return self._call("POST", "/sessions/import", document)

    def dataset(self, session_id: str) -> dict:
        return self._call("GET", f"/sessions/{session_id}/dataset")

    # --- traces
    def forward(self, session_id: str, x: list[float], y: list[float] | None = None) -> dict:
        return self._call("POST", f"/sessions/{session_id}/forward", _body(x=x, y=y))

    def backward(self, session_id: str, x: list[float], y: list[float]) -> dict:
        return self._call("POST", f"/sessions/{session_id}/backward", {"x": x, "y": y})

    def step(self, session_id: str, x: list[float] | None = None, y: list[float] | None = None,
             learning_rate: float | None = None, index: int | None = None) -> dict:
        return self._call("POST", f"/sessions/{session_id}/step",
                          _body(x=x, y=y, learning_rate=learning_rate, index=index))

    # --- training
    def train(self, session_id: str, epochs: int | None = None, steps: int | None = None,
              batch_size: int | None = None, learning_rate: float | None = None) -> dict:
        return self._call("POST", f"/sessions/{session_id}/train",
                          _body(epochs=epochs, steps=steps, batch_size=batch_size,
                                learning_rate=learning_rate))

    def predict(self, session_id: str, X: list[list[float]] | None = None,
                grid: dict | None = None) -> dict:
        """Outputs for the rows of X, or for a grid {"x1": [lo, hi], "x2": [lo, hi], "n": 40}."""
        return self._call("POST", f"/sessions/{session_id}/predict", _body(X=X, grid=grid))

    def gradcheck(self, session_id: str, x: list[float], y: list[float],
                  epsilon: float | None = None) -> dict:
        return self._call("POST", f"/sessions/{session_id}/gradcheck",
                          _body(x=x, y=y, epsilon=epsilon))
