"""The engine's entry points for everything computed per example: forward, backward, the
SGD step, predict and per-example training. Each runs the compiled kernel for small
networks (compiled.py) and numpy otherwise (network.py), so a request gets the same bits
whichever route asked: /forward, /backward, /step, /predict and /train at batch size 1 all
come here, and on one network they all take the same path.

numpy (network.py) is the readable reference and the batched path; the compiled kernels
compute the same formulas (tests/engine/test_compiled.py holds them to rtol 1e-12). A
result that is not finite is never returned: the compiled path hands it to numpy, and
numpy's result is checked too, raising FloatingPointError (an overflow: the caller maps
it to a 422 on its input) or DivergedError (the update would leave a non-finite weight or
loss).
"""
from __future__ import annotations

import numpy as np

from . import compiled, network
from .errors import DIVERGED, DivergedError
from .network import Architecture, BackwardTrace, ForwardTrace, StepTrace, Weights


def uses_compiled(arch: Architecture) -> bool:
    """Whether this network's per-example calls run compiled (else numpy)."""
    return compiled.available(arch)


def _finite(*arrays) -> bool:
    return all(a is None or bool(np.isfinite(a).all()) for a in arrays)


def _forward_finite(trace: ForwardTrace) -> bool:
    return _finite(*(v for layer in trace.layers for v in (layer.s, layer.a))) and \
        (trace.loss is None or np.isfinite(trace.loss))


def _backward_finite(trace: BackwardTrace) -> bool:
    return _forward_finite(trace.forward) and np.isfinite(trace.loss) and \
        _finite(trace.gradient.flat, *(g.dL_da for g in trace.grads))


def _either(arch: Architecture, fast, reference, is_finite):
    """The compiled call's result, or (when it is off, unavailable or declines) the numpy
    call's, which must pass `is_finite` (else FloatingPointError: an overflow)."""
    if compiled.available(arch):
        result = fast()
        if result is not None:
            return result
    result = reference()
    if not is_finite(result):
        raise FloatingPointError("overflow")
    return result


def forward(arch: Architecture, weights: Weights, x: np.ndarray,
            y: np.ndarray | None = None) -> ForwardTrace:
    """One example forward, keeping every s and a; the loss too if y (y*) is given."""
    return _either(arch, lambda: compiled.forward(arch, weights, x, y),
                   lambda: network.forward(arch, weights, x, y), _forward_finite)


def backward(arch: Architecture, weights: Weights, x: np.ndarray, y: np.ndarray) -> BackwardTrace:
    """One example's forward, loss and top-down partial derivatives."""
    return _either(arch, lambda: compiled.backward(arch, weights, x, y),
                   lambda: network.backward(arch, weights, x, y), _backward_finite)


def sgd_step(arch: Architecture, weights: Weights, x: np.ndarray, y: np.ndarray,
             learning_rate: float) -> StepTrace:
    """backward, w ← w − γ ∂L/∂w and the loss after, for one example. FloatingPointError if
    the example overflows the forward or backward pass, DivergedError if the update would
    make a weight or the loss after it non-finite."""
    if compiled.available(arch):
        result = compiled.step(arch, weights, x, y, learning_rate)
        if result is not None:
            return result
    trace = backward(arch, weights, x, y)          # raises for the example's own overflow
    new = network.sgd_update(weights, trace.gradient, learning_rate)
    try:
        after = network.forward(arch, new, x, y)
    except FloatingPointError:
        raise DivergedError(DIVERGED) from None
    if not _forward_finite(after):
        raise DivergedError(DIVERGED)
    return StepTrace(trace, new, after.loss)  # type: ignore[arg-type]


def predict(arch: Architecture, weights: Weights, X: np.ndarray) -> np.ndarray:
    """The output for every row of X; on the compiled path each row is computed exactly as
    `forward` computes one example."""
    return _either(arch, lambda: compiled.predict(arch, weights, X) if len(X) else None,
                   lambda: network.predict(arch, weights, X), _finite)


def sgd_per_example(arch: Architecture, weights: Weights, X: np.ndarray, Y: np.ndarray,
                    order: np.ndarray,
                    learning_rate: float | np.ndarray) -> tuple[Weights, np.ndarray]:
    """Per-example SGD (the lecture's) over the examples `order` (indices into X, Y), in that
    order, update k at learning_rate (or learning_rate[k]: a γ_t per update): (weights
    after, each update's loss before it). Every update is `sgd_step`'s, bit for bit.
    DivergedError naming the update if one would make a weight or a loss non-finite
    (nothing is returned then: the caller keeps its weights)."""
    if compiled.available(arch) and len(order):
        new, losses, failed = compiled.train(arch, weights, X, Y, order, learning_rate)
        if failed < 0:
            return new, losses
        raise DivergedError(_diverged_at(failed, len(order)))
    losses = np.empty(len(order))
    lrs = np.broadcast_to(np.asarray(learning_rate, dtype=np.float64), (len(order),))
    for k, i in enumerate(order):
        try:
            trace = backward(arch, weights, X[i], Y[i])
            weights = network.sgd_update(weights, trace.gradient, float(lrs[k]))
        except (FloatingPointError, DivergedError):
            raise DivergedError(_diverged_at(k, len(order))) from None
        losses[k] = trace.loss
    return weights, losses


def _diverged_at(k: int, n: int) -> str:
    return (f"update {k + 1} of {n} would make a weight or the loss non-finite (the training "
            "diverges); nothing was changed")
