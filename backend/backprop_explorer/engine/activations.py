"""Activation functions: value a = f(s) and local derivative da/ds.

Each entry works on arrays of any shape (one example or a batch in rows).
`derivative(s, a)` is given both the pre-activation and the activation so the
lecture's forms can be used directly, e.g. sigmoid: z(1 - z).
Softmax couples the units of a layer, so it has a vector-Jacobian product
instead of an elementwise derivative (see `Activation.backprop`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

LEAKY_SLOPE = 0.01


def sigmoid(s: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function for any finite or infinite input:
    1/(1 + e^(−s)) for s ≥ 0, e^s/(1 + e^s) below, with one exp of −|s| (which never
    overflows). The compiled step (compiled.py) uses the same two forms."""
    e = np.exp(-np.abs(s))
    return np.where(s >= 0, 1.0, e) / (1.0 + e)


def softmax(s: np.ndarray) -> np.ndarray:
    shifted = s - np.max(s, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


@dataclass(frozen=True)
class Activation:
    name: str
    value: Callable[[np.ndarray], np.ndarray]
    # da/ds elementwise, from s and a; None for softmax (not elementwise)
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray] | None
    formula: str          # the local derivative as the UI writes it
    output_only: bool = False

    def backprop(self, dL_da: np.ndarray, s: np.ndarray, a: np.ndarray,
                 into: np.ndarray | None = None) -> np.ndarray:
        """δ = ∂L/∂s from ∂L/∂a (rows are examples), written into `into` if given."""
        if self.derivative is not None:
            return np.multiply(dL_da, self.derivative(s, a), out=into)
        # softmax: ∂L/∂s_j = a_j (∂L/∂a_j − Σ_k ∂L/∂a_k a_k)
        return np.multiply(a, dL_da - np.sum(dL_da * a, axis=-1, keepdims=True), out=into)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, lambda s, a: a * (1.0 - a), "z(1 − z)"),
    "tanh": Activation("tanh", np.tanh, lambda s, a: 1.0 - a * a, "1 − z²"),
    "relu": Activation("relu", lambda s: np.maximum(s, 0.0),
                       lambda s, a: (s > 0).astype(np.float64), "1 if s > 0 else 0"),
    "leaky_relu": Activation("leaky_relu", lambda s: np.where(s > 0, s, LEAKY_SLOPE * s),
                             lambda s, a: np.where(s > 0, 1.0, LEAKY_SLOPE),
                             "1 if s > 0 else 0.01"),
    "linear": Activation("linear", lambda s: s.astype(np.float64, copy=True),
                         lambda s, a: np.ones_like(s), "1"),
    "softmax": Activation("softmax", softmax, None, "softmax Jacobian", output_only=True),
}
