"""Built-in 2-D datasets, seeded, with noise; and user-supplied X/Y.

Inputs lie roughly in [−1, 1]². Classification datasets have two classes,
labelled 0 and 1; `Dataset.targets(n_outputs)` gives them as one column
(y* ∈ {0, 1}) for a single output unit or one-hot for two. `noise` is the
standard deviation of Gaussian jitter on the inputs (on the target for the
regression plane).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import InputError


@dataclass
class Dataset:
    name: str
    task: str            # "classification" or "regression"
    X: np.ndarray        # [n, n_inputs]
    Y: np.ndarray        # [n, n_targets]: labels column for built-in classification

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    def targets(self, n_outputs: int) -> np.ndarray:
        """Targets shaped for a network with n_outputs output units."""
        if self.Y.shape[1] == n_outputs:
            return self.Y
        if self.task == "classification" and self.Y.shape[1] == 1 and n_outputs >= 2:
            labels = self.Y[:, 0].astype(np.int64)
            if labels.min() >= 0 and labels.max() < n_outputs:
                return np.eye(n_outputs)[labels]
        raise InputError("dataset", f"targets have {self.Y.shape[1]} column(s) but the network "
                         f"has {n_outputs} output unit(s)")


def _xor(rng, n, noise):
    X = rng.uniform(-1, 1, (n, 2))
    X += np.sign(X) * 0.05                     # keep points off the axes
    labels = (X[:, 0] * X[:, 1] > 0).astype(float)
    return X + rng.normal(0, noise, X.shape), labels


def _circle(rng, n, noise):
    inner = n // 2
    r = np.concatenate([rng.uniform(0, 0.45, inner), rng.uniform(0.7, 1.0, n - inner)])
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    labels = np.concatenate([np.ones(inner), np.zeros(n - inner)])
    return X + rng.normal(0, noise, X.shape), labels


def _gauss(rng, n, noise):
    half = n // 2
    spread = 0.15 + noise
    X = np.concatenate([rng.normal(0.45, spread, (half, 2)), rng.normal(-0.45, spread, (n - half, 2))])
    labels = np.concatenate([np.ones(half), np.zeros(n - half)])
    return X, labels


def _spiral(rng, n, noise):
    half = n // 2
    parts, labels = [], []
    for label, count, offset in ((1.0, half, 0.0), (0.0, n - half, np.pi)):
        t = np.linspace(0.05, 1.0, count)
        angle = 1.75 * t * 2 * np.pi + offset
        parts.append(np.column_stack([t * np.sin(angle), t * np.cos(angle)]))
        labels.append(np.full(count, label))
    X = np.concatenate(parts)
    return X + rng.normal(0, noise, X.shape), np.concatenate(labels)


def _moons(rng, n, noise):
    half = n // 2
    a = rng.uniform(0, np.pi, half)
    b = rng.uniform(0, np.pi, n - half)
    upper = np.column_stack([np.cos(a), np.sin(a)])
    lower = np.column_stack([1 - np.cos(b), 0.5 - np.sin(b)])
    X = (np.concatenate([upper, lower]) - [0.5, 0.25]) * [0.65, 0.9]
    labels = np.concatenate([np.ones(half), np.zeros(n - half)])
    return X + rng.normal(0, noise, X.shape), labels


# The lecture's four XOR points on ±1 inputs (no input is 0, so every weight gets a non-zero
# gradient): y* = 1 where x1 ≠ x2. n is fixed; noise (default 0) jitters them.
LECTURE_XOR_X = ((-1.0, -1.0), (-1.0, 1.0), (1.0, -1.0), (1.0, 1.0))
LECTURE_XOR_Y = (0.0, 1.0, 1.0, 0.0)


def _lecture_xor(rng, n, noise):
    X = np.array(LECTURE_XOR_X)
    if noise:
        X = X + rng.normal(0, noise, X.shape)
    return X, np.array(LECTURE_XOR_Y)


def _plane(rng, n, noise):
    X = rng.uniform(-1, 1, (n, 2))
    y = 0.5 * X[:, 0] - 0.3 * X[:, 1] + 0.1
    return X, y + rng.normal(0, noise, n)


@dataclass(frozen=True)
class DatasetKind:
    name: str
    task: str
    description: str
    make: Callable
    default_n: int = 200
    default_noise: float = 0.1
    label: str = ""          # the name a person reads (the name itself when empty)
    fixed_n: bool = False    # the points are given: n is always default_n

    def describe(self) -> dict:
        """This entry as GET /api/datasets serves it."""
        return {"name": self.name, "label": label_of(self.name), "task": self.task,
                "description": self.description, "default_n": self.default_n,
                "default_noise": self.default_noise, "fixed_n": self.fixed_n}


DATASETS: dict[str, DatasetKind] = {k.name: k for k in (
    DatasetKind("xor", "classification", "Four quadrants: class 1 where x1·x2 > 0.", _xor),
    DatasetKind("circle", "classification", "A disc of class 1 inside a ring of class 0.", _circle),
    DatasetKind("gauss", "classification", "Two Gaussian blobs.", _gauss),
    DatasetKind("spiral", "classification", "Two interleaved spirals (hard).", _spiral, 300, 0.02),
    DatasetKind("moons", "classification", "Two interleaved half-circles.", _moons),
    DatasetKind("plane", "regression", "y* = 0.5·x1 − 0.3·x2 + 0.1 plus noise.", _plane),
    DatasetKind("lecture_xor", "classification", "The lecture's four XOR points on ±1 inputs: "
                "y* = 1 where x1 ≠ x2.", _lecture_xor, 4, 0.0, "lecture XOR (4 points)", True),
)}


def label_of(name: str) -> str:
    """The name a person reads for a dataset named `name` (built-in or user-supplied)."""
    kind = DATASETS.get(name)
    return (kind.label or kind.name) if kind is not None else name


def make_dataset(name: str, n: int, noise: float, seed: int) -> Dataset:
    kind = DATASETS[name]
    if kind.fixed_n and n != kind.default_n:
        raise InputError("dataset.n", f"{kind.label or name} has exactly {kind.default_n} points")
    rng = np.random.default_rng(seed)
    X, y = kind.make(rng, n, noise)
    return Dataset(name, kind.task, np.asarray(X, dtype=np.float64),
                   np.asarray(y, dtype=np.float64).reshape(-1, 1))


def shuffled_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """The order of epoch `epoch` (0-based): a fresh permutation per epoch, from the seed."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def test_count(n: int, test_fraction: float) -> int:
    """How many of n examples a test fraction f puts in the test part: ⌊f·n⌋ (up to rounding
    of f·n), at most n − 1 so the training part is never empty."""
    return max(0, min(n - 1, math.floor(test_fraction * n + 1e-9)))


def split_indices(n: int, test_fraction: float, seed: int) -> np.ndarray:
    """The test part's example indices (increasing): ⌊f·n⌋ of range(n), picked by a
    permutation seeded by the dataset's seed, apart from the per-epoch shuffle's stream."""
    k = test_count(n, test_fraction)
    perm = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,))).permutation(n)
    return np.sort(perm[:k]).astype(np.int64)
