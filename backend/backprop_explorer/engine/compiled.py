"""The per-example SGD step of a small network, compiled (numba): forward keeping every
s and a, the loss, backward (∂L/∂a, δ, ∂L/∂W, ∂L/∂b), the update and the loss after it,
in one call.

Why: for a network as small as the lecture's 2-2-1, numpy's cost is all per call (about
a microsecond each, some 30 calls a step) and PyTorch's is all per operator. The same
loops compiled are a few microseconds for the whole step. network.py stays the reference
and the implementation for everything else (batches, big networks); this module computes
its formulas element by element and `step` returns the same trace objects. tests/engine/test_compiled.py checks the two agree to rounding for every
activation, loss and depth; bench/engine.py measures both.

If a value anywhere in the step is not finite (overflow, divergence), `step` returns None
and the caller runs network.py, whose numpy error handling says what went wrong.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

try:   # numba is a dependency; without it (e.g. an unusual platform) network.py does all
    from numba import njit
except ImportError:  # pragma: no cover
    njit = None

from .losses import TINY
from .network import (
    Architecture,
    BackwardTrace,
    ForwardTrace,
    LayerForward,
    LayerGrads,
    StepTrace,
    Weights,
)
from .parameters import Parameters

MAX_PARAMETERS = 20_000       # about where numpy's path catches up (bench/scaling.py)

_ACTIVATION_CODES = {"sigmoid": 0, "tanh": 1, "relu": 2, "leaky_relu": 3, "linear": 4,
                     "softmax": 5}
_LOSS_CODES = {"squared": 0, "cross_entropy": 1}
_LEAKY = 0.01


def _activate(code, s):
    if code == 0:               # σ(s), stable for any s, as activations.sigmoid
        if s >= 0.0:
            return 1.0 / (1.0 + math.exp(-s))
        e = math.exp(s)
        return e / (1.0 + e)
    if code == 1:
        return math.tanh(s)
    if code == 2:
        return s if s > 0.0 else 0.0
    if code == 3:
        return s if s > 0.0 else _LEAKY * s
    return s                    # linear (softmax is done per layer)


def _forward(sizes, acts, w, act, s):
    """act[:n0] holds the input x; fills s (all layers' s) and act[n0:] (their a)."""
    o = ui = us = 0             # offsets: this layer's W in w, its input in act, its s
    for l in range(sizes.shape[0] - 1):
        n_in, n_out, code = sizes[l], sizes[l + 1], acts[l]
        for j in range(n_out):
            acc = 0.0
            for i in range(n_in):
                acc += act[ui + i] * w[o + i * n_out + j]
            sv = acc + w[o + n_in * n_out + j]
            s[us + j] = sv
            act[ui + n_in + j] = _activate(code, sv)
        if code == 5:           # softmax: exp(s − max s) / Σ
            m = s[us]
            for j in range(1, n_out):
                m = max(m, s[us + j])
            tot = 0.0
            for j in range(n_out):
                e = math.exp(s[us + j] - m)
                act[ui + n_in + j] = e
                tot += e
            for j in range(n_out):
                act[ui + n_in + j] = act[ui + n_in + j] / tot
        o += (n_in + 1) * n_out
        ui += n_in
        us += n_out


def _loss(loss_code, out_code, s, a, y):
    """Loss of one example from the output layer's s and a (losses.py's formulas)."""
    n = y.shape[0]
    loss = 0.0
    if loss_code == 0:
        for j in range(n):
            d = a[j] - y[j]
            loss += d * d
        return 0.5 * loss
    if out_code == 5:           # cross-entropy on softmax, from s (log-sum-exp)
        m = s[0]
        for j in range(1, n):
            m = max(m, s[j])
        tot = 0.0
        for j in range(n):
            tot += math.exp(s[j] - m)
        lse = math.log(tot)
        for j in range(n):
            if y[j] != 0.0:
                loss -= y[j] * ((s[j] - m) - lse)
        return loss
    for j in range(n):          # cross-entropy on sigmoid: t·softplus(−s) + (1 − t)·softplus(s)
        tail = math.log1p(math.exp(-abs(s[j])))
        loss += y[j] * (max(-s[j], 0.0) + tail) + (1.0 - y[j]) * (max(s[j], 0.0) + tail)
    return loss


def _delta(code, s, a, dL_da, delta):
    """δ = ∂L/∂s from ∂L/∂a, written into delta (activations.py's derivatives)."""
    n = a.shape[0]
    if code == 5:               # softmax: a_j (g_j − Σ_k g_k a_k)
        dot = 0.0
        for k in range(n):
            dot += dL_da[k] * a[k]
        for j in range(n):
            delta[j] = a[j] * (dL_da[j] - dot)
        return
    for j in range(n):
        if code == 0:
            f = a[j] * (1.0 - a[j])
        elif code == 1:
            f = 1.0 - a[j] * a[j]
        elif code == 2:
            f = 1.0 if s[j] > 0.0 else 0.0
        elif code == 3:
            f = 1.0 if s[j] > 0.0 else _LEAKY
        else:
            f = 1.0
        delta[j] = dL_da[j] * f


def _backward(sizes, acts, loss_code, l2, params, y, act, S, DA, G):
    """From a forward pass (act: x then every layer's a; S: every s): ∂L/∂a into DA and
    every ∂L/∂W, ∂L/∂b into G (the ∂L/∂b slots hold δ), top-down, each δ reused below."""
    L = sizes.shape[0] - 1
    n0, n_out = sizes[0], sizes[L]
    P, U = G.shape[0], S.shape[0]
    out_code = acts[L - 1]
    # output layer: ∂L/∂y, and δ into its ∂L/∂b slot
    a_out, da_out, d_out = act[n0 + U - n_out:], DA[U - n_out:], G[P - n_out:]
    fused = loss_code == 1 or out_code == 4     # δ = y − y*
    for j in range(n_out):
        if loss_code == 0:
            da_out[j] = a_out[j] - y[j]
        else:
            g = -y[j] / max(a_out[j], TINY)
            if out_code == 0:
                g = g + (1.0 - y[j]) / max(1.0 - a_out[j], TINY)
            da_out[j] = g
        if fused:
            d_out[j] = a_out[j] - y[j]
    if not fused:               # squared loss on a non-linear output
        _delta(out_code, S[U - n_out:], a_out, da_out, d_out)

    o_end, u = P, U             # ends of this layer's parameters and units
    for l in range(L - 1, -1, -1):
        n_in, n_o = sizes[l], sizes[l + 1]
        o = o_end - (n_in + 1) * n_o
        u -= n_o
        delta = G[o + n_in * n_o:o_end]
        a_in = act[n0 + u - n_in:n0 + u]
        for i in range(n_in):
            for j in range(n_o):
                g = a_in[i] * delta[j]
                if l2 != 0.0:
                    g = g + l2 * params[o + i * n_o + j]
                G[o + i * n_o + j] = g
        if l > 0:               # reuse δ: ∂L/∂a below = W·δ, then δ below = f'(s) ⊙ ∂L/∂a
            ub = u - n_in
            for i in range(n_in):
                acc = 0.0
                for j in range(n_o):
                    acc += params[o + i * n_o + j] * delta[j]
                DA[ub + i] = acc
            _delta(acts[l - 1], S[ub:u], act[n0 + ub:n0 + u], DA[ub:u], G[o - n_in:o])
        o_end = o


def _kernel(sizes, acts, loss_code, l2, lr, params, x, y, out, new):
    """Writes [s | a | ∂L/∂a | gradient (the ∂L/∂b slots hold δ) | loss, loss after] into
    `out` and the updated parameters into `new`; returns whether every value is finite."""
    L = sizes.shape[0] - 1
    n0, n_out = sizes[0], sizes[L]
    P = params.shape[0]
    U = (out.shape[0] - P - 2) // 3
    S, A, DA, G = out[:U], out[U:2 * U], out[2 * U:3 * U], out[3 * U:3 * U + P]
    act = np.empty(n0 + U)
    act[:n0] = x
    _forward(sizes, acts, params, act, S)
    A[:] = act[n0:]
    out_code = acts[L - 1]
    loss = _loss(loss_code, out_code, S[U - n_out:], A[U - n_out:], y)
    _backward(sizes, acts, loss_code, l2, params, y, act, S, DA, G)
    for k in range(P):          # w ← w − γ ∂L/∂w
        new[k] = params[k] - lr * G[k]
    s_after = np.empty(U)
    _forward(sizes, acts, new, act, s_after)
    loss_after = _loss(loss_code, out_code, s_after[U - n_out:], act[n0 + U - n_out:], y)
    out[3 * U + P] = loss
    out[3 * U + P + 1] = loss_after

    for k in range(out.shape[0]):
        if not math.isfinite(out[k]):
            return False
    for k in range(P):
        if not math.isfinite(new[k]):
            return False
    return True


def _train_kernel(sizes, acts, loss_code, l2, lr, params, X, Y, order, losses):
    """Per-example SGD in place on `params` over the rows X[order[k]], Y[order[k]]; losses[k]
    is each update's loss before it. Returns False at the first non-finite value."""
    L = sizes.shape[0] - 1
    n0, n_out = sizes[0], sizes[L]
    P = params.shape[0]
    U = 0
    for l in range(L):
        U += sizes[l + 1]
    act, S, DA, G = np.empty(n0 + U), np.empty(U), np.empty(U), np.empty(P)
    out_code = acts[L - 1]
    for k in range(order.shape[0]):
        i = order[k]
        act[:n0] = X[i]
        _forward(sizes, acts, params, act, S)
        loss = _loss(loss_code, out_code, S[U - n_out:], act[n0 + U - n_out:], Y[i])
        if not math.isfinite(loss):
            return False
        _backward(sizes, acts, loss_code, l2, params, Y[i], act, S, DA, G)
        for p in range(P):
            w = params[p] - lr * G[p]
            if not math.isfinite(w):
                return False
            params[p] = w
        losses[k] = loss
    return True


if njit is not None:
    _jit = njit(cache=True, nogil=True)
    _activate, _forward, _loss, _delta = _jit(_activate), _jit(_forward), _jit(_loss), _jit(_delta)
    _backward = _jit(_backward)
    _compiled_kernel, _compiled_train = _jit(_kernel), _jit(_train_kernel)
else:  # pragma: no cover
    _compiled_kernel = _compiled_train = None


@dataclass(frozen=True)
class _Spec:
    sizes: np.ndarray
    acts: np.ndarray
    loss: int
    l2: float
    units: tuple[tuple[int, int], ...]      # (offset, n) of each layer's units
    n_units: int                            # all layers' units (input excluded)


_specs: dict[Architecture, _Spec] = {}


def _spec(arch: Architecture) -> _Spec:
    spec = _specs.get(arch)
    if spec is None:
        offsets, u = [], 0
        for n in arch.layers[1:]:
            offsets.append((u, n))
            u += n
        spec = _Spec(np.array(arch.layers, dtype=np.int64),
                     np.array([_ACTIVATION_CODES[a] for a in arch.activations], dtype=np.int64),
                     _LOSS_CODES[arch.loss], float(arch.l2), tuple(offsets), u)
        _specs[arch] = spec
    return spec


def available(arch: Architecture) -> bool:
    return _compiled_kernel is not None and arch.n_parameters <= MAX_PARAMETERS


def step(arch: Architecture, weights: Weights, x: np.ndarray, y: np.ndarray,
         learning_rate: float) -> StepTrace | None:
    """The compiled step, or None if any value is not finite (then use network.py)."""
    spec = _spec(arch)
    params = Parameters.pack(weights)
    U, P = spec.n_units, arch.n_parameters
    out = np.empty(3 * U + P + 2)
    new = np.empty(P)
    # one signature only (contiguous float64 vectors, a float rate): no second compilation
    x = np.ascontiguousarray(x, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    if not _compiled_kernel(spec.sizes, spec.acts, spec.loss, spec.l2, float(learning_rate),
                            params.flat, x, y, out, new):
        return None
    gradient = Parameters.view(out[3 * U:3 * U + P], arch.shapes)
    layers, grads = [], []
    for (u, n), (dW, db) in zip(spec.units, gradient):
        layers.append(LayerForward(out[u:u + n], out[U + u:U + u + n]))
        grads.append(LayerGrads(out[2 * U + u:2 * U + u + n], db, dW, db))
    loss = float(out[3 * U + P])
    fwd = ForwardTrace(x, y, layers, loss)
    return StepTrace(BackwardTrace(fwd, loss, grads, gradient), Parameters.view(new, arch.shapes),
                     float(out[3 * U + P + 1]))


def train(arch: Architecture, weights: Weights, X: np.ndarray, Y: np.ndarray, order: np.ndarray,
          learning_rate: float) -> tuple[Parameters, np.ndarray] | None:
    """Per-example SGD over the examples `order` (indices into X, Y), in that order, in one
    compiled call: (weights after, each update's loss before it), or None if anything is not
    finite (then use network.py). `weights` is left as it was."""
    spec = _spec(arch)
    params = Parameters.pack(weights).flat.copy()
    losses = np.empty(len(order))
    if not _compiled_train(spec.sizes, spec.acts, spec.loss, spec.l2, float(learning_rate),
                           params, np.ascontiguousarray(X, dtype=np.float64),
                           np.ascontiguousarray(Y, dtype=np.float64),
                           np.ascontiguousarray(order, dtype=np.int64), losses):
        return None
    return Parameters.view(params, arch.shapes), losses


def warm_up() -> None:
    """Compile (or load the cached compilation of) the kernel now rather than on the first
    step a user takes."""
    if _compiled_kernel is None:
        return
    arch = Architecture((2, 2, 1), ("sigmoid", "linear"), "squared")
    weights = Parameters.view(np.zeros(9), arch.shapes)
    step(arch, weights, np.zeros(2), np.zeros(1), 0.1)
    train(arch, weights, np.zeros((1, 2)), np.zeros((1, 1)), np.zeros(1, dtype=np.int64), 0.1)
