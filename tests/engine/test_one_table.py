"""Each activation and loss is defined once, in the engine's tables
(engine/activations.py, engine/losses.py), and everything else derives from it: the API's
accepted names, GET /api/meta (the frontend's notation), the compiled kernel's codes and
the tests' parametrisation. Adding one is a one-place change."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
from reference import HIDDEN_ACTIVATIONS, OUTPUT_LOSS_PAIRS, activate

from backprop_explorer.api.schemas import ActivationName, LossName
from backprop_explorer.engine import ACTIVATIONS, LOSSES, compiled


def test_schema_names_are_the_tables():
    assert ActivationName.__args__ == tuple(ACTIVATIONS)
    assert LossName.__args__ == tuple(LOSSES)


def test_every_kernel_code_comes_from_the_table_and_is_implemented():
    codes = {a.compiled for a in ACTIVATIONS.values() if a.compiled is not None}
    assert len(codes) == len([a for a in ACTIVATIONS.values() if a.compiled is not None])
    assert codes <= compiled.KERNEL_ACTIVATION_CODES
    assert {loss.compiled for loss in LOSSES.values()} <= compiled.KERNEL_LOSS_CODES


def test_tests_are_parametrised_by_the_table():
    assert set(HIDDEN_ACTIVATIONS) | {"softmax"} == set(ACTIVATIONS)
    assert {loss for _, loss in OUTPUT_LOSS_PAIRS} == set(LOSSES)


def test_each_entrys_formula_and_numpy_value_match_the_independent_reference():
    s = np.linspace(-3, 3, 13)
    for name, act in ACTIVATIONS.items():
        assert np.allclose(act.value(s), activate(name, s), rtol=1e-14, atol=1e-15), name
        assert "{s}" in act.value_formula.text and "{s}" in act.value_formula.latex, name
        if act.derivative is not None:
            a = act.value(s)
            h = 1e-6
            numeric = (act.value(s + h) - act.value(s - h)) / (2 * h)
            kink = np.isclose(s, 0.0)          # relu and leaky relu: no derivative at 0
            assert np.allclose(act.derivative(s, a)[~kink], numeric[~kink], atol=1e-8), name


FAKE = textwrap.dedent('''
    import json, sys
    import numpy as np
    from backprop_explorer.engine import activations
    from backprop_explorer.engine.activations import Activation, Formula
    # a new activation, added in the one place: the table (no kernel code: numpy only)
    activations.ACTIVATIONS["cube"] = Activation(
        "cube", "s cubed (a test)", lambda s: s ** 3, lambda s, a: 3 * s ** 2,
        Formula("{s}³", "{s}^{3}"), Formula("3{s}²", "3{s}^{2}"))
    from fastapi.testclient import TestClient
    from backprop_explorer.api.app import create_app
    from backprop_explorer.api.config import Settings
    from backprop_explorer.engine import dispatch, Architecture
    app = create_app(Settings(memory=True, demo_session=False))
    out = {}
    with TestClient(app) as c:
        schema = c.get("/openapi.json").json()["components"]["schemas"]
        out["enum"] = schema["NetworkSpec"]["properties"]["activations"]["anyOf"][0]["items"]["enum"]
        meta = c.get("/api/meta").json()
        out["meta"] = [a for a in meta["activations"] if a["name"] == "cube"]
        r = c.post("/api/sessions", json={"layers": [1, 1, 1], "activations": ["cube", "linear"],
                                          "weights": [{"W": [[2.0]], "b": [0.5]},
                                                      {"W": [[1.0]], "b": [0.0]}]})
        out["create"] = r.status_code
        sid = r.json()["id"]
        out["backward"] = c.post(f"/api/sessions/{sid}/backward",
                                 json={"x": [1.0], "y": [0.0]}).json()
        out["step"] = c.post(f"/api/sessions/{sid}/step", json={"x": [1.0], "y": [0.0]}).status_code
    out["compiled"] = dispatch.uses_compiled(Architecture((1, 1, 1), ("cube", "linear")))
    print(json.dumps(out))
''')


def test_a_new_activation_is_one_table_entry_away():
    """Register a fake activation in the table in a fresh process: the schema accepts it,
    /api/meta serves its formulas (which the frontend's notation renders: tests/js), the
    compiled path falls back to numpy (it has no kernel code) and the numbers are right."""
    done = subprocess.run([sys.executable, "-c", FAKE], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert "cube" in out["enum"]
    assert out["meta"] == [{"name": "cube", "description": "s cubed (a test)",
                            "output_only": False, "compiled": False,
                            "value": {"text": "{s}³", "latex": "{s}^{3}"},
                            "derivative": {"text": "3{s}²", "latex": "3{s}^{2}"}}]
    assert out["create"] == 201 and out["step"] == 200
    assert out["compiled"] is False
    hidden = out["backward"]["grads"][0]
    s = 2.0 * 1.0 + 0.5                       # s = w_11^h x1 + w_01^h
    y = s ** 3
    assert out["backward"]["forward"]["layers"][0]["a"] == [s ** 3]
    assert hidden["da_ds"] == [3 * s ** 2]
    assert hidden["dL_ds"] == [y * 1.0 * 3 * s ** 2]   # (y − y*) · w_11^o · 3s²


def test_the_frontend_tests_fixture_is_what_the_server_serves():
    """tests/js run notation.js on tests/js/fixtures/meta.json: it must be GET /api/meta
    exactly, so the frontend's tests see the table as it is (regenerate it from the endpoint
    when the table changes)."""
    from pathlib import Path

    from fastapi.testclient import TestClient

    from backprop_explorer.api.app import create_app
    from backprop_explorer.api.config import Settings

    fixture = Path(__file__).resolve().parents[1] / "js" / "fixtures" / "meta.json"
    with TestClient(create_app(Settings(memory=True, demo_session=False))) as c:
        served = c.get("/api/meta").json()
    assert json.loads(fixture.read_text()) == served
