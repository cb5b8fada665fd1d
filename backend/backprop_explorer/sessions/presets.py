"""Named starting points for a session (`"preset": "lecture"`, `"preset": "overfit"`)."""
from typing import Any

# The lecture's 2-2-1 network: sigmoid hidden units z1, z2, a linear output y,
# square loss, with round weights a class can follow by hand, and the four
# points of XOR (on ±1 inputs, so no input is 0 and every weight gets a
# non-zero gradient) as the training set: y* = 1 where x1 ≠ x2 (the built-in dataset
# "lecture_xor", labelled "lecture XOR (4 points)").
LECTURE: dict[str, Any] = {
    "layers": [2, 2, 1],
    "activations": ["sigmoid", "linear"],
    "loss": "squared",
    "learning_rate": 0.5,
    "l2": 0.0,
    "init": {"scheme": "xavier", "seed": 0},
    "weights": [
        {"W": [[0.5, -0.4], [0.3, 0.8]], "b": [0.1, -0.2]},   # w_1j^h, w_2j^h ; w_0j^h
        {"W": [[0.7], [-0.6]], "b": [0.2]},                   # w_11^o, w_21^o ; w_01^o
    ],
    "dataset": {"name": "lecture_xor"},
}

# Overfitting in a minute: few noisy points, half of them held out, and a wide network with
# far more weights than training points. Training drives the training loss down while the
# test loss turns and climbs (tests/api/test_split.py trains it and checks the gap).
OVERFIT: dict[str, Any] = {
    "layers": [2, 32, 32, 1],
    "activations": ["tanh", "tanh", "sigmoid"],
    "loss": "cross_entropy",
    "learning_rate": 0.1,
    "l2": 0.0,
    "init": {"scheme": "xavier", "seed": 1},
    "weights": None,
    "dataset": {"name": "circle", "n": 40, "noise": 0.3, "seed": 2, "test_fraction": 0.5},
}

PRESETS: dict[str, dict[str, Any]] = {"lecture": LECTURE, "overfit": OVERFIT}

DEFAULTS: dict[str, Any] = {
    "layers": [2, 2, 1],
    "loss": "squared",
    "learning_rate": 0.1,
    "l2": 0.0,
    "init": {"scheme": "xavier", "seed": 0},
    "weights": None,
    "dataset": None,
}


def resolve_network_spec(given: dict) -> dict:
    """Fill a partial network spec: preset (if named) first, then the lecture's defaults.

    Fields the caller gives win. A preset's explicit weights are dropped when the caller
    changes the layer sizes, and its dataset when the input or output size changes.
    """
    given = {k: v for k, v in given.items() if v is not None}
    preset_name = given.pop("preset", None)
    base = dict(PRESETS[preset_name]) if preset_name else {}
    if "layers" in given and base.get("layers") != given["layers"]:
        if "activations" not in given:
            base.pop("activations", None)
        base.pop("weights", None)
        old = base.get("layers")
        if old and (old[0], old[-1]) != (given["layers"][0], given["layers"][-1]):
            base.pop("dataset", None)
    spec = {**DEFAULTS, **base, **given}
    if "init" in given:
        spec["init"] = {**DEFAULTS["init"], **given["init"]}
    if spec.get("activations") is None:
        n = len(spec["layers"]) - 1
        spec["activations"] = ["sigmoid"] * (n - 1) + ["linear"]
    return spec
