"""Weights (and anything shaped like them, e.g. ∂L/∂w) as one flat float64 vector
with a (W, b) view per layer.

The update w ← w − γ ∂L/∂w touches every parameter the same way. Keeping the
parameters in one vector makes it one numpy call for the whole network instead
of two per layer, and lets backward write each ∂L/∂W and ∂L/∂b straight into
its place in one gradient vector. For the lecture's 2-2-1 network numpy's cost
is almost all per call, so this is what makes a step cheap (bench/engine.py).

A `Parameters` is still the list [(W, b), ...] that the rest of the engine
reads: W is [n_in, n_out], b is [n_out], both views of `flat`, laid out layer
by layer as W (row-major) then b.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class Parameters(list):
    """[(W, b)] per layer, all views of the one vector `flat`."""

    __slots__ = ("flat",)

    def __init__(self, layers: Iterable[tuple[np.ndarray, np.ndarray]], flat: np.ndarray):
        super().__init__(layers)
        self.flat = flat

    @classmethod
    def view(cls, flat: np.ndarray, shapes: Iterable[tuple[int, int]]) -> Parameters:
        """Views of `flat` for layers of these (n_in, n_out) shapes."""
        layers, o = [], 0
        for n_in, n_out in shapes:
            w_end = o + n_in * n_out
            layers.append((flat[o:w_end].reshape(n_in, n_out), flat[w_end:w_end + n_out]))
            o = w_end + n_out
        if o != flat.shape[0]:
            raise ValueError(f"{flat.shape[0]} values for {o} parameters")
        return cls(layers, flat)

    @classmethod
    def pack(cls, weights: Iterable[tuple[np.ndarray, np.ndarray]]) -> Parameters:
        """The same values in one new vector (or `weights` itself if already packed)."""
        if isinstance(weights, Parameters):
            return weights
        weights = list(weights)
        flat = np.concatenate([a.ravel() for W, b in weights for a in (W, b)]).astype(np.float64)
        return cls.view(flat, [W.shape for W, _ in weights])

    def shapes(self) -> list[tuple[int, int]]:
        return [W.shape for W, _ in self]
