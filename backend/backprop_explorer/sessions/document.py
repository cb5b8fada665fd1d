"""A whole session as one JSON-ready document (export), and back (import).

Version 1 layout:
  {"format": "backprop-explorer-session", "version": 1,
   "network": {layers, activations, loss, learning_rate, l2, init, schedule?},
   "weights": [{"W", "b"}], "step", "epoch",
   "dataset": null | {"name", "n", "noise", "seed", "task", "X", "Y", "cursor",
                      "test_fraction"?, "test_indices"?},
   "history": [{"weights", "step", "epoch", "cursor"}]}   (oldest first)
schedule (default constant), test_fraction (default 0) and test_indices (default: none, or
the split test_fraction makes) were added later; documents without them still load.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import engine
from ..engine import InputError
from .session import DatasetState, Session, Snapshot, make_dataset_state, weights_from_lists

FORMAT = "backprop-explorer-session"
VERSION = 1


def weights_to_lists(weights) -> list[dict[str, Any]]:
    return [{"W": W.tolist(), "b": b.tolist()} for W, b in weights]


def export_meta(session: Session) -> dict[str, Any]:
    """The document's format, version, network and dataset (no weights, no history)."""
    ds = session.dataset
    dataset = None
    if ds is not None:
        dataset = {**ds.spec, "task": ds.data.task, "X": ds.data.X.tolist(),
                   "Y": ds.targets.tolist(), "cursor": ds.cursor, "shuffle_seed": ds.shuffle_seed,
                   "test_indices": ds.test.tolist()}
    return {"format": FORMAT, "version": VERSION, "network": session.network_spec(),
            "dataset": dataset}


def export_session(session: Session) -> dict[str, Any]:
    meta = export_meta(session)
    return {
        "format": FORMAT, "version": VERSION,
        "network": meta["network"],
        "weights": weights_to_lists(session.weights),
        "step": session.step, "epoch": session.epoch,
        "dataset": meta["dataset"],
        "history": [{"weights": weights_to_lists(s.weights), "step": s.step, "epoch": s.epoch,
                     "cursor": s.cursor} for s in session.history],
    }


def import_session(session_id: str, doc: dict[str, Any]) -> Session:
    if doc.get("format") != FORMAT:
        raise InputError("format", f"expected {FORMAT!r}")
    if doc.get("version") != VERSION:
        raise InputError("version", f"this server reads version {VERSION}")
    net = doc["network"]
    spec = {**net, "weights": doc["weights"], "dataset": None}
    session = Session.create(session_id, spec)
    session.step, session.epoch = doc["step"], doc["epoch"]
    ds = doc.get("dataset")
    if ds is not None:
        state = make_dataset_state(session.arch, {"name": ds.get("name"), "X": ds["X"], "Y": ds["Y"],
                                                  "seed": ds.get("shuffle_seed", 0)},
                                   int(ds.get("shuffle_seed") or 0))
        assert state is not None
        state.data = engine.Dataset(ds.get("name") or "custom", ds.get("task") or state.data.task,
                                    state.data.X, state.data.Y)
        state.targets = state.data.targets(session.arch.layers[-1])
        fraction = float(ds.get("test_fraction") or 0.0)
        state.spec = {"name": state.data.name, "n": state.data.n, "noise": ds.get("noise"),
                      "seed": ds.get("seed"), "test_fraction": fraction}
        test = ds.get("test_indices")
        if test is None:
            test = engine.split_indices(state.data.n, fraction, int(ds.get("seed") or 0))
        elif len(set(test)) != len(test) or any(not 0 <= i < state.data.n for i in test) \
                or len(test) >= state.data.n:
            raise InputError("dataset.test_indices", f"must be distinct indices between 0 and "
                             f"{state.data.n - 1}, fewer than the {state.data.n} examples")
        state.set_test(np.asarray(test, dtype=np.int64))
        cursor = int(ds.get("cursor") or 0)
        if not 0 <= cursor < state.n_train:
            raise InputError("dataset.cursor", f"must be between 0 and {state.n_train - 1}")
        state.cursor = cursor
        session.dataset = state
    for i, snap in enumerate(doc.get("history") or []):
        session.history.append(Snapshot.of(
            session.arch, weights_from_lists(session.arch, snap["weights"], f"history.{i}.weights"),
            snap["step"], snap["epoch"], snap.get("cursor", 0)))
    return session


def dataset_to_lists(state: DatasetState) -> dict[str, Any]:
    return {"name": state.data.name, "label": engine.label_of(state.data.name),
            "task": state.data.task, "n": state.data.n,
            "X": state.data.X.tolist(), "Y": state.targets.tolist(),
            "test_fraction": state.spec.get("test_fraction", 0.0),
            "split": ["test" if t else "train" for t in state.is_test.tolist()]}


__all__ = ["export_meta", "export_session", "import_session", "weights_to_lists", "dataset_to_lists"]
