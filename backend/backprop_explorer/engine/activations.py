"""Activation functions: the one table every other part of the project reads.

Each entry holds everything about one activation: its value a = f(s) and local
derivative da/ds in numpy (on arrays of any shape: one example or a batch in rows), the
lecture's formulas for both (text and LaTeX templates, in which `{s}` stands for the
unit's pre-activation symbol and `{a}` for its activation symbol, e.g. z2), and its code
in the compiled kernel (compiled.py; None: no compiled form, the numpy path runs it).
Everything else derives from this table: the API's accepted names and `GET /api/meta`
(which the frontend's notation module renders), the compiled kernel's codes, the tests'
parametrisation. Adding an activation here is enough for every route to accept and run it
(with numpy); giving it a `compiled` code also needs its branch in compiled.py, which
tests/engine/test_one_table.py checks.

`derivative(s, a)` is given both the pre-activation and the activation so the lecture's
forms can be used directly, e.g. sigmoid: z(1 − z). Softmax couples the units of a layer,
so it has a vector-Jacobian product instead of an elementwise derivative (`backprop`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEAKY_SLOPE = 0.01


def sigmoid(s: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function for any finite or infinite input:
    1/(1 + e^(−s)) for s ≥ 0, e^s/(1 + e^s) below, with one exp of −|s| (which never
    overflows). The compiled kernel (compiled.py) uses the same two forms."""
    e = np.exp(-np.abs(s))
    return np.where(s >= 0, 1.0, e) / (1.0 + e)


def softmax(s: np.ndarray) -> np.ndarray:
    shifted = s - np.max(s, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


@dataclass(frozen=True)
class Formula:
    """A formula as a person reads it: unicode text and LaTeX, with `{s}` and `{a}` for the
    unit's pre-activation and activation symbols."""
    text: str
    latex: str

    def as_dict(self) -> dict[str, str]:
        return {"text": self.text, "latex": self.latex}


@dataclass(frozen=True)
class Code:
    """The same formulas as Python source, for the scripts GET /export?format=numpy|torch
    writes (sessions/script_export.py): `value` is a in terms of s, `delta` is δ = ∂L/∂s in
    terms of g = ∂L/∂a, s and a (for softmax its vector-Jacobian product). `xp` is the array
    module (numpy or torch); both run the same text."""
    value: str
    delta: str


@dataclass(frozen=True)
class Activation:
    name: str
    description: str
    value: Callable[[np.ndarray], np.ndarray]
    # da/ds elementwise, from s and a; None for softmax (not elementwise)
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray] | None
    value_formula: Formula            # a = f(s)
    derivative_formula: Formula       # da/ds
    compiled: int | None = None       # the kernel's code for it (compiled.py); None: numpy only
    output_only: bool = False
    code: Code | None = None          # as Python source (exported scripts)

    def backprop(self, dL_da: np.ndarray, s: np.ndarray, a: np.ndarray,
                 into: np.ndarray | None = None) -> np.ndarray:
        """δ = ∂L/∂s from ∂L/∂a (rows are examples), written into `into` if given."""
        if self.derivative is not None:
            return np.multiply(dL_da, self.derivative(s, a), out=into)
        # softmax: ∂L/∂s_j = a_j (∂L/∂a_j − Σ_k ∂L/∂a_k a_k)
        return np.multiply(a, dL_da - np.sum(dL_da * a, axis=-1, keepdims=True), out=into)

    def local_derivative(self, s: np.ndarray, a: np.ndarray) -> np.ndarray | None:
        """f′(s) per unit, or None where it is not elementwise (softmax)."""
        return None if self.derivative is None else self.derivative(s, a)

    def describe(self) -> dict:
        """This entry as GET /api/meta serves it."""
        return {"name": self.name, "description": self.description,
                "output_only": self.output_only, "compiled": self.compiled is not None,
                "value": self.value_formula.as_dict(),
                "derivative": self.derivative_formula.as_dict()}


def _table(*entries: Activation) -> dict[str, Activation]:
    return {a.name: a for a in entries}


ACTIVATIONS: dict[str, Activation] = _table(
    Activation("sigmoid", "logistic sigmoid (the lecture's)", sigmoid,
               lambda s, a: a * (1.0 - a),
               Formula("σ({s})", r"\sigma({s})"), Formula("{a}(1 − {a})", "{a}(1 - {a})"),
               compiled=0, code=Code("1 / (1 + xp.exp(-s))", "g * a * (1 - a)")),
    Activation("tanh", "hyperbolic tangent", np.tanh, lambda s, a: 1.0 - a * a,
               Formula("tanh({s})", r"\tanh({s})"), Formula("(1 − {a}²)", "(1 - {a}^{2})"),
               compiled=1, code=Code("xp.tanh(s)", "g * (1 - a * a)")),
    Activation("relu", "rectified linear unit", lambda s: np.maximum(s, 0.0),
               lambda s, a: (s > 0).astype(np.float64),
               Formula("max(0, {s})", r"\max(0, {s})"),
               Formula("[{s} > 0]", r"[{s} > 0]"), compiled=2,
               code=Code("xp.where(s > 0, s, 0 * s)", "g * (s > 0)")),
    Activation("leaky_relu", f"leaky ReLU (slope {LEAKY_SLOPE} below 0)",
               lambda s: np.where(s > 0, s, LEAKY_SLOPE * s),
               lambda s, a: np.where(s > 0, 1.0, LEAKY_SLOPE),
               Formula(f"max({LEAKY_SLOPE}·{{s}}, {{s}})", rf"\max({LEAKY_SLOPE}\,{{s}}, {{s}})"),
               Formula(f"({{s}} > 0 ? 1 : {LEAKY_SLOPE})",
                       rf"\begin{{cases}}1 & {{s}} > 0\\ {LEAKY_SLOPE} & \text{{else}}\end{{cases}}"),
               compiled=3, code=Code(f"xp.where(s > 0, s, {LEAKY_SLOPE} * s)",
                                     f"g * (s > 0) + {LEAKY_SLOPE} * g * (s <= 0)")),
    Activation("linear", "identity", lambda s: s.astype(np.float64, copy=True),
               lambda s, a: np.ones_like(s),
               Formula("{s}", "{s}"), Formula("1", "1"), compiled=4, code=Code("s", "g")),
    Activation("softmax", "softmax over the layer's units", softmax, None,
               Formula("e^{s} / Σ e^s", r"\frac{e^{{s}}}{\sum_k e^{s_k}}"),
               Formula("softmax Jacobian", r"\operatorname{diag}(y) - y y^{\top}"),
               compiled=5, output_only=True,
               code=Code("xp.exp(s - s.max()) / xp.exp(s - s.max()).sum()",
                         "a * (g - (g * a).sum())")),
)
