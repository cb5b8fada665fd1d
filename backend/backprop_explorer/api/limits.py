"""The configured size limits (Settings), checked before any work is done."""
from __future__ import annotations

from ..engine import InputError
from .config import Settings

MAX_UNIT_CELLS = 400_000    # points × units a "units": true prediction (or step) may return


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


def check_unit_cells(session, points: int, field: str = "units") -> None:
    """Every unit's activation at `points` points: at most MAX_UNIT_CELLS values."""
    units = sum(session.arch.layers[1:])
    if points * units > MAX_UNIT_CELLS:
        raise InputError(field, f"{points} points × {units} units = {points * units:,} values, "
                         f"over the limit of {MAX_UNIT_CELLS:,}; ask for a coarser grid")
