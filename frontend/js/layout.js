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

  // Slots per column: drawn units, plus the "more" marker, plus a bias slot
  // on every layer that feeds another one.
  const slotCounts = layerSizes.map((size, l) => {
    const shown = visibleUnits(size, opt.maxUnits);
    return shown + (size > shown ? 1 : 0) + (l < n ? 1 : 0);
  });
  const maxSlots = Math.max(...slotCounts);
  const rowGap = (bottom - top) / maxSlots;
  const radius = Math.max(opt.minRadius, Math.min(opt.maxRadius, rowGap * 0.3, columnGap * 0.12));

  const layers = layerSizes.map((size, l) => {
    const x = n > 0 ? left + l * columnGap : (left + right) / 2;
    const shown = visibleUnits(size, opt.maxUnits);
    const hidden = size - shown;
    const slots = slotCounts[l];
    // Centre this column's slots vertically; the bias slot comes first (top).
    const span = slots * rowGap;
    const y0 = top + (bottom - top - span) / 2 + rowGap / 2;
    let slot = 0;
    let bias = null;
    if (l < n) {
      bias = { layer: l, x, y: y0 };
      slot += 1;
    }
    const units = [];
    for (let u = 1; u <= shown; u += 1) {
      units.push({ layer: l, unit: u, x, y: y0 + slot * rowGap });
      slot += 1;
    }
    const more = hidden > 0 ? { x, y: y0 + slot * rowGap, count: hidden } : null;
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
