"""The engine: numpy (network.py) with compiled per-example kernels for small networks
(compiled.py), one entry point per call (dispatch.py). No HTTP, no JSON. Reads like the
lecture."""

from .activations import ACTIVATIONS, Activation, Formula
from .datasets import DATASETS, Dataset, label_of, make_dataset, shuffled_order, split_indices
from .dispatch import backward, forward, predict, sgd_per_example, sgd_step, uses_compiled
from .errors import DIVERGED, DivergedError, InputError
from .init import INIT_SCHEMES, init_weights
from .losses import LOSSES, Loss
from .network import (
    Architecture,
    BackwardTrace,
    ForwardTrace,
    LayerForward,
    LayerGrads,
    LayerUpdate,
    StepTrace,
    Weights,
    batch_gradients,
    gradcheck,
    loss_of,
    sgd_update,
)
from .parameters import Parameters
from .schedule import SCHEDULES, Schedule

__all__ = [
    "ACTIVATIONS", "Activation", "Formula", "DATASETS", "Dataset", "make_dataset",
    "shuffled_order", "label_of", "split_indices", "SCHEDULES", "Schedule", "INIT_SCHEMES",
    "init_weights", "LOSSES", "Loss", "Parameters",
    "Architecture", "BackwardTrace", "DivergedError", "InputError", "ForwardTrace",
    "LayerForward", "LayerGrads", "LayerUpdate", "StepTrace", "Weights", "DIVERGED",
    "forward", "backward", "sgd_step", "predict", "sgd_per_example", "uses_compiled",
    "batch_gradients", "gradcheck", "loss_of", "sgd_update",
]
