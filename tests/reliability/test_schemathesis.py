"""schemathesis 4 against the app's own OpenAPI schema (in process, over ASGI).

Every operation gets a bounded number of generated requests, positive (fits the schema)
and negative (doesn't); each response must not be a 5xx and must match the schema: its
status code is documented, its content type and headers are the documented ones and its
body validates against the documented response model.

Session-scoped routes would otherwise only ever see random ids (404): a hook swaps most
generated `session_id`s for real sessions from a small pool (the lecture preset with its
XOR dataset, a default network without a dataset, a bigger classifier on a built-in
dataset), rebuilt before every example so DELETE, PUT weights or a diverging step in one
example can't starve the next one.
"""
from __future__ import annotations

import collections
import os
import zlib

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error,
                                 response_headers_conformance, response_schema_conformance,
                                 status_code_conformance)

from backprop_explorer.api.app import create_app
from backprop_explorer.api.config import Settings
from backprop_explorer.sessions.presets import resolve_network_spec

# test_the_fuzzer_reached_real_sessions reads what the fuzzing cases saw (SEEN): under xdist
# the whole module runs on one worker, in order
pytestmark = pytest.mark.xdist_group("schemathesis")

MAX_EXAMPLES = int(os.environ.get("BPE_FUZZ_EXAMPLES", 30))

# small limits so a fuzzed train/predict/create stays cheap (the limits are real code paths)
SETTINGS = Settings(memory=True, demo_session=False, max_sessions=10_000,
                    max_parameters=5_000, max_units=64, max_train_work=200_000,
                    max_dataset_size=2_000)
app = create_app(SETTINGS)
store = app.state.store

POOL_SPECS = [
    {"preset": "lecture"},
    {},
    {"layers": [2, 4, 3, 1], "activations": ["tanh", "relu", "sigmoid"],
     "loss": "cross_entropy", "dataset": {"name": "moons", "n": 40, "seed": 3}},
]
_pool: list[str] = []


def fresh_pool() -> list[str]:
    """Delete the previous pool sessions and make new ones with their initial state (and one
    undo level)."""
    for sid in _pool:
        try:
            store.delete(sid)
        except Exception:
            pass
    _pool[:] = [store.create(resolve_network_spec(dict(spec))).id for spec in POOL_SPECS]
    for sid in _pool:   # one undo level each, so undo can succeed
        with store.use(sid) as session:
            session.set_weights([{"W": W.tolist(), "b": b.tolist()} for W, b in session.weights])
    return _pool


# Server-Sent Event streams (session and class /events) never end, so a request-response
# fuzzer would wait on them until its timeout; tests/api/test_session_events.py and
# tests/classroom test them over real HTTP.
schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=r"/events$")


@schema.hook
def map_path_parameters(context, path_parameters):
    """Three out of four generated ids become a real session (which one depends on the
    generated value, so shrinking stays deterministic); the rest stay random (404)."""
    if path_parameters and "session_id" in path_parameters:
        generated = str(path_parameters["session_id"])
        h = zlib.crc32(generated.encode())
        if h % 4:
            pool = fresh_pool()
            path_parameters["session_id"] = pool[h % len(pool)]
    return path_parameters


SEEN: dict[str, set[int]] = collections.defaultdict(set)   # operation -> statuses seen


CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance, response_headers_conformance]


@pytest.mark.timeout(240)
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,  # same cases every run
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    response = case.call()
    SEEN[f"{case.method} {case.path}"].add(response.status_code)
    assert response.status_code < 500, f"{case.as_curl_command()}\n{response.text}"
    case.validate_response(response, checks=CHECKS)


def test_the_fuzzer_reached_real_sessions():
    """The hook works: every session-scoped operation answered at least one generated
    request with a success (a real session), and at least one with a 404 (a random id).
    (PUT weights, predict, gradcheck and train are exempt from the success: a random body
    almost never fits the session's network or the work limit, so they are 422s there; their
    successes are tests/api's.)"""
    if not SEEN:
        pytest.skip("run together with test_api_conforms_to_its_schema")
    documented = {f"{method.upper()} {path}" for path, item in app.openapi()["paths"].items()
                  for method in item}
    scoped = {op: codes for op, codes in SEEN.items()
              if "{session_id}" in op and op in documented}
    assert len(scoped) >= 10, sorted(SEEN)
    for op, codes in scoped.items():
        # random weights rarely fit a network's shape, random X rarely has its input width,
        # random epochs/steps mostly exceed max_train_work: their successes have own tests
        if op not in ("PUT /api/sessions/{session_id}/weights",
                      "POST /api/sessions/{session_id}/predict",
                      "POST /api/sessions/{session_id}/gradcheck",   # x and y of exact widths
                      "POST /api/sessions/{session_id}/train"):
            assert codes & {200, 201, 204}, f"{op} never hit a real session: {sorted(codes)}"
        assert 404 in codes, f"{op} never got an unknown id: {sorted(codes)}"


# ----- statuses the fuzzer can't reach cheaply, checked against the same schema -----------------
def _one_case(settings: Settings, path: str, body):
    small = create_app(settings)
    loaded = schemathesis.openapi.from_asgi("/openapi.json", small)
    return loaded.make_case(operation=loaded[path]["POST"], body=body,
                            media_type="application/json")


def test_the_429_at_max_sessions_matches_the_schema():
    case = _one_case(Settings(memory=True, demo_session=False, max_sessions=1),
                     "/api/sessions", {})
    assert case.call().status_code == 201
    response = case.call()
    assert response.status_code == 429
    case.validate_response(response, checks=CHECKS)


def test_the_413_over_max_body_bytes_matches_the_schema():
    case = _one_case(Settings(memory=True, demo_session=False, max_body_bytes=100),
                     "/api/sessions", {"layers": [2] * 60})
    response = case.call()
    assert response.status_code == 413
    case.validate_response(response, checks=CHECKS)


def test_an_import_without_a_dataset_name_matches_the_schema():
    """Found by the fuzzer: an exported document whose dataset has "name": null."""
    settings = Settings(memory=True, demo_session=False)
    small = create_app(settings)
    loaded = schemathesis.openapi.from_asgi("/openapi.json", small)
    sid = small.state.store.create(resolve_network_spec({"preset": "lecture"})).id
    export = loaded.make_case(operation=loaded["/api/sessions/{session_id}/export"]["GET"],
                              path_parameters={"session_id": sid})
    doc = export.call().json()
    doc["dataset"]["name"] = None
    case = loaded.make_case(operation=loaded["/api/sessions/import"]["POST"], body=doc,
                            media_type="application/json")
    response = case.call()
    assert response.status_code in (201, 422), response.text
    case.validate_response(response, checks=CHECKS)
