"""Engine benchmark: a training step of our engine beside PyTorch, plain Python and a bare
numpy loop, in one run, repetitions interleaved.

Cases
  2-2-1    per-example SGD step (sigmoid hidden, linear output, squared loss) on xor
  2-8-8-1  the same with two hidden layers of 8
  784-128-10, batch 64: mini-batch SGD step (sigmoid hidden, softmax + cross-entropy) on
           random inputs with one-hot targets; throughput in examples/s

Contenders (see bench/_impls.py): ours = engine.sgd_step, the per-example step with the
full trace and the loss after it (compiled for small networks, engine/compiled.py;
engine.batch_gradients + sgd_update for the batch case), ours-numpy = the same step in
numpy (engine.network.sgd_step), session = Session.sgd_step (what POST /step runs), floor =
bare numpy in the engine's layout with no trace, torch = PyTorch CPU float64 autograd with
numpy's BLAS thread count, python = lists and math.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python bench/engine.py
"""
from __future__ import annotations

import sys

import numpy as np

import _common as C
import _impls as I
from backprop_explorer import engine
from backprop_explorer.engine import Architecture

TARGET_TORCH_SPEEDUP = 10.0     # tiny nets: ours at least 10× faster than torch
TARGET_FLOOR_RATIO = 1.5        # tiny nets: ours within 1.5× of the bare numpy loop
TARGET_BATCH_RATIO = 1.5        # 784-128-10 batch 64: ours within 1.5× of torch's time


def tiny_case(layers, n, reps, have_torch, lr=0.1):
    arch = Architecture(tuple(layers), ("sigmoid",) * (len(layers) - 2) + ("linear",), "squared")
    weights = engine.init_weights(list(layers), "xavier", 0)
    data = engine.make_dataset("xor", 200, 0.1, 0)
    X, Y = data.X, data.targets(1)
    xs, ys = [X[i] for i in range(len(X))], [Y[i] for i in range(len(Y))]
    factories = {"ours": I.ours_step, "ours-numpy": I.ours_numpy_step, "floor": I.floor_step,
                 "python": I.python_step}
    if have_torch:
        factories["torch"] = I.torch_step
    check = _verify(factories, arch, weights, xs, ys, lr, steps=50)
    contenders = {name: f(arch, weights, xs, ys, lr)[0] for name, f in factories.items()}
    contenders["session"] = I.session_step(arch, weights, X, Y, lr)[0]
    per = {name: n for name in contenders}
    per["python"] = max(1, n // 2)
    samples = C.interleaved({k: (v, per[k]) for k, v in contenders.items()}, reps)
    return {"case": "-".join(map(str, layers)), "kind": "per-example step",
            "samples": samples, "check_max_abs_diff_vs_ours": check,
            "steps_per_block": per}


def batch_case(layers, batch, n, reps, have_torch, lr=0.1, python_n=1):
    arch = Architecture(tuple(layers), ("sigmoid",) * (len(layers) - 2) + ("softmax",),
                        "cross_entropy")
    weights = engine.init_weights(list(layers), "xavier", 0)
    rng = np.random.default_rng(1)
    n_batches = 4
    Xs = [rng.uniform(0, 1, (batch, layers[0])) for _ in range(n_batches)]
    Ys = [np.eye(layers[-1])[rng.integers(0, layers[-1], batch)] for _ in range(n_batches)]
    factories = {"ours": I.ours_batch, "floor": I.floor_batch}
    if have_torch:
        factories["torch"] = lambda *a: I.torch_step(*a, batch=True)
    factories["python"] = lambda *a: I.python_step(*a, batch=True)
    check = _verify(factories, arch, weights, Xs, Ys, lr, steps=2,
                    only_python_steps=1)
    contenders = {name: f(arch, weights, Xs, Ys, lr)[0] for name, f in factories.items()}
    per = {name: n for name in contenders}
    per["python"] = python_n
    python_reps = 3 if python_n == 1 and layers[0] * layers[1] * batch > 1e6 else reps
    samples = C.interleaved({k: (v, per[k]) for k, v in contenders.items()}, reps,
                            reps_for={"python": python_reps})
    return {"case": "-".join(map(str, layers)) + f" batch {batch}", "kind": "mini-batch step",
            "batch": batch, "samples": samples, "check_max_abs_diff_vs_ours": check,
            "steps_per_block": per}


def _verify(factories, arch, weights, xs, ys, lr, steps, only_python_steps=None):
    """Same start, same examples, `steps` steps each: max |weight difference| vs ours."""
    ref_run, ref_final = factories["ours"](arch, weights, xs, ys, lr)
    out = {}
    for name, f in factories.items():
        if name == "ours":
            continue
        k = only_python_steps if (name == "python" and only_python_steps) else steps
        run, final = f(arch, weights, xs, ys, lr)
        r2, f2 = factories["ours"](arch, weights, xs, ys, lr)
        run(k)
        r2(k)
        out[name] = I.max_weight_diff(final(), f2())
    return out


def main(argv=None) -> int:
    args, env, have_torch = I.numeric_bench_setup(__doc__.split("\n")[0], argv)

    if args.quick:
        cases = [tiny_case([2, 2, 1], 50, 3, have_torch),
                 tiny_case([2, 8, 8, 1], 50, 3, have_torch),
                 batch_case([64, 32, 10], 16, 5, 3, have_torch)]
    else:
        cases = [tiny_case([2, 2, 1], 2000, 21, have_torch),
                 tiny_case([2, 8, 8, 1], 2000, 21, have_torch),
                 batch_case([784, 128, 10], 64, 30, 15, have_torch)]

    names = ["ours", "ours-numpy", "session", "floor", "torch", "python"]
    rows, results = [], []
    for case in cases:
        med = {k: C.summary(v) for k, v in case["samples"].items()}
        case["stats"] = med
        m = {k: v["median"] for k, v in med.items()}
        ours = m["ours"]
        case["ratios"] = {
            "torch_over_ours": m["torch"] / ours if "torch" in m else None,
            "ours_over_floor": ours / m["floor"],
            "python_over_ours": m["python"] / ours,
            "session_over_ours": m["session"] / ours if "session" in m else None,
            "torch_over_floor": m["torch"] / m["floor"] if "torch" in m else None,
        }
        if "batch" in case:
            case["throughput_examples_per_s"] = {k: case["batch"] / v for k, v in m.items()}
            case["targets"] = {
                f"ours within {TARGET_BATCH_RATIO}x of torch":
                    None if "torch" not in m else ours <= TARGET_BATCH_RATIO * m["torch"]}
        else:
            case["targets"] = {
                f"ours >= {TARGET_TORCH_SPEEDUP:g}x faster than torch":
                    None if "torch" not in m else m["torch"] >= TARGET_TORCH_SPEEDUP * ours,
                f"ours within {TARGET_FLOOR_RATIO}x of floor": ours <= TARGET_FLOOR_RATIO * m["floor"]}
        r = case["ratios"]
        rows.append([case["case"]] + [C.fmt_time(m.get(k)) for k in names] + [
            "—" if r["torch_over_ours"] is None else f"{r['torch_over_ours']:.2f}×",
            f"{r['ours_over_floor']:.2f}×", f"{r['python_over_ours']:.2f}×",
            "—" if r["torch_over_floor"] is None else f"{r['torch_over_floor']:.2f}×"])
        results.append(case)

    print()
    print("Median time per step (lower is better); ours = engine.sgd_step with the full trace "
          "(batch: batch_gradients + sgd_update)")
    print(C.table(["case", "ours", "ours (numpy path)", "session.sgd_step", "bare numpy",
                   "torch f64", "plain python",
                   "torch/ours", "ours/floor", "python/ours", "torch/floor"], rows))
    for case in results:
        if "throughput_examples_per_s" in case:
            t = case["throughput_examples_per_s"]
            print(f"\n{case['case']} throughput (examples/s): " +
                  ", ".join(f"{k} {v:,.0f}" for k, v in t.items()))
    print("\nTargets")
    for case in results:
        for name, ok in case["targets"].items():
            print(f"  {case['case']:>22}: {name}: {C.met(ok)}")
    print("\nCorrectness (max |weight diff| vs ours after the same steps): " + "; ".join(
        f"{c['case']}: " + ", ".join(f"{k} {v:.1e}" for k, v in c["check_max_abs_diff_vs_ours"].items())
        for c in results))
    bad = [c["case"] for c in results if any(v > 1e-9 for v in c["check_max_abs_diff_vs_ours"].values())]
    if bad:
        print(f"WARNING: contenders disagree with ours on {bad}")

    name = "engine" + ("" if args.threads is None else f"-threads{args.threads}") + \
        ("-cpuclock" if args.clock == "cpu" else "")
    path = C.write_json(args.out, name, {
        "benchmark": "engine", "quick": args.quick, "environment": env,
        "command": C.command("engine.py"),
        "unit": "seconds per step", "cases": results})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
