"""At the output layer, ∂L/∂a is the true derivative of the loss with respect to the
output activation y, and δ = ∂L/∂s simplifies to y − y* for softmax + cross-entropy,
sigmoid + cross-entropy and linear + squared loss."""
from __future__ import annotations

import numpy as np
import pytest

from backprop_explorer import engine
from reference import OUTPUT_LOSS_PAIRS, data_loss, max_rel_error, random_problem


def _output_trace(output, loss, seed=0, n_out=3):
    rng = np.random.default_rng(seed)
    sizes, acts = [2, 3, n_out], ["tanh", output]
    arch = engine.Architecture(tuple(sizes), tuple(acts), loss)
    weights, x, t = random_problem(rng, sizes, acts, loss)
    trace = engine.backward(arch, weights, x, t)
    return trace, t


def _dL_dy_numeric(y, t, output, loss, h=1e-6):
    """∂L/∂y_k by central differences of the loss as a function of y alone."""
    g = np.zeros_like(y)
    for k in range(len(y)):
        up, down = y.copy(), y.copy()
        up[k] += h
        down[k] -= h
        g[k] = (data_loss(up, t, output, loss) - data_loss(down, t, output, loss)) / (2 * h)
    return g


@pytest.mark.parametrize("output,loss", OUTPUT_LOSS_PAIRS)
@pytest.mark.parametrize("seed", range(3))
def test_output_dL_da_is_derivative_of_loss_wrt_y(output, loss, seed):
    trace, t = _output_trace(output, loss, seed)
    y = trace.forward.output
    g = trace.grads[-1]
    if loss == "squared":
        expected = y - t
    elif output == "softmax":
        expected = -t / y
    else:
        expected = -t / y + (1 - t) / (1 - y)
    np.testing.assert_allclose(g.dL_da, expected, rtol=1e-12, atol=1e-15)
    # and independently, numerically (softmax's coupling doesn't matter: y is varied freely)
    assert max_rel_error(g.dL_da, _dL_dy_numeric(y, t, output, loss)) < 1e-6


def test_softmax_cross_entropy_dL_da_is_minus_target_over_y():
    arch = engine.Architecture((2, 3), ("softmax",), "cross_entropy")
    W = np.array([[0.2, -0.5, 0.1], [0.7, 0.3, -0.4]])
    b = np.array([0.05, -0.1, 0.2])
    x, t = np.array([1.0, -2.0]), np.array([0.0, 1.0, 0.0])
    trace = engine.backward(arch, [(W, b)], x, t)
    s = x @ W + b
    y = np.exp(s) / np.exp(s).sum()
    g = trace.grads[0]
    np.testing.assert_allclose(g.dL_da, [0.0, -1.0 / y[1], 0.0], rtol=1e-13)
    np.testing.assert_allclose(g.dL_ds, y - t, rtol=1e-13)
    assert trace.loss == pytest.approx(-np.log(y[1]), rel=1e-13)


@pytest.mark.parametrize("output,loss", [("softmax", "cross_entropy"),
                                         ("sigmoid", "cross_entropy"),
                                         ("linear", "squared")])
@pytest.mark.parametrize("seed", range(4))
def test_delta_is_y_minus_target(output, loss, seed):
    trace, t = _output_trace(output, loss, seed)
    g = trace.grads[-1]
    np.testing.assert_allclose(g.dL_ds, trace.forward.output - t, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g.dL_db, g.dL_ds, rtol=0, atol=0)


@pytest.mark.parametrize("output,loss", OUTPUT_LOSS_PAIRS)
def test_delta_is_chain_rule_of_dL_da(output, loss):
    """δ = (∂a/∂s)ᵀ ∂L/∂a with the activation's Jacobian taken numerically."""
    trace, _ = _output_trace(output, loss, seed=11)
    out = trace.forward.layers[-1]
    from reference import activate
    h = 1e-6
    J = np.zeros((len(out.s), len(out.s)))          # J[k, j] = ∂a_j/∂s_k
    for k in range(len(out.s)):
        up, down = out.s.copy(), out.s.copy()
        up[k] += h
        down[k] -= h
        J[k] = (activate(output, up) - activate(output, down)) / (2 * h)
    g = trace.grads[-1]
    assert max_rel_error(g.dL_ds, J @ g.dL_da) < 1e-6


def test_cross_entropy_stays_finite_for_saturated_sigmoid_output():
    """y rounds to exactly 1.0 in float64, yet the loss is the exact softplus value and
    δ = y − y* is finite."""
    arch = engine.Architecture((1, 1), ("sigmoid",), "cross_entropy")
    W, b = np.array([[1.0]]), np.array([0.0])
    trace = engine.backward(arch, [(W, b)], np.array([40.0]), np.array([0.0]))
    assert trace.loss == pytest.approx(40.0 + np.log1p(np.exp(-40.0)), rel=1e-15)
    assert trace.grads[0].dL_ds[0] == pytest.approx(1.0)
    assert np.isfinite(trace.grads[0].dL_dW).all()
