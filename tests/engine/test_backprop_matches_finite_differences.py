"""Backprop ∂L/∂W and ∂L/∂b equal central finite differences (max relative error < 1e-6)
for every activation × loss combination the engine allows, on seeded random
architectures with 0 to 4 hidden layers, with and without L2.

The finite differences are taken of an independent reference implementation of the
loss (tests/engine/reference.py), not of the engine's own forward pass. Both
implementations of the per-example step are checked: numpy (network.backward) and the
compiled one (compiled.step, what POST /step runs for small networks).
"""
from __future__ import annotations

import zlib

import numpy as np
import pytest

from backprop_explorer import engine
from implementations import IMPLEMENTATIONS, backward_by
from reference import (HIDDEN_ACTIVATIONS, OUTPUT_LOSS_PAIRS, max_rel_error, numeric_gradients,
                       random_problem, total_loss)

TOLERANCE = 1e-6


def _cases():
    for output, loss in OUTPUT_LOSS_PAIRS:
        for n_hidden in range(5):
            hidden_choices = HIDDEN_ACTIVATIONS if n_hidden else [None]
            for hidden in hidden_choices:
                for l2 in (0.0, 0.3):
                    yield pytest.param(hidden, output, loss, n_hidden, l2,
                                       id=f"{hidden or 'none'}-{output}-{loss}-h{n_hidden}-l2={l2}")




def _seed(*parts) -> int:
    return zlib.crc32(repr(parts).encode())


def _architecture(rng, n_hidden, hidden, output, loss):
    n_in = int(rng.integers(1, 4))
    n_out = int(rng.integers(2, 4)) if output == "softmax" else int(rng.integers(1, 4))
    sizes = [n_in] + [int(rng.integers(1, 5)) for _ in range(n_hidden)] + [n_out]
    acts = [hidden] * n_hidden + [output]
    return sizes, acts


@IMPLEMENTATIONS
@pytest.mark.parametrize("hidden,output,loss,n_hidden,l2", list(_cases()))
def test_backprop_equals_finite_differences(hidden, output, loss, n_hidden, l2, implementation):
    rng = np.random.default_rng(_seed(hidden, output, loss, n_hidden, l2))
    sizes, acts = _architecture(rng, n_hidden, hidden, output, loss)
    arch = engine.Architecture(tuple(sizes), tuple(acts), loss, l2)
    weights, x, t = random_problem(rng, sizes, acts, loss)

    trace = backward_by(implementation, arch, weights, x, t)
    # the engine's loss is the data loss L (no penalty) of the same function
    assert trace.loss == pytest.approx(total_loss(weights, acts, loss, 0.0, x, t), rel=1e-12)

    numeric = numeric_gradients(weights, acts, loss, l2, x, t)
    assert len(trace.grads) == len(sizes) - 1
    for l, (g, (nW, nb)) in enumerate(zip(trace.grads, numeric)):
        assert g.dL_dW.shape == (sizes[l], sizes[l + 1])
        assert g.dL_db.shape == (sizes[l + 1],)
        assert max_rel_error(g.dL_dW, nW) < TOLERANCE, (l, g.dL_dW, nW)
        assert max_rel_error(g.dL_db, nb) < TOLERANCE, (l, g.dL_db, nb)


@IMPLEMENTATIONS
@pytest.mark.parametrize("seed", range(12))
def test_mixed_hidden_activations_up_to_four_hidden_layers(seed, implementation):
    """Each hidden layer draws its own activation; every allowed output/loss pair in turn."""
    rng = np.random.default_rng(1000 + seed)
    output, loss = OUTPUT_LOSS_PAIRS[seed % len(OUTPUT_LOSS_PAIRS)]
    n_hidden = int(rng.integers(0, 5))
    hidden = [str(rng.choice(HIDDEN_ACTIVATIONS)) for _ in range(n_hidden)]
    n_out = 3 if output == "softmax" else 2
    sizes = [3] + [int(rng.integers(2, 5)) for _ in range(n_hidden)] + [n_out]
    acts = hidden + [output]
    l2 = float(rng.choice([0.0, 0.05]))
    arch = engine.Architecture(tuple(sizes), tuple(acts), loss, l2)
    weights, x, t = random_problem(rng, sizes, acts, loss)
    trace = backward_by(implementation, arch, weights, x, t)
    numeric = numeric_gradients(weights, acts, loss, l2, x, t)
    for g, (nW, nb) in zip(trace.grads, numeric):
        assert max_rel_error(g.dL_dW, nW) < TOLERANCE
        assert max_rel_error(g.dL_db, nb) < TOLERANCE


@pytest.mark.parametrize("output,loss", OUTPUT_LOSS_PAIRS)
def test_engine_gradcheck_agrees_with_reference_differences(output, loss):
    """engine.gradcheck's 4th-order numeric gradient is the numeric gradient of L_total."""
    rng = np.random.default_rng(_seed("gradcheck", output, loss))
    sizes = [2, 3, 3 if output == "softmax" else 2]
    acts = ["tanh", output]
    arch = engine.Architecture(tuple(sizes), tuple(acts), loss, 0.2)
    weights, x, t = random_problem(rng, sizes, acts, loss)
    trace, numeric = engine.gradcheck(arch, weights, x, t)
    reference = numeric_gradients(weights, acts, loss, 0.2, x, t)
    for g, (nW, nb), (rW, rb) in zip(trace.grads, numeric, reference):
        assert max_rel_error(nW, rW) < 1e-8
        assert max_rel_error(nb, rb) < 1e-8
        assert max_rel_error(g.dL_dW, nW) < TOLERANCE
        assert max_rel_error(g.dL_db, nb) < TOLERANCE


def test_l2_adds_lambda_w_to_weights_but_not_biases():
    rng = np.random.default_rng(7)
    sizes, acts = [2, 3, 1], ["sigmoid", "linear"]
    weights, x, t = random_problem(rng, sizes, acts, "squared")
    plain = engine.backward(engine.Architecture((2, 3, 1), tuple(acts), "squared", 0.0),
                            weights, x, t)
    reg = engine.backward(engine.Architecture((2, 3, 1), tuple(acts), "squared", 0.25),
                          weights, x, t)
    assert reg.loss == plain.loss            # the trace reports the data loss L
    for (W, _), gp, gr in zip(weights, plain.grads, reg.grads):
        np.testing.assert_allclose(gr.dL_dW, gp.dL_dW + 0.25 * W, rtol=0, atol=1e-15)
        np.testing.assert_array_equal(gr.dL_db, gp.dL_db)
        np.testing.assert_array_equal(gr.dL_ds, gp.dL_ds)


def test_kink_guard_really_keeps_relu_inputs_away_from_zero():
    """The reseeding helper used above does what it claims."""
    rng = np.random.default_rng(3)
    sizes, acts = [3, 4, 4, 4, 4, 2], ["relu"] * 4 + ["linear"]
    weights, x, _ = random_problem(rng, sizes, acts, "squared", kink_margin=1e-2)
    trace = engine.forward(engine.Architecture(tuple(sizes), tuple(acts)), weights, x)
    assert min(float(np.min(np.abs(layer.s))) for layer in trace.layers) >= 1e-2
