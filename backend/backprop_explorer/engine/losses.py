"""Losses for one example, summed over output units, and their derivatives.

`value(y, t, s)` gets the output activation y, the target t (the lecture's y*)
and the output pre-activation s, so cross-entropy can be computed from s
(log-sum-exp / softplus) and stays finite when y rounds to 0 or 1.
`dL_da(y, t, activation)` is the true ∂L/∂y (for cross-entropy it depends on
the output: −y*/y for softmax, −y*/y + (1 − y*)/(1 − y) for sigmoid).
`fused_delta` gives δ = ∂L/∂s directly for the pairs where the chain rule
simplifies to y − y* (and stays exact where ∂L/∂y alone would overflow).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .activations import Formula

TINY = np.finfo(np.float64).tiny


def _softplus(s: np.ndarray) -> np.ndarray:
    """log(1 + e^s) without overflow."""
    return np.maximum(s, 0.0) + np.log1p(np.exp(-np.abs(s)))


def _squared(y, t, s, activation):
    d = y - t
    if d.ndim == 1:                      # one example: a dot product is the cheapest sum
        return 0.5 * float(d @ d)
    return 0.5 * np.einsum("ij,ij->i", d, d)


def _cross_entropy(y, t, s, activation):
    if activation == "softmax":
        shifted = s - np.max(s, axis=-1, keepdims=True)
        log_y = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
        return -np.sum(np.where(t != 0, t * log_y, 0.0), axis=-1)
    if activation == "sigmoid":
        # −[t log σ(s) + (1 − t) log(1 − σ(s))] = t·softplus(−s) + (1 − t)·softplus(s)
        return np.sum(t * _softplus(-s) + (1.0 - t) * _softplus(s), axis=-1)
    y = np.clip(y, TINY, 1.0 - 1e-16)
    return -np.sum(t * np.log(y) + (1.0 - t) * np.log1p(-y), axis=-1)


def _squared_grad(y, t, activation):
    return y - t


def _cross_entropy_grad(y, t, activation):
    y = np.clip(y, TINY, None)
    if activation == "softmax":
        # L = −Σ_k y*_k log y_k: ∂L/∂y_k = −y*_k / y_k
        return -t / y
    one_minus = np.clip(1.0 - y, TINY, None)
    return -t / y + (1.0 - t) / one_minus


@dataclass(frozen=True)
class Loss:
    """One loss: numpy value and ∂L/∂y, the lecture's formulas, the kernel's code
    (compiled.py; None: numpy only). As with activations.ACTIVATIONS, this table is the one
    place a loss is defined."""
    name: str
    description: str
    value: Callable[..., np.ndarray]          # (y, t, s, activation) -> loss per example
    dL_da: Callable[[np.ndarray, np.ndarray, str], np.ndarray]   # (y, t, output activation)
    output_activations: tuple[str, ...] | None   # allowed output activations (None: any)
    value_formula: Formula
    dL_dy_formula: Formula
    compiled: int | None = None
    # as Python source (exported scripts), by output activation ("*": any): the loss of one
    # example in terms of y, y_star, s and ∂L/∂y in terms of y, y_star; xp is numpy or torch,
    # softplus(v) = log(1 + e^v)
    code_value: tuple[tuple[str, str], ...] = ()
    code_dL_dy: tuple[tuple[str, str], ...] = ()

    def code(self, activation: str) -> tuple[str, str]:
        """(loss, ∂L/∂y) as Python source for this output activation."""
        value, grad = dict(self.code_value), dict(self.code_dL_dy)
        return (value.get(activation, value.get("*", "")), grad.get(activation, grad.get("*", "")))

    def fuses(self, activation: str) -> bool:
        """Whether δ = ∂L/∂s of the output is simply y − y* for this output activation."""
        return (self.name == "cross_entropy" and activation in ("sigmoid", "softmax")) or \
            (self.name == "squared" and activation == "linear")

    def describe(self) -> dict:
        """This entry as GET /api/meta serves it."""
        return {"name": self.name, "description": self.description,
                "compiled": self.compiled is not None,
                "output_activations": None if self.output_activations is None
                else list(self.output_activations),
                "value": self.value_formula.as_dict(), "dL_dy": self.dL_dy_formula.as_dict()}

    def fused_delta(self, activation: str, y: np.ndarray, t: np.ndarray,
                    into: np.ndarray | None = None) -> np.ndarray | None:
        """δ = y − y* where the chain rule simplifies to it (written into `into` if given),
        else None."""
        if self.fuses(activation):
            return np.subtract(y, t, out=into)
        return None


LOSSES: dict[str, Loss] = {loss.name: loss for loss in (
    Loss("squared", "squared error (the lecture's)", _squared, _squared_grad, None,
         Formula("½ Σ (y − y*)²", r"\tfrac{1}{2}\sum_k (y_k - y_k^{*})^{2}"),
         Formula("y − y*", "y - y^{*}"), compiled=0,
         code_value=(("*", "0.5 * ((y - y_star) ** 2).sum()"),), code_dL_dy=(("*", "y - y_star"),)),
    Loss("cross_entropy", "cross-entropy (sigmoid: binary, softmax: categorical)",
         _cross_entropy, _cross_entropy_grad, ("sigmoid", "softmax"),
         Formula("−Σ [y* log y + (1 − y*) log(1 − y)]",
                 r"-\sum_k \left[y_k^{*}\log y_k + (1 - y_k^{*})\log(1 - y_k)\right]"),
         Formula("−y*/y + (1 − y*)/(1 − y)", r"-\frac{y^{*}}{y} + \frac{1 - y^{*}}{1 - y}"),
         compiled=1,
         code_value=(("sigmoid", "(y_star * softplus(-s) + (1 - y_star) * softplus(s)).sum()"),
                     ("softmax", "-(y_star * (s - s.max() - xp.log(xp.exp(s - s.max()).sum())))"
                                 ".sum()")),
         code_dL_dy=(("sigmoid", "-y_star / y + (1 - y_star) / (1 - y)"),
                     ("softmax", "-y_star / y"))),
)}
