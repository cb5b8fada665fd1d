"""The contenders of bench/engine.py and bench/scaling.py, each doing the same work.

A per-example step is: forward (keeping s and a), the loss, backward (∂L/∂a, δ, ∂L/∂W,
∂L/∂b per layer), and the update w ← w − γ ∂L/∂w into new arrays (the old weights stay,
as the undo history and the trace's W_before need them).

* ours      — engine.sgd_step: forward, loss, backward, update and the loss after, with the
              full trace (compiled for small networks: engine/compiled.py).
* ours-numpy — engine.network.sgd_step: the same in numpy (the reference implementation).
* session   — Session.sgd_step: what POST /step runs (adds loss_after, undo snapshot).
* floor     — a bare numpy loop: the same arithmetic (same formulas, same finiteness
              check), no trace objects, no lookups. The floor for this design.
* torch     — PyTorch autograd on the CPU in float64, the same threads as numpy's BLAS.
* python    — plain Python lists and math, no numpy.

Every factory takes (arch, weights, xs, ys, lr) with xs/ys lists of example rows (or
of batches) and returns (run(n), final_weights()) where run does n steps cycling
through the examples and final_weights() gives [(W, b)] as numpy arrays.
"""
from __future__ import annotations

import math

import numpy as np

import _common as C  # also puts backend/ on sys.path
from backprop_explorer import engine
from backprop_explorer.engine import Architecture


# ----------------------------------------------------------------------------- ours
def _per_example(step_fn):
    def factory(arch: Architecture, weights, xs, ys, lr):
        state = {"W": [(W.copy(), b.copy()) for W, b in weights], "k": 0}
        m = len(xs)

        def run(n: int) -> None:
            W, k = state["W"], state["k"]
            for _ in range(n):
                i = k % m
                W = step_fn(arch, W, xs[i], ys[i], lr).weights
                k += 1
            state["W"], state["k"] = W, k

        return run, lambda: state["W"]
    return factory


# what Session.sgd_step runs: compiled for small networks, numpy otherwise
ours_step = _per_example(engine.sgd_step)
# the numpy implementation of the same step (network.sgd_step), for comparison
ours_numpy_step = _per_example(engine.network.sgd_step)


def ours_batch(arch: Architecture, weights, Xs, Ys, lr):
    state = {"W": [(W.copy(), b.copy()) for W, b in weights], "k": 0}
    m = len(Xs)
    batch_gradients, sgd_update = engine.batch_gradients, engine.sgd_update

    def run(n: int) -> None:
        W, k = state["W"], state["k"]
        for _ in range(n):
            i = k % m
            _, grads = batch_gradients(arch, W, Xs[i], Ys[i])
            W = sgd_update(W, grads, lr)
            k += 1
        state["W"], state["k"] = W, k

    return run, lambda: state["W"]


# -------------------------------------------------------------------------- session
def session_step(arch: Architecture, weights, X, Y, lr):
    """Session.sgd_step() with no x/y: the next example of the session's dataset."""
    from backprop_explorer.sessions.session import DatasetState, Session
    data = engine.Dataset("custom", "regression", np.asarray(X), np.asarray(Y))
    ds = DatasetState(data, {"name": "custom", "n": data.n}, data.Y, shuffle_seed=0)
    session = Session("bench", arch, lr, {"scheme": "xavier", "seed": 0},
                      [(W.copy(), b.copy()) for W, b in weights], ds)

    def run(n: int) -> None:
        step = session.sgd_step
        for _ in range(n):
            step()

    return run, lambda: session.weights


# ---------------------------------------------------------------------------- floor
def floor_step(arch: Architecture, weights, xs, ys, lr):
    """Bare numpy in the engine's layout (parameters in one flat vector with (W, b) views,
    see engine/parameters.py), the engine's formulas inline, the fewest numpy calls we know
    for them, no trace objects: sigmoid hidden layers, a linear + squared or softmax +
    cross-entropy output (fused δ = y − y*)."""
    acts = arch.activations
    assert all(a in ("sigmoid",) for a in acts[:-1]), "floor supports sigmoid hidden layers"
    assert (arch.loss, acts[-1]) in (("squared", "linear"), ("cross_entropy", "softmax"))
    squared = arch.loss == "squared"
    shapes, n_par = arch.shapes, arch.n_parameters
    view = engine.Parameters.view
    state = {"P": engine.Parameters.pack([(W.copy(), b.copy()) for W, b in weights]), "k": 0}
    m = len(xs)
    L = len(weights)
    exp, abs_, where, outer, isfinite, empty = np.exp, np.abs, np.where, np.outer, np.isfinite, np.empty
    subtract, multiply = np.subtract, np.multiply

    def run(n: int) -> None:
        P, k = state["P"], state["k"]
        for _ in range(n):
            i = k % m
            x, y = xs[i], ys[i]
            acts_ = [x]
            a = x
            for l in range(L - 1):
                W, b = P[l]
                s = a @ W + b
                e = exp(-abs_(s))
                a = where(s >= 0, 1.0, e) / (1.0 + e)
                acts_.append(a)
            W, b = P[-1]
            s = a @ W + b
            G = view(empty(n_par), shapes)
            if squared:
                delta = subtract(s, y, out=G[-1][1])
                loss = 0.5 * float(delta @ delta)
            else:   # softmax + cross-entropy
                sh = s - s.max()
                ex = exp(sh)
                tot = ex.sum()
                loss = float(-np.sum(y * (sh - math.log(tot))))
                delta = subtract(ex / tot, y, out=G[-1][1])
            for l in range(L - 1, -1, -1):
                outer(acts_[l], delta, out=G[l][0])
                if l:
                    z = acts_[l]
                    delta = multiply(P[l][0] @ delta, z * (1.0 - z), out=G[l - 1][1])
            new = P.flat - lr * G.flat
            if not isfinite(new).all():
                raise FloatingPointError("diverged")
            P = view(new, shapes)
            k += 1
        state["P"], state["k"] = P, k
        state["loss"] = loss

    return run, lambda: state["P"]


def floor_batch(arch: Architecture, weights, Xs, Ys, lr):
    """Bare numpy mini-batch: sigmoid hidden layers, softmax + cross-entropy output."""
    assert arch.loss == "cross_entropy" and arch.activations[-1] == "softmax"
    assert all(a == "sigmoid" for a in arch.activations[:-1])
    state = {"W": [(W.copy(), b.copy()) for W, b in weights], "k": 0}
    m = len(Xs)
    L = len(weights)

    def run(n: int) -> None:
        Wl, k = state["W"], state["k"]
        for _ in range(n):
            i = k % m
            X, Y = Xs[i], Ys[i]
            bs = X.shape[0]
            acts_ = [X]
            a = X
            for l in range(L - 1):
                W, b = Wl[l]
                s = a @ W + b
                e = np.exp(-np.abs(s))
                a = np.where(s >= 0, 1.0, e) / (1.0 + e)
                acts_.append(a)
            W, b = Wl[-1]
            s = a @ W + b
            sh = s - s.max(axis=1, keepdims=True)
            ex = np.exp(sh)
            tot = ex.sum(axis=1, keepdims=True)
            a = ex / tot
            loss = float(-np.sum(Y * (sh - np.log(tot))) / bs)
            delta = a - Y
            new = [None] * L
            for l in range(L - 1, -1, -1):
                W, b = Wl[l]
                Wn = W - (lr / bs) * (acts_[l].T @ delta)
                bn = b - (lr / bs) * delta.sum(axis=0)
                if not (np.isfinite(Wn).all() and np.isfinite(bn).all()):
                    raise FloatingPointError("diverged")
                new[l] = (Wn, bn)
                if l:
                    z = acts_[l]
                    delta = (delta @ W.T) * (z * (1.0 - z))
            Wl = new
            k += 1
        state["W"], state["k"] = Wl, k
        state["loss"] = loss

    return run, lambda: state["W"]


# ---------------------------------------------------------------------------- torch
def torch_available() -> bool:
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


def torch_threads(n: int) -> None:
    import torch
    torch.set_num_threads(max(1, int(n)))


def torch_step(arch: Architecture, weights, xs, ys, lr, batch: bool = False):
    """PyTorch autograd, float64, CPU: forward, loss, loss.backward(), SGD update, loss.item()."""
    import torch
    acts = arch.activations
    for a in acts[:-1]:
        assert a == "sigmoid"
    params = []
    for W, b in weights:
        params.append(torch.tensor(W, dtype=torch.float64, requires_grad=True))
        params.append(torch.tensor(b, dtype=torch.float64, requires_grad=True))
    txs = [torch.from_numpy(np.ascontiguousarray(x)) for x in xs]
    tys = [torch.from_numpy(np.ascontiguousarray(y)) for y in ys]
    m = len(txs)
    L = len(weights)
    squared = arch.loss == "squared"
    out_act = acts[-1]
    state = {"k": 0}
    sigmoid, log_softmax = torch.sigmoid, torch.log_softmax

    def run(n: int) -> None:
        k = state["k"]
        for _ in range(n):
            i = k % m
            x, y = txs[i], tys[i]
            a = x
            for l in range(L - 1):
                a = sigmoid(a @ params[2 * l] + params[2 * l + 1])
            s = a @ params[2 * L - 2] + params[2 * L - 1]
            if squared:
                d = s - y
                loss = 0.5 * (d * d).sum()
            elif out_act == "softmax":
                loss = -(y * log_softmax(s, dim=-1)).sum()
            else:
                raise NotImplementedError(out_act)
            if batch:
                loss = loss / x.shape[0]
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p.sub_(p.grad, alpha=lr)
                    p.grad = None
            loss.item()
            k += 1
        state["k"] = k

    def final():
        return [(params[2 * l].detach().numpy().copy(), params[2 * l + 1].detach().numpy().copy())
                for l in range(L)]

    return run, final


# --------------------------------------------------------------------------- python
def _sig(v: float) -> float:
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def python_step(arch: Architecture, weights, xs, ys, lr, batch: bool = False):
    """Plain Python lists and math. With batch=True, xs/ys are lists of batches (rows) and the
    gradients are averaged over each batch (softmax + cross-entropy output)."""
    acts = arch.activations
    for a in acts[:-1]:
        assert a == "sigmoid"
    squared = arch.loss == "squared"
    Wl = [([list(r) for r in W.tolist()], b.tolist()) for W, b in weights]
    pxs = [x.tolist() for x in xs]
    pys = [y.tolist() for y in ys]
    m = len(pxs)
    L = len(Wl)
    state = {"W": Wl, "k": 0}

    def example_grads(Wl, x, y):
        """Forward + backward for one example: (loss, [(dW, db)])."""
        A = [x]
        a = x
        for l in range(L):
            W, b = Wl[l]
            n_out = len(b)
            s = list(b)
            for i, ai in enumerate(a):
                row = W[i]
                for j in range(n_out):
                    s[j] += ai * row[j]
            if l < L - 1:
                a = [_sig(v) for v in s]
            elif squared:
                a = s
            else:
                mx = max(s)
                ex = [math.exp(v - mx) for v in s]
                tot = sum(ex)
                a = [e / tot for e in ex]
                logtot = math.log(tot)
                loss = -sum(t * (v - mx - logtot) for t, v in zip(y, s) if t != 0)
            A.append(a)
        if squared:
            loss = 0.5 * sum((ai - ti) ** 2 for ai, ti in zip(a, y))
        delta = [ai - ti for ai, ti in zip(a, y)]
        grads = [None] * L
        for l in range(L - 1, -1, -1):
            below = A[l]
            dW = [[bi * dj for dj in delta] for bi in below]
            grads[l] = (dW, delta)
            if l:
                W = Wl[l][0]
                z = below
                delta = [sum(wij * dj for wij, dj in zip(W[i], delta)) * z[i] * (1.0 - z[i])
                         for i in range(len(z))]
        return loss, grads

    def update(Wl, grads, scale):
        new = []
        for (W, b), (dW, db) in zip(Wl, grads):
            Wn = [[w - scale * g for w, g in zip(wr, gr)] for wr, gr in zip(W, dW)]
            bn = [v - scale * g for v, g in zip(b, db)]
            for v in bn:
                if not math.isfinite(v):
                    raise FloatingPointError("diverged")
            for r in Wn:
                for v in r:
                    if not math.isfinite(v):
                        raise FloatingPointError("diverged")
            new.append((Wn, bn))
        return new

    def run(n: int) -> None:
        Wl, k = state["W"], state["k"]
        for _ in range(n):
            i = k % m
            if not batch:
                _, grads = example_grads(Wl, pxs[i], pys[i])
                Wl = update(Wl, grads, lr)
            else:
                total = None
                rows = pxs[i]
                for x, y in zip(rows, pys[i]):
                    _, g = example_grads(Wl, x, y)
                    if total is None:
                        total = [([list(r) for r in dW], list(db)) for dW, db in g]
                    else:
                        for (TW, Tb), (dW, db) in zip(total, g):
                            for tr, gr in zip(TW, dW):
                                for j, v in enumerate(gr):
                                    tr[j] += v
                            for j, v in enumerate(db):
                                Tb[j] += v
                Wl = update(Wl, total, lr / len(rows))
            k += 1
        state["W"], state["k"] = Wl, k

    return run, lambda: [(np.array(W), np.array(b)) for W, b in state["W"]]


def max_weight_diff(a, b) -> float:
    return max(max(float(np.max(np.abs(np.asarray(W1) - np.asarray(W2)))),
                   float(np.max(np.abs(np.asarray(b1) - np.asarray(b2)))))
               for (W1, b1), (W2, b2) in zip(a, b))


def numeric_bench_setup(description: str, argv=None):
    """Common start of the numeric benchmarks: options (--threads, --clock), BLAS and torch
    threads, the environment line printed. Returns (args, environment, torch available)."""
    p = C.parser(description)
    C.add_threads_option(p)
    C.add_clock_option(p)
    args = p.parse_args(argv)
    C.apply_clock(args)
    C.apply_threads(args.threads)
    env = C.environment()
    env["clock"] = args.clock
    have_torch = torch_available()
    if have_torch:
        torch_threads(env.get("blas_threads") or 1)
        import torch
        env["torch_threads"] = torch.get_num_threads()
    print(C.env_line(env))
    if not have_torch:
        print("torch: not installed (pip install -e '.[bench]')")
    return args, env, have_torch
