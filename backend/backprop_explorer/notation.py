"""The lecture's notation for the symbols a person reads in the server's own text (exercise
blanks and diagnoses): inputs x_i, hidden activations z_j (z_j^(l) in deeper nets), output y
(several: y_k), pre-activations s, δ = ∂L/∂s, weights w_ij^h / w_ij^o (w_ij^(l) in deeper
nets), biases w_0j.

The frontend's notation module (frontend/js/notation.js) writes the same symbols for the
page; tests/js check the two agree on every symbol of several networks. Indices here are the
API's: `layer` 0-based over the non-input layers (the trace's lists), units 0-based; the
labels are 1-based as the lecture writes them.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Symbol:
    text: str
    latex: str


def _pair(i: int, j: int) -> str:
    return f"{i},{j}" if i >= 10 or j >= 10 else f"{i}{j}"


class Notation:
    """Symbols of one network (layer sizes, input first)."""

    def __init__(self, sizes: tuple[int, ...] | list[int]) -> None:
        self.sizes = tuple(sizes)
        self.L = len(self.sizes) - 1                 # non-input layers
        self.lettered = self.L <= 2                  # h / o with at most one hidden layer

    def sup(self, layer: int) -> str:
        """Superscript of non-input layer `layer` (1-based: 1 = first hidden)."""
        if self.lettered:
            return "o" if layer == self.L else "h"
        return f"({layer})"

    # lecture layer numbers below: 0 = input, 1..L non-input
    def unit(self, layer: int, u: int) -> Symbol:
        if layer == 0:
            return Symbol(f"x{u}", f"x_{{{u}}}")
        if layer == self.L:
            return Symbol("y", "y") if self.sizes[-1] == 1 else Symbol(f"y{u}", f"y_{{{u}}}")
        if self.lettered:
            return Symbol(f"z{u}", f"z_{{{u}}}")
        return Symbol(f"z_{u}^({layer})", f"z_{{{u}}}^{{({layer})}}")

    def target(self, u: int) -> Symbol:
        return Symbol("y*", "y^{*}") if self.sizes[-1] == 1 else Symbol(f"y{u}*", f"y_{{{u}}}^{{*}}")

    def weight(self, layer: int, i: int, j: int) -> Symbol:
        s = self.sup(layer)
        return Symbol(f"w_{_pair(i, j)}^{s}", f"w_{{{_pair(i, j)}}}^{{{s}}}")

    def pre(self, layer: int, u: int) -> Symbol:
        s = self.sup(layer)
        if layer == self.L and self.sizes[-1] == 1:
            return Symbol(f"s^{s}", f"s^{{{s}}}")
        return Symbol(f"s_{u}^{s}", f"s_{{{u}}}^{{{s}}}")

    def delta(self, layer: int, u: int) -> Symbol:
        s = self.sup(layer)
        if layer == self.L and self.sizes[-1] == 1:
            return Symbol(f"δ^{s}", f"\\delta^{{{s}}}")
        return Symbol(f"δ_{u}^{s}", f"\\delta_{{{u}}}^{{{s}}}")

    @staticmethod
    def partial(num: Symbol, den: Symbol) -> Symbol:
        return Symbol(f"∂{num.text}/∂{den.text}",
                      f"\\frac{{\\partial {num.latex}}}{{\\partial {den.latex}}}")

    # ---- the API's indices (layer 0-based over non-input layers, units 0-based) ----
    def quantity(self, quantity: str, layer: int, unit: int | None = None,
                 i: int | None = None, j: int | None = None) -> Symbol:
        """The symbol of one value of a step, e.g. ("dL_dW", 0, i=1, j=1) → ∂L/∂w_22^h."""
        lec = layer + 1
        loss = Symbol("L", "L")
        if quantity == "s":
            return self.pre(lec, unit + 1)  # type: ignore[operator]
        if quantity == "a":
            return self.unit(lec, unit + 1)  # type: ignore[operator]
        if quantity == "loss":
            return loss
        if quantity == "dL_da":
            return self.partial(loss, self.unit(lec, unit + 1))  # type: ignore[operator]
        if quantity == "da_ds":
            return self.partial(self.unit(lec, unit + 1), self.pre(lec, unit + 1))  # type: ignore[operator]
        if quantity == "dL_ds":
            return self.delta(lec, unit + 1)  # type: ignore[operator]
        if quantity == "dL_dW":
            return self.partial(loss, self.weight(lec, i + 1, j + 1))  # type: ignore[operator]
        if quantity == "dL_db":
            return self.partial(loss, self.weight(lec, 0, unit + 1))  # type: ignore[operator]
        if quantity == "W_after":
            w = self.weight(lec, i + 1, j + 1)  # type: ignore[operator]
            return Symbol(f"new {w.text}", f"{w.latex}^{{\\text{{new}}}}")
        if quantity == "b_after":
            w = self.weight(lec, 0, unit + 1)  # type: ignore[operator]
            return Symbol(f"new {w.text}", f"{w.latex}^{{\\text{{new}}}}")
        raise ValueError(f"unknown quantity {quantity!r}")
