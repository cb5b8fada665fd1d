"""One exercise: a step frozen on the weights, example and γ it was made from, as blanks a
student fills in, graded at once (within rtol of the value, or atol near 0), with a
diagnosis when the wrong answer is a classic mistake. After MAX_TRIES wrong answers, on a
right one or on request, a blank is settled and its value may be shown."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import Architecture, InputError, Parameters
from .blanks import Blank, make_blanks
from .diagnosis import diagnose, matches

MAX_TRIES = 2
DEFAULT_RTOL = 0.01
DEFAULT_ATOL = 1e-4


@dataclass
class Answer:
    value: float
    correct: bool
    diagnosis: tuple[str, str] | None


@dataclass
class Exercise:
    id: str
    session_id: str
    arch: Architecture
    weights: list                        # [(W, b)] frozen
    learning_rate: float
    x: np.ndarray
    y: np.ndarray
    kind: str                            # "value" or "sign"
    rtol: float
    atol: float
    quantities: tuple[str, ...]
    weight: tuple[int, int, int] | None
    seed: int | None
    created: float = field(default_factory=time.time)
    blanks: list[Blank] = field(default_factory=list)
    answers: dict[int, list[Answer]] = field(default_factory=dict)
    revealed: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not self.blanks:
            self.blanks = make_blanks(self.arch, self.weights, self.learning_rate, self.x,
                                      self.y, self.quantities, self.weight)

    # ---- grading ----
    def _blank(self, k: int, field_name: str) -> Blank:
        if not 0 <= k < len(self.blanks):
            raise InputError(field_name, f"no blank {k}: this exercise has blanks 0 to "
                             f"{len(self.blanks) - 1}")
        return self.blanks[k]

    def settled(self, k: int) -> bool:
        tries = self.answers.get(k, [])
        return k in self.revealed or any(a.correct for a in tries) or len(tries) >= MAX_TRIES

    def _correct(self, b: Blank, value: float) -> bool:
        if self.kind == "sign":
            def sign(v: float) -> int:
                return 0 if abs(v) <= self.atol else (1 if v > 0 else -1)
            return sign(value) == sign(b.expected)
        return matches(value, b.expected, self.rtol, self.atol)

    def answer(self, items: list[tuple[int, float]]) -> list[dict[str, Any]]:
        """Grade each (blank, value); all are checked before any is recorded."""
        for n, (k, value) in enumerate(items):
            self._blank(k, f"answers.{n}.blank")
            if not math.isfinite(value):
                raise InputError(f"answers.{n}.value", "must be a finite number")
        results = []
        for k, value in items:
            b = self.blanks[k]
            correct = self._correct(b, value)
            diagnosis = None if correct or self.kind == "sign" else \
                diagnose(b, value, self.rtol, self.atol)
            if not self.settled(k):
                self.answers.setdefault(k, []).append(Answer(value, correct, diagnosis))
            results.append(self.result(k, correct, diagnosis))
        return results

    def reveal(self, k: int) -> dict[str, Any]:
        self._blank(k, "blank")
        self.revealed.add(k)
        last = self.answers.get(k, [])
        return self.result(k, bool(last and last[-1].correct), last[-1].diagnosis if last else None)

    def result(self, k: int, correct: bool, diagnosis: tuple[str, str] | None) -> dict[str, Any]:
        return {"blank": k, "correct": correct,
                "expected": self.blanks[k].expected if self.settled(k) else None,
                "tries": len(self.answers.get(k, [])),
                "diagnosis": None if diagnosis is None else
                {"code": diagnosis[0], "message": diagnosis[1]}}

    def score(self) -> dict[str, int]:
        answered = [k for k in range(len(self.blanks)) if self.answers.get(k)]
        correct = [k for k in answered if any(a.correct for a in self.answers[k])]
        return {"answered": len(answered), "correct": len(correct), "total": len(self.blanks)}

    # ---- what responses show ----
    def public(self) -> dict[str, Any]:
        """The exercise without any value not yet answered or revealed."""
        blanks = []
        for b in self.blanks:
            d = b.public()
            tries = self.answers.get(b.blank, [])
            d["tries"] = len(tries)
            d["answers"] = [a.value for a in tries]
            d["correct"] = any(a.correct for a in tries)
            d["revealed"] = b.blank in self.revealed
            d["expected"] = b.expected if self.settled(b.blank) else None
            blanks.append(d)
        return {"id": self.id, "session_id": self.session_id, "kind": self.kind,
                "example": {"x": self.x.tolist(), "y": self.y.tolist()},
                "weights": [{"W": W.tolist(), "b": bias.tolist()} for W, bias in self.weights],
                "network": {"layers": list(self.arch.layers),
                            "activations": list(self.arch.activations), "loss": self.arch.loss,
                            "learning_rate": self.learning_rate, "l2": self.arch.l2},
                "seed": self.seed, "rtol": self.rtol, "atol": self.atol,
                "max_tries": MAX_TRIES, "blanks": blanks, "score": self.score()}

    # ---- persistence (a JSON-able document) ----
    def document(self) -> dict[str, Any]:
        return {"id": self.id, "session_id": self.session_id, "created": self.created,
                "layers": list(self.arch.layers), "activations": list(self.arch.activations),
                "loss": self.arch.loss, "l2": self.arch.l2,
                "weights": Parameters.pack(self.weights).flat.tolist(),
                "learning_rate": self.learning_rate, "x": self.x.tolist(), "y": self.y.tolist(),
                "kind": self.kind, "rtol": self.rtol, "atol": self.atol,
                "quantities": list(self.quantities),
                "weight": None if self.weight is None else list(self.weight), "seed": self.seed,
                "answers": {str(k): [[a.value, a.correct, None if a.diagnosis is None
                                      else list(a.diagnosis)] for a in v]
                            for k, v in self.answers.items()},
                "revealed": sorted(self.revealed)}

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Exercise:
        arch = Architecture(tuple(doc["layers"]), tuple(doc["activations"]), doc["loss"],
                            float(doc["l2"]))
        weights = Parameters.view(np.array(doc["weights"], dtype=np.float64), arch.shapes)
        ex = cls(doc["id"], doc["session_id"], arch, weights, float(doc["learning_rate"]),
                 np.array(doc["x"], dtype=np.float64), np.array(doc["y"], dtype=np.float64),
                 doc["kind"], float(doc["rtol"]), float(doc["atol"]), tuple(doc["quantities"]),
                 None if doc["weight"] is None else tuple(doc["weight"]), doc["seed"],
                 float(doc["created"]))
        ex.answers = {int(k): [Answer(float(v), bool(c), None if d is None else (d[0], d[1]))
                               for v, c, d in items] for k, items in doc["answers"].items()}
        ex.revealed = set(doc["revealed"])
        return ex
