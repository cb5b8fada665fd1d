"""Per-student problems: round-number weights and an example drawn from a seed, the same on
every machine (numpy's PCG64 with the seed, nothing else), so a teacher can say "everyone do
seed 17"."""
from __future__ import annotations

import numpy as np

from ..engine import Architecture, Parameters, Weights

# weights in tenths from −1 to 1 without 0 (a 0 weight hides a factor); inputs in halves
_WEIGHTS = np.array([v / 10 for v in range(-10, 11) if v != 0])
_INPUTS = np.array([-1.0, -0.5, 0.5, 1.0, 1.5, 2.0])


def seeded_problem(arch: Architecture, seed: int) -> tuple[Weights, np.ndarray, np.ndarray]:
    """(weights, x, y*) for `arch` from `seed`."""
    rng = np.random.Generator(np.random.PCG64(seed))
    weights = [(rng.choice(_WEIGHTS, size=(n_in, n_out)), rng.choice(_WEIGHTS, size=n_out))
               for n_in, n_out in arch.shapes]
    x = rng.choice(_INPUTS, size=arch.layers[0])
    n_out = arch.layers[-1]
    if arch.activations[-1] == "softmax":
        y = np.zeros(n_out)
        y[int(rng.integers(n_out))] = 1.0
    elif arch.loss == "cross_entropy" or arch.activations[-1] == "sigmoid":
        y = rng.integers(0, 2, size=n_out).astype(np.float64)
    else:
        y = rng.choice(np.array([-1.0, 0.0, 0.5, 1.0]), size=n_out)
    return Parameters.pack([(W.astype(np.float64), b.astype(np.float64)) for W, b in weights]), x, y
