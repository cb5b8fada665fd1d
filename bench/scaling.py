"""Scaling benchmark: per-example SGD step time (full trace) against units per layer
(2-h-1, h = 2…8192, one hidden layer) and against depth (1…8 hidden layers of 16 units),
ours (compiled up to compiled.MAX_PARAMETERS, numpy above) and its numpy path beside the
bare numpy loop and PyTorch (if installed), interleaved. Table + PNG. Where the two paths
cross is where compiled.MAX_PARAMETERS belongs.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python bench/scaling.py
"""
from __future__ import annotations

import sys

import _common as C
import _impls as I
from backprop_explorer import engine
from backprop_explorer.engine import Architecture, compiled


def measure(layers, n, reps, have_torch):
    arch = Architecture(tuple(layers), ("sigmoid",) * (len(layers) - 2) + ("linear",), "squared")
    weights = engine.init_weights(list(layers), "xavier", 0)
    data = engine.make_dataset("xor", 200, 0.1, 0)
    X, Y = data.X, data.targets(1)
    xs, ys = list(X), list(Y)
    lr = min(0.01, 1.0 / arch.n_parameters)   # small enough that wide nets do not diverge
    factories = {"ours": I.ours_step, "ours-numpy": I.ours_numpy_step, "floor": I.floor_step}
    if have_torch:
        factories["torch"] = I.torch_step
    contenders = {k: (f(arch, weights, xs, ys, lr)[0], n) for k, f in factories.items()}
    contenders["session"] = (I.session_step(arch, weights, X, Y, lr)[0], n)
    samples = C.interleaved(contenders, reps)
    return {k: C.summary(v)["median"] for k, v in samples.items()}


def main(argv=None) -> int:
    args, env, have_torch = I.numeric_bench_setup(__doc__.split("\n")[0], argv)
    if args.quick:
        units, depths, n, reps = [2, 8], [1, 2], 10, 2
    else:
        units, depths, n, reps = [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192], \
            list(range(1, 9)), 500, 11

    cols = ["ours", "ours-numpy", "session", "floor"] + (["torch"] if have_torch else [])
    by_units, by_depth = [], []
    for h in units:
        layers = [2, h, 1]
        by_units.append({"units": h, "layers": layers, "n_parameters": Architecture(
            tuple(layers), ("sigmoid", "linear")).n_parameters, **measure(layers, n, reps, have_torch)})
    for d in depths:
        layers = [2] + [16] * d + [1]
        by_depth.append({"hidden_layers": d, "layers": layers,
                         **measure(layers, n, reps, have_torch)})

    def rows(items, key):
        out = []
        for it in items:
            r = [str(it[key])] + [C.fmt_time(it.get(c)) for c in cols]
            r.append(f"{it['ours'] / it['floor']:.2f}×")
            if have_torch:
                r.append(f"{it['torch'] / it['ours']:.2f}×")
            out.append(r)
        return out

    extra = ["ours/floor"] + (["torch/ours"] if have_torch else [])
    print("\nPer-example step (median), one hidden layer 2-h-1, sigmoid/linear, squared loss")
    print(C.table(["units h"] + cols + extra, rows(by_units, "units")))
    print("\nPer-example step (median), 2-16×L-1")
    print(C.table(["hidden layers L"] + cols + extra, rows(by_depth, "hidden_layers")))

    args.out.mkdir(parents=True, exist_ok=True)
    png = args.out / "scaling.png"
    plotted = plot(by_units, by_depth, cols, png)
    path = C.write_json(args.out, "scaling", {
        "benchmark": "scaling", "quick": args.quick, "environment": env,
        "command": C.command("scaling.py"),
        "unit": "seconds per step", "steps_per_block": n, "reps": reps,
        "by_units": by_units, "by_depth": by_depth, "plot": str(png) if plotted else None})
    print(f"\nwrote {path}" + (f" and {png}" if plotted else " (matplotlib not installed: no plot)"))
    return 0


def plot(by_units, by_depth, cols, png) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    labels = {"ours": "ours (engine.sgd_step, full trace; compiled up to "
                      f"{compiled.MAX_PARAMETERS:,} parameters)",
              "ours-numpy": "ours, numpy path (network.sgd_step)",
              "session": "Session.sgd_step (what /step runs)",
              "floor": "bare numpy loop", "torch": "PyTorch f64 autograd"}
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for c in cols:
        a1.plot([r["units"] for r in by_units], [r[c] * 1e6 for r in by_units], "o-", label=labels[c])
        a2.plot([r["hidden_layers"] for r in by_depth], [r[c] * 1e6 for r in by_depth], "o-",
                label=labels[c])
    a1.set_xscale("log", base=2)
    a1.set_xlabel("units in the hidden layer (2-h-1)")
    a2.set_xlabel("hidden layers of 16 units")
    for a in (a1, a2):
        a.set_ylabel("µs per SGD step (median)")
        a.set_ylim(bottom=0)
        a.grid(alpha=0.3)
    a1.legend(fontsize=8)
    fig.suptitle("Per-example SGD step time: forward + backward + update")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return True


if __name__ == "__main__":
    sys.exit(main())
