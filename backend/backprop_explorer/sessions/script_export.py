"""A session as a runnable Python script (GET /export?format=numpy|torch): the network, its
current weights, the next example of its dataset and γ_t, one SGD step, and the new weights
printed — the numbers the next POST /step returns.

Text only: no number is computed here (the script computes them). Every formula comes from
the engine's tables — each activation's and loss's `code` (Python source that runs on numpy
and on torch alike), the lecture formula beside it as a comment, and the schedule's γ_t
expression — so adding an activation to the table is enough for the scripts too.
"""
from __future__ import annotations

from typing import Any

from ..engine import ACTIVATIONS, LOSSES, SCHEDULES
from .session import Session

FORMATS = ("numpy", "torch")


def _formula(template: str) -> str:
    return template.replace("{s}", "s").replace("{a}", "a")


def _floats(values: Any) -> str:
    """A nested list of floats as a Python literal that reads back to the same bits."""
    if isinstance(values, list):
        return "[" + ", ".join(_floats(v) for v in values) + "]"
    return repr(float(values))


def _functions(names: list[str], torch: bool) -> list[str]:
    lines = []
    for name in dict.fromkeys(names):
        act = ACTIVATIONS[name]
        if act.code is None:
            raise ValueError(f"activation {name!r} has no code in the table")
        lines += [f"def f_{name}(s):  # a = {_formula(act.value_formula.text)}",
                  f"    return {act.code.value}", ""]
        if not torch:     # torch: autograd differentiates f itself
            lines += [f"def delta_{name}(g, s, a):  # δ = ∂L/∂a · {_formula(act.derivative_formula.text)}",
                      f"    return {act.code.delta}", ""]
    return lines


def script(session: Session, fmt: str) -> str:
    """The script for `fmt` ("numpy" or "torch")."""
    ds = session.require_dataset("export the next step of (a script needs a next example)")
    arch, torch = session.arch, fmt == "torch"
    idx = session.next_index()
    assert idx is not None
    x, y_star = ds.data.X[idx].tolist(), ds.targets[idx].tolist()
    sched = SCHEDULES[session.schedule["name"]]
    params = {p.name: session.schedule[p.name] for p in sched.parameters}
    loss = LOSSES[arch.loss]
    out_act = arch.activations[-1]
    loss_src, dL_dy_src = loss.code(out_act)
    xp = "torch" if torch else "np"
    arr = (lambda v: f"torch.tensor({_floats(v)}, dtype=torch.float64, requires_grad=True)") \
        if torch else (lambda v: f"np.array({_floats(v)})")
    vec = (lambda v: f"torch.tensor({_floats(v)}, dtype=torch.float64)") if torch \
        else (lambda v: f"np.array({_floats(v)})")
    lines = [
        "#!/usr/bin/env python3",
        f'"""Backprop Explorer: the {"-".join(map(str, arch.layers))} network of session '
        f'{session.id} after {session.step} update(s),',
        f"and its next SGD step, with {'PyTorch (float64, CPU)' if torch else 'numpy'}: "
        f"example {idx} of dataset {ds.data.name!r}, γ_t at t = {session.step}.",
        "",
        "Notation as in the lecture: layer l computes s = a_below·W + b and a = f(s); the",
        "output a is y, the target y*; W[l][i][j] is the weight w_ij from unit i below to unit j",
        "(i = 0 … n_in − 1 here is unit i+1; b[l][j] is the bias w_0j).",
        "Run: python3 this_file.py — prints the weights after the step, then one JSON line.\"\"\"",
        "import json",
        "",
        "import torch" if torch else "import numpy as np",
        "",
        f"xp = {xp}",
        "",
        f"layers = {list(arch.layers)!r}",
        f"activations = {list(arch.activations)!r}",
        f"l2 = {arch.l2!r}  # λ: ∂L/∂W gets + λ·W",
        "W = [" + ",\n     ".join(arr(W.tolist()) for W, _ in session.weights) + "]",
        "b = [" + ",\n     ".join(arr(b.tolist()) for _, b in session.weights) + "]",
        f"example_index = {idx}",
        f"x = {vec(x)}",
        f"y_star = {vec(y_star)}",
        "",
        f"# learning-rate schedule {sched.name}: {sched.formula.text}",
        f"gamma0 = {session.learning_rate!r}",
        f"t = {session.step}  # updates so far",
        *(f"{k} = {v!r}" for k, v in params.items()),
        f"gamma_t = {sched.python}",
        "",
        "",
        "def softplus(v):  # log(1 + e^v), without overflow",
        "    return xp.log1p(xp.exp(-xp.abs(v))) + xp.where(v > 0, v, 0 * v)",
        "",
        "",
        *_functions(list(arch.activations), torch),
        f"def loss_of(y, y_star, s):  # L = {loss.value_formula.text}",
        f"    return {loss_src}",
        "",
        "",
        "f = [" + ", ".join(f"f_{a}" for a in arch.activations) + "]",
        "",
        "",
        "def forward(W, b, x):",
        "    a, out = x, []",
        "    for l in range(len(W)):",
        "        s = a @ W[l] + b[l]",
        "        a = f[l](s)",
        "        out.append((s, a))",
        "    return out",
        "",
        "",
        "out = forward(W, b, x)",
        "s, y = out[-1]",
    ]
    if torch:
        lines += [
            "loss = loss_of(y, y_star, s)",
            "total = loss + 0.5 * l2 * sum((Wl * Wl).sum() for Wl in W)",
            "total.backward()  # autograd: every ∂L/∂w",
            "with torch.no_grad():",
            "    W_after = [Wl - gamma_t * Wl.grad for Wl in W]",
            "    b_after = [bl - gamma_t * bl.grad for bl in b]",
            "to_list = lambda v: v.detach().tolist()  # noqa: E731",
            "loss = float(loss)",
        ]
    else:
        if loss.fuses(out_act):
            delta = "delta = y - y_star  # δ = y − y* (the chain rule simplifies to it here)"
        else:
            delta = (f"delta = delta_{out_act}({dL_dy_src}, s, y)  "
                     f"# ∂L/∂y = {loss.dL_dy_formula.text}, then × f′(s)")
        lines += [
            "loss = float(loss_of(y, y_star, s))",
            delta,
            "dW, db = [None] * len(W), [None] * len(W)",
            "d = [" + ", ".join(f"delta_{a}" for a in arch.activations) + "]",
            "for l in reversed(range(len(W))):  # top-down, reusing δ of the layer above",
            "    a_below = x if l == 0 else out[l - 1][1]",
            "    dW[l] = np.outer(a_below, delta) + l2 * W[l]  # ∂L/∂w_ij = a_i δ_j (+ λ w_ij)",
            "    db[l] = delta",
            "    if l > 0:",
            "        s_below, a_b = out[l - 1]",
            "        delta = d[l - 1](W[l] @ delta, s_below, a_b)  # δ_below = f′(s) ⊙ (W·δ)",
            "W_after = [W[l] - gamma_t * dW[l] for l in range(len(W))]  # w ← w − γ_t ∂L/∂w",
            "b_after = [b[l] - gamma_t * db[l] for l in range(len(b))]",
            "to_list = lambda v: v.tolist()  # noqa: E731",
        ]
    lines += [
        "",
        'print(f"example {example_index}: x = {to_list(x)}, y* = {to_list(y_star)}, '
        'loss before the step L = {loss!r}")',
        'print(f"t = {t}, γ_t = {gamma_t!r}")',
        "for l in range(len(W)):",
        "    name = 'o' if l == len(W) - 1 else 'h' if len(W) == 2 else f'h{l + 1}'",
        "    print(f'layer {l + 1} new W (w_ij^{name}):', to_list(W_after[l]))",
        "    print(f'layer {l + 1} new b (w_0j^{name}):', to_list(b_after[l]))",
        'print(json.dumps({"t": t, "learning_rate": gamma_t, "example_index": example_index,',
        '                  "loss": loss,',
        '                  "weights": [{"W": to_list(W_after[l]), "b": to_list(b_after[l])}',
        "                              for l in range(len(W))]}))",
        "",
    ]
    return "\n".join(lines)
