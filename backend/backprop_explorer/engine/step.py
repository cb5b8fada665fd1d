"""One per-example SGD step with its whole trace: compiled for small networks
(compiled.py), numpy otherwise (network.py). Both give the same StepTrace, equal to
rounding (tests/engine/test_compiled.py)."""
from __future__ import annotations

import numpy as np

from . import compiled, network
from .network import Architecture, StepTrace, Weights


def sgd_step(arch: Architecture, weights: Weights, x: np.ndarray, y: np.ndarray,
             learning_rate: float) -> StepTrace:
    """Forward, loss, backward, w ← w − γ ∂L/∂w and the loss after, for one example.
    Errors as network.sgd_step (the compiled path hands anything non-finite to it)."""
    if compiled.available(arch):
        result = compiled.step(arch, weights, x, y, learning_rate)
        if result is not None:
            return result
    return network.sgd_step(arch, weights, x, y, learning_rate)


def sgd_per_example(arch: Architecture, weights: Weights, X: np.ndarray, Y: np.ndarray,
                    order: np.ndarray, learning_rate: float) -> tuple[Weights, np.ndarray]:
    """Per-example SGD (the lecture's) over the examples `order` (indices into X, Y), in that
    order: (weights after, each update's loss before it). Compiled in one call for small
    networks; numpy one example at a time otherwise. Errors as network.sgd_update."""
    if compiled.available(arch) and len(order):
        result = compiled.train(arch, weights, X, Y, order, learning_rate)
        if result is not None:
            return result
    losses = np.empty(len(order))
    for k, i in enumerate(order):
        losses[k], grads = network.batch_gradients(arch, weights, X[i:i + 1], Y[i:i + 1])
        weights = network.sgd_update(weights, grads, learning_rate)
    return weights, losses
