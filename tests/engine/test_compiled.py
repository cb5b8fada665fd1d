"""The compiled per-example step (engine/compiled.py, what POST /step runs for small
networks) against numpy's (network.sgd_step): the whole StepTrace — every s, a, ∂L/∂a,
δ, ∂L/∂W, ∂L/∂b, the loss, the weights after and the loss after — agrees to rounding for
every activation × loss the engine allows, 0 to 3 hidden layers, with and without L2.
Anything non-finite is handed to numpy, whose errors say what went wrong."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

from backprop_explorer import engine
from backprop_explorer.engine import Architecture, DivergedError, Parameters, compiled, network
from reference import HIDDEN_ACTIVATIONS, OUTPUT_LOSS_PAIRS, random_problem

RTOL, ATOL = 1e-12, 1e-15


def _cases():
    for output, loss in OUTPUT_LOSS_PAIRS:
        for n_hidden in range(4):
            for hidden in (HIDDEN_ACTIVATIONS if n_hidden else [None]):
                for l2 in (0.0, 0.2):
                    yield pytest.param(hidden, output, loss, n_hidden, l2,
                                       id=f"{hidden or 'none'}-{output}-{loss}-h{n_hidden}-l2={l2}")


def _arrays(result: engine.StepTrace) -> dict[str, np.ndarray]:
    t = result.backward
    out = {"x": t.forward.x, "loss": np.array([t.loss, result.loss_after]),
           "weights after": result.weights.flat, "gradient": t.gradient.flat}
    for l, (f, g) in enumerate(zip(t.forward.layers, t.grads)):
        out.update({f"s{l}": f.s, f"a{l}": f.a, f"dL_da{l}": g.dL_da, f"delta{l}": g.dL_ds,
                    f"dL_dW{l}": g.dL_dW, f"dL_db{l}": g.dL_db})
    return out


@pytest.mark.parametrize("hidden,output,loss,n_hidden,l2", list(_cases()))
def test_compiled_step_equals_numpy_step(hidden, output, loss, n_hidden, l2):
    rng = np.random.default_rng(zlib.crc32(repr((hidden, output, loss, n_hidden, l2)).encode()))
    sizes = [int(rng.integers(1, 4))] + [int(rng.integers(1, 6)) for _ in range(n_hidden)] + \
        [int(rng.integers(2, 4)) if output == "softmax" else int(rng.integers(1, 4))]
    acts = [hidden] * n_hidden + [output]
    arch = Architecture(tuple(sizes), tuple(acts), loss, l2)
    weights, x, t = random_problem(rng, sizes, acts, loss)
    fast = compiled.step(arch, weights, x, t, 0.3)
    assert fast is not None
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        ref = network.sgd_step(arch, weights, x, t, 0.3)
    got, want = _arrays(fast), _arrays(ref)
    assert got.keys() == want.keys()
    for name in want:
        assert got[name].shape == want[name].shape, name
        rtol = RTOL
        if name == f"dL_da{n_hidden}" and loss == "cross_entropy":
            # ∂L/∂y = −y*/y + (1 − y*)/(1 − y) is ill-conditioned where y nears 0 or 1: one
            # rounding of y (the two σ forms may differ in the last bit) moves it by about
            # 1e-16·(∂L/∂y)² — allow that, and nothing more
            rtol = RTOL + 1e-15 * np.abs(want[name])
        assert np.all(np.abs(got[name] - want[name]) <= ATOL + rtol * np.abs(want[name])), \
            (name, got[name], want[name])
    for (W, b), shape in zip(fast.weights, arch.shapes):   # the new weights are usable as such
        assert W.shape == shape and b.shape == (shape[1],)


def _close(got, want, name):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, name
    assert np.all(np.abs(got - want) <= ATOL + RTOL * np.abs(want)), (name, got, want)


@pytest.mark.parametrize("hidden,output,loss,n_hidden,l2", list(_cases()))
def test_compiled_forward_backward_predict_equal_numpy(hidden, output, loss, n_hidden, l2):
    """The other per-example kernels (what /forward, /backward and /predict run) against
    network.py, with f′(s) per unit (da_ds) too."""
    rng = np.random.default_rng(zlib.crc32(repr(("fbp", hidden, output, loss, n_hidden)).encode()))
    sizes = [int(rng.integers(1, 4))] + [int(rng.integers(1, 6)) for _ in range(n_hidden)] + \
        [int(rng.integers(2, 4)) if output == "softmax" else int(rng.integers(1, 4))]
    acts = [hidden] * n_hidden + [output]
    arch = Architecture(tuple(sizes), tuple(acts), loss, l2)
    weights, x, t = random_problem(rng, sizes, acts, loss)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        ref_f, ref_b = network.forward(arch, weights, x, t), network.backward(arch, weights, x, t)
        ref_p = network.predict(arch, weights, np.stack([x, x * 0.5]))
    fast_f, fast_b = compiled.forward(arch, weights, x, t), compiled.backward(arch, weights, x, t)
    assert compiled.forward(arch, weights, x).loss is None
    _close(compiled.predict(arch, weights, np.stack([x, x * 0.5])), ref_p, "predict")
    _close(fast_f.loss, ref_f.loss, "forward loss")
    for l, (f, r, fb) in enumerate(zip(fast_f.layers, ref_f.layers, fast_b.forward.layers)):
        _close(f.s, r.s, f"s{l}")
        _close(f.a, r.a, f"a{l}")
        assert np.array_equal(f.s, fb.s) and np.array_equal(f.a, fb.a)   # same kernel code
    for l, (g, r) in enumerate(zip(fast_b.grads, ref_b.grads)):
        for key in ("dL_ds", "dL_dW", "dL_db"):
            _close(getattr(g, key), getattr(r, key), f"{key}{l}")
        assert (g.da_ds is None) == (r.da_ds is None) == (acts[l] == "softmax")
        if r.da_ds is not None:
            _close(g.da_ds, r.da_ds, f"da_ds{l}")


def test_the_lecture_step_by_hand():
    """The lecture's 2-2-1 preset at x = (1, 0), y* = 1 with γ = 0.5, one step by hand."""
    import math
    arch = Architecture((2, 2, 1), ("sigmoid", "linear"), "squared")
    weights = [(np.array([[0.5, -0.4], [0.3, 0.8]]), np.array([0.1, -0.2])),
               (np.array([[0.7], [-0.6]]), np.array([0.2]))]
    z1, z2 = 1 / (1 + math.exp(-0.6)), 1 / (1 + math.exp(0.6))
    y = 0.2 + 0.7 * z1 - 0.6 * z2
    err = y - 1.0
    result = compiled.step(arch, weights, np.array([1.0, 0.0]), np.array([1.0]), 0.5)
    (W1, b1), (W2, b2) = result.weights
    assert result.backward.loss == pytest.approx(0.5 * err * err, rel=1e-14)
    # w_11^h ← w_11^h − γ (y − y*) w_11^o z1(1 − z1) x1 ; x2 = 0 leaves w_21^h, w_22^h alone
    assert W1[0, 0] == pytest.approx(0.5 - 0.5 * err * 0.7 * z1 * (1 - z1), rel=1e-14)
    assert W1[0, 1] == pytest.approx(-0.4 - 0.5 * err * -0.6 * z2 * (1 - z2), rel=1e-14)
    assert W1[1].tolist() == [0.3, 0.8]
    assert W2[:, 0].tolist() == pytest.approx([0.7 - 0.5 * err * z1, -0.6 - 0.5 * err * z2], rel=1e-14)
    assert b2[0] == pytest.approx(0.2 - 0.5 * err, rel=1e-14)
    # the loss after, recomputed from the new weights by hand
    z1n = 1 / (1 + math.exp(-(W1[0, 0] + b1[0])))
    z2n = 1 / (1 + math.exp(-(W1[0, 1] + b1[1])))
    y_after = b2[0] + W2[0, 0] * z1n + W2[1, 0] * z2n
    assert result.loss_after == pytest.approx(0.5 * (y_after - 1.0) ** 2, rel=1e-13)
    assert weights[0][0][0, 0] == 0.5                      # the old weights are untouched


def test_sgd_step_uses_the_compiled_step_for_small_networks_only():
    small = Architecture((2, 2, 1), ("sigmoid", "linear"), "squared")
    big_n = compiled.MAX_PARAMETERS // 3
    big = Architecture((2, big_n, 1), ("tanh", "linear"), "squared")
    if not compiled.ENABLED:
        pytest.skip("the compiled path is off in this run (BPE_COMPILED=0)")
    assert compiled.available(small) and not compiled.available(big)
    for arch in (small, big):
        weights = engine.init_weights(list(arch.layers), "xavier", 0)
        x, y = np.array([0.5, -1.0]), np.array([0.25])
        got = engine.sgd_step(arch, weights, x, y, 0.1)
        expected = (compiled.step if arch is small else network.sgd_step)(arch, weights, x, y, 0.1)
        assert np.array_equal(got.weights.flat, expected.weights.flat)   # bit for bit


@pytest.mark.skipif(not compiled.ENABLED, reason="the compiled path is off in this run "
                    "(BPE_COMPILED=0 or NUMBA_DISABLE_JIT=1): these call its kernels directly")
def test_anything_non_finite_goes_to_numpy_and_its_errors():
    arch = Architecture((2, 2, 1), ("sigmoid", "linear"), "squared")
    weights = [(np.array([[1.0, 0.0], [0.0, 1.0]]), np.zeros(2)), (np.ones((2, 1)), np.zeros(1))]
    # an update that overflows (γ ∂L/∂w > 1.8e308): the compiled step declines, numpy
    # says "diverges"
    x, y = np.array([1.0, 1.0]), np.array([100.0])
    assert compiled.step(arch, weights, x, y, 1e308) is None
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        with pytest.raises(DivergedError):
            engine.sgd_step(arch, weights, x, y, 1e308)
    # a forward pass that overflows: numpy raises FloatingPointError (the session's 422 on x)
    linear = Architecture((2, 2, 1), ("linear", "linear"), "squared")
    x = np.array([1e160, 0.0])            # the loss ½(1e160)² overflows
    assert compiled.step(linear, weights, x, np.array([0.0]), 0.1) is None
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        with pytest.raises(FloatingPointError):
            engine.sgd_step(linear, weights, x, np.array([0.0]), 0.1)


# ----- per-example SGD over many examples in one call (what /train runs at batch_size 1) -----
@pytest.mark.parametrize("layers,acts,loss,l2", [
    ((2, 2, 1), ("sigmoid", "linear"), "squared", 0.0),
    ((3, 5, 4, 3), ("tanh", "relu", "softmax"), "cross_entropy", 0.01),
    ((2, 4, 2), ("leaky_relu", "sigmoid"), "cross_entropy", 0.0),
])
def test_compiled_training_equals_numpy_one_example_at_a_time(layers, acts, loss, l2):
    rng = np.random.default_rng(7)
    arch = Architecture(layers, acts, loss, l2)
    weights = engine.init_weights(list(layers), "xavier", 3)
    X = rng.uniform(-1, 1, (20, layers[0]))
    Y = np.eye(layers[-1])[rng.integers(0, layers[-1], 20)] if loss == "cross_entropy" \
        else rng.normal(0, 1, (20, layers[-1]))
    order = rng.permutation(np.tile(np.arange(20), 3))
    fast = compiled.train(arch, weights, X, Y, order, 0.2)
    assert fast is not None
    W, losses = weights, []
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        for i in order:
            l, grads = network.batch_gradients(arch, W, X[i:i + 1], Y[i:i + 1])
            W = network.sgd_update(W, grads, 0.2)
            losses.append(l)
    np.testing.assert_allclose(fast[0].flat, engine.Parameters.pack(W).flat, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(fast[1], losses, rtol=1e-11, atol=1e-14)
    assert engine.Parameters.pack(weights).flat.tolist() == \
        engine.init_weights(list(layers), "xavier", 3).flat.tolist()    # input left alone


def test_train_at_batch_1_is_the_same_as_that_many_steps_bit_for_bit():
    """/train's compiled loop and /step's compiled step are the same arithmetic in the same
    order: 37 steps either way (crossing epochs, so the reshuffle too) give identical weights."""
    from backprop_explorer.sessions import Session
    from backprop_explorer.sessions.presets import resolve_network_spec
    spec = resolve_network_spec({"layers": [2, 5, 1], "dataset": {"name": "xor", "n": 10, "seed": 2}})
    a, b = Session.create("a" * 32, spec), Session.create("b" * 32, spec)
    result = a.train(steps=37)
    for _ in range(37):
        b.sgd_step()
    assert (a.step, a.epoch, a.dataset.cursor) == (b.step, b.epoch, b.dataset.cursor) == (37, 3, 7)
    assert a.weights.flat.tolist() == b.weights.flat.tolist()
    assert len(result.losses) == 37


@pytest.mark.skipif(not compiled.ENABLED, reason="the compiled path is off in this run "
                    "(BPE_COMPILED=0 or NUMBA_DISABLE_JIT=1): these call its kernels directly")
def test_compiled_training_declines_a_divergence_and_numpy_reports_it():
    arch = Architecture((2, 2, 1), ("sigmoid", "linear"), "squared")
    weights = engine.init_weights([2, 2, 1], "xavier", 0)
    X, Y = np.array([[1.0, 1.0]]), np.array([[100.0]])
    order = np.zeros(50, dtype=np.int64)
    new, losses, failed = compiled.train(arch, weights, X, Y, order, 1e308)
    assert failed == 0 and len(losses) == 0          # the first update already diverges
    assert new.flat.tolist() == Parameters.pack(weights).flat.tolist()
    with pytest.raises(DivergedError, match="update 1 of 50"):
        engine.sgd_per_example(arch, weights, X, Y, order, 1e308)
