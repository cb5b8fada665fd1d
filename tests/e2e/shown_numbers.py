"""Reading numbers back from the page: what format.js displays, compared with a trace value."""
from __future__ import annotations

import math


def displayed(text: str) -> float:
    """A number as format.js displays it ("−0.1235", "1.5e−5", "(0.2197)") back to a float."""
    return float(text.strip().replace("\u2212", "-").strip("()"))


def assert_shown(text: str, value: float, what: str) -> None:
    """`text` shows `value` to its 4 significant digits (half a unit in the last place)."""
    shown = displayed(text)
    if value == 0:
        assert shown == 0, f"{what}: shown {text!r}, trace 0"
        return
    last_place = 10 ** (math.floor(math.log10(abs(value))) - 3)
    assert abs(shown - value) <= 0.5 * last_place * (1 + 1e-9) + 1e-15, \
        f"{what}: shown {text!r}, trace {value!r}"
