"""In-process ASGI comparison of the app as it is (VARIANT=today) against async get_store
(VARIANT=async-deps) and async get_store + an async /step route (VARIANT=all-async).
The harness (profile_hotpaths.asgi_caller) restarts the event loop per request, which makes
every worker-thread hop dearer than under uvicorn: read the ratios, not the absolute times.
Run: for v in today all-async; do VARIANT=$v .venv/bin/python bench/variants_asgi.py; done
"""
import sys, time, statistics
sys.argv = ['x']
variant = __import__('os').environ.get('VARIANT', 'today')
import os; sys.path.insert(0, os.path.dirname(os.path.abspath(__file__))); import _common  # noqa: E402
from backprop_explorer.api import deps
if variant in ('async-deps', 'all-async'):
    from fastapi import Request
    async def get_store(request: Request):
        return request.app.state.store
    deps.get_store = get_store
import profile_hotpaths as P
if variant == 'all-async':
    import functools
    from backprop_explorer.api.routes import traces
    real = traces.step
    g = dict(real.__globals__); g['_real'] = real
    exec("async def step(*args, **kwargs):\n    return _real(*args, **kwargs)\n", g)
    new = functools.update_wrapper(g['step'], real)
    for r in traces.router.routes:
        if getattr(r, 'endpoint', None) is real:
            from fastapi.routing import APIRoute
    traces.router.routes = [r for r in traces.router.routes if getattr(r, 'endpoint', None) is not real]
    traces.router.add_api_route('/{session_id}/step', new, methods=['POST'])
from backprop_explorer.api.app import create_app
from backprop_explorer.api.config import Settings
from backprop_explorer.sessions.presets import resolve_network_spec
app = create_app(Settings(demo_session=False, memory=True))
store = app.state.store
s = store.create(resolve_network_spec({"layers": [2, 2, 1], "dataset": {"name": "xor", "n": 200, "seed": 0}}))
call, ev = P.asgi_caller(app)
h, st = call('GET', '/api/health'), call('POST', f'/api/sessions/{s.id}/step', b'{}')
res = {'health': [], 'step': []}
for r in range(9):
    for name, f in (('health', h), ('step', st)):
        t = time.perf_counter(); [f() for _ in range(200)]; res[name].append((time.perf_counter() - t) / 200)
print(variant, {k: f"{statistics.median(v)*1e6:.0f} us" for k, v in res.items()})
