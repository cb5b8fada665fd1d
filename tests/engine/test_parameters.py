"""Parameters: [(W, b)] per layer as views of one flat vector, so an update is one
vector operation; backward writes every ∂L/∂W, ∂L/∂b into one gradient vector."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_explorer import engine
from backprop_explorer.engine import Architecture, Parameters


def test_pack_lays_out_each_layer_as_W_row_major_then_b():
    W1, b1 = np.arange(6.0).reshape(2, 3), np.array([10.0, 11.0, 12.0])
    W2, b2 = np.array([[20.0], [21.0], [22.0]]), np.array([30.0])
    p = Parameters.pack([(W1, b1), (W2, b2)])
    assert p.flat.tolist() == [0, 1, 2, 3, 4, 5, 10, 11, 12, 20, 21, 22, 30]
    assert [W.shape for W, _ in p] == [(2, 3), (3, 1)]
    assert all(W.base is p.flat and b.base is p.flat for W, b in p)
    assert Parameters.pack(p) is p                      # already packed: no copy
    with pytest.raises(ValueError):
        Parameters.view(np.zeros(5), [(2, 2)])


def test_backward_writes_the_gradient_vector_the_trace_shows():
    arch = Architecture((2, 3, 2), ("tanh", "sigmoid"), "cross_entropy", l2=0.01)
    weights = engine.init_weights([2, 3, 2], "normal", 3)
    trace = engine.backward(arch, weights, np.array([0.3, -1.2]), np.array([1.0, 0.0]))
    flat = np.concatenate([np.concatenate([g.dL_dW.ravel(), g.dL_db]) for g in trace.grads])
    assert np.array_equal(trace.gradient.flat, flat)
    for g, (gW, gb) in zip(trace.grads, trace.gradient):
        assert gW is g.dL_dW and gb is g.dL_db and g.dL_ds is g.dL_db   # ∂L/∂b = δ, shared


def test_sgd_update_equals_the_per_layer_formula_and_leaves_the_old_weights():
    weights = engine.init_weights([2, 4, 1], "xavier", 0)
    old = [(W.copy(), b.copy()) for W, b in weights]
    grads = [(np.full(W.shape, 0.5), np.full(b.shape, -2.0)) for W, b in weights]   # unpacked
    new = engine.sgd_update(weights, grads, 0.1)
    for (W, b), (W0, b0), (Wn, bn) in zip(weights, old, new):
        assert np.array_equal(W, W0) and np.array_equal(b, b0)
        assert np.array_equal(Wn, W0 - 0.1 * 0.5) and np.array_equal(bn, b0 + 0.1 * 2.0)
    assert isinstance(new, Parameters)


def test_a_non_finite_update_names_its_layer():
    weights = engine.init_weights([2, 2, 1], "xavier", 0)
    grads = [(np.zeros((2, 2)), np.zeros(2)), (np.array([[np.inf], [0.0]]), np.zeros(1))]
    with pytest.raises(engine.DivergedError, match="layer 2"):
        engine.sgd_update(weights, grads, 0.1)
