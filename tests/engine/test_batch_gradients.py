"""Vectorised mini-batch gradients equal the mean of per-example backprop gradients."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_explorer import engine
from reference import OUTPUT_LOSS_PAIRS, random_problem


@pytest.mark.parametrize("output,loss", OUTPUT_LOSS_PAIRS)
@pytest.mark.parametrize("l2", [0.0, 0.1])
def test_batch_gradients_are_mean_of_per_example_gradients(output, loss, l2):
    rng = np.random.default_rng(42)
    n_out = 3 if output == "softmax" else 2
    sizes, acts = [3, 4, 3, n_out], ["tanh", "sigmoid", output]
    arch = engine.Architecture(tuple(sizes), tuple(acts), loss, l2)
    weights, _, _ = random_problem(rng, sizes, acts, loss)
    m = 7
    X = rng.uniform(-1, 1, (m, 3))
    if loss == "cross_entropy" and output == "softmax":
        Y = np.eye(n_out)[rng.integers(n_out, size=m)]
    elif loss == "cross_entropy":
        Y = rng.uniform(0.05, 0.95, (m, n_out))
    else:
        Y = rng.normal(0, 1, (m, n_out))

    loss_value, grads = engine.batch_gradients(arch, weights, X, Y)
    per_example = [engine.backward(arch, weights, X[i], Y[i]) for i in range(m)]
    assert loss_value == pytest.approx(np.mean([t.loss for t in per_example]), rel=1e-12)
    for l, (dW, db) in enumerate(grads):
        mean_dW = np.mean([t.grads[l].dL_dW for t in per_example], axis=0)
        mean_db = np.mean([t.grads[l].dL_db for t in per_example], axis=0)
        np.testing.assert_allclose(dW, mean_dW, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(db, mean_db, rtol=1e-10, atol=1e-14)


def test_batch_of_one_is_the_per_example_gradient():
    rng = np.random.default_rng(5)
    arch = engine.Architecture((2, 2, 1), ("sigmoid", "linear"))
    weights, x, t = random_problem(rng, [2, 2, 1], ["sigmoid", "linear"], "squared")
    _, grads = engine.batch_gradients(arch, weights, x[None, :], t[None, :])
    trace = engine.backward(arch, weights, x, t)
    for (dW, db), g in zip(grads, trace.grads):
        np.testing.assert_allclose(dW, g.dL_dW, rtol=1e-13)
        np.testing.assert_allclose(db, g.dL_db, rtol=1e-13)


def test_sgd_update_is_w_minus_rate_times_gradient():
    rng = np.random.default_rng(9)
    arch = engine.Architecture((2, 3, 1), ("tanh", "linear"), "squared", 0.1)
    weights, x, t = random_problem(rng, [2, 3, 1], ["tanh", "linear"], "squared")
    trace = engine.backward(arch, weights, x, t)
    new = engine.sgd_update(weights, [(g.dL_dW, g.dL_db) for g in trace.grads], 0.3)
    for (W, b), (W1, b1), g in zip(weights, new, trace.grads):
        np.testing.assert_array_equal(W1, W - 0.3 * g.dL_dW)
        np.testing.assert_array_equal(b1, b - 0.3 * g.dL_db)
