"""The classic mistakes of a backward pass, recognised by recomputing the value each one
would give for a blank (the student used the values already on screen, the cache, and erred
in this one step). Codes:

  sign_flipped                   the value with the wrong sign
  missing_activation_derivative  δ = ∂L/∂a without the local factor f′(s)
  derivative_of_wrong_value      f′ evaluated at the activation instead of s (σ′(z) = σ(z)(1 − σ(z)))
  used_s_instead_of_a            ∂L/∂w's input factor taken as s of the unit below, not its activation
  missing_sum_over_units         a hidden ∂L/∂a or δ counting only one unit of the layer above
  used_updated_weight            backprop through a weight after the update
  update_sign                    w + γ·∂L/∂w
  missing_learning_rate          w − ∂L/∂w
  missing_input_factor           ∂L/∂w = δ alone
  bias_input_not_one             a bias gradient multiplied by an input
  loss_factor_half               ∂L/∂y = 2(y − y*) or (y − y*)/2 (and everything computed from it)
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..engine import ACTIVATIONS, Architecture, StepTrace, Weights
from ..notation import Notation

if TYPE_CHECKING:
    from .blanks import Blank

CODES = ("sign_flipped", "missing_activation_derivative", "derivative_of_wrong_value",
         "used_s_instead_of_a", "missing_sum_over_units", "used_updated_weight", "update_sign",
         "missing_learning_rate", "missing_input_factor", "bias_input_not_one",
         "loss_factor_half")


def number(v: float) -> str:
    """A value as the page writes it: 4 significant digits, a real minus sign."""
    return f"{v:.4g}".replace("-", "−")


def paren(v: float) -> str:
    """A factor in a product: negative numbers in parentheses."""
    return f"({number(v)})" if v < 0 else number(v)


@dataclass
class Context:
    """One step's values, with the indices as the API gives them (layer k 0-based)."""
    arch: Architecture
    weights: Weights
    step: StepTrace
    x: np.ndarray
    y: np.ndarray
    learning_rate: float

    @property
    def top(self) -> int:
        return len(self.arch.layers) - 2

    def a_in(self, k: int) -> np.ndarray:
        return self.x if k == 0 else self.step.backward.forward.layers[k - 1].a

    def s_in(self, k: int) -> np.ndarray | None:
        return None if k == 0 else self.step.backward.forward.layers[k - 1].s

    def grads(self, k: int):
        return self.step.backward.grads[k]

    def expected(self, q: str, k: int | None, u: int | None, i: int | None,
                 j: int | None) -> float:
        if q == "loss":
            return float(self.step.backward.loss)
        assert k is not None
        layer, g = self.step.backward.forward.layers[k], self.grads(k)
        W_new, b_new = self.step.weights[k]
        value = {"s": lambda: layer.s[u], "a": lambda: layer.a[u], "dL_da": lambda: g.dL_da[u],
                 "da_ds": lambda: g.da_ds[u], "dL_ds": lambda: g.dL_ds[u],
                 "dL_dW": lambda: g.dL_dW[i, j], "dL_db": lambda: g.dL_db[u],
                 "W_after": lambda: W_new[i, j], "b_after": lambda: b_new[u]}[q]()
        return float(value)

    def wrong_derivative(self, k: int, u: int) -> float | None:
        """f′ evaluated at the activation instead of s (e.g. σ(z)(1 − σ(z)))."""
        act = ACTIVATIONS[self.arch.activations[k]]
        if act.derivative is None:
            return None
        a = np.array([self.step.backward.forward.layers[k].a[u]])
        return float(act.derivative(a, act.value(a))[0])

    def terms_above(self, k: int, u: int) -> list[float]:
        """The terms w_jm δ_m of ∂L/∂a of unit u of layer k (k below the top)."""
        W = self.weights[k + 1][0]
        delta = self.grads(k + 1).dL_ds
        return [float(W[u, m] * delta[m]) for m in range(len(delta))]

    def sum_with_updated_weights(self, k: int, u: int) -> float:
        W_new = self.step.weights[k + 1][0]
        return float(W_new[u] @ self.grads(k + 1).dL_ds)


def _formula(ctx: Context, note: Notation, k: int, u: int) -> str:
    """The local factor f′(s) of unit u of layer k as the lecture writes it, e.g. z2(1 − z2)."""
    act = ACTIVATIONS[ctx.arch.activations[k]]
    return act.derivative_formula.text.replace("{a}", note.unit(k + 1, u + 1).text) \
        .replace("{s}", note.pre(k + 1, u + 1).text)


def mistakes(ctx: Context, note: Notation, b: Blank) -> list[tuple[str, float, str]]:
    """(code, the value the mistake gives, the message) for blank b; the first match wins."""
    out: list[tuple[str, float, str]] = []
    q, k, u, i, j = b.quantity, b.layer, b.unit, b.i, b.j
    label = b.label
    squared = ctx.arch.loss == "squared"

    def add(code: str, value: float | None, message: str) -> None:
        if value is not None and np.isfinite(value):
            out.append((code, float(value), message))

    def sign() -> None:
        if b.expected != 0:
            add("sign_flipped", -b.expected, f"{label} has the wrong sign: it is "
                f"{number(b.expected)}")

    def half(data: float, extra: float = 0.0, what: str = "") -> None:
        if squared:
            msg = (f"∂L/∂y = y − y* for L = ½(y − y*)² (the ½ cancels the 2): "
                   f"{label} = {number(b.expected)}{what}")
            add("loss_factor_half", 2 * data + extra, msg)
            add("loss_factor_half", data / 2 + extra, msg)

    if q == "loss":
        sign()
        if squared:
            msg = f"L = ½ Σ (y − y*)² = {number(b.expected)} (mind the ½)"
            add("loss_factor_half", 2 * b.expected, msg)
            add("loss_factor_half", b.expected / 2, msg)
        return out
    if q in ("s", "a"):
        sign()
        return out
    assert k is not None
    unit_sym = None if u is None else note.unit(k + 1, u + 1)
    top = k == ctx.top
    if q == "W_after" or q == "b_after":
        if q == "W_after":
            assert i is not None and j is not None
            w = note.weight(k + 1, i + 1, j + 1)
        else:
            assert u is not None
            w = note.weight(k + 1, 0, u + 1)
        old = float(ctx.weights[k][0][i, j] if q == "W_after" else ctx.weights[k][1][u])
        g = float(ctx.grads(k).dL_dW[i, j] if q == "W_after" else ctx.grads(k).dL_db[u])
        lr = ctx.learning_rate
        rule = (f"{label} = {w.text} − γ·∂L/∂{w.text} = {number(old)} − {number(lr)}·"
                f"{paren(g)} = {number(b.expected)}")
        add("update_sign", old + lr * g, f"the update goes against the gradient: {rule}")
        add("missing_learning_rate", old - g, f"the step is scaled by γ: {rule}")
        return out

    g = ctx.grads(k)
    f_prime = None if g.da_ds is None else None if u is None else float(g.da_ds[u])

    if q == "da_ds":
        assert u is not None and unit_sym is not None
        wrong = ctx.wrong_derivative(k, u)
        if wrong is not None and not np.isclose(wrong, b.expected):
            add("derivative_of_wrong_value", wrong,
                f"{label} = {_formula(ctx, note, k, u)} uses {unit_sym.text} = "
                f"{number(float(ctx.step.backward.forward.layers[k].a[u]))} itself, not f′ of it: "
                f"{number(b.expected)}")
        sign()
        return out

    if q == "dL_da":
        assert u is not None and unit_sym is not None
        if top:
            sign()
            if squared:
                t = note.target(u + 1)
                msg = (f"{label} = {unit_sym.text} − {t.text} = {number(b.expected)} "
                       "(the ½ of L cancels the 2)")
                add("loss_factor_half", 2 * b.expected, msg)
                add("loss_factor_half", b.expected / 2, msg)
            return out
        _hidden_sum_mistakes(ctx, note, b, k, u, 1.0, add)
        sign()
        half(b.expected)
        return out

    if q == "dL_ds":
        assert u is not None and unit_sym is not None
        dL_da = float(g.dL_da[u])
        if f_prime is not None and not np.isclose(f_prime, 1.0):
            add("missing_activation_derivative", dL_da,
                f"{label} = ∂L/∂{unit_sym.text} · {_formula(ctx, note, k, u)} = {paren(dL_da)} · "
                f"{paren(f_prime)} = {number(b.expected)}: the local factor is missing")
            wrong = ctx.wrong_derivative(k, u)
            if wrong is not None:
                add("derivative_of_wrong_value", dL_da * wrong,
                    f"{_formula(ctx, note, k, u)} is evaluated at {unit_sym.text}, not at f of it: "
                    f"{label} = {paren(dL_da)} · {paren(f_prime)} = {number(b.expected)}")
        if not top and f_prime is not None:
            _hidden_sum_mistakes(ctx, note, b, k, u, f_prime, add)
        sign()
        half(b.expected)
        return out

    # ∂L/∂w and ∂L/∂b
    l2 = ctx.arch.l2
    if q == "dL_dW":
        assert i is not None and j is not None
        a_in = float(ctx.a_in(k)[i])
        delta = float(g.dL_ds[j])
        reg = l2 * float(ctx.weights[k][0][i, j])
        in_sym = note.unit(k, i + 1)
        d_sym = note.delta(k + 1, j + 1)
        ok = f"{label} = {in_sym.text} · {d_sym.text} = {paren(a_in)} · {paren(delta)}"
        add("missing_input_factor", delta + reg, f"{ok}: the input {in_sym.text} of the edge is missing")
        s_in = ctx.s_in(k)
        if s_in is not None:
            add("used_s_instead_of_a", float(s_in[i]) * delta + reg,
                f"{ok}: the input factor is the activation {in_sym.text} = {number(a_in)}, not "
                f"s = {number(float(s_in[i]))}")
        fp = None if g.da_ds is None else float(g.da_ds[j])
        if fp is not None and not np.isclose(fp, 1.0):
            dL_da = float(g.dL_da[j])
            add("missing_activation_derivative", a_in * dL_da + reg,
                f"{ok}, and {d_sym.text} includes the local factor "
                f"{_formula(ctx, note, k, j)} = {number(fp)}")
            wrong = ctx.wrong_derivative(k, j)
            if wrong is not None:
                add("derivative_of_wrong_value", a_in * dL_da * wrong + reg,
                    f"{ok}; the local factor {_formula(ctx, note, k, j)} = {number(fp)} is f′ at s")
        if k < ctx.top and fp is not None:
            local = fp

            def scaled(v: float) -> float:
                return a_in * local * v + reg
            _hidden_sum_mistakes(ctx, note, b, k, j, 1.0, add, scaled)
        sign()
        half(a_in * delta, reg)
        return out
    # dL_db
    assert u is not None
    delta = float(g.dL_ds[u])
    d_sym = note.delta(k + 1, u + 1)
    for ii, a in enumerate(ctx.a_in(k)):
        add("bias_input_not_one", float(a) * delta,
            f"{label} = 1 · {d_sym.text} = {number(delta)}: a bias's input is 1, not "
            f"{note.unit(k, ii + 1).text}")
    fp = None if g.da_ds is None else float(g.da_ds[u])
    if fp is not None and not np.isclose(fp, 1.0):
        add("missing_activation_derivative", float(g.dL_da[u]),
            f"{label} = {d_sym.text} = ∂L/∂{note.unit(k + 1, u + 1).text} · {_formula(ctx, note, k, u)}"
            f" = {number(b.expected)}")
    sign()
    half(b.expected)
    return out


def _hidden_sum_mistakes(ctx: Context, note: Notation, b: Blank, k: int, u: int, factor: float,
                         add: Callable[[str, float | None, str], None],
                         scale: Callable[[float], float] | None = None) -> None:
    """missing_sum_over_units and used_updated_weight for a value built on ∂L/∂a of unit u
    of layer k = Σ_m w_um δ_m over the layer above (times `factor`, then `scale`)."""
    scale = scale or (lambda v: v * factor)
    terms = ctx.terms_above(k, u)
    up = k + 2                                   # the layer above, lecture numbering
    unit_sym = note.unit(k + 1, u + 1)
    total = f"∂L/∂{unit_sym.text} = Σ_m w_{u + 1}m^{note.sup(up)} δ_m^{note.sup(up)}"
    if len(terms) > 1:
        for m, t in enumerate(terms):
            add("missing_sum_over_units", scale(t),
                f"{total} sums over all {len(terms)} units above, not only "
                f"{note.unit(up, m + 1).text}: {b.label} = {number(b.expected)}")
    add("used_updated_weight", scale(ctx.sum_with_updated_weights(k, u)),
        f"backprop uses the weights before the update: {total} with the old "
        f"w^{note.sup(up)}: {b.label} = {number(b.expected)}")




def matches(value: float, target: float, rtol: float, atol: float) -> bool:
    return abs(value - target) <= max(rtol * abs(target), atol)


def diagnose(b: Blank, value: float, rtol: float, atol: float) -> tuple[str, str] | None:
    """The first mistake whose value the answer matches (and the right value does not)."""
    for code, wrong, message in b.mistakes:
        if matches(wrong, b.expected, rtol, atol):
            continue                   # this mistake gives the right value here: not one
        if matches(value, wrong, rtol, atol):
            return code, f"{message} (you gave {number(value)})"
    return None
