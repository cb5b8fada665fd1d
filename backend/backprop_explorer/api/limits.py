"""The configured size limits (Settings), checked before any work is done."""
from __future__ import annotations

from ..engine import InputError
from .config import Settings


def check_network(layers: list[int], settings: Settings, field: str = "layers") -> None:
    if len(layers) > settings.max_layers:
        raise InputError(field, f"{len(layers)} layers is over the limit of max_layers="
                         f"{settings.max_layers} (input and output included)")
    for i, n in enumerate(layers):
        if n > settings.max_units:
            raise InputError(f"{field}.{i}", f"{n} units is over the limit of max_units="
                             f"{settings.max_units}")
    params = sum((a + 1) * b for a, b in zip(layers[:-1], layers[1:], strict=True))
    if params > settings.max_parameters:
        raise InputError(field, f"{params} parameters is over the limit of max_parameters="
                         f"{settings.max_parameters}")


def check_dataset_size(n: int, settings: Settings, field: str = "dataset") -> None:
    if n > settings.max_dataset_size:
        raise InputError(field, f"{n} examples is over the limit of max_dataset_size="
                         f"{settings.max_dataset_size}")
