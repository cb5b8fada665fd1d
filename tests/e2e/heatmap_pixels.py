"""The heatmap canvas read back cell by cell (tests/e2e/test_heatmap.py, test_playground.py).

cells(page, values, X) samples the canvas at every grid cell's centre (cells under a data point
of X left out: the points are drawn on top) and gives, next to each shown colour, the colour
views/heatmap.js's palette gives `values` there (one number per cell, row-major on the canvas's
data-grid; None: no expected colour, only the shown ones). The range is lo..hi, or when not
given the page's own unitRange(values) (a unit's map)."""
from __future__ import annotations

from playwright.sync_api import Page

SAMPLE = """async ({values, lo, hi, X, discretize}) => {
  const { cellColour, unitRange, GRID } = await import('/js/views/heatmap.js');
  const canvas = document.querySelector('[data-testid=heatmap-canvas]');
  const grid = JSON.parse(canvas.dataset.grid);
  const size = canvas.width;
  const image = canvas.getContext('2d').getImageData(0, 0, size, size).data;
  const r = Math.max(2.5, size / 110) + 3;
  const [x0, x1] = grid.x1; const [y0, y1] = grid.x2;
  const points = X.map(([a, b]) => [(a - x0) / (x1 - x0) * size, (y1 - b) / (y1 - y0) * size]);
  if (values && (lo === null || hi === null)) [lo, hi] = unitRange(values);
  const out = [];
  for (let row = 0; row < GRID; row += 1) {
    for (let col = 0; col < GRID; col += 1) {
      const x = (col + 0.5) * size / GRID;
      const y = (row + 0.5) * size / GRID;
      if (points.some(([px, py]) => Math.hypot(px - x, py - y) < r + size / GRID)) continue;
      const at = (Math.floor(y) * size + Math.floor(x)) * 4;
      out.push({ shown: [image[at], image[at + 1], image[at + 2]],
                 expected: values ? cellColour(values[row * GRID + col], lo, hi, discretize) : null });
    }
  }
  return out;
}"""


def cells(page: Page, values: list[float] | None, X: list[list[float]], *,
          lo: float | None = None, hi: float | None = None, discretize: bool = False) -> list[dict]:
    return page.evaluate(SAMPLE, {"values": values, "lo": lo, "hi": hi, "X": X,
                                  "discretize": discretize})


def off_by(cell: dict) -> int:
    """How far (of 255, the worst channel) a cell's shown colour is from the expected one."""
    return max(abs(a - b) for a, b in zip(cell["shown"], cell["expected"], strict=True))


def assert_drawn(found: list[dict], what: str) -> None:
    """Every sampled cell (over 1000 of them) within 2 of 255 of its expected colour."""
    assert len(found) > 1000, len(found)
    worst = max(off_by(c) for c in found)
    assert worst <= 2, f"{what}: a cell's colour is off by {worst} (of 255)"


def shown_colours(found: list[dict]) -> set[tuple[int, ...]]:
    return {tuple(c["shown"]) for c in found}
