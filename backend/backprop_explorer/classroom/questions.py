"""A question the teacher asks the class, on the teacher's network as it is when asked:

- a blank (as in exercise mode: one s, a, L, ∂L/∂a, f′(s), δ, ∂L/∂w, ∂L/∂b or new weight
  of the step on the session's next example), graded within rtol/atol, a wrong answer
  diagnosed with the exercises' codes;
- pick_weight: "click the weight with the largest |∂L/∂w|" (biases count as w_0j, i = −1),
  graded against the backward trace (a tie within rtol is right too); a wrong pick that is
  the weight with the largest |w| ("largest_weight": the weight, not its gradient) or the
  largest signed ∂L/∂w ("largest_signed": the sign, not the size) is diagnosed.

Each student has one answer per round, replaced until the reveal; "ask again" (reopen)
starts a new round and keeps the old rounds' answers for the CSV. Results: how many
answered, a histogram of the numeric answers (the right bin marked once revealed), the
diagnoses with counts, clicks per weight."""
from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import Architecture, InputError, Weights
from ..engine import backward as backward_pass
from ..exercises.blanks import Blank
from ..exercises.diagnosis import diagnose, matches, number

MAX_BINS = 12            # distinct answers shown as their own bars; more: equal-width bins
DIGITS = 3               # answers are grouped by their value to 3 significant digits
KINDS = ("blank", "pick_weight")


@dataclass
class Answer:
    student: str
    value: float | None                        # a blank's answer
    weight: tuple[int, int, int] | None        # pick_weight's (layer, i, j)
    correct: bool
    diagnosis: tuple[str, str] | None          # (code, message)


@dataclass
class Question:
    id: str
    kind: str                                  # "blank" or "pick_weight"
    arch: Architecture
    weights: Weights                           # frozen when asked
    learning_rate: float
    x: np.ndarray
    y: np.ndarray
    example_index: int | None
    step: int                                  # the session's step when asked
    rtol: float
    atol: float
    blank: Blank | None = None
    rounds: list[dict[str, Answer]] = field(default_factory=lambda: [{}])
    revealed: bool = False
    label: str = ""
    # pick_weight: |∂L/∂w| of every weight and bias, by (layer, i, j), and the classic wrong
    # picks: (layer, i, j) → (code, message)
    gradients: dict[tuple[int, int, int], float] = field(default_factory=dict)
    pick_mistakes: dict[tuple[int, int, int], tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind == "pick_weight" and not self.gradients:
            trace = backward_pass(self.arch, self.weights, self.x, self.y)
            signed: dict[tuple[int, int, int], float] = {}
            size: dict[tuple[int, int, int], float] = {}
            for k, (g, (W, b)) in enumerate(zip(trace.grads, self.weights, strict=True)):
                n_in, n_out = self.arch.shapes[k]
                for j in range(n_out):
                    signed[(k, -1, j)], size[(k, -1, j)] = float(g.dL_db[j]), abs(float(b[j]))
                    for i in range(n_in):
                        signed[(k, i, j)], size[(k, i, j)] = float(g.dL_dW[i, j]), abs(float(W[i, j]))
            self.gradients = {w: abs(v) for w, v in signed.items()}
            # the classic wrong picks (the first that applies names a pick)
            for code, message, w in (
                    ("largest_weight", "the weight with the largest |w|: the weight itself, "
                     "not its gradient ∂L/∂w", _argmax(size)),
                    ("largest_signed", "the largest ∂L/∂w with its sign: the largest |∂L/∂w| "
                     "may be negative", _argmax(signed))):
                if not self._right(w) and w not in self.pick_mistakes:
                    self.pick_mistakes[w] = (code, message)
            self.label = "the weight with the largest |∂L/∂w|"
        elif self.blank is not None:
            self.label = self.blank.label

    # ---- the answer ----
    @property
    def round(self) -> int:
        """1 for the first vote, 2 after the first "ask again", …"""
        return len(self.rounds)

    @property
    def answers(self) -> dict[str, Answer]:
        return self.rounds[-1]

    def best(self) -> tuple[int, int, int]:
        return _argmax(self.gradients)

    def _right(self, weight: tuple[int, int, int]) -> bool:
        top = self.gradients[self.best()]
        return self.gradients[weight] >= top - max(self.rtol * top, self.atol)

    def expected(self) -> float | dict[str, int]:
        if self.kind == "pick_weight":
            k, i, j = self.best()
            return {"layer": k, "i": i, "j": j}
        assert self.blank is not None
        return self.blank.expected

    def grade(self, student: str, value: float | None,
              weight: tuple[int, int, int] | None) -> Answer:
        if self.kind == "pick_weight":
            if weight is None:
                raise InputError("weight", "this question asks for a weight: "
                                 '{"weight": {"layer", "i", "j"}}')
            if value is not None:
                raise InputError("value", "this question asks for a weight, not a value")
            if weight not in self.gradients:
                k, i, j = weight
                if k >= len(self.arch.shapes):
                    raise InputError("weight.layer", f"this network has layers 0 to "
                                     f"{len(self.arch.shapes) - 1}")
                n_in, n_out = self.arch.shapes[k]
                if i >= n_in:
                    raise InputError("weight.i", f"layer {k} has units 0 to {n_in - 1} below "
                                     "(-1: the bias)")
                raise InputError("weight.j", f"layer {k} has units 0 to {n_out - 1}")
            correct = self._right(weight)
            return Answer(student, None, weight, correct,
                          None if correct else self.pick_mistakes.get(weight))
        if weight is not None:
            raise InputError("weight", "this question asks for a number, not a weight")
        if value is None:
            raise InputError("value", 'this question asks for a number: {"value": …}')
        if not math.isfinite(value):
            raise InputError("value", "must be a finite number")
        assert self.blank is not None
        correct = matches(value, self.blank.expected, self.rtol, self.atol)
        diagnosis = None if correct else diagnose(self.blank, value, self.rtol, self.atol)
        return Answer(student, float(value), None, correct, diagnosis)

    # ---- what is shown ----
    def public(self) -> dict[str, Any]:
        """The question as everyone sees it: no value before the reveal."""
        out: dict[str, Any] = {
            "question_id": self.id, "kind": self.kind, "label": self.label,
            "round": self.round, "status": "revealed" if self.revealed else "open",
            "step": self.step, "example": {"x": self.x, "y": self.y, "index": self.example_index},
            "weights": [{"W": W, "b": b} for W, b in self.weights],
            "learning_rate": self.learning_rate, "rtol": self.rtol, "atol": self.atol}
        if self.blank is not None:
            out["blank"] = self.blank.public()
            del out["blank"]["blank"]
        return out

    def histogram(self) -> list[dict[str, Any]]:
        """Numeric answers of this round grouped: each distinct value (to DIGITS significant
        digits) is a bar while there are at most MAX_BINS of them, else MAX_BINS equal-width
        bins over [min, max]. Bars: {"lo", "hi", "count"} in increasing order; once revealed,
        "right": a value bar within rtol/atol of the expected value, the range bin holding it."""
        values = [a.value for a in self.answers.values() if a.value is not None]
        if not values:
            return []
        keys = Counter(_key(v) for v in values)
        if len(keys) <= MAX_BINS:
            bins = [{"lo": k, "hi": k, "count": n} for k, n in sorted(keys.items())]
            if self.revealed:
                assert self.blank is not None
                for b in bins:
                    b["right"] = matches(b["lo"], self.blank.expected, self.rtol, self.atol)
            return bins
        lo, hi = min(values), max(values)
        edges = [lo + n * (hi - lo) / MAX_BINS for n in range(MAX_BINS)] + [hi]

        def index(v: float) -> int:           # [edge n, edge n+1), the last bin closed
            return min(bisect_right(edges, v) - 1, MAX_BINS - 1)

        counts = [0] * MAX_BINS
        for v in values:
            counts[index(v)] += 1
        bins = [{"lo": edges[n], "hi": edges[n + 1], "count": c} for n, c in enumerate(counts)]
        if self.revealed:
            assert self.blank is not None
            e = self.blank.expected
            hit = index(e) if lo <= e <= hi else None
            for n, b in enumerate(bins):
                b["right"] = n == hit
        return bins

    def clicks(self) -> list[dict[str, Any]]:
        counts = Counter(a.weight for a in self.answers.values() if a.weight is not None)
        return [{"layer": k, "i": i, "j": j, "count": n}
                for (k, i, j), n in sorted(counts.items())]

    def diagnoses(self) -> list[dict[str, Any]]:
        """The classic mistakes made this round, most frequent first, each with the value it
        gives here and what it is."""
        counts = Counter(a.diagnosis[0] for a in self.answers.values() if a.diagnosis)
        info: dict[str, tuple[float | None, str]] = {code: (value, message) for code, value, message in
                (self.blank.mistakes if self.blank is not None else [])}
        info.update({code: (None, message) for code, message in self.pick_mistakes.values()})
        return [{"code": code, "count": n, "value": info.get(code, (None, ""))[0],
                 "message": info.get(code, (None, ""))[1]}
                for code, n in sorted(counts.items(), key=lambda c: (-c[1], c[0]))]

    def counts(self) -> dict[str, Any]:
        """What every member may see while the question is open."""
        return {"question_id": self.id, "round": self.round, "answered": len(self.answers)}

    def teacher_results(self) -> dict[str, Any]:
        """The projector's live view while open: counts, histogram or clicks; no answer."""
        out = self.counts()
        out["histogram" if self.kind == "blank" else "clicks"] = \
            self.histogram() if self.kind == "blank" else self.clicks()
        return out

    def results(self) -> dict[str, Any]:
        """The teacher's full results (GET …/results): also how many are right and the
        diagnoses with counts; the expected value once revealed."""
        out = {**self.counts(), "kind": self.kind, "status": "revealed" if self.revealed else "open",
               "histogram": self.histogram() if self.kind == "blank" else [],
               "clicks": self.clicks() if self.kind == "pick_weight" else [],
               "correct": sum(a.correct for a in self.answers.values()),
               "diagnoses": self.diagnoses(),
               "expected": self.expected() if self.revealed else None}
        return out

    def reveal_event(self) -> dict[str, Any]:
        """Sent to everyone at the reveal: the answer, the histogram with the right bin, the
        diagnoses with counts (anonymous)."""
        return {**self.results(), "label": self.label}

    def csv_rows(self, names: dict[str, tuple[int, str]]) -> list[list[Any]]:
        rows = []
        for r, answers in enumerate(self.rounds, start=1):
            for a in answers.values():
                number_, name = names.get(a.student, (0, ""))
                rows.append([self.id, self.label, r, number_, name,
                             "" if a.value is None else repr(a.value),
                             "" if a.weight is None else "{}:{}:{}".format(*a.weight),
                             "true" if a.correct else "false",
                             "" if a.diagnosis is None else a.diagnosis[0]])
        return rows


def _argmax(values: dict[tuple[int, int, int], float]) -> tuple[int, int, int]:
    """The key of the largest value; of equal ones the first layer, unit below, unit."""
    return max(values, key=lambda w: (values[w], -w[0], -w[1], -w[2]))


def _key(v: float) -> float:
    return float(f"{v:.{DIGITS}g}")


__all__ = ["Question", "Answer", "KINDS", "MAX_BINS", "number"]
