"""Weight initialisation schemes, reproducible from a seed."""
from __future__ import annotations

import numpy as np

from .parameters import Parameters


def _xavier(rng, n_in, n_out):
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, (n_in, n_out))


def _he(rng, n_in, n_out):
    return rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, n_out))


def _uniform(rng, n_in, n_out):
    return rng.uniform(-0.5, 0.5, (n_in, n_out))


def _normal(rng, n_in, n_out):
    return rng.normal(0.0, 0.5, (n_in, n_out))


def _zeros(rng, n_in, n_out):
    return np.zeros((n_in, n_out))


INIT_SCHEMES = {
    "xavier": _xavier,   # Glorot uniform, U(±√(6/(n_in+n_out)))
    "he": _he,           # N(0, 2/n_in)
    "uniform": _uniform,  # U(−0.5, 0.5)
    "normal": _normal,   # N(0, 0.5²)
    "zeros": _zeros,     # all zero: shows the symmetry problem
}


def init_weights(layers: list[int], scheme: str, seed: int) -> Parameters:
    """[(W, b)] per non-input layer; biases start at zero. Same seed → same network."""
    rng = np.random.default_rng(seed)
    make = INIT_SCHEMES[scheme]
    return Parameters.pack([(make(rng, n_in, n_out).astype(np.float64), np.zeros(n_out))
                            for n_in, n_out in zip(layers[:-1], layers[1:], strict=True)])
