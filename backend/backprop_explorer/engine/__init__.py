"""The engine: numpy (network.py) with a compiled per-example step for small networks
(compiled.py). No HTTP, no JSON. Reads like the lecture."""

from .activations import ACTIVATIONS, Activation
from .datasets import DATASETS, Dataset, make_dataset, shuffled_order
from .errors import DIVERGED, DivergedError, InputError
from .init import INIT_SCHEMES, init_weights
from .losses import LOSSES, Loss
from .parameters import Parameters
from .network import (
    Architecture,
    BackwardTrace,
    ForwardTrace,
    LayerForward,
    LayerGrads,
    LayerUpdate,
    StepTrace,
    Weights,
    backward,
    forward,
    gradcheck,
    loss_of,
    predict,
    sgd_update,
    batch_gradients,
)
from .step import sgd_per_example, sgd_step

__all__ = [
    "ACTIVATIONS", "Activation", "DATASETS", "Dataset", "make_dataset", "shuffled_order", "INIT_SCHEMES",
    "init_weights", "LOSSES", "Loss", "Parameters", "Architecture", "BackwardTrace", "DivergedError", "InputError", "ForwardTrace",
    "LayerForward", "LayerGrads", "LayerUpdate", "Weights", "backward", "forward",
    "gradcheck", "loss_of", "predict", "sgd_update", "batch_gradients", "DIVERGED",
    "StepTrace", "sgd_step", "sgd_per_example",
]
