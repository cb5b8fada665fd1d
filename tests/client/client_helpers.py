"""What the client tests share: the lecture's 2-2-1 weights and σ."""
from __future__ import annotations

import math

LECTURE_WEIGHTS = [{"W": [[0.5, -0.4], [0.3, 0.8]], "b": [0.1, -0.2]},
                   {"W": [[0.7], [-0.6]], "b": [0.2]}]


def sigma(s: float) -> float:
    return 1 / (1 + math.exp(-s))
