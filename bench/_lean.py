"""Prototypes for the recommendations (measured by bench/profile_hotpaths.py): the engine's
per-example step with the same trace, computed with fewer numpy calls, and the same step in
plain Python floats. Nothing here is used by the product; it shows what a change would buy.

lean_backward / lean_sgd_update return engine.BackwardTrace / new weights equal to
engine.backward / engine.sgd_update (checked in profile_hotpaths.py), for sigmoid, tanh,
relu and linear layers with the squared loss on a linear output (the lecture's case).
"""
from __future__ import annotations

import math

import numpy as np

import _common  # noqa: F401
from backprop_explorer import engine
from backprop_explorer.engine import BackwardTrace, ForwardTrace, LayerForward, LayerGrads

_exp, _logaddexp, _tanh, _outer, _isfinite = np.exp, np.logaddexp, np.tanh, np.outer, np.isfinite


def _sigmoid(s):
    # σ(s) = exp(−log(1 + e^{−s})): 3 ufunc calls instead of 9, stable for any s
    return _exp(-_logaddexp(0.0, -s))


_VALUE = {"sigmoid": _sigmoid, "tanh": _tanh, "relu": lambda s: np.maximum(s, 0.0),
          "linear": lambda s: s.copy()}
_DERIV = {"sigmoid": lambda s, a: a * (1.0 - a), "tanh": lambda s, a: 1.0 - a * a,
          "relu": lambda s, a: (s > 0).astype(np.float64), "linear": None}


def lean_backward(arch, weights, x, y) -> BackwardTrace:
    assert arch.loss == "squared" and arch.activations[-1] == "linear" and not arch.l2
    acts = arch.activations
    layers = []
    a = x
    for (W, b), name in zip(weights, acts):
        s = a @ W + b
        a = _VALUE[name](s)
        layers.append(LayerForward(s, a))
    d = a - y
    loss = 0.5 * float(d @ d)
    fwd = ForwardTrace(x, y, layers, loss)
    n = len(weights)
    grads = [None] * n
    dL_da = d
    delta = d                                    # linear output + squared loss: δ = y − y*
    for l in range(n - 1, -1, -1):
        a_below = layers[l - 1].a if l else x
        grads[l] = LayerGrads(dL_da, delta, _outer(a_below, delta), delta)  # dL_db shares δ
        if l:
            W = weights[l][0]
            dL_da = W @ delta
            below = layers[l - 1]
            delta = dL_da * _DERIV[acts[l - 1]](below.s, below.a)
    return BackwardTrace(fwd, loss, grads)


def lean_sgd_update(weights, grads, lr):
    new = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(weights, grads)]
    # one finiteness test for all layers: a NaN or ±inf anywhere makes the sum non-finite
    # (a false alarm needs weights summing past 1.8e308, which is divergence anyway)
    total = 0.0
    for W, b in new:
        total += float(W.sum()) + float(b.sum())
    if not math.isfinite(total):
        raise engine.DivergedError("the update would make a weight non-finite")
    return new


# ------------------------------------------------------------- plain Python floats, full trace
def _sig(v):
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def py_step_trace(Wl, x, y, lr):
    """Forward, loss, backward and update on lists of floats, returning the whole trace as
    plain lists (what orjson serialises fastest) and the new weights. Sigmoid hidden
    layers, linear output, squared loss."""
    L = len(Wl)
    layers = []
    a = x
    for l, (W, b) in enumerate(Wl):
        s = list(b)
        for i, ai in enumerate(a):
            row = W[i]
            for j in range(len(s)):
                s[j] += ai * row[j]
        a = [_sig(v) for v in s] if l < L - 1 else list(s)
        layers.append({"s": s, "a": a})
    d = [ai - ti for ai, ti in zip(a, y)]
    loss = 0.5 * sum(v * v for v in d)
    grads = [None] * L
    dL_da, delta = d, d
    for l in range(L - 1, -1, -1):
        below = layers[l - 1]["a"] if l else x
        grads[l] = {"dL_da": dL_da, "dL_ds": delta, "dL_dW": [[bi * dj for dj in delta] for bi in below],
                    "dL_db": delta}
        if l:
            W = Wl[l][0]
            dL_da = [sum(w * dj for w, dj in zip(W[i], delta)) for i in range(len(below))]
            delta = [g * z * (1.0 - z) for g, z in zip(dL_da, below)]
    new = []
    for (W, b), g in zip(Wl, grads):
        Wn = [[w - lr * gw for w, gw in zip(wr, gr)] for wr, gr in zip(W, g["dL_dW"])]
        bn = [v - lr * gv for v, gv in zip(b, g["dL_db"])]
        if not math.isfinite(sum(map(sum, Wn)) + sum(bn)):
            raise engine.DivergedError("the update would make a weight non-finite")
        new.append((Wn, bn))
    trace = {"x": x, "y": y, "forward": {"x": x, "y": y, "layers": layers, "output": a, "loss": loss},
             "loss": loss, "grads": grads,
             "update": [{"W_before": W, "W_after": Wn, "b_before": b, "b_after": bn}
                        for (W, b), (Wn, bn) in zip(Wl, new)]}
    return trace, new
