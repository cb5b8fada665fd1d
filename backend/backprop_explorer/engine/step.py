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
