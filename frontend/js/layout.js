// Pure: positions of units, bias nodes and edges for the SVG network view.
//
// computeLayout(layerSizes, box, options) ->
//   {box, radius, layers: [{layer, x, units: [{layer, unit, x, y}],
//                           bias: {layer, x, y} | null,
//                           hidden: k (units not drawn), more: {x, y, count} | null}],
//    edges: [{layer, from, to, x1, y1, x2, y2}]}
// layer: 0 = input … N = output; unit 1-based; edges belong to the non-input
// layer they feed (layer ≥ 1) and `from` is 0 for the bias.
// Layers wider than maxUnits show their first maxUnits − 1 units and a
// "… k more" marker in the last slot (never collapsed silently).

export const BIAS_SLOT = 0.6;

export const DEFAULTS = Object.freeze({
  maxUnits: 16,
  padding: { top: 40, right: 150, bottom: 40, left: 70 },
  maxRadius: 30,
  minRadius: 6,
});

export function visibleUnits(size, maxUnits = DEFAULTS.maxUnits) {
  return size > maxUnits ? maxUnits - 1 : size;
}

export function computeLayout(layerSizes, box, options = {}) {
  const opt = { ...DEFAULTS, ...options, padding: { ...DEFAULTS.padding, ...(options.padding ?? {}) } };
  const n = layerSizes.length - 1;
  const left = opt.padding.left;
  const right = box.width - opt.padding.right;
  const top = opt.padding.top;
  const bottom = box.height - opt.padding.bottom;
  const columnGap = n > 0 ? (right - left) / n : 0;

  // Slots per column: drawn units, plus the "more" marker, plus a smaller
  // bias slot (BIAS_SLOT of a row) on every layer that feeds another one.
  const slotCounts = layerSizes.map((size, l) => {
    const shown = visibleUnits(size, opt.maxUnits);
    return shown + (size > shown ? 1 : 0) + (l < n ? BIAS_SLOT : 0);
  });
  const maxSlots = Math.max(...slotCounts);
  const rowGap = (bottom - top) / maxSlots;
  const radius = Math.max(opt.minRadius, Math.min(opt.maxRadius, rowGap * 0.3, columnGap * 0.12));

  const layers = layerSizes.map((size, l) => {
    const x = n > 0 ? left + l * columnGap : (left + right) / 2;
    const shown = visibleUnits(size, opt.maxUnits);
    const hidden = size - shown;
    const span = slotCounts[l] * rowGap;
    // Centre this column vertically; the bias slot comes first (top).
    let y = top + (bottom - top - span) / 2;
    let bias = null;
    if (l < n) {
      bias = { layer: l, x, y: y + (BIAS_SLOT * rowGap) / 2 };
      y += BIAS_SLOT * rowGap;
    }
    const units = [];
    for (let u = 1; u <= shown; u += 1) {
      units.push({ layer: l, unit: u, x, y: y + rowGap / 2 });
      y += rowGap;
    }
    const more = hidden > 0 ? { x, y: y + rowGap / 2, count: hidden } : null;
    return { layer: l, x, units, bias, hidden, more };
  });

  const edges = [];
  for (let l = 1; l <= n; l += 1) {
    const below = layers[l - 1];
    const sources = [below.bias ? { unit: 0, x: below.bias.x, y: below.bias.y } : null, ...below.units]
      .filter(Boolean);
    for (const target of layers[l].units) {
      for (const source of sources) {
        edges.push({ layer: l, from: source.unit, to: target.unit, x1: source.x, y1: source.y, x2: target.x, y2: target.y });
      }
    }
  }
  return { box: { width: box.width, height: box.height }, radius, rowGap, columnGap, layers, edges };
}

/** A point at fraction t along an edge. */
export function pointOnEdge(edge, t) {
  return { x: edge.x1 + (edge.x2 - edge.x1) * t, y: edge.y1 + (edge.y2 - edge.y1) * t };
}

/**
 * Where to put an edge's label so labels of one layer do not sit on the
 * crossing in the middle: edges going down get theirs near the source,
 * edges going up near the target, level edges in the middle.
 */
export function labelFraction(edge) {
  const dy = edge.y2 - edge.y1;
  const dx = Math.max(1, edge.x2 - edge.x1);
  const slope = dy / dx;
  if (Math.abs(slope) < 0.05) return 0.5;
  return slope > 0 ? 0.3 : 0.7;
}

function overlap(a, b) {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

const FRACTIONS = Array.from({ length: 39 }, (_, i) => 0.12 + i * 0.02);

function labelCost(rect, others, obstacles, box) {
  let cost = 0;
  for (const o of obstacles) cost += overlap(rect, o) * 3;
  for (const o of others) cost += overlap(rect, o);
  if (box) {
    const { w, h } = rect;
    if (rect.x < 0) cost += -rect.x * h * 4;
    if (rect.y < 0) cost += -rect.y * w * 4;
    if (rect.x + w > box.width) cost += (rect.x + w - box.width) * h * 4;
    if (rect.y + h > box.height) cost += (rect.y + h - box.height) * w * 4;
  }
  return cost;
}

function bestSpot(edge, size, others, obstacles, box) {
  const { w, h } = size;
  let best = null;
  for (const t of FRACTIONS) {
    const p = pointOnEdge(edge, t);
    const rect = { x: p.x - w / 2, y: p.y - h / 2, w, h };
    // Prefer the middle of the edge when several spots are free.
    const cost = labelCost(rect, others, obstacles, box) + Math.abs(t - 0.5) * 0.01;
    if (!best || cost < best.cost) best = { cost, t, p, rect };
  }
  return best;
}

/**
 * Label placement: each edge's label (size {w, h}) is centred on a point
 * along its edge (t in [0.12, 0.88]) where it overlaps obstacles and the other
 * labels least; a greedy pass (level edges first: they have the fewest good
 * spots) then a few rounds of moving each label given all the others.
 * Returns Map(edge -> {x, y, t}) with x, y the label centre.
 */
export function placeLabels(edges, size, obstacles = [], box = null, rounds = 4) {
  const order = [...edges].sort((a, b) => {
    const sa = Math.abs((a.y2 - a.y1) / Math.max(1, a.x2 - a.x1));
    const sb = Math.abs((b.y2 - b.y1) / Math.max(1, b.x2 - b.x1));
    return sa - sb;
  });
  const spots = new Map();
  for (const edge of order) {
    spots.set(edge, bestSpot(edge, size, [...spots.values()].map((s) => s.rect), obstacles, box));
  }
  for (let round = 0; round < rounds; round += 1) {
    let moved = false;
    for (const edge of order) {
      const others = [...spots.entries()].filter(([e]) => e !== edge).map(([, s]) => s.rect);
      const current = spots.get(edge);
      const currentCost = labelCost(current.rect, others, obstacles, box) + Math.abs(current.t - 0.5) * 0.01;
      const next = bestSpot(edge, size, others, obstacles, box);
      if (next.cost < currentCost - 1e-6) {
        spots.set(edge, next);
        moved = true;
      }
    }
    if (!moved) break;
  }
  const result = new Map();
  for (const [edge, spot] of spots) result.set(edge, { x: spot.p.x, y: spot.p.y, t: spot.t });
  return result;
}
