"""One user's network: architecture, weights, dataset, SGD position and undo history.

A Session is not thread-safe by itself; the store hands it out under its lock.
Every mutating method records an undo snapshot first and leaves the session
unchanged if it raises.
"""
from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .. import engine
from ..engine import DIVERGED, Architecture, DivergedError, InputError, Weights
from ..engine import network as batch
from ..engine import schedule as schedules
from .errors import Conflict

HISTORY_LEVELS = 100
# a step reports the updated network's loss and accuracy on each part of the dataset while
# that costs at most this much (examples × parameters, about one forward pass each): a few
# microseconds for the built-in datasets; beyond, the step's four numbers are null (/metrics)
STEP_METRICS_WORK = 4_000_000


@dataclass
class DatasetState:
    data: engine.Dataset
    spec: dict[str, Any]        # {"name", "n", "noise", "seed", "test_fraction"} (custom: noise None)
    targets: np.ndarray         # Y shaped for this network's outputs
    shuffle_seed: int
    cursor: int = 0             # position within the current epoch's order (of the training part)
    test: np.ndarray = None     # type: ignore[assignment]  # the test part's indices, increasing
    _order_epoch: int = -1
    _order: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.set_test(np.zeros(0, dtype=np.int64) if self.test is None else self.test)

    def set_test(self, test: np.ndarray) -> None:
        """Make `test` (indices into the data) the test part; the rest is the training part."""
        n = self.data.n
        test = np.asarray(test, dtype=np.int64)
        mask = np.zeros(n, dtype=bool)
        mask[test] = True
        self.test, self.is_test = np.flatnonzero(mask), mask
        self.train = np.flatnonzero(~mask)
        self._order_epoch, self._order = -1, None

    @property
    def n_train(self) -> int:
        return int(self.train.shape[0])

    @property
    def generated(self) -> bool:
        """A built-in dataset made from its spec (so it can be regenerated), not user data."""
        return self.spec["name"] in engine.DATASETS and self.spec.get("noise") is not None

    def order(self, epoch: int) -> np.ndarray:
        """Epoch `epoch`'s order of the training part (indices into the whole dataset)."""
        if self._order_epoch != epoch:
            perm = engine.shuffled_order(self.n_train, self.shuffle_seed, epoch)
            self._order = perm if self.n_train == self.data.n else self.train[perm]
            self._order_epoch = epoch
        return self._order  # type: ignore[return-value]

    def parts(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray] | None]:
        """(X, targets) of the training part and of the test part (None if there is none)."""
        X, Y = self.data.X, self.targets
        if not self.test.shape[0]:
            return (X, Y), None
        return (X[self.train], Y[self.train]), (X[self.test], Y[self.test])


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A state to undo to, its weights as their one flat vector."""
    flat: np.ndarray
    shapes: tuple[tuple[int, int], ...]
    step: int
    epoch: int
    cursor: int

    @classmethod
    def of(cls, arch: Architecture, weights: Weights, step: int, epoch: int,
           cursor: int) -> Snapshot:
        return cls(engine.Parameters.pack(weights).flat, arch.shapes, step, epoch, cursor)

    @property
    def weights(self) -> engine.Parameters:
        return engine.Parameters.view(self.flat, self.shapes)


class History:
    """A session's undo levels, oldest first, at most HISTORY_LEVELS (the oldest goes).

    Kept as flat weight vectors and (step, epoch, cursor) tuples of ints — objects
    Python's garbage collector does not scan — rather than as objects per level: with
    hundreds of sessions × 100 levels, those made every full collection take tens of
    milliseconds, which showed as the p99 of bench/load.py. Snapshots are made on demand."""

    def __init__(self, shapes: tuple[tuple[int, int], ...]) -> None:
        self._shapes = shapes
        self._flat: deque[np.ndarray] = deque(maxlen=HISTORY_LEVELS)
        self._meta: deque[tuple[int, int, int]] = deque(maxlen=HISTORY_LEVELS)

    def append(self, snap: Snapshot) -> None:
        self._flat.append(snap.flat)
        self._meta.append((snap.step, snap.epoch, snap.cursor))

    def pop(self) -> Snapshot:
        step, epoch, cursor = self._meta.pop()
        return Snapshot(self._flat.pop(), self._shapes, step, epoch, cursor)

    def __len__(self) -> int:
        return len(self._flat)

    def __iter__(self) -> Iterator[Snapshot]:
        for flat, (step, epoch, cursor) in zip(self._flat, self._meta, strict=True):
            yield Snapshot(flat, self._shapes, step, epoch, cursor)


@dataclass
class Metrics:
    """Loss (mean data loss, no L2 term) and accuracy (classification) of one set of weights
    on the training part, the test part (None: no test part) and the whole dataset."""
    train_loss: float
    train_accuracy: float | None
    test_loss: float | None
    test_accuracy: float | None
    dataset_loss: float
    accuracy: float | None

    def as_dict(self) -> dict[str, float | None]:
        return {"train_loss": self.train_loss, "test_loss": self.test_loss,
                "train_accuracy": self.train_accuracy, "test_accuracy": self.test_accuracy}


NO_METRICS: dict[str, None] = {"train_loss": None, "test_loss": None, "train_accuracy": None,
                               "test_accuracy": None}


@dataclass
class TrainResult:
    updates: int
    losses: list[float]
    epoch_losses: list[float]
    epoch_test_losses: list[float]
    metrics: Metrics
    batch_size: int
    t: int                      # the t of the first update
    learning_rate: float        # γ_t of the first update
    learning_rate_last: float   # γ_t of the last

    @property
    def dataset_loss(self) -> float:
        return self.metrics.dataset_loss

    @property
    def accuracy(self) -> float | None:
        return self.metrics.accuracy


@dataclass
class StepResult:
    trace: engine.BackwardTrace
    updates: list[engine.LayerUpdate]
    learning_rate: float
    example_index: int | None
    loss_after: float
    grid_Y: np.ndarray | None = None     # the updated network on the requested grid
    t: int = 0                           # the update's t (γ_t = learning_rate)
    metrics: Metrics | None = None       # the updated network on each part of the dataset
    grid_units: list[np.ndarray] | None = None   # every unit's activation on the grid (units=True)


OVERFLOW = ("the numbers are too large for this network: the computation overflows "
            "float64 (non-finite result)")


@contextmanager
def finite(field: str, message: str = OVERFLOW, error=InputError):
    """Run numpy code with overflow/invalid/divide as errors, reported as a 422 on `field`
    (so a request can never produce NaN, inf or a numpy warning)."""
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            yield
    except FloatingPointError:
        raise (error(message) if error is DivergedError else error(field, message)) from None


def _as_vector(values, size: int, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] != size:
        raise InputError(name, f"expected {size} number(s), got {len(values)}")
    if not np.isfinite(arr).all():
        raise InputError(name, "must be finite numbers")
    return arr


def _as_matrix(rows, n_cols: int, name: str) -> np.ndarray:
    if not rows:
        raise InputError(name, "needs at least one row")
    for i, row in enumerate(rows):
        if len(row) != n_cols:
            raise InputError(f"{name}.{i}", f"expected {n_cols} number(s), got {len(row)}")
    arr = np.asarray(rows, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise InputError(name, "must be finite numbers")
    return arr


def weights_from_lists(arch: Architecture, layers: list[dict], name: str = "weights") -> Weights:
    if len(layers) != len(arch.layers) - 1:
        raise InputError(name, f"expected {len(arch.layers) - 1} layer(s), got {len(layers)}")
    out = []
    for k, (layer, n_in, n_out) in enumerate(zip(layers, arch.layers[:-1], arch.layers[1:], strict=True)):
        if len(layer["W"]) != n_in:
            raise InputError(f"{name}.{k}.W",
                             f"expected {n_in} row(s) of {n_out}, got {len(layer['W'])} row(s)")
        W = _as_matrix(layer["W"], n_out, f"{name}.{k}.W")
        b = _as_vector(layer["b"], n_out, f"{name}.{k}.b")
        out.append((W, b))
    return out


def _targets_check(arch: Architecture, Y: np.ndarray, name: str) -> None:
    if arch.loss == "cross_entropy" and ((Y < 0).any() or (Y > 1).any()):
        raise InputError(name, "cross_entropy targets must lie in [0, 1]")


class Session:
    def __init__(self, session_id: str, arch: Architecture, learning_rate: float,
                 init: dict[str, Any], weights: Weights, dataset: DatasetState | None,
                 step: int = 0, epoch: int = 0, schedule: dict[str, Any] | None = None) -> None:
        self.id = session_id
        self.arch = arch
        self.learning_rate = learning_rate
        self.schedule = schedules.resolve(schedule)   # γ_t from γ0 = learning_rate, t = step
        self.init = init
        self.weights = weights
        self.dataset = dataset
        self.step = step
        self.epoch = epoch
        self.history = History(arch.shapes)
        self.lock = threading.Lock()
        # changes not yet persisted, in order: ("push", Snapshot) | ("pop", None) | ("meta", None)
        self.journal: list[tuple[str, Snapshot | None]] = []

    # ----- construction -------------------------------------------------
    @classmethod
    def create(cls, session_id: str, spec: dict[str, Any]) -> Session:
        arch = Architecture(tuple(spec["layers"]), tuple(spec["activations"]), spec["loss"],
                            float(spec["l2"]))
        init = dict(spec["init"])
        if spec.get("weights") is not None:
            weights = weights_from_lists(arch, spec["weights"])
        else:
            weights = engine.init_weights(list(arch.layers), init["scheme"], init["seed"])
        dataset = make_dataset_state(arch, spec.get("dataset"), init["seed"])
        return cls(session_id, arch, float(spec["learning_rate"]), init, weights, dataset,
                   schedule=spec.get("schedule"))

    # ----- reading ------------------------------------------------------
    def network_spec(self) -> dict[str, Any]:
        return {"layers": list(self.arch.layers), "activations": list(self.arch.activations),
                "loss": self.arch.loss, "learning_rate": self.learning_rate, "l2": self.arch.l2,
                "init": dict(self.init), "schedule": dict(self.schedule)}

    def gamma(self, t: int | None = None, learning_rate: float | None = None) -> float:
        """γ_t of the update at t (default: the next one, t = step), from γ0 = learning_rate
        (default: the session's) by the session's schedule."""
        return schedules.rate(self.schedule, self.learning_rate if learning_rate is None
                              else learning_rate, self.step if t is None else t)

    def example(self, x, y) -> tuple[np.ndarray, np.ndarray | None]:
        xv = _as_vector(x, self.arch.layers[0], "x")
        yv = None if y is None else _as_vector(y, self.arch.layers[-1], "y")
        if yv is not None:
            _targets_check(self.arch, yv, "y")
        return xv, yv

    def labelled(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """An example with its target y* (both required)."""
        xv, yv = self.example(x, y)
        if yv is None:
            raise InputError("y", "the target y* is required")
        return xv, yv

    @contextmanager
    def _example_finite(self, xv: np.ndarray, field: str = "x"):
        """As finite(field), but an overflow the target y* causes is reported on y: the
        network's output on x and its loss against y* = 0 are finite, against y* not."""
        try:
            with finite(field):
                yield
        except InputError as exc:
            if type(exc) is not InputError or exc.field != field:
                raise
            try:
                with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                    engine.forward(self.arch, self.weights, xv, np.zeros(self.arch.layers[-1]))
            except FloatingPointError:
                raise exc from None
            raise InputError("y", "the target y* is too large for this network: the loss "
                             "overflows float64 (non-finite result)") from None

    def forward(self, x, y=None) -> engine.ForwardTrace:
        xv, yv = self.example(x, y)
        with self._example_finite(xv):
            return engine.forward(self.arch, self.weights, xv, yv)

    def backward(self, x, y) -> engine.BackwardTrace:
        xv, yv = self.labelled(x, y)
        with self._example_finite(xv):
            return engine.backward(self.arch, self.weights, xv, yv)

    def predict(self, X) -> np.ndarray:
        return self.predict_points(self.rows(X), "X")

    def rows(self, X, field: str = "X") -> np.ndarray:
        """Input rows, checked (one per example, as many numbers as inputs, finite)."""
        return _as_matrix(X, self.arch.layers[0], field)

    def predict_points(self, points: np.ndarray, field: str) -> np.ndarray:
        """The output at every row of a checked array (an overflow: a 422 on `field`)."""
        with finite(field):
            return engine.predict(self.arch, self.weights, points)

    def grid_points(self, x1: tuple[float, float], x2: tuple[float, float], n: int) -> np.ndarray:
        """The n×n grid of cell centres as rows (row-major, row 0 at the largest x2)."""
        if self.arch.layers[0] != 2:
            raise InputError("grid", f"a grid needs a 2-input network; this one has "
                             f"{self.arch.layers[0]} input(s)")
        centres = (np.arange(n) + 0.5) / n
        cols = x1[0] + centres * (x1[1] - x1[0])
        rows = x2[1] - centres * (x2[1] - x2[0])
        c, r = np.meshgrid(cols, rows)
        return np.column_stack([c.ravel(), r.ravel()])

    def predict_grid(self, x1: tuple[float, float], x2: tuple[float, float], n: int) -> np.ndarray:
        """Outputs on an n×n grid of cell centres (row-major, row 0 at the largest x2)."""
        points = self.grid_points(x1, x2, n)
        with finite("grid"):
            return engine.predict(self.arch, self.weights, points)

    def units(self, points: np.ndarray, field: str, weights: Weights | None = None) -> list[np.ndarray]:
        """Every layer's activations at every point, one row per unit: [a of layer l, shape
        (units of l, points)] for l = first hidden … output (of `weights`, else the session's)."""
        with finite(field):
            fwd = batch.forward(self.arch, self.weights if weights is None else weights, points)
        return [np.ascontiguousarray(layer.a.T) for layer in fwd.layers]

    def gradcheck(self, x, y, epsilon: float):
        xv, yv = self.labelled(x, y)
        with self._example_finite(xv):
            _, numeric = engine.gradcheck(self.arch, self.weights, xv, yv, epsilon)
            return engine.backward(self.arch, self.weights, xv, yv), numeric

    def require_dataset(self, action: str) -> DatasetState:
        if self.dataset is None:
            raise Conflict(f"this session has no dataset to {action}; create it with a dataset "
                           "or pass x and y")
        return self.dataset

    # ----- changing -----------------------------------------------------
    def _snapshot(self) -> Snapshot:
        return Snapshot.of(self.arch, self.weights, self.step, self.epoch,
                           self.dataset.cursor if self.dataset else 0)

    def _commit(self, before: Snapshot) -> None:
        self.history.append(before)
        self.journal.append(("push", before))

    def set_weights(self, layers: list[dict]) -> None:
        weights = weights_from_lists(self.arch, layers)
        before = self._snapshot()
        self.weights = weights
        self._commit(before)

    def set_hyperparameters(self, learning_rate: float | None = None,
                            l2: float | None = None) -> None:
        """Change the session's default γ and λ (not an update: nothing to undo)."""
        if learning_rate is not None:
            self.learning_rate = learning_rate
        if l2 is not None:
            self.arch = replace(self.arch, l2=l2)
        self.journal.append(("meta", None))

    def set_schedule(self, spec: dict[str, Any]) -> None:
        """Change the learning-rate schedule (not an update: nothing to undo)."""
        self.schedule = schedules.resolve(spec)
        self.journal.append(("meta", None))

    def regenerate_dataset(self, changes: dict[str, Any]) -> None:
        """New data from the current spec with `changes` (name, n, noise, seed,
        test_fraction): a new name brings its own default n and noise. User-supplied data
        can only be re-split (seed, test_fraction). Weights, step, epoch and undo levels
        stay; the position restarts at the current epoch's first example."""
        ds = self.require_dataset("regenerate")
        spec = ds.spec
        name = changes.get("name", spec["name"])
        if name != spec["name"] or ds.generated:
            kind = engine.DATASETS.get(name)
            if kind is None:
                raise InputError("dataset.name", f"unknown dataset {name!r}; choose one of "
                                 + ", ".join(engine.DATASETS))
            same = name == spec["name"]
            new = {"name": name,
                   "n": changes.get("n", spec["n"] if same else kind.default_n),
                   "noise": changes.get("noise", spec["noise"] if same else kind.default_noise),
                   "seed": changes.get("seed", spec["seed"] or 0),
                   "test_fraction": changes.get("test_fraction", spec.get("test_fraction", 0.0))}
        else:
            for key in ("n", "noise"):
                if key in changes:
                    raise InputError(f"dataset.{key}", "this dataset was supplied as X and Y: it "
                                     "cannot be regenerated (only re-split: seed, test_fraction)")
            new = {"name": spec["name"], "X": ds.data.X.tolist(), "Y": ds.data.Y.tolist(),
                   "seed": changes.get("seed", spec.get("seed") or 0),
                   "test_fraction": changes.get("test_fraction", spec.get("test_fraction", 0.0))}
        state = make_dataset_state(self.arch, new, self.init["seed"])
        self.dataset = state
        self.journal.append(("meta", None))

    def undo(self) -> None:
        if not self.history:
            raise Conflict("nothing to undo: no update has been made (or the history is used up)")
        snap = self.history.pop()
        self.weights, self.step, self.epoch = snap.weights, snap.step, snap.epoch
        if self.dataset:   # a level from before the data was regenerated may point past it
            self.dataset.cursor = snap.cursor if snap.cursor < self.dataset.n_train else 0
        self.journal.append(("pop", None))

    def _next_example(self) -> tuple[int, int, int]:
        """(dataset index, epoch after, cursor after) for the next per-example SGD step."""
        ds = self.dataset
        idx = int(ds.order(self.epoch)[ds.cursor])  # type: ignore[union-attr]
        cursor, epoch = ds.cursor + 1, self.epoch   # type: ignore[union-attr]
        if cursor == ds.n_train:                    # type: ignore[union-attr]
            cursor, epoch = 0, epoch + 1
        return idx, epoch, cursor

    def sgd_step(self, x=None, y=None, index: int | None = None,
                 learning_rate: float | None = None, grid=None, units: bool = False) -> StepResult:
        """One update on x/y, on dataset example `index` or on the next example. With
        grid=(x1 range, x2 range, n), also the updated network's outputs on that grid, and
        with units=True every unit's activation on it (as `units` gives them after the step).
        The update uses γ_t at t = step (γ0 = learning_rate or the session's)."""
        t = self.step
        lr = self.gamma(t, learning_rate)
        points = None if grid is None else self.grid_points(*grid)
        epoch, cursor = self.epoch, self.dataset.cursor if self.dataset else 0
        if x is not None or y is not None:
            if x is None or y is None:
                raise InputError("y" if y is None else "x", "x and y go together: give both or neither")
            if index is not None:
                raise InputError("index", "give either x and y or an index, not both")
            xv, yv = self.labelled(x, y)
            example_index = None
        else:
            ds = self.require_dataset("take the next example from")
            if index is not None:
                if not 0 <= index < ds.data.n:
                    raise InputError("index", f"must be between 0 and {ds.data.n - 1}")
                if ds.is_test[index]:
                    raise InputError("index", f"example {index} is in the test part, which is "
                                     "never trained on (evaluate it with forward instead)")
                example_index = index
            else:
                example_index, epoch, cursor = self._next_example()
            xv, yv = ds.data.X[example_index], ds.targets[example_index]
        # an overflow in the forward or backward pass is the example's fault; an update that
        # diverges raises DivergedError itself
        with self._example_finite(xv, "x" if example_index is None else "index"):
            result = engine.sgd_step(self.arch, self.weights, xv, yv, lr)
        new = result.weights
        grid_Y = grid_units = None
        if points is not None:
            with finite("grid"):
                grid_Y = engine.predict(self.arch, new, points)
            if units:       # before the commit: an overflow here changes nothing either
                grid_units = self.units(points, "grid", new)
        metrics = None
        if self.dataset is not None and \
                self.dataset.data.n * self.arch.n_parameters <= STEP_METRICS_WORK:
            with finite("learning_rate", DIVERGED, DivergedError):
                metrics = self.metrics(new, 1)
        updates = [engine.LayerUpdate(W0, W1, b0, b1)
                   for (W0, b0), (W1, b1) in zip(self.weights, new, strict=True)]
        before = self._snapshot()
        self.weights, self.step, self.epoch = new, self.step + 1, epoch
        if self.dataset:
            self.dataset.cursor = cursor
        self._commit(before)
        return StepResult(result.backward, updates, lr, example_index, result.loss_after, grid_Y,
                          t, metrics, grid_units)

    def train(self, *, epochs: int | None = None, steps: int | None = None,
              batch_size: int = 1, learning_rate: float | None = None) -> TrainResult:
        """Many SGD updates on the training part: per example (batch_size 1, as in the
        lecture) or mini-batches (each update w ← w − γ_t · the mean of the batch's
        per-example gradients), each epoch in a fresh shuffled order, update t at γ_t.
        `epochs=k` runs until k epoch ends have been crossed (the first may be the rest of
        a started epoch). All or nothing: if any update diverges, the session is left as
        it was."""
        ds = self.require_dataset("train on")
        gamma0 = self.learning_rate if learning_rate is None else learning_rate
        n, X, Y = ds.n_train, ds.data.X, ds.targets
        batch_size = min(batch_size, n)
        weights, epoch, cursor = self.weights, self.epoch, ds.cursor
        last_epoch = epoch + epochs if epochs is not None else None
        losses: list[float] = []
        epoch_losses: list[float] = []
        epoch_test_losses: list[float] = []
        first_lr = last_lr = self.gamma(self.step, gamma0)
        # every update is checked (dispatch / sgd_update raise DivergedError), and so is every
        # loss reported; nothing below touches the session until all of it has succeeded
        with finite("learning_rate", DIVERGED, DivergedError):
            while (len(losses) < steps) if steps is not None else (epoch < last_epoch):  # type: ignore[operator]
                order = ds.order(epoch)
                t = self.step + len(losses)
                if batch_size == 1:     # the rest of this epoch (or of `steps`) in one call
                    left = n - cursor if steps is None else min(n - cursor, steps - len(losses))
                    take = order[cursor:cursor + left]
                    lrs = schedules.rates(self.schedule, gamma0, t, len(take))
                    weights, run = engine.sgd_per_example(
                        self.arch, weights, X, Y, take,
                        gamma0 if self.schedule["name"] == "constant" else lrs)
                    losses.extend(run.tolist())
                    last_lr = float(lrs[-1])
                else:
                    take = order[cursor:cursor + batch_size]
                    loss, grads = engine.batch_gradients(self.arch, weights, X[take], Y[take])
                    if not math.isfinite(loss):
                        raise DivergedError(_diverged_update(len(losses)))
                    last_lr = self.gamma(t, gamma0)
                    try:
                        weights = engine.sgd_update(weights, grads, last_lr)
                    except DivergedError:
                        raise DivergedError(_diverged_update(len(losses))) from None
                    losses.append(loss)
                cursor += len(take)
                if cursor == n:
                    cursor, epoch = 0, epoch + 1
                    (tr_X, tr_Y), test = ds.parts()
                    epoch_losses.append(_dataset_loss(self.arch, weights, tr_X, tr_Y, len(losses)))
                    if test is not None:
                        epoch_test_losses.append(
                            _dataset_loss(self.arch, weights, *test, len(losses)))
            metrics = self.metrics(weights, len(losses))
        before = self._snapshot()
        t0 = self.step
        self.weights, self.step, self.epoch = weights, self.step + len(losses), epoch
        ds.cursor = cursor
        self._commit(before)
        return TrainResult(len(losses), losses, epoch_losses, epoch_test_losses, metrics,
                           batch_size, t0, first_lr, last_lr)

    def metrics(self, weights: Weights | None = None, done: int = 0) -> Metrics:
        """Loss and accuracy of the session's weights (or `weights`) on the training part,
        the test part and the whole dataset (DivergedError naming update `done` if a loss is
        not finite)."""
        ds = self.require_dataset("evaluate")
        w = self.weights if weights is None else weights
        classify = ds.data.task == "classification"
        (tr_X, tr_Y), test = ds.parts()
        train_loss, train_acc = _evaluate(self.arch, w, tr_X, tr_Y, classify, done)
        if test is None:
            return Metrics(train_loss, train_acc, None, None, train_loss, train_acc)
        test_loss, test_acc = _evaluate(self.arch, w, *test, classify, done)
        loss, acc = _evaluate(self.arch, w, ds.data.X, ds.targets, classify, done)
        return Metrics(train_loss, train_acc, test_loss, test_acc, loss, acc)

    def accuracy(self, weights: Weights | None = None) -> float | None:
        """The share of dataset examples classified right (by the session's weights, or
        `weights`); None for regression or without a dataset."""
        ds = self.dataset
        if ds is None or ds.data.task != "classification":
            return None
        out = engine.predict(self.arch, self.weights if weights is None else weights, ds.data.X)
        return _hits(out, ds.targets)

    def next_index(self) -> int | None:
        if self.dataset is None:
            return None
        return int(self.dataset.order(self.epoch)[self.dataset.cursor])


def _hits(out: np.ndarray, targets: np.ndarray) -> float:
    """The share of rows classified right: one output y > 0.5 against y* > 0.5, several by
    argmax."""
    if out.shape[1] == 1:
        hits = (out[:, 0] > 0.5) == (targets[:, 0] > 0.5)
    else:
        hits = out.argmax(axis=1) == targets.argmax(axis=1)
    return float(hits.mean())


def _evaluate(arch: Architecture, weights: Weights, X: np.ndarray, Y: np.ndarray,
              classify: bool, done: int) -> tuple[float, float | None]:
    """(mean data loss, accuracy or None) of one part, from one batched forward pass."""
    fwd = batch.forward(arch, weights, X, Y)
    if not math.isfinite(fwd.loss):  # type: ignore[arg-type]
        _dataset_loss(arch, weights, X, Y, done)     # raises, naming the update
    return fwd.loss, (_hits(fwd.output, Y) if classify else None)  # type: ignore[return-value]


def _diverged_update(done: int) -> str:
    return (f"update {done + 1} would make a weight or the loss non-finite (the training "
            "diverges); nothing was changed; use a smaller learning rate")


def _dataset_loss(arch: Architecture, weights: Weights, X: np.ndarray, Y: np.ndarray,
                  done: int) -> float:
    """The mean loss over the dataset after `done` updates; DivergedError if not finite."""
    loss = engine.loss_of(arch, weights, X, Y)
    if not math.isfinite(loss):
        raise DivergedError(f"after update {done} the loss over the dataset is not finite "
                            "(the training diverges); nothing was changed; use a smaller "
                            "learning rate")
    return loss


def make_dataset_state(arch: Architecture, spec: dict[str, Any] | None,
                       shuffle_seed: int) -> DatasetState | None:
    if spec is None:
        return None
    if spec.get("X") is not None or spec.get("Y") is not None:
        if spec.get("X") is None or spec.get("Y") is None:
            raise InputError("dataset", "a user-supplied dataset needs both X and Y")
        X = _as_matrix(spec["X"], arch.layers[0], "dataset.X")
        Y = _as_matrix(spec["Y"], arch.layers[-1], "dataset.Y")
        if len(X) != len(Y):
            raise InputError("dataset.Y", f"has {len(Y)} rows but X has {len(X)}")
        _targets_check(arch, Y, "dataset.Y")
        values = np.unique(Y)
        task = "classification" if np.isin(values, (0.0, 1.0)).all() else "regression"
        data = engine.Dataset(spec.get("name") or "custom", task, X, Y)
        resolved = {"name": data.name, "n": data.n, "noise": None, "seed": spec.get("seed") or 0}
        seed = int(spec.get("seed") or shuffle_seed)
    else:
        name = spec.get("name")
        if name is None:
            raise InputError("dataset", "name a built-in dataset ("
                             + ", ".join(engine.DATASETS) + ") or give X and Y")
        kind = engine.DATASETS.get(name)
        if kind is None:
            raise InputError("dataset.name", f"unknown dataset {name!r}; choose one of "
                             + ", ".join(engine.DATASETS))
        if arch.layers[0] != 2:
            raise InputError("dataset", f"the built-in datasets are 2-D but the network has "
                             f"{arch.layers[0]} input(s)")
        n = spec.get("n") or kind.default_n
        noise = kind.default_noise if spec.get("noise") is None else spec["noise"]
        seed = spec.get("seed") or 0
        data = engine.make_dataset(name, n, noise, seed)
        resolved = {"name": name, "n": n, "noise": noise, "seed": seed}
    targets = data.targets(arch.layers[-1])
    _targets_check(arch, targets, "dataset")
    fraction = spec.get("test_fraction") or 0.0
    if not 0.0 <= fraction < 1.0:
        raise InputError("dataset.test_fraction", "must be at least 0 and below 1")
    resolved["test_fraction"] = float(fraction)
    test = engine.split_indices(data.n, fraction, int(resolved["seed"] or 0))
    return DatasetState(data, resolved, targets, seed, test=test)
