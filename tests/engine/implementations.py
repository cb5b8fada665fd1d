"""The two implementations of the per-example step, for tests that check both: numpy's
network.backward and the compiled step (engine/compiled.py, what POST /step runs for
small networks)."""
from __future__ import annotations

import pytest

from backprop_explorer import engine
from backprop_explorer.engine import compiled

IMPLEMENTATIONS = pytest.mark.parametrize("implementation", ["numpy", "compiled"])


def backward_by(implementation: str, arch, weights, x, y) -> engine.BackwardTrace:
    if implementation == "numpy":
        return engine.backward(arch, weights, x, y)
    result = compiled.step(arch, weights, x, y, 0.1)
    assert result is not None
    return result.backward
