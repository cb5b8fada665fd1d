"""Learning-rate schedules γ_t: the one table of them (formulas, parameters, numpy).

t is the number of updates already applied (the session's step), γ0 the base learning
rate. Each schedule gives γ_t for a vector of t at once (per-update training takes one γ
per update), the lecture's formula (text and LaTeX, as activations.Formula) and its
parameters with their ranges, which the API's request models and GET /api/meta read.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .activations import Formula
from .errors import InputError


@dataclass(frozen=True)
class Parameter:
    name: str
    symbol: str
    description: str
    kind: str            # "number" or "integer"
    min: float
    max: float
    default: float
    min_exclusive: bool = False

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "symbol": self.symbol, "description": self.description,
                "type": self.kind, "min": self.min, "max": self.max, "default": self.default,
                "min_exclusive": self.min_exclusive}


@dataclass(frozen=True)
class Schedule:
    name: str
    description: str
    rate: Callable[..., np.ndarray]     # (γ0, t array, **parameters) -> γ_t array
    formula: Formula
    python: str                          # γ_t as a Python expression of gamma0, t, parameters
    parameters: tuple[Parameter, ...] = field(default=())

    def describe(self) -> dict[str, Any]:
        """This entry as GET /api/meta serves it."""
        return {"name": self.name, "description": self.description,
                "formula": self.formula.as_dict(),
                "parameters": [p.describe() for p in self.parameters]}


SCHEDULES: dict[str, Schedule] = {s.name: s for s in (
    Schedule("constant", "the same γ for every update (the lecture's default)",
             lambda g0, t: np.full(np.shape(t), float(g0)),
             Formula("γ_t = γ₀", r"\gamma_t = \gamma_0"), "gamma0"),
    Schedule("inverse_time", "inverse-time decay: γ shrinks like 1/t",
             lambda g0, t, k: g0 / (1.0 + k * np.asarray(t, dtype=np.float64)),
             Formula("γ_t = γ₀ / (1 + k·t)", r"\gamma_t = \frac{\gamma_0}{1 + k\,t}"),
             "gamma0 / (1.0 + k * t)",
             (Parameter("k", "k", "decay rate per update", "number", 0.0, 1e6, 0.01),)),
    Schedule("step_decay", "step decay: γ multiplied by d every T updates",
             lambda g0, t, decay, every: g0 * np.power(
                 float(decay), np.floor_divide(np.asarray(t, dtype=np.int64), int(every))),
             Formula("γ_t = γ₀ · d^⌊t/T⌋", r"\gamma_t = \gamma_0 \, d^{\lfloor t / T \rfloor}"),
             "gamma0 * decay ** (t // every)",
             (Parameter("decay", "d", "factor applied every T updates", "number", 0.0, 1.0, 0.5,
                        min_exclusive=True),
              Parameter("every", "T", "updates between two drops", "integer", 1, 1e9, 100))),
)}

CONSTANT: dict[str, Any] = {"name": "constant"}


def resolve(spec: Mapping[str, Any] | None) -> dict[str, Any]:
    """A schedule spec with every parameter filled in (defaults), checked: InputError on
    `schedule.<field>` otherwise."""
    spec = dict(spec or CONSTANT)
    sched = SCHEDULES.get(spec.get("name"))  # type: ignore[arg-type]
    if sched is None:
        raise InputError("schedule.name", f"unknown schedule {spec.get('name')!r}; choose one "
                         "of " + ", ".join(SCHEDULES))
    out: dict[str, Any] = {"name": sched.name}
    known = {p.name for p in sched.parameters}
    for extra in set(spec) - known - {"name"}:
        raise InputError(f"schedule.{extra}", f"{sched.name} takes no parameter {extra!r}")
    for p in sched.parameters:
        v = spec.get(p.name, p.default)
        low_ok = v > p.min if p.min_exclusive else v >= p.min
        if not (low_ok and v <= p.max):
            raise InputError(f"schedule.{p.name}", f"must be in {'(' if p.min_exclusive else '['}"
                             f"{p.min}, {p.max}]")
        out[p.name] = int(v) if p.kind == "integer" else float(v)
    return out


def rates(spec: Mapping[str, Any], gamma0: float, t0: int, count: int) -> np.ndarray:
    """γ_t for t = t0 … t0 + count − 1 (a resolved spec)."""
    sched = SCHEDULES[spec["name"]]
    params = {p.name: spec[p.name] for p in sched.parameters}
    t = np.arange(t0, t0 + count, dtype=np.int64)
    return np.asarray(sched.rate(float(gamma0), t, **params), dtype=np.float64)


def rate(spec: Mapping[str, Any], gamma0: float, t: int) -> float:
    """γ_t of one update."""
    return float(rates(spec, gamma0, t, 1)[0])
