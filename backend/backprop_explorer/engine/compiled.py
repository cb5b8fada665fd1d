"""The per-example calls of a small network, compiled (numba): forward keeping every s
and a; forward, loss and backward (∂L/∂a, f′(s), δ, ∂L/∂W, ∂L/∂b); the SGD step (that, the
update and the loss after it); predict (every row as forward computes one); and
per-example training (the step, example after example, in one call).

Why: for a network as small as the lecture's 2-2-1, numpy's cost is all per call (about
a microsecond each, some 30 calls a step) and PyTorch's is all per operator. The same
loops compiled are a few microseconds for the whole step. network.py stays the readable
reference and the implementation for everything else (batches, big networks); this module
computes its formulas element by element and returns the same trace objects. Every kernel
is built from the same helpers (_forward, _loss, _backward), so every route gives the
same bits for the same example; dispatch.py picks this path or numpy's for all of them.
tests/engine/test_compiled.py checks the two paths agree to rounding for every activation,
loss and depth; bench/engine.py measures both.

If a value anywhere is not finite (overflow, divergence), these return None (train: the
failing update's position) and the caller runs network.py, whose error handling says
what went wrong.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

try:   # numba is a dependency; without it (e.g. an unusual platform) network.py does all
    from numba import njit
except ImportError:  # pragma: no cover
    njit = None  # type: ignore[assignment]

from .activations import ACTIVATIONS
from .activations import LEAKY_SLOPE as _LEAKY
from .losses import LOSSES, TINY
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

# The kernel's branches, by code: 0 σ, 1 tanh, 2 relu, 3 leaky relu, 4 linear, 5 softmax
# (per layer); losses 0 squared, 1 cross-entropy. Which activation and loss use which code
# is said by the tables (activations.ACTIVATIONS, losses.LOSSES), not here.
KERNEL_ACTIVATION_CODES = frozenset(range(6))
KERNEL_LOSS_CODES = frozenset(range(2))
_ACTIVATION_CODES = {a.name: a.compiled for a in ACTIVATIONS.values() if a.compiled is not None}
_LOSS_CODES = {loss.name: loss.compiled for loss in LOSSES.values() if loss.compiled is not None}
assert set(_ACTIVATION_CODES.values()) <= KERNEL_ACTIVATION_CODES, \
    "an activation names a kernel code compiled.py does not implement"
assert set(_LOSS_CODES.values()) <= KERNEL_LOSS_CODES, \
    "a loss names a kernel code compiled.py does not implement"


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
    for k in range(sizes.shape[0] - 1):
        n_in, n_out, code = sizes[k], sizes[k + 1], acts[k]
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


def _local(code, s, a):
    """f′(s) of one unit (activations.py's derivatives); softmax has none (0 here)."""
    if code == 0:
        return a * (1.0 - a)
    if code == 1:
        return 1.0 - a * a
    if code == 2:
        return 1.0 if s > 0.0 else 0.0
    if code == 3:
        return 1.0 if s > 0.0 else _LEAKY
    if code == 4:
        return 1.0
    return 0.0


def _delta(code, s, a, dL_da, da_ds, delta):
    """f′(s) into da_ds and δ = ∂L/∂s from ∂L/∂a into delta."""
    n = a.shape[0]
    if code == 5:               # softmax: a_j (g_j − Σ_k g_k a_k)
        dot = 0.0
        for k in range(n):
            dot += dL_da[k] * a[k]
        for j in range(n):
            da_ds[j] = 0.0
            delta[j] = a[j] * (dL_da[j] - dot)
        return
    for j in range(n):
        f = _local(code, s[j], a[j])
        da_ds[j] = f
        delta[j] = dL_da[j] * f


def _backward(sizes, acts, loss_code, l2, params, y, act, S, DA, DS, G):
    """From a forward pass (act: x then every layer's a; S: every s): ∂L/∂a into DA, f′(s)
    into DS and every ∂L/∂W, ∂L/∂b into G (the ∂L/∂b slots hold δ), top-down, each δ
    reused below."""
    L = sizes.shape[0] - 1
    n0, n_out = sizes[0], sizes[L]
    P, U = G.shape[0], S.shape[0]
    out_code = acts[L - 1]
    # output layer: ∂L/∂y, and δ into its ∂L/∂b slot
    a_out, da_out, d_out = act[n0 + U - n_out:], DA[U - n_out:], G[P - n_out:]
    s_out, ds_out = S[U - n_out:], DS[U - n_out:]
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
            ds_out[j] = _local(out_code, s_out[j], a_out[j])
    if not fused:               # squared loss on a non-linear output
        _delta(out_code, s_out, a_out, da_out, ds_out, d_out)

    o_end, u = P, U             # ends of this layer's parameters and units
    for k in range(L - 1, -1, -1):
        n_in, n_o = sizes[k], sizes[k + 1]
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
        if k > 0:               # reuse δ: ∂L/∂a below = W·δ, then δ below = f'(s) ⊙ ∂L/∂a
            ub = u - n_in
            for i in range(n_in):
                acc = 0.0
                for j in range(n_o):
                    acc += params[o + i * n_o + j] * delta[j]
                DA[ub + i] = acc
            _delta(acts[k - 1], S[ub:u], act[n0 + ub:n0 + u], DA[ub:u], DS[ub:u], G[o - n_in:o])
        o_end = o


def _all_finite(v):
    for k in range(v.shape[0]):
        if not math.isfinite(v[k]):
            return False
    return True


def _forward_kernel(sizes, acts, loss_code, params, x, y, has_y, out):
    """Writes [s | a | loss] into `out` (loss 0 without y); returns whether all is finite."""
    L = sizes.shape[0] - 1
    n0, n_out = sizes[0], sizes[L]
    U = (out.shape[0] - 1) // 2
    act = np.empty(n0 + U)
    act[:n0] = x
    S = out[:U]
    _forward(sizes, acts, params, act, S)
    out[U:2 * U] = act[n0:]
    out[2 * U] = _loss(loss_code, acts[L - 1], S[U - n_out:], act[n0 + U - n_out:], y) \
        if has_y else 0.0
    return _all_finite(out)


def _backward_into(sizes, acts, loss_code, l2, params, x, y, out, act):
    """Forward, loss and backward of one example into out = [s | a | ∂L/∂a | f′(s) |
    gradient | loss, …]; act is the work vector (x then every a)."""
    L = sizes.shape[0] - 1
    n0, n_out = sizes[0], sizes[L]
    P = params.shape[0]
    U = act.shape[0] - n0
    S, A, DA, DS = out[:U], out[U:2 * U], out[2 * U:3 * U], out[3 * U:4 * U]
    G = out[4 * U:4 * U + P]
    act[:n0] = x
    _forward(sizes, acts, params, act, S)
    A[:] = act[n0:]
    out[4 * U + P] = _loss(loss_code, acts[L - 1], S[U - n_out:], A[U - n_out:], y)
    _backward(sizes, acts, loss_code, l2, params, y, act, S, DA, DS, G)


def _backward_kernel(sizes, acts, loss_code, l2, params, x, y, out):
    """out = [s | a | ∂L/∂a | f′(s) | gradient (∂L/∂b slots hold δ) | loss]."""
    P = params.shape[0]
    U = (out.shape[0] - P - 1) // 4
    act = np.empty(sizes[0] + U)
    _backward_into(sizes, acts, loss_code, l2, params, x, y, out, act)
    return _all_finite(out)


def _step_kernel(sizes, acts, loss_code, l2, lr, params, x, y, out, new):
    """out = [s | a | ∂L/∂a | f′(s) | gradient | loss, loss after], the updated parameters
    into `new`; returns whether every value is finite."""
    L = sizes.shape[0] - 1
    n0, n_out = sizes[0], sizes[L]
    P = params.shape[0]
    U = (out.shape[0] - P - 2) // 4
    act = np.empty(n0 + U)
    _backward_into(sizes, acts, loss_code, l2, params, x, y, out, act)
    G = out[4 * U:4 * U + P]
    for k in range(P):          # w ← w − γ ∂L/∂w
        new[k] = params[k] - lr * G[k]
    s_after = np.empty(U)
    _forward(sizes, acts, new, act, s_after)
    out[4 * U + P + 1] = _loss(loss_code, acts[L - 1], s_after[U - n_out:],
                               act[n0 + U - n_out:], y)
    return _all_finite(out) and _all_finite(new)


def _predict_kernel(sizes, acts, params, X, Y):
    """Every row of X forward (the same _forward as every other kernel), outputs into Y."""
    L = sizes.shape[0] - 1
    n0, n_out = sizes[0], sizes[L]
    U = 0
    for k in range(L):
        U += sizes[k + 1]
    act, S = np.empty(n0 + U), np.empty(U)
    for r in range(X.shape[0]):
        act[:n0] = X[r]
        _forward(sizes, acts, params, act, S)
        for j in range(n_out):
            v = act[n0 + U - n_out + j]
            if not math.isfinite(v):
                return False
            Y[r, j] = v
    return True


def _train_kernel(sizes, acts, loss_code, l2, lrs, params, X, Y, order, losses):
    """Per-example SGD in place on `params` over the rows X[order[k]], Y[order[k]], update k
    with learning rate lrs[k] (γ_t); losses[k] is each update's loss before it. Each update
    is _step_kernel's: the same forward, loss, backward and w − γ·∂L/∂w. Returns -1, or the
    position k of the first update whose loss or new weights are not finite (params then
    hold the weights before it)."""
    n0 = sizes[0]
    P = params.shape[0]
    U = 0
    for k in range(sizes.shape[0] - 1):
        U += sizes[k + 1]
    act, out, new = np.empty(n0 + U), np.empty(4 * U + P + 1), np.empty(P)
    for k in range(order.shape[0]):
        i = order[k]
        _backward_into(sizes, acts, loss_code, l2, params, X[i], Y[i], out, act)
        loss = out[4 * U + P]
        if not math.isfinite(loss):
            return k
        lr = lrs[k]
        for p in range(P):
            new[p] = params[p] - lr * out[4 * U + p]
        if not _all_finite(new):
            return k
        params[:] = new
        losses[k] = loss
    return -1


def _numba_jit_disabled() -> bool:
    from numba import config
    return bool(getattr(config, "DISABLE_JIT", False))


if njit is not None:
    _jit = njit(cache=True, nogil=True)
    _activate, _forward, _loss, _local, _delta = (
        _jit(_activate), _jit(_forward), _jit(_loss), _jit(_local), _jit(_delta))
    _backward, _all_finite, _backward_into = _jit(_backward), _jit(_all_finite), _jit(_backward_into)
    _compiled_forward, _compiled_backward = _jit(_forward_kernel), _jit(_backward_kernel)
    _compiled_step, _compiled_predict = _jit(_step_kernel), _jit(_predict_kernel)
    _compiled_train = _jit(_train_kernel)
    COMPILER = True
else:  # pragma: no cover
    COMPILER = False

#: BPE_COMPILED=0 turns the compiled path off (numpy everywhere), e.g. to run the test
#: suite on the reference path too (make test does both).
#: NUMBA_DISABLE_JIT=1 leaves the kernels as plain Python loops (slow, and warning on overflow
#: where compiled code gives inf): that too is the numpy path, not a compiled one.
ENABLED = COMPILER and os.environ.get("BPE_COMPILED", "1").strip().lower() not in (
    "0", "false", "no", "off") and not _numba_jit_disabled()


@dataclass(frozen=True)
class _Spec:
    sizes: np.ndarray
    acts: np.ndarray
    loss: int
    l2: float
    units: tuple[tuple[int, int], ...]      # (offset, n) of each layer's units
    n_units: int                            # all layers' units (input excluded)
    softmax: tuple[bool, ...]               # per layer: no elementwise f′ (None in traces)


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
                     _LOSS_CODES[arch.loss], float(arch.l2), tuple(offsets), u,
                     tuple(ACTIVATIONS[a].derivative is None for a in arch.activations))
        _specs[arch] = spec
    return spec


def available(arch: Architecture) -> bool:
    """Whether the compiled path runs this network: enabled, small enough, and every
    activation and the loss have a kernel code (anything else runs with numpy)."""
    return (ENABLED and arch.n_parameters <= MAX_PARAMETERS and arch.loss in _LOSS_CODES
            and all(a in _ACTIVATION_CODES for a in arch.activations))


def _vector(v: np.ndarray | None, n: int) -> np.ndarray:
    # one signature only (contiguous float64 vectors): no second compilation
    return np.zeros(n) if v is None else np.ascontiguousarray(v, dtype=np.float64)


def _layers(spec: _Spec, out: np.ndarray) -> list[LayerForward]:
    U = spec.n_units
    return [LayerForward(out[u:u + n], out[U + u:U + u + n]) for u, n in spec.units]


def _backward_trace(spec: _Spec, arch: Architecture, out: np.ndarray, x: np.ndarray,
                    y: np.ndarray) -> BackwardTrace:
    U, P = spec.n_units, arch.n_parameters
    gradient = Parameters.view(out[4 * U:4 * U + P], arch.shapes)
    grads = [LayerGrads(out[2 * U + u:2 * U + u + n], db, dW, db,
                        None if soft else out[3 * U + u:3 * U + u + n])
             for (u, n), (dW, db), soft in zip(spec.units, gradient, spec.softmax, strict=True)]
    loss = float(out[4 * U + P])
    return BackwardTrace(ForwardTrace(x, y, _layers(spec, out), loss), loss, grads, gradient)


def forward(arch: Architecture, weights: Weights, x: np.ndarray,
            y: np.ndarray | None = None) -> ForwardTrace | None:
    """The compiled forward pass of one example, or None if any value is not finite."""
    spec = _spec(arch)
    U = spec.n_units
    out = np.empty(2 * U + 1)
    xv, yv = _vector(x, arch.layers[0]), _vector(y, arch.layers[-1])
    if not _compiled_forward(spec.sizes, spec.acts, spec.loss, Parameters.pack(weights).flat,
                             xv, yv, y is not None, out):
        return None
    return ForwardTrace(xv, None if y is None else yv, _layers(spec, out),
                        float(out[2 * U]) if y is not None else None)


def backward(arch: Architecture, weights: Weights, x: np.ndarray,
             y: np.ndarray) -> BackwardTrace | None:
    """The compiled forward, loss and backward of one example, or None if not finite."""
    spec = _spec(arch)
    out = np.empty(4 * spec.n_units + arch.n_parameters + 1)
    xv, yv = _vector(x, arch.layers[0]), _vector(y, arch.layers[-1])
    if not _compiled_backward(spec.sizes, spec.acts, spec.loss, spec.l2,
                              Parameters.pack(weights).flat, xv, yv, out):
        return None
    return _backward_trace(spec, arch, out, xv, yv)


def step(arch: Architecture, weights: Weights, x: np.ndarray, y: np.ndarray,
         learning_rate: float) -> StepTrace | None:
    """The compiled step, or None if any value is not finite (then use network.py)."""
    spec = _spec(arch)
    U, P = spec.n_units, arch.n_parameters
    out = np.empty(4 * U + P + 2)
    new = np.empty(P)
    xv, yv = _vector(x, arch.layers[0]), _vector(y, arch.layers[-1])
    if not _compiled_step(spec.sizes, spec.acts, spec.loss, spec.l2, float(learning_rate),
                          Parameters.pack(weights).flat, xv, yv, out, new):
        return None
    return StepTrace(_backward_trace(spec, arch, out, xv, yv), Parameters.view(new, arch.shapes),
                     float(out[4 * U + P + 1]))


def predict(arch: Architecture, weights: Weights, X: np.ndarray) -> np.ndarray | None:
    """The outputs for every row of X, each row computed exactly as `forward` computes one
    example (so /predict and /forward agree bit for bit); None if any is not finite."""
    spec = _spec(arch)
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.empty((X.shape[0], arch.layers[-1]))
    if not _compiled_predict(spec.sizes, spec.acts, Parameters.pack(weights).flat, X, Y):
        return None
    return Y


def train(arch: Architecture, weights: Weights, X: np.ndarray, Y: np.ndarray, order: np.ndarray,
          learning_rate: float | np.ndarray) -> tuple[Parameters, np.ndarray, int]:
    """Per-example SGD over the examples `order` (indices into X, Y), in that order, update k
    at learning_rate (or learning_rate[k], one γ_t per update), in one compiled call:
    (weights after, each update's loss before it, -1), or, if update k's loss or new
    weights are not finite, (weights before update k, the k losses before, k).
    `weights` is left as it was."""
    spec = _spec(arch)
    params = Parameters.pack(weights).flat.copy()
    losses = np.empty(len(order))
    lrs = np.broadcast_to(np.asarray(learning_rate, dtype=np.float64), (len(order),))
    failed = _compiled_train(spec.sizes, spec.acts, spec.loss, spec.l2, np.ascontiguousarray(lrs),
                             params, np.ascontiguousarray(X, dtype=np.float64),
                             np.ascontiguousarray(Y, dtype=np.float64),
                             np.ascontiguousarray(order, dtype=np.int64), losses)
    failed = int(failed)
    return (Parameters.view(params, arch.shapes), losses[:failed] if failed >= 0 else losses,
            failed)


def warm_up() -> None:
    """Compile (or load the cached compilation of) the kernels now rather than on the first
    call a user makes."""
    if not ENABLED:
        return
    arch = Architecture((2, 2, 1), ("sigmoid", "linear"), "squared")
    weights = Parameters.view(np.zeros(9), arch.shapes)
    x, y = np.zeros(2), np.zeros(1)
    forward(arch, weights, x, y)
    forward(arch, weights, x)
    backward(arch, weights, x, y)
    step(arch, weights, x, y, 0.1)
    predict(arch, weights, np.zeros((1, 2)))
    train(arch, weights, np.zeros((1, 2)), np.zeros((1, 1)), np.zeros(1, dtype=np.int64), 0.1)
