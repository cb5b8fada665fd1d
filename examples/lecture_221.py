"""Reproduce the lecture's 2-2-1 backpropagation example over REST.

Sets exact weights, runs one example forward and backward, and checks every
gradient against the lecture's hand-derived product of local factors, e.g.
    ∂L/∂w_22^h = (y − y*) · w_21^o · z2(1 − z2) · x2
then takes one SGD step and prints old → new for every weight.

    python examples/lecture_221.py [--url http://127.0.0.1:8000]
"""
from __future__ import annotations

import argparse
import math

from backprop_explorer.client import Client

# W[i][j] of layer 1 is w_(i+1)(j+1)^h, b[j] is w_0(j+1)^h; likewise ^o for layer 2.
WEIGHTS = [
    {"W": [[0.5, -0.4], [0.3, 0.8]], "b": [0.1, -0.2]},
    {"W": [[0.7], [-0.6]], "b": [0.2]},
]
X, Y_STAR, GAMMA = [1.0, 0.5], [1.0], 0.5


def sigmoid(s: float) -> float:
    return 1.0 / (1.0 + math.exp(-s))


def by_hand() -> dict[str, float]:
    """The lecture's derivation, in plain arithmetic."""
    (w11h, w12h), (w21h, w22h) = WEIGHTS[0]["W"]
    w01h, w02h = WEIGHTS[0]["b"]
    (w11o,), (w21o,) = WEIGHTS[1]["W"]
    (w01o,) = WEIGHTS[1]["b"]
    x1, x2 = X
    z1 = sigmoid(w01h + w11h * x1 + w21h * x2)
    z2 = sigmoid(w02h + w12h * x1 + w22h * x2)
    y = w01o + w11o * z1 + w21o * z2
    dL_dy = y - Y_STAR[0]                    # ∂L/∂y for L = ½(y − y*)²
    return {
        "y": y, "L": 0.5 * dL_dy ** 2,
        "w_01^o": dL_dy * 1, "w_11^o": dL_dy * z1, "w_21^o": dL_dy * z2,
        "w_01^h": dL_dy * w11o * z1 * (1 - z1), "w_11^h": dL_dy * w11o * z1 * (1 - z1) * x1,
        "w_21^h": dL_dy * w11o * z1 * (1 - z1) * x2,
        "w_02^h": dL_dy * w21o * z2 * (1 - z2), "w_12^h": dL_dy * w21o * z2 * (1 - z2) * x1,
        "w_22^h": dL_dy * w21o * z2 * (1 - z2) * x2,
    }


def from_trace(trace: dict) -> dict[str, float]:
    hidden, out = trace["grads"]
    return {
        "y": trace["forward"]["output"][0], "L": trace["loss"],
        "w_01^o": out["dL_db"][0], "w_11^o": out["dL_dW"][0][0], "w_21^o": out["dL_dW"][1][0],
        "w_01^h": hidden["dL_db"][0], "w_11^h": hidden["dL_dW"][0][0],
        "w_21^h": hidden["dL_dW"][1][0],
        "w_02^h": hidden["dL_db"][1], "w_12^h": hidden["dL_dW"][0][1],
        "w_22^h": hidden["dL_dW"][1][1],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    with Client(args.url) as api:
        session = api.create_session(layers=[2, 2, 1], activations=["sigmoid", "linear"],
                                     loss="squared", learning_rate=GAMMA, weights=WEIGHTS)
        sid = session["id"]
        trace = api.backward(sid, X, Y_STAR)
        hand, served = by_hand(), from_trace(trace)
        worst = 0.0
        print(f"{'quantity':<10} {'by hand':>14} {'server':>14}")
        for name, value in hand.items():
            label = name if name in ("y", "L") else f"∂L/∂{name}"
            print(f"{label:<10} {value:>14.10f} {served[name]:>14.10f}")
            worst = max(worst, abs(value - served[name]))
        step = api.step(sid, x=X, y=Y_STAR)
        print(f"\none SGD step with γ = {GAMMA}: loss {step['loss']:.6f} → {step['loss_after']:.6f}")
        for l, (upd, sup) in enumerate(zip(step["update"], ("h", "o")), start=1):
            for i, (row0, row1) in enumerate(zip(upd["W_before"], upd["W_after"]), start=1):
                for j, (w0, w1) in enumerate(zip(row0, row1), start=1):
                    print(f"  w_{i}{j}^{sup}: {w0:+.6f} → {w1:+.6f}")
            for j, (b0, b1) in enumerate(zip(upd["b_before"], upd["b_after"]), start=1):
                print(f"  w_0{j}^{sup}: {b0:+.6f} → {b1:+.6f}")
        api.delete_session(sid)
    print(f"\nlargest difference between hand and server: {worst:.2e}")
    return 0 if worst < 1e-12 else 1


if __name__ == "__main__":
    raise SystemExit(main())
