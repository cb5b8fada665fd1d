"""The values of one SGD step as blanks, in the order the algorithm computes them: forward
s and a per layer, the loss L, then top-down ∂L/∂a, f′(s), δ = ∂L/∂s per unit and ∂L/∂w per
weight of each layer, then every new weight. Each blank knows its expected value (from the
engine's own trace) and the values the classic mistakes would give (diagnosis.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import engine
from ..engine import Architecture, Weights
from ..notation import Notation
from . import diagnosis

QUANTITIES = ("s", "a", "loss", "dL_da", "da_ds", "dL_ds", "dL_dW", "dL_db", "W_after", "b_after")
DEFAULT_QUANTITIES = ("s", "a", "loss", "dL_da", "dL_ds", "dL_dW", "dL_db", "W_after", "b_after")
BACKWARD_QUANTITIES = ("dL_da", "dL_ds", "dL_dW", "dL_db")


@dataclass
class Blank:
    blank: int
    quantity: str
    layer: int | None                  # 0-based over the trace's layers; None for the loss
    unit: int | None = None
    i: int | None = None
    j: int | None = None
    label: str = ""
    expected: float = 0.0
    mistakes: list[tuple[str, float, str]] = field(default_factory=list)  # (code, value, message)

    def public(self) -> dict:
        """What a response may show before the blank is answered: no values."""
        out = {"blank": self.blank, "quantity": self.quantity, "layer": self.layer,
               "label": self.label}
        if self.quantity in ("dL_dW", "W_after"):
            out.update(i=self.i, j=self.j)
        elif self.unit is not None:
            out["unit"] = self.unit
        return out


def make_blanks(arch: Architecture, weights: Weights, learning_rate: float, x: np.ndarray,
                y: np.ndarray, quantities: tuple[str, ...] = DEFAULT_QUANTITIES,
                weight: tuple[int, int, int] | None = None) -> list[Blank]:
    """Every blank of one step on (x, y) from `weights`. With `weight` = (layer, i, j) (i = -1
    for the bias), only the chain of that one ∂L/∂w: the output's ∂L/∂y and δ, every layer
    between, the unit's ∂L/∂a, f′(s) and δ, then the ∂L/∂w itself."""
    step = engine.sgd_step(arch, weights, x, y, learning_rate)
    ctx = diagnosis.Context(arch, weights, step, x, y, learning_rate)
    note = Notation(arch.layers)
    wanted = set(quantities)
    out: list[Blank] = []

    def add(q: str, layer: int | None, **idx: int) -> None:
        if q in wanted:
            out.append(_blank(ctx, note, len(out), q, layer, **idx))

    arch_depth = len(arch.layers) - 1
    layers = step.backward.forward.layers
    if weight is not None:
        wl, wi, wj = weight
        wanted = {"dL_da", "da_ds", "dL_ds", "dL_dW", "dL_db"}
        for k in range(arch_depth - 1, wl - 1, -1):
            units = [wj] if k == wl else range(arch.layers[k + 1])
            for u in units:
                add("dL_da", k, unit=u)
                if step.backward.grads[k].da_ds is not None:
                    add("da_ds", k, unit=u)
                add("dL_ds", k, unit=u)
        if wi < 0:
            add("dL_db", wl, unit=wj)
        else:
            add("dL_dW", wl, i=wi, j=wj)
        return out

    for k, layer in enumerate(layers):                 # forward, bottom-up
        for u in range(len(layer.s)):
            add("s", k, unit=u)
        for u in range(len(layer.a)):
            add("a", k, unit=u)
    add("loss", None)
    for k in range(arch_depth - 1, -1, -1):            # backward, top-down, δ cached
        g = step.backward.grads[k]
        for u in range(len(g.dL_ds)):
            add("dL_da", k, unit=u)
            if g.da_ds is not None:
                add("da_ds", k, unit=u)
            add("dL_ds", k, unit=u)
        n_in, n_out = arch.shapes[k]
        for i in range(n_in):
            for j in range(n_out):
                add("dL_dW", k, i=i, j=j)
        for u in range(n_out):
            add("dL_db", k, unit=u)
    for k in range(arch_depth):                        # the update
        n_in, n_out = arch.shapes[k]
        for i in range(n_in):
            for j in range(n_out):
                add("W_after", k, i=i, j=j)
        for u in range(n_out):
            add("b_after", k, unit=u)
    return out


def _blank(ctx: diagnosis.Context, note: Notation, n: int, q: str, layer: int | None,
           unit: int | None = None, i: int | None = None, j: int | None = None) -> Blank:
    b = Blank(n, q, layer, unit, i, j)
    b.label = note.quantity(q, layer if layer is not None else len(ctx.arch.layers) - 2,
                            b.unit, b.i, b.j).text
    b.expected = ctx.expected(q, layer, b.unit, b.i, b.j)
    b.mistakes = diagnosis.mistakes(ctx, note, b)
    return b


def make_blank(arch: Architecture, weights: Weights, learning_rate: float, x: np.ndarray,
               y: np.ndarray, quantity: str, layer: int | None, unit: int | None = None,
               i: int | None = None, j: int | None = None) -> Blank:
    """One blank of the step on (x, y) (a class's question), with its expected value and
    the values of the classic mistakes, as make_blanks makes each."""
    step = engine.sgd_step(arch, weights, x, y, learning_rate)
    ctx = diagnosis.Context(arch, weights, step, x, y, learning_rate)
    return _blank(ctx, Notation(arch.layers), 0, quantity, layer, unit, i, j)
