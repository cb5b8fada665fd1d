"""An independent, deliberately naive re-implementation of the network's loss.

The engine's backprop is checked against finite differences of *this* function,
so a bug in the engine's forward pass cannot hide by being differentiated
consistently. Written straight from SPEC.md, one formula per line.
"""
from __future__ import annotations

import numpy as np

from backprop_explorer.engine import ACTIVATIONS, LOSSES

# The tests' parametrisation comes from the engine's tables, so an activation or loss added
# there is tested everywhere at once (and this module's own formulas below, which are the
# independent reference, raise for a name they do not know: the tests fail until it is added)
HIDDEN_ACTIVATIONS = [name for name, a in ACTIVATIONS.items() if not a.output_only]
OUTPUT_ACTIVATIONS = list(ACTIVATIONS)
# (output activation, loss) pairs the engine allows
OUTPUT_LOSS_PAIRS = [(act, name) for name, loss in LOSSES.items() for act in OUTPUT_ACTIVATIONS
                     if loss.output_activations is None or act in loss.output_activations]


def activate(name: str, s: np.ndarray) -> np.ndarray:
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-s))
    if name == "tanh":
        return np.tanh(s)
    if name == "relu":
        return np.where(s > 0, s, 0.0)
    if name == "leaky_relu":
        return np.where(s > 0, s, 0.01 * s)
    if name == "linear":
        return s.copy()
    if name == "softmax":
        e = np.exp(s - s.max())
        return e / e.sum()
    raise ValueError(name)


def pre_activations(weights, activations, x):
    """Every s of one example, bottom-up."""
    out, a = [], np.asarray(x, dtype=float)
    for (W, b), name in zip(weights, activations):
        s = a @ W + b
        out.append(s)
        a = activate(name, s)
    return out, a


def data_loss(y: np.ndarray, t: np.ndarray, output: str, loss: str) -> float:
    if loss == "squared":
        return 0.5 * float(np.sum((y - t) ** 2))
    if output == "softmax":
        return -float(np.sum(t * np.log(y)))
    return -float(np.sum(t * np.log(y) + (1 - t) * np.log(1 - y)))


def total_loss(weights, activations, loss, l2, x, t) -> float:
    """L_total = L + (λ/2) Σ W² (weights only, not biases)."""
    _, y = pre_activations(weights, activations, x)
    penalty = 0.5 * l2 * sum(float(np.sum(W * W)) for W, _ in weights)
    return data_loss(y, np.asarray(t, dtype=float), activations[-1], loss) + penalty


def numeric_gradients(weights, activations, loss, l2, x, t, h=1e-4):
    """Fourth-order central differences of `total_loss` for every W and b entry."""
    work = [(W.copy(), b.copy()) for W, b in weights]
    grads = []
    for W, b in work:
        pair = []
        for param in (W, b):
            g = np.zeros_like(param)
            for idx in np.ndindex(param.shape):
                orig = param[idx]
                f = {}
                for k in (-2, -1, 1, 2):
                    param[idx] = orig + k * h
                    f[k] = total_loss(work, activations, loss, l2, x, t)
                param[idx] = orig
                g[idx] = (8 * (f[1] - f[-1]) - (f[2] - f[-2])) / (12 * h)
            pair.append(g)
        grads.append(tuple(pair))
    return grads


def max_rel_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-4) -> float:
    """max |a − b| / max(|a|, |b|, floor): relative error, with a floor for entries near 0.

    A finite difference of a loss of size ~1 carries a rounding error of ~1e-15/h ≈ 1e-11
    whatever the size of the derivative, so for entries below `floor` this is an absolute
    test at 1e-6 · floor = 1e-10 instead of a meaningless relative one.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    return float(np.max(np.abs(a - b) / scale))


def random_problem(rng: np.random.Generator, layers, activations, loss, kink_margin=1e-2,
                   max_tries=500):
    """Seeded weights, x and target y* for an architecture.

    For relu/leaky_relu every |s| stays at least `kink_margin` away from the kink so the
    ±2h finite-difference probes never cross it (reseeded until that holds); targets are
    one-hot for softmax + cross-entropy, in (0, 1) for sigmoid + cross-entropy.
    """
    for _ in range(max_tries):
        weights = [(rng.normal(0, 0.8, (n_in, n_out)), rng.normal(0, 0.5, n_out))
                   for n_in, n_out in zip(layers[:-1], layers[1:])]
        x = rng.uniform(-1.5, 1.5, layers[0])
        n_out = layers[-1]
        if loss == "cross_entropy" and activations[-1] == "softmax":
            t = np.eye(n_out)[rng.integers(n_out)]
        elif loss == "cross_entropy":
            t = rng.uniform(0.05, 0.95, n_out)
        else:
            t = rng.normal(0, 1, n_out)
        ss, _ = pre_activations(weights, activations, x)
        if all(np.min(np.abs(s)) >= kink_margin for s in ss):
            return weights, x, t
    raise RuntimeError("could not draw weights away from the relu kink")
