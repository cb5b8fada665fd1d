"""A fully connected network: forward (keeping every s and a), backward
(∂L/∂a, δ = ∂L/∂s, ∂L/∂W, ∂L/∂b per layer), and the SGD update.

Notation follows the lecture: layer l computes s = a_prev·W + b and
a = f(s); the output a is y; the loss is L(y, y*). Backward goes top-down:
the output δ comes from the loss, and every lower δ reuses the cached δ of
the layer above: ∂L/∂a_prev = W·δ, δ_prev = f'(s_prev) ⊙ ∂L/∂a_prev.
Arrays are float64; one example is a 1-D vector, a batch has examples in rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .activations import ACTIVATIONS
from .errors import DIVERGED, DivergedError, InputError
from .losses import LOSSES
from .parameters import Parameters

Weights = list[tuple[np.ndarray, np.ndarray]]   # [(W [n_in, n_out], b [n_out])] per layer


@dataclass(frozen=True)
class Architecture:
    layers: tuple[int, ...]          # sizes, input first
    activations: tuple[str, ...]     # one per non-input layer
    loss: str = "squared"
    l2: float = 0.0

    def __post_init__(self) -> None:
        if len(self.layers) < 2:
            raise InputError("layers", "need an input and an output layer")
        if len(self.activations) != len(self.layers) - 1:
            raise InputError("activations", f"need one per non-input layer ({len(self.layers) - 1})")
        for i, name in enumerate(self.activations):
            act = ACTIVATIONS.get(name)
            if act is None:
                raise InputError(f"activations.{i}", f"unknown activation {name!r}")
            if act.output_only and i != len(self.activations) - 1:
                raise InputError(f"activations.{i}", f"{name} is only allowed on the output layer")
        loss = LOSSES.get(self.loss)
        if loss is None:
            raise InputError("loss", f"unknown loss {self.loss!r}")
        if loss.output_activations and self.activations[-1] not in loss.output_activations:
            raise InputError("loss", f"{self.loss} needs a {' or '.join(loss.output_activations)}"
                             " output layer")

    @cached_property
    def n_parameters(self) -> int:
        return sum((i + 1) * o for i, o in zip(self.layers[:-1], self.layers[1:], strict=True))

    @cached_property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        """(n_in, n_out) of each layer's W."""
        return tuple(zip(self.layers[:-1], self.layers[1:], strict=True))


@dataclass
class LayerForward:
    s: np.ndarray      # pre-activation
    a: np.ndarray      # activation


@dataclass
class ForwardTrace:
    x: np.ndarray
    y: np.ndarray | None             # target y*, if given
    layers: list[LayerForward]
    loss: float | None

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1].a


@dataclass
class LayerGrads:
    dL_da: np.ndarray
    dL_ds: np.ndarray                # δ, cached for the layer below
    dL_dW: np.ndarray                # includes λW when L2 is on
    dL_db: np.ndarray
    da_ds: np.ndarray | None = None  # the local factor f′(s) per unit (None: softmax)


@dataclass
class BackwardTrace:
    forward: ForwardTrace
    loss: float
    grads: list[LayerGrads]
    gradient: Parameters             # every (∂L/∂W, ∂L/∂b): the same arrays as in grads


@dataclass
class StepTrace:
    """One per-example SGD step: its backward trace, the weights after the update and the
    loss on the same example after it."""
    backward: BackwardTrace
    weights: Parameters
    loss_after: float


@dataclass
class LayerUpdate:
    W_before: np.ndarray
    W_after: np.ndarray
    b_before: np.ndarray
    b_after: np.ndarray


def _data_loss(arch: Architecture, y: np.ndarray, t: np.ndarray, s: np.ndarray) -> np.ndarray:
    return LOSSES[arch.loss].value(y, t, s, arch.activations[-1])


def _l2_penalty(arch: Architecture, weights: Weights) -> float:
    if not arch.l2:
        return 0.0
    return 0.5 * arch.l2 * sum(float(np.sum(W * W)) for W, _ in weights)


def forward(arch: Architecture, weights: Weights, x: np.ndarray,
            y: np.ndarray | None = None) -> ForwardTrace:
    """Predict for one example (or a batch), keeping every s and a."""
    layers = []
    a = x
    for (W, b), name in zip(weights, arch.activations, strict=True):
        s = a @ W + b
        a = ACTIVATIONS[name].value(s)
        layers.append(LayerForward(s, a))
    loss = None
    if y is not None:
        per_example = _data_loss(arch, a, y, layers[-1].s)
        loss = float(per_example) if a.ndim == 1 else float(per_example.mean())
    return ForwardTrace(x, y, layers, loss)


def _output_delta(arch: Architecture, out: LayerForward, t: np.ndarray,
                  into: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(∂L/∂y, δ_out) for the output layer; δ is written into `into` if given."""
    loss = LOSSES[arch.loss]
    name = arch.activations[-1]
    delta = loss.fused_delta(name, out.a, t, into)
    if delta is not None and loss.name == "squared":
        return delta, delta          # linear output: ∂L/∂y = y − y* = δ, the same values
    dL_da = loss.dL_da(out.a, t, name)
    if delta is None:
        delta = ACTIVATIONS[name].backprop(dL_da, out.s, out.a, into)
    return dL_da, delta


def backward(arch: Architecture, weights: Weights, x: np.ndarray, y: np.ndarray) -> BackwardTrace:
    """Forward, loss, then top-down partial derivatives with each δ cached for the layer below.

    For one example. Every ∂L/∂W and ∂L/∂b is written into one parameter-shaped vector
    (`gradient`), so the update can be one vector operation (see parameters.py)."""
    fwd = forward(arch, weights, x, y)
    n = len(weights)
    gradient = Parameters.view(np.empty(arch.n_parameters), arch.shapes)
    grads: list[LayerGrads] = [None] * n  # type: ignore[list-item]
    dL_da, delta = _output_delta(arch, fwd.layers[-1], y, gradient[-1][1])
    for k in range(n - 1, -1, -1):
        W = weights[k][0]
        dL_dW, dL_db = gradient[k]           # dL_db already holds δ (∂L/∂b = δ)
        np.outer(fwd.layers[k - 1].a if k > 0 else x, delta, out=dL_dW)
        if arch.l2:
            dL_dW += arch.l2 * W
        here = fwd.layers[k]
        grads[k] = LayerGrads(dL_da, dL_db, dL_dW, dL_db,
                              ACTIVATIONS[arch.activations[k]].local_derivative(here.s, here.a))
        if k > 0:
            # reuse the cached δ of this layer: ∂L/∂a_below = W·δ
            dL_da = W @ delta
            below = fwd.layers[k - 1]
            delta = ACTIVATIONS[arch.activations[k - 1]].backprop(
                dL_da, below.s, below.a, gradient[k - 1][1])
    return BackwardTrace(fwd, fwd.loss, grads, gradient)  # type: ignore[arg-type]


def batch_gradients(arch: Architecture, weights: Weights, X: np.ndarray,
                    Y: np.ndarray) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
    """Vectorised mini-batch: mean data loss and mean gradients [(∂L/∂W, ∂L/∂b)]."""
    m = X.shape[0]
    fwd = forward(arch, weights, X, Y)
    _, delta = _output_delta(arch, fwd.layers[-1], Y)
    out = Parameters.view(np.empty(arch.n_parameters), arch.shapes)
    for k in range(len(weights) - 1, -1, -1):
        W = weights[k][0]
        dW, db = out[k]
        a_below = fwd.layers[k - 1].a if k > 0 else X
        np.divide(a_below.T @ delta, m, out=dW)
        if arch.l2:
            dW += arch.l2 * W
        np.divide(delta.sum(axis=0), m, out=db)
        if k > 0:
            below = fwd.layers[k - 1]
            delta = ACTIVATIONS[arch.activations[k - 1]].backprop(delta @ W.T, below.s, below.a)
    return fwd.loss, out  # type: ignore[return-value]


def sgd_update(weights: Weights, grads: list[tuple[np.ndarray, np.ndarray]],
               learning_rate: float) -> Parameters:
    """w ← w − γ ∂L/∂w for every weight and bias, into new arrays; refuses a non-finite
    result. One vector operation on the flat parameters (see parameters.py)."""
    params, gradient = Parameters.pack(weights), Parameters.pack(grads)
    with np.errstate(over="ignore", invalid="ignore"):   # checked just below
        new = Parameters.view(params.flat - learning_rate * gradient.flat, params.shapes())
    if not np.isfinite(new.flat).all():
        layer = next(k + 1 for k, (W, b) in enumerate(new)
                     if not (np.isfinite(W).all() and np.isfinite(b).all()))
        raise DivergedError(
            f"the update would make a weight of layer {layer} non-finite "
            "(the step diverges); the weights were left as they were")
    return new


def sgd_step(arch: Architecture, weights: Weights, x: np.ndarray, y: np.ndarray,
             learning_rate: float) -> StepTrace:
    """backward, then w ← w − γ ∂L/∂w, then the loss after, with numpy. An overflow in the
    forward or backward pass raises FloatingPointError (under np.errstate(over="raise")),
    one in the update DivergedError. engine.step.sgd_step runs the compiled equivalent
    for small networks."""
    trace = backward(arch, weights, x, y)
    try:
        new = sgd_update(weights, trace.gradient, learning_rate)
        loss_after = loss_of(arch, new, x, y)
    except FloatingPointError:
        raise DivergedError(DIVERGED) from None
    return StepTrace(trace, new, loss_after)


def loss_of(arch: Architecture, weights: Weights, X: np.ndarray, Y: np.ndarray) -> float:
    """Mean data loss over a dataset."""
    return forward(arch, weights, X, Y).loss  # type: ignore[return-value]


def predict(arch: Architecture, weights: Weights, X: np.ndarray) -> np.ndarray:
    return forward(arch, weights, X).output


def _total_loss(arch: Architecture, weights: Weights, x: np.ndarray, y: np.ndarray) -> float:
    return forward(arch, weights, x, y).loss + _l2_penalty(arch, weights)  # type: ignore[operator]


def gradcheck(arch: Architecture, weights: Weights, x: np.ndarray, y: np.ndarray,
              epsilon: float = 1e-4) -> tuple[BackwardTrace, list[tuple[np.ndarray, np.ndarray]]]:
    """Backprop next to a numerical gradient of L_total for every parameter.

    The numerical gradient is the fourth-order central difference
    (8[f(w+h) − f(w−h)] − [f(w+2h) − f(w−2h)]) / 12h, accurate to ~1e-12 on smooth losses.
    Returns (backward trace, [(numeric ∂L/∂W, numeric ∂L/∂b)]).
    """
    trace = backward(arch, weights, x, y)
    work = [(W.copy(), b.copy()) for W, b in weights]
    numeric = []
    for k in range(len(work)):
        pair = []
        for param in work[k]:
            grad = np.zeros_like(param)
            for idx in np.ndindex(param.shape):
                orig = param[idx]
                f = {}
                for k in (-2, -1, 1, 2):
                    param[idx] = orig + k * epsilon
                    f[k] = _total_loss(arch, work, x, y)
                param[idx] = orig
                grad[idx] = (8 * (f[1] - f[-1]) - (f[2] - f[-2])) / (12 * epsilon)
            pair.append(grad)
        numeric.append((pair[0], pair[1]))
    return trace, numeric
