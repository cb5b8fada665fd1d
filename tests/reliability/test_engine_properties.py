"""Property tests (hypothesis) on the pure-numpy engine.

* Random shapes (1–4 hidden layers of 1–6 units), activations, losses, L2, weights and
  inputs: every gradient is finite, and where the function is smooth (no relu/leaky_relu
  pre-activation within a margin of its kink) backprop equals the engine's fourth-order
  central finite differences (`engine.gradcheck`) to a relative error < 1e-6.
* Pre-activations up to ±1e4 give finite values, ∂L/∂a, δ and gradients for every
  activation and loss, with numpy's overflow/invalid/divide turned into errors.
* Inputs up to ±1e300 into a network whose hidden units are bounded (sigmoid/tanh) give
  finite forward and backward results.

pytest turns any RuntimeWarning into an error (pyproject filterwarnings), and each engine
call here additionally runs under np.errstate(over/invalid/divide="raise"), so "no numpy
warnings" is checked, not assumed.
"""
from __future__ import annotations

import os
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from backprop_explorer import engine

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
BOUNDED_HIDDEN = ["sigmoid", "tanh"]
# (output activation, loss) pairs the engine accepts
OUTPUT_LOSS = [(a, "squared") for a in ["sigmoid", "tanh", "relu", "leaky_relu", "linear",
                                        "softmax"]] + [("sigmoid", "cross_entropy"),
                                                       ("softmax", "cross_entropy")]
KINKED = {"relu", "leaky_relu"}
KINK_MARGIN = 1e-3
REL_TOL = 1e-6

PROPERTY_SETTINGS = settings(max_examples=int(os.environ.get("BPE_PROPERTY_EXAMPLES", 150)), deadline=None,
                             suppress_health_check=[HealthCheck.too_slow,
                                                    HealthCheck.filter_too_much])


@contextmanager
def strict_numpy():
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        yield


def finite_floats(lo: float, hi: float):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def problems(draw, hidden_choices=HIDDEN, weight_bound=2.0, x_strategy=None,
             min_hidden=1, max_hidden=4):
    """(arch, weights, x, y) with random shapes and values."""
    n_hidden = draw(st.integers(min_hidden, max_hidden))
    output, loss = draw(st.sampled_from(OUTPUT_LOSS))
    n_in = draw(st.integers(1, 4))
    n_out = draw(st.integers(2, 6)) if output == "softmax" else draw(st.integers(1, 6))
    sizes = [n_in] + [draw(st.integers(1, 6)) for _ in range(n_hidden)] + [n_out]
    acts = [draw(st.sampled_from(hidden_choices)) for _ in range(n_hidden)] + [output]
    l2 = draw(st.sampled_from([0.0, 0.0, 0.1, 0.5]))
    arch = engine.Architecture(tuple(sizes), tuple(acts), loss, l2)
    w = finite_floats(-weight_bound, weight_bound)
    weights = [(draw(hnp.arrays(np.float64, (a, b), elements=w)),
                draw(hnp.arrays(np.float64, (b,), elements=w)))
               for a, b in zip(sizes[:-1], sizes[1:])]
    x = draw(hnp.arrays(np.float64, (n_in,), elements=finite_floats(-3, 3) if x_strategy is None else x_strategy))
    if loss == "cross_entropy" and output == "softmax":
        y = np.zeros(n_out)
        y[draw(st.integers(0, n_out - 1))] = 1.0
    elif loss == "cross_entropy":
        y = draw(hnp.arrays(np.float64, (n_out,), elements=finite_floats(0, 1)))
    else:
        y = draw(hnp.arrays(np.float64, (n_out,), elements=finite_floats(-2, 2)))
    return arch, weights, x, y


def assert_trace_finite(fwd: engine.ForwardTrace, bwd: engine.BackwardTrace | None = None):
    for layer in fwd.layers:
        assert np.isfinite(layer.s).all(), layer.s
        assert np.isfinite(layer.a).all(), layer.a
    if fwd.loss is not None:
        assert np.isfinite(fwd.loss), fwd.loss
    if bwd is not None:
        assert np.isfinite(bwd.loss)
        for g in bwd.grads:
            for name in ("dL_da", "dL_ds", "dL_dW", "dL_db"):
                value = getattr(g, name)
                assert np.isfinite(value).all(), (name, value)


def _total_loss(arch, weights, x, y) -> float:
    loss = engine.forward(arch, weights, x, y).loss
    return loss + 0.5 * arch.l2 * sum(float(np.sum(W * W)) for W, _ in weights)


# ----- gradients equal finite differences where smooth ------------------------------------
def _finite_difference_floor(trace, weights, total: float, epsilon: float) -> float:
    """The gradient size below which a finite difference is roundoff, not signal.

    Each evaluation of L carries a rounding error of about u times the magnitudes summed on
    the way to it (|δ| · (|W|ᵀ|a| + |b|) per unit, |∂L/∂a| · |a|, and |L|), so the difference
    quotient's error is ~ 1.5 (the fourth-order formula's (8·2 + 2)/12) × that / ε. With signals
    that cancel (units of ±15 whose sum is 1, L = 0.5) that is far above u·|L|/ε. Below the
    floor, backprop and the difference are compared absolutely, to REL_TOL · floor."""
    u = np.finfo(np.float64).eps
    noise = abs(total)
    a_prev = trace.forward.x
    for (W, b), layer, g in zip(weights, trace.forward.layers, trace.grads):
        noise += float(np.sum(np.abs(g.dL_ds) * (np.abs(a_prev) @ np.abs(W) + np.abs(b))))
        noise += float(np.sum(np.abs(g.dL_da) * np.abs(layer.a)))
        a_prev = layer.a
    return max(1e-3 * (1.0 + abs(total)), 1.5 * u * noise / epsilon / REL_TOL)


@PROPERTY_SETTINGS
@given(problems())
def test_gradients_finite_and_equal_finite_differences(problem):
    arch, weights, x, y = problem
    with strict_numpy():
        trace = engine.backward(arch, weights, x, y)
    assert_trace_finite(trace.forward, trace)

    # smooth there? every kinked unit's pre-activation must be clear of 0 by a margin that
    # scales with the size of the signals (a perturbed weight moves s by ~ε·|a|)
    scale = 1.0 + max(float(np.max(np.abs(x))),
                      *(float(np.max(np.abs(L.a))) for L in trace.forward.layers))
    kinked = [l for l, name in enumerate(arch.activations) if name in KINKED]
    for l in kinked:
        assume(np.min(np.abs(trace.forward.layers[l].s)) > KINK_MARGIN * scale)
    epsilon = 1e-6 if kinked else 1e-4

    with strict_numpy():
        trace2, numeric = engine.gradcheck(arch, weights, x, y, epsilon)
        total = _total_loss(arch, weights, x, y)
    floor = _finite_difference_floor(trace2, weights, total, epsilon)
    for l, (g, (nW, nb)) in enumerate(zip(trace2.grads, numeric)):
        for name, bp, fd in (("dL_dW", g.dL_dW, nW), ("dL_db", g.dL_db, nb)):
            assert bp.shape == fd.shape
            assert np.isfinite(fd).all()
            denom = np.maximum(np.maximum(np.abs(bp), np.abs(fd)), floor)
            rel = float(np.max(np.abs(bp - fd) / denom))
            assert rel < REL_TOL, (f"layer {l + 1} {name}: rel error {rel:.3g}\n"
                                   f"backprop {bp}\nnumeric {fd}\narch {arch}")


@PROPERTY_SETTINGS
@given(problems(hidden_choices=["sigmoid", "tanh", "linear"], min_hidden=1))
def test_backward_is_the_same_through_the_batch_path(problem):
    """The vectorised mini-batch gradient of a batch of one equals the per-example one (both
    numpy: engine.backward may run the compiled kernel, whose last bits may differ)."""
    arch, weights, x, y = problem
    with strict_numpy():
        trace = engine.network.backward(arch, weights, x, y)
        loss, grads = engine.batch_gradients(arch, weights, x[None, :], y[None, :])
    assert loss == pytest.approx(trace.loss, rel=1e-12, abs=1e-300)
    for g, (dW, db) in zip(trace.grads, grads):
        np.testing.assert_allclose(dW, g.dL_dW, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(db, g.dL_db, rtol=1e-12, atol=1e-300)


# ----- pre-activations up to ±1e4 ----------------------------------------------------------
EXTREME_S = [-1e4, -745.2, -40.0, -1e-12, 0.0, 1e-12, 40.0, 709.8, 1e4]


@pytest.mark.parametrize("name", sorted(engine.ACTIVATIONS))
def test_activation_values_and_derivatives_finite_at_extreme_pre_activations(name):
    act = engine.ACTIVATIONS[name]
    s = np.array(EXTREME_S)
    with strict_numpy():
        a = act.value(s)
        delta = act.backprop(np.ones_like(s), s, a)
        batch = act.value(np.stack([s, -s]))
    assert np.isfinite(a).all() and np.isfinite(delta).all() and np.isfinite(batch).all()
    if name in ("sigmoid", "softmax"):
        assert ((a >= 0) & (a <= 1)).all()
    if name == "tanh":
        assert ((a >= -1) & (a <= 1)).all()


@pytest.mark.parametrize("output,loss", OUTPUT_LOSS, ids=[f"{a}-{l}" for a, l in OUTPUT_LOSS])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_output_pre_activations_up_to_1e4_finite_for_every_loss(output, loss, data):
    """A one-layer network whose output pre-activations are exactly the drawn s (W = 0, b = s)."""
    n_out = data.draw(st.integers(2 if output == "softmax" else 1, 6))
    edge = st.sampled_from([-1e4, 1e4, 0.0])
    s = data.draw(hnp.arrays(np.float64, (n_out,),
                             elements=st.one_of(edge, finite_floats(-1e4, 1e4))))
    if loss == "cross_entropy" and output == "softmax":
        y = np.zeros(n_out)
        y[data.draw(st.integers(0, n_out - 1))] = 1.0
    elif loss == "cross_entropy":
        y = data.draw(hnp.arrays(np.float64, (n_out,),
                                 elements=st.one_of(st.sampled_from([0.0, 1.0]),
                                                    finite_floats(0, 1))))
    else:
        y = data.draw(hnp.arrays(np.float64, (n_out,), elements=finite_floats(-10, 10)))
    arch = engine.Architecture((2, n_out), (output,), loss, 0.0)
    weights = [(np.zeros((2, n_out)), s)]
    x = np.array([1.0, -1.0])
    with strict_numpy():
        trace = engine.backward(arch, weights, x, y)
        value = engine.LOSSES[loss].value(trace.forward.output, y, s, output)
        dL_da = engine.LOSSES[loss].dL_da(trace.forward.output, y, output)
    np.testing.assert_array_equal(trace.forward.layers[0].s, s)
    assert_trace_finite(trace.forward, trace)
    assert np.isfinite(value).all() and np.isfinite(dL_da).all()


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_hidden_pre_activations_up_to_1e4_finite(data):
    """Hidden layers whose pre-activations are drawn in ±1e4 (W = 0, b = s) for every hidden
    activation, under every output/loss pair."""
    hidden = data.draw(st.lists(st.sampled_from(HIDDEN), min_size=1, max_size=3))
    output, loss = data.draw(st.sampled_from(OUTPUT_LOSS))
    width = data.draw(st.integers(1, 6))
    n_out = 3 if output == "softmax" else 2
    sizes = [2] + [width] * len(hidden) + [n_out]
    arch = engine.Architecture(tuple(sizes), tuple(hidden) + (output,), loss, 0.0)
    s_el = st.one_of(st.sampled_from([-1e4, 1e4]), finite_floats(-1e4, 1e4))
    weights = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        weights.append((np.zeros((a, b)), data.draw(hnp.arrays(np.float64, (b,), elements=s_el))))
    # output weights keep the output pre-activations within ±1e4 too
    w_out = finite_floats(-1.0 / width, 1.0 / width)
    weights.append((data.draw(hnp.arrays(np.float64, (width, n_out), elements=w_out)),
                    np.zeros(n_out)))
    y = (np.eye(n_out)[0] if loss == "cross_entropy" and output == "softmax"
         else np.linspace(0.0, 1.0, n_out) if loss == "cross_entropy"
         else np.linspace(0.5, -0.5, n_out))
    with strict_numpy():
        trace = engine.backward(arch, weights, np.array([0.3, -0.7]), y)
    assert_trace_finite(trace.forward, trace)


# ----- inputs up to ±1e300 ------------------------------------------------------------------
HUGE = st.one_of(st.sampled_from([1e300, -1e300, 0.0]), finite_floats(-1e300, 1e300))


@PROPERTY_SETTINGS
@given(problems(hidden_choices=BOUNDED_HIDDEN, weight_bound=1.0, x_strategy=HUGE))
def test_inputs_up_to_1e300_with_bounded_hidden_units_give_finite_results(problem):
    arch, weights, x, y = problem
    with strict_numpy():
        fwd = engine.forward(arch, weights, x, y)
        bwd = engine.backward(arch, weights, x, y)
        out = engine.predict(arch, weights, np.stack([x, -x]))
    assert_trace_finite(fwd)
    assert_trace_finite(bwd.forward, bwd)
    assert np.isfinite(out).all()
    for layer in fwd.layers[:-1]:
        assert (np.abs(layer.a) <= 1.0).all()
