"""Where a /step's time goes, piece by piece, and what cheaper formulations measure.

Not a target benchmark: a measured breakdown behind the recommendations in the README's
"Performance" section. Every row is the median of interleaved repetitions on a 2-2-1
network (sigmoid hidden, linear output, squared loss) unless it says otherwise.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python bench/profile_hotpaths.py
"""
from __future__ import annotations

import asyncio
import math
import sys

import numpy as np
import orjson

import _common as C
from backprop_explorer import engine
from backprop_explorer.engine import Architecture
from backprop_explorer.engine.activations import sigmoid as engine_sigmoid
from backprop_explorer.api.schemas import StepBody
from backprop_explorer.sessions.session import DatasetState, Session


def _errstate_noop():
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        pass


def make_session(layers=(2, 2, 1)):
    arch = Architecture(tuple(layers), ("sigmoid",) * (len(layers) - 2) + ("linear",), "squared")
    data = engine.make_dataset("xor", 200, 0.1, 0)
    ds = DatasetState(data, {"name": "xor", "n": 200, "noise": 0.1, "seed": 0}, data.targets(1), 0)
    weights = engine.init_weights(list(layers), "xavier", 0)
    return Session("bench", arch, 0.1, {"scheme": "xavier", "seed": 0}, weights, ds)


def loop(fn):
    def run(n):
        for _ in range(n):
            fn()
    return run


def bench(items: dict, n: int, reps: int) -> dict[str, float]:
    samples = C.interleaved({k: (loop(f), n) for k, f in items.items()}, reps)
    return {k: C.summary(v)["median"] for k, v in samples.items()}


def asgi_caller(app, loop_=None, fastapi_app=None):
    """Call the ASGI app in-process (no sockets): measures FastAPI + Starlette + our route."""
    loop_ = loop_ or asyncio.new_event_loop()

    async def call(method, path, body=b""):
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
                 "query_string": b"", "root_path": "", "server": ("127.0.0.1", 8000),
                 "client": ("127.0.0.1", 5000), **({"app": fastapi_app} if fastapi_app else {}),
                 "headers": [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
                             (b"content-length", str(len(body)).encode())]}
        sent = False

        async def receive():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)

        status = []

        async def send(msg):
            if msg["type"] == "http.response.start":
                status.append(msg["status"])

        await app(scope, receive, send)
        if status[0] != 200:
            raise RuntimeError(f"{method} {path}: {status[0]}")

    def sync(method, path, body=b""):
        return lambda: loop_.run_until_complete(call(method, path, body))

    async def startup():
        pass
    return sync, loop_


def main(argv=None) -> int:
    p = C.parser(__doc__.split("\n")[0])
    args = p.parse_args(argv)
    n, reps = (20, 2) if args.quick else (1500, 11)
    env = C.environment()
    print(C.env_line(env))
    results: dict[str, dict[str, float]] = {}

    # ---- 1. the engine pieces of one step
    s = make_session()
    arch, W = s.arch, s.weights
    x, y = s.dataset.data.X[0], s.dataset.targets[0]
    tr = engine.backward(arch, W, x, y)
    grads = [(g.dL_dW, g.dL_db) for g in tr.grads]
    sv = np.array([0.3, -0.7])
    results["engine pieces (2-2-1)"] = bench({
        "engine.forward (with loss)": lambda: engine.forward(arch, W, x, y),
        "engine.backward (forward + backward)": lambda: engine.backward(arch, W, x, y),
        "engine.sgd_update": lambda: engine.sgd_update(W, grads, 0.1),
        "Session.sgd_step (next example)": s.sgd_step,
        "activations.sigmoid (exp of −|s|, where, one divide)": lambda: engine_sigmoid(sv),
        "sigmoid as 0.5*(1+tanh(0.5 s)) (one transcendental ufunc)":
            lambda: 0.5 * (1.0 + np.tanh(0.5 * sv)),
        "sigmoid as exp(-logaddexp(0, -s)) (3 ufuncs, stable)":
            lambda: np.exp(-np.logaddexp(0.0, -sv)),
        "np.isfinite(W).all() (one array)": lambda: np.isfinite(W[0][0]).all(),
        "math.isfinite(float(W.sum())) (one array)": lambda: math.isfinite(float(W[0][0].sum())),
        "with np.errstate(...): pass (Session.sgd_step enters it once)": _errstate_noop,
        "np.outer(a, δ)": lambda: np.outer(x, sv),
        "a @ W + b (2×2)": lambda: x @ W[0][0] + W[0][1],
        "loss as np.mean(0.5*np.sum(d*d, axis=-1)) (the first engine)":
            lambda: float(np.mean(0.5 * np.sum((sv - 1.0) * (sv - 1.0), axis=-1))),
        "loss as 0.5*float(d @ d) (the engine)": lambda: 0.5 * float((sv - 1.0) @ (sv - 1.0)),
        "dataclass LayerGrads(...)": lambda: engine.LayerGrads(sv, sv, sv, sv),
    }, n, reps)

    # ---- 2. the whole step: ours, the bare numpy loop, pure Python floats
    import _impls as I
    run_py, _ = I.python_step(arch, W, list(s.dataset.data.X), list(s.dataset.targets), 0.1)
    run_ours, _ = I.ours_step(arch, W, list(s.dataset.data.X), list(s.dataset.targets), 0.1)
    run_floor, _ = I.floor_step(arch, W, list(s.dataset.data.X), list(s.dataset.targets), 0.1)
    results["whole step, three ways (2-2-1)"] = {
        k: C.summary(v)["median"] for k, v in C.interleaved({
            "ours: engine.sgd_step (compiled)": (run_ours, n),
            "bare numpy loop": (run_floor, n),
            "plain Python floats (lists + math)": (run_py, n)}, reps).items()}

    # ---- 2b. the per-example step with its full trace: compiled (what /step runs for small
    # networks) against the numpy path, and what the compiled call itself costs
    from backprop_explorer.engine import compiled, network
    for layers in ((2, 2, 1), (2, 8, 8, 1)):
        sl = make_session(layers)
        A, Wt = sl.arch, sl.weights
        xx, yy = sl.dataset.data.X[3], sl.dataset.targets[3]
        spec = compiled._spec(A)
        out, new = np.empty(4 * spec.n_units + A.n_parameters + 2), np.empty(A.n_parameters)
        packed = engine.Parameters.pack(Wt)
        name = "-".join(map(str, layers))
        results[f"the step with its full trace ({name})"] = bench({
            "engine.sgd_step (compiled)": lambda A=A, Wt=Wt, xx=xx, yy=yy:
                engine.sgd_step(A, Wt, xx, yy, 0.1),
            "network.sgd_step (numpy path)": lambda A=A, Wt=Wt, xx=xx, yy=yy:
                network.sgd_step(A, Wt, xx, yy, 0.1),
            "the compiled kernel call alone (no trace objects)":
                lambda spec=spec, packed=packed, xx=xx, yy=yy, out=out, new=new:
                compiled._compiled_step(spec.sizes, spec.acts, spec.loss, spec.l2, 0.1,
                                          packed.flat, xx, yy, out, new),
            "Parameters.view (one set of (W, b) views)":
                lambda A=A, new=new: engine.Parameters.view(new, A.shapes),
        }, n, reps)

    # ---- 2c. /train at batch_size 1: one epoch of 200 examples, per-example SGD
    for layers in ((2, 2, 1), (2, 16, 16, 16, 16, 16, 16, 1)):
        st = make_session(layers)
        A, Wt, X, Y = st.arch, st.weights, st.dataset.data.X, st.dataset.targets
        order = st.dataset.order(0)

        def numpy_epoch(A=A, Wt=Wt, X=X, Y=Y, order=order):
            W = Wt
            for i in order:
                _, g = network.batch_gradients(A, W, X[i:i + 1], Y[i:i + 1])
                W = network.sgd_update(W, g, 0.01)

        name = "-".join(map(str, layers))
        results[f"/train, batch_size 1: one epoch of 200 examples ({name})"] = bench({
            "engine.sgd_per_example (compiled, one call)": lambda A=A, Wt=Wt, X=X, Y=Y, order=order:
                engine.sgd_per_example(A, Wt, X, Y, order, 0.01),
            "numpy, one example at a time (the path before)": numpy_epoch,
        }, max(2, n // 50), reps)

    # ---- 3. serialising a step trace
    from backprop_explorer.api import serialize
    s2 = make_session()
    result = s2.sgd_step()
    doc = serialize.step_trace(result, s2)
    as_lists = orjson.loads(orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY))
    results["serialising the step trace (2-2-1)"] = bench({
        "serialize.step_trace (build dict)": lambda: serialize.step_trace(result, s2),
        "orjson.dumps(dict of ndarrays, OPT_SERIALIZE_NUMPY)":
            lambda: orjson.dumps(doc, default=serialize._fallback, option=orjson.OPT_SERIALIZE_NUMPY),
        "orjson.dumps(same dict, plain lists)": lambda: orjson.dumps(as_lists),
        "serialize.json_response(step_trace(...))":
            lambda: serialize.json_response(serialize.step_trace(result, s2)),
        "StepBody.model_validate_json(b'{}')": lambda: StepBody.model_validate_json(b"{}"),
    }, n, reps)

    # ---- 4. the whole app in-process (ASGI, no sockets)
    from backprop_explorer.api.app import create_app
    from backprop_explorer.api.config import Settings
    from backprop_explorer.sessions import SessionStore
    from backprop_explorer.sessions.presets import resolve_network_spec
    # (create_app(settings, SessionStore()) would drop the empty store: SessionStore has
    # __len__, so `store or SessionStore(...)` is falsy-tested; take the app's own store)
    app = create_app(Settings(demo_session=False, memory=True))   # as `--memory`: no SQLite
    store: SessionStore = app.state.store
    sess = store.create(resolve_network_spec({"layers": [2, 2, 1],
                                              "dataset": {"name": "xor", "n": 200, "seed": 0}}))
    grid = [[-1.5 + 3 * i / 39, -1.5 + 3 * j / 39] for i in range(40) for j in range(40)]
    predict_body = orjson.dumps({"X": grid})
    call, ev = asgi_caller(app)
    # the routes with only the AsyncExitStack FastAPI needs: no error, body-limit or
    # security-header middleware
    from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
    rcall, _ = asgi_caller(AsyncExitStackMiddleware(app.router), ev, app)
    n_asgi = max(10, n // 5)
    results["whole app in-process via ASGI (no sockets)"] = bench({
        "GET /api/health": call("GET", "/api/health"),
        "POST /step {} (small session: inline on the event loop)":
            call("POST", f"/api/sessions/{sess.id}/step", b"{}"),
        "GET /api/health, routes only (no middleware)": rcall("GET", "/api/health"),
        "POST /step {}, routes only (no middleware)":
            rcall("POST", f"/api/sessions/{sess.id}/step", b"{}"),
        "GET /api/sessions/{id} (the UI re-reads the session after each step)":
            call("GET", f"/api/sessions/{sess.id}"),
        "POST /predict, 40×40 grid (the heatmap, after each step)":
            call("POST", f"/api/sessions/{sess.id}/predict", predict_body),
    }, n_asgi, reps)
    from backprop_explorer.api.schemas import PredictBody
    results["/predict pieces (40×40 grid = 1600 points)"] = bench({
        "PredictBody.model_validate_json (pydantic, strict floats)":
            lambda: PredictBody.model_validate_json(predict_body),
        "orjson.loads + np.asarray (what the numbers need)":
            lambda: np.asarray(orjson.loads(predict_body)["X"], dtype=np.float64),
        "Session.predict (validation of rows + engine.predict)": lambda: sess.predict(grid),
        "orjson.dumps of the 1600×1 result":
            lambda: orjson.dumps({"Y": sess.predict(grid)}, option=orjson.OPT_SERIALIZE_NUMPY),
    }, max(10, n // 10), reps)
    ev.close()

    for section, rows in results.items():
        print(f"\n{section}")
        print(C.table(["what", "median"], [[k, C.fmt_time(v)] for k, v in rows.items()]))
    path = C.write_json(args.out, "profile_hotpaths", {
        "benchmark": "profile_hotpaths", "quick": args.quick, "environment": env,
        "command": C.command("profile_hotpaths.py"),
        "unit": "seconds per call", "sections": results})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
