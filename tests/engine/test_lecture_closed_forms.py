"""The lecture's 2-2-1 network (sigmoid hidden units z1, z2, linear output y, square loss
L = ½(y − y*)²) with explicit weights: every ∂L/∂w equals its hand-derived closed form.

Lecture notation ↔ engine arrays:
  layer 1 (hidden): W[i][j] ↔ w_(i+1)(j+1)^h, b[j] ↔ w_0(j+1)^h
  layer 2 (output): W[i][0] ↔ w_(i+1)1^o,     b[0] ↔ w_01^o
The expected values are computed below from scalar arithmetic only (math.exp), never
from the engine.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_explorer import engine
from implementations import IMPLEMENTATIONS, backward_by

ARCH = engine.Architecture((2, 2, 1), ("sigmoid", "linear"), "squared")


def sigma(s: float) -> float:
    return 1.0 / (1.0 + math.exp(-s))


# (hidden weights w_ij^h as {(i, j): value}, output weights w_i1^o as {i: value}, x1, x2, y*)
CASES = {
    "lecture-preset": ({(0, 1): 0.1, (1, 1): 0.5, (2, 1): 0.3,
                        (0, 2): -0.2, (1, 2): -0.4, (2, 2): 0.8},
                       {0: 0.2, 1: 0.7, 2: -0.6}, 1.0, 0.0, 1.0),
    "negative-inputs": ({(0, 1): -0.35, (1, 1): 1.2, (2, 1): -0.7,
                         (0, 2): 0.45, (1, 2): 0.25, (2, 2): -1.5},
                        {0: -0.1, 1: 1.3, 2: 0.9}, -0.8, 0.6, -0.25),
    "large-error": ({(0, 1): 0.9, (1, 1): -2.0, (2, 1): 1.1,
                     (0, 2): -0.6, (1, 2): 0.3, (2, 2): 2.2},
                    {0: 1.5, 1: -0.8, 2: 2.5}, 0.3, -1.7, 3.0),
}




def _engine_weights(wh, wo):
    W1 = np.array([[wh[(1, 1)], wh[(1, 2)]], [wh[(2, 1)], wh[(2, 2)]]])
    b1 = np.array([wh[(0, 1)], wh[(0, 2)]])
    W2 = np.array([[wo[1]], [wo[2]]])
    b2 = np.array([wo[0]])
    return [(W1, b1), (W2, b2)]


def _by_hand(wh, wo, x1, x2, y_star):
    """Forward and every partial derivative by the lecture's formulas, in scalars."""
    x = {0: 1.0, 1: x1, 2: x2}                     # x_0 = 1 multiplies the bias w_0j
    z = {j: sigma(wh[(0, j)] + wh[(1, j)] * x1 + wh[(2, j)] * x2) for j in (1, 2)}
    y = wo[0] + wo[1] * z[1] + wo[2] * z[2]
    err = y - y_star
    out = {
        "y": y, "z1": z[1], "z2": z[2], "L": 0.5 * err * err,
        ("o", 0): err,                 # ∂L/∂w_01^o = y − y*
        ("o", 1): err * z[1],          # ∂L/∂w_11^o = (y − y*) z1
        ("o", 2): err * z[2],          # ∂L/∂w_21^o = (y − y*) z2
    }
    for i in (0, 1, 2):
        for j in (1, 2):
            # ∂L/∂w_ij^h = (y − y*) · w_j1^o · z_j(1 − z_j) · x_i
            out[("h", i, j)] = err * wo[j] * z[j] * (1.0 - z[j]) * x[i]
    return out


@IMPLEMENTATIONS
@pytest.mark.parametrize("case", list(CASES))
def test_every_weight_matches_its_closed_form(case, implementation):
    wh, wo, x1, x2, y_star = CASES[case]
    hand = _by_hand(wh, wo, x1, x2, y_star)
    trace = backward_by(implementation, ARCH, _engine_weights(wh, wo), np.array([x1, x2]),
                      np.array([y_star]))
    hidden, output = trace.grads
    tol = dict(rel=1e-12, abs=1e-15)

    assert trace.forward.layers[0].a[0] == pytest.approx(hand["z1"], **tol)
    assert trace.forward.layers[0].a[1] == pytest.approx(hand["z2"], **tol)
    assert trace.forward.output[0] == pytest.approx(hand["y"], **tol)
    assert trace.loss == pytest.approx(hand["L"], **tol)

    # output layer: w_01^o, w_11^o, w_21^o
    assert output.dL_db[0] == pytest.approx(hand[("o", 0)], **tol)
    assert output.dL_dW[0][0] == pytest.approx(hand[("o", 1)], **tol)
    assert output.dL_dW[1][0] == pytest.approx(hand[("o", 2)], **tol)
    # hidden layer: biases w_01^h, w_02^h, then every w_ij^h
    for j in (1, 2):
        assert hidden.dL_db[j - 1] == pytest.approx(hand[("h", 0, j)], **tol), f"w_0{j}^h"
        for i in (1, 2):
            assert hidden.dL_dW[i - 1][j - 1] == pytest.approx(hand[("h", i, j)], **tol), \
                f"w_{i}{j}^h"


@IMPLEMENTATIONS
def test_w22_hidden_is_the_lectures_product_of_four_factors(implementation):
    """∂L/∂w_22^h = (y − y*) · w_21^o · z2(1 − z2) · x2, spelled out for the preset weights."""
    wh, wo, x1, x2, y_star = CASES["negative-inputs"]
    z2 = sigma(wh[(0, 2)] + wh[(1, 2)] * x1 + wh[(2, 2)] * x2)
    z1 = sigma(wh[(0, 1)] + wh[(1, 1)] * x1 + wh[(2, 1)] * x2)
    y = wo[0] + wo[1] * z1 + wo[2] * z2
    expected = (y - y_star) * wo[2] * z2 * (1 - z2) * x2
    trace = backward_by(implementation, ARCH, _engine_weights(wh, wo), np.array([x1, x2]),
                      np.array([y_star]))
    assert trace.grads[0].dL_dW[1][1] == pytest.approx(expected, rel=1e-12)
    # the cached δ of the output (y − y*) and of hidden unit 2 (δ_out · w_21^o · z2(1 − z2))
    assert trace.grads[1].dL_ds[0] == pytest.approx(y - y_star, rel=1e-12)
    assert trace.grads[0].dL_ds[1] == pytest.approx((y - y_star) * wo[2] * z2 * (1 - z2), rel=1e-12)
    assert trace.grads[0].dL_da[1] == pytest.approx((y - y_star) * wo[2], rel=1e-12)


@IMPLEMENTATIONS
def test_lecture_preset_numbers(implementation):
    """The preset's weights at x = (1, 0), y* = 1, worked through once by hand:
    s1 = 0.1 + 0.5 = 0.6, s2 = −0.2 − 0.4 = −0.6, z1 = σ(0.6), z2 = σ(−0.6) = 1 − z1,
    y = 0.2 + 0.7 z1 − 0.6 z2."""
    z1 = 1 / (1 + math.exp(-0.6))
    z2 = 1 - z1
    y = 0.2 + 0.7 * z1 - 0.6 * z2
    assert z1 == pytest.approx(0.6456563062257954, rel=1e-15)
    wh, wo, x1, x2, y_star = CASES["lecture-preset"]
    trace = backward_by(implementation, ARCH, _engine_weights(wh, wo), np.array([x1, x2]),
                      np.array([y_star]))
    assert trace.forward.output[0] == pytest.approx(y, rel=1e-14)
    assert trace.grads[1].dL_db[0] == pytest.approx(y - 1.0, rel=1e-14)
    # x2 = 0: both w_2j^h get no gradient
    assert trace.grads[0].dL_dW[1][0] == 0.0
    assert trace.grads[0].dL_dW[1][1] == 0.0
