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
// Odd layers are drawn BIAS_SLOT-free of it: their units are spaced by
// STAGGER of the row gap (centred), so that no two edges between a pair of
// layers share a midpoint (with equal spacing, the edges i→j and j→i cross
// exactly there and a click at the middle of one would be a coin toss).
// 0.84 maximises the smallest gap between midpoints over 2-2-1 … 2-16×6-1.
export const STAGGER = 0.84;

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
    if (l % 2 === 1) {
      const mid = (top + bottom) / 2;
      const squeeze = (p) => { if (p) p.y = mid + (p.y - mid) * STAGGER; };
      units.forEach(squeeze);
      squeeze(bias);
      squeeze(more);
    }
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

/** Midpoint of an edge. */
export function midpoint(edge) {
  return { x: (edge.x1 + edge.x2) / 2, y: (edge.y1 + edge.y2) / 2 };
}

function distanceToSegment(edge, p) {
  const dx = edge.x2 - edge.x1;
  const dy = edge.y2 - edge.y1;
  const len2 = dx * dx + dy * dy || 1;
  const t = Math.max(0, Math.min(1, ((p.x - edge.x1) * dx + (p.y - edge.y1) * dy) / len2));
  return Math.hypot(edge.x1 + t * dx - p.x, edge.y1 + t * dy - p.y);
}

/**
 * The edge a click (or hover) at `point` means, all in drawing units:
 * of the edges within `radius` of the point, those at most `tie` farther
 * than the nearest are tied (many edges cross near any point of a dense net),
 * and of those the one whose midpoint is nearest wins. So a click on an
 * edge's midpoint always picks that edge (midpoints are distinct: STAGGER),
 * and anywhere else the nearest line. Returns the edge or null.
 */
// What a click means, in CSS pixels: an edge within PICK_RADIUS of the point,
// ties within PICK_TIE of the nearest (network.js scales them to the drawing).
export const PICK_RADIUS = 8;
export const PICK_TIE = 2;

export function pickEdge(edges, point, radius = PICK_RADIUS, tie = PICK_TIE) {
  let nearest = Infinity;
  const near = [];
  for (const e of edges) {
    // cheap bounding-box reject first
    if (point.x < Math.min(e.x1, e.x2) - radius || point.x > Math.max(e.x1, e.x2) + radius
        || point.y < Math.min(e.y1, e.y2) - radius || point.y > Math.max(e.y1, e.y2) + radius) continue;
    const d = distanceToSegment(e, point);
    if (d > radius) continue;
    near.push([e, d]);
    if (d < nearest) nearest = d;
  }
  let best = null;
  let bestMid = Infinity;
  for (const [e, d] of near) {
    if (d > nearest + tie) continue;
    const m = midpoint(e);
    const dm = Math.hypot(m.x - point.x, m.y - point.y);
    if (dm < bestMid) { bestMid = dm; best = e; }
  }
  return best;
}

// ---------------------------------------------------------------- label placement

/** Overlap area of two rects {x, y, w, h} (0 when they only touch). */
export function overlapArea(a, b) {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

// A uniform grid of cells holding rects, for overlap queries in O(cells touched).
class RectIndex {
  constructor(cell = 40) {
    this.cell = cell;
    this.cells = new Map();
  }

  add(r) {
    const c = this.cell;
    for (let i = Math.floor(r.x / c); i <= Math.floor((r.x + r.w) / c); i += 1) {
      for (let j = Math.floor(r.y / c); j <= Math.floor((r.y + r.h) / c); j += 1) {
        const k = i * 65536 + j;
        let list = this.cells.get(k);
        if (!list) { list = []; this.cells.set(k, list); }
        list.push(r);
      }
    }
  }

  /** Is any rect (other than those owned by `owner`) overlapping r? */
  hits(r, owner, passThrough = false) {
    const c = this.cell;
    for (let i = Math.floor(r.x / c); i <= Math.floor((r.x + r.w) / c); i += 1) {
      for (let j = Math.floor(r.y / c); j <= Math.floor((r.y + r.h) / c); j += 1) {
        const list = this.cells.get(i * 65536 + j);
        if (!list) continue;
        for (const o of list) {
          if (owner !== undefined && o.owner === owner) continue;
          if (passThrough && o.midpoint) continue;
          if (overlapArea(r, o) > 0) return true;
        }
      }
    }
    return false;
  }
}

/**
 * Candidate centres for a label of size {w, h} around a unit at (x, y) with
 * radius r: below, right, left, above, then the same a row farther out.
 */
export function unitCandidates(u, r, size, gap = 3) {
  const { w, h } = size;
  const out = [
    { x: u.x, y: u.y + r + gap + h / 2 },
    { x: u.x + r + gap + w / 2, y: u.y },
    { x: u.x - r - gap - w / 2, y: u.y },
    { x: u.x, y: u.y - r - gap - h / 2 },
  ];
  for (const f of [0.25, 0.5, 0.75, 1, 1.5]) {
    out.push({ x: u.x + r + gap + w / 2, y: u.y + f * h });
    out.push({ x: u.x + r + gap + w / 2, y: u.y - f * h });
    out.push({ x: u.x - r - gap - w / 2, y: u.y + f * h });
    out.push({ x: u.x - r - gap - w / 2, y: u.y - f * h });
  }
  // corners: the box diagonal from the unit
  const d = r + gap;
  for (const [sx, sy] of [[1, 1], [1, -1], [-1, 1], [-1, -1]]) out.push({ x: u.x + sx * (d + w / 2), y: u.y + sy * (d + h / 2) });
  return out;
}

/**
 * Candidate centres for a label of size {w, h} on an edge: on the line at
 * t in [0.1, 0.9], nearest the middle first, then the same points shifted
 * just above and below the line (the label then touches its edge).
 */
export function edgeCandidates(edge, size = { w: 0, h: 0 }) {
  const ts = [];
  for (let k = 0; k <= 20; k += 1) ts.push(0.1 + k * 0.04);
  ts.sort((a, b) => Math.abs(a - 0.5) - Math.abs(b - 0.5));
  const on = ts.map((t) => pointOnEdge(edge, t));
  const dy = size.h / 2 + 1;
  return [...on, ...on.map((p) => ({ x: p.x, y: p.y - dy })), ...on.map((p) => ({ x: p.x, y: p.y + dy }))];
}

/**
 * Farther spots for a label of an edge that found none on or beside it: up to
 * three label heights above or below points of the edge, each with its
 * `anchor` (the point of the edge a leader line joins it to).
 */
export function leaderCandidates(edge, size) {
  const out = [];
  for (const k of [1.6, -1.6, 2.4, -2.4, 3.2, -3.2, 4, -4]) {
    for (const t of [0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82]) {
      const p = pointOnEdge(edge, t);
      out.push({ x: p.x, y: p.y + k * (size.h + 2), anchor: p });
    }
  }
  return out;
}

/**
 * Last resort for the selected (or hovered) item's label: any spot of the
 * drawing on a grid of `step`, nearest to `anchor` first, joined to it by a
 * leader line.
 */
export function anywhereCandidates(anchor, size, box, step = 16, reach = 320) {
  const out = [];
  const x0 = Math.max(size.w / 2 + 2, anchor.x - reach);
  const y0 = Math.max(size.h / 2 + 2, anchor.y - reach);
  for (let x = x0; x <= Math.min(box.width - size.w / 2 - 2, anchor.x + reach); x += step) {
    for (let y = y0; y <= Math.min(box.height - size.h / 2 - 2, anchor.y + reach); y += step) out.push({ x, y, anchor });
  }
  out.sort((a, b) => Math.hypot(a.x - anchor.x, a.y - anchor.y) - Math.hypot(b.x - anchor.x, b.y - anchor.y));
  return out;
}

/**
 * Greedy placement with hard constraints. items: [{id, owner, w, h,
 * candidates: [{x, y}] (centres, best first)}] in priority order; obstacles:
 * [{x, y, w, h, owner?}] (units, edge midpoints, fixed boxes; an obstacle
 * with the item's owner does not block it: a label may sit on its own edge's
 * midpoint; an item with `passThrough` — a label clicks go through — may
 * cover obstacles marked `midpoint`). Each item takes its first candidate that lies inside `box` and
 * overlaps no obstacle and no placed label by more than 0 px (with `margin`
 * around every label); an item with no such spot is left out (never drawn
 * overlapping), unless its `fallback` (another item, e.g. the same value in a
 * smaller label) fits. Returns Map(id -> {x, y, w, h}) (x, y: top-left) of
 * the items (or fallbacks) placed.
 */
export function placeBoxes(items, obstacles, box, margin = 2) {
  const index = new RectIndex(40);
  for (const o of obstacles) index.add(o);
  const placed = new Map();
  const tryPlace = (item) => {
    const w = item.w + 2 * margin;
    const h = item.h + 2 * margin;
    for (const c of item.candidates) {
      const r = { x: c.x - w / 2, y: c.y - h / 2, w, h };
      if (box && (r.x < 0 || r.y < 0 || r.x + w > box.width || r.y + h > box.height)) continue;
      if (index.hits(r, item.owner, item.passThrough)) continue;
      index.add({ ...r, owner: Symbol('label') });
      placed.set(item.id, { x: c.x - item.w / 2, y: c.y - item.h / 2, w: item.w, h: item.h, anchor: c.anchor ?? null });
      return true;
    }
    return false;
  };
  for (const item of items) {
    if (!tryPlace(item) && item.fallback) tryPlace(item.fallback);
  }
  return placed;
}

// ---------------------------------------------------------------- the phase table

/**
 * How many cells the phase table of a network with these layer sizes may
 * need at once: the widest drawn layer's units (the current phase's values),
 * plus the selected unit's own values (2) and every edge into and out of it.
 */
export function tableCapacity(layerSizes, maxUnits = DEFAULTS.maxUnits) {
  const shown = layerSizes.map((v) => visibleUnits(v, maxUnits));
  const n = shown.length - 1;
  let degree = 0;
  for (let l = 0; l <= n; l += 1) {
    degree = Math.max(degree, (l > 0 ? shown[l - 1] + 1 : 0) + (l < n ? shown[l + 1] : 0));
  }
  return Math.max(...shown) + degree + 2;
}

/**
 * The phase table: a band `count` cells of `cell` = {w, h} fill, row by row,
 * in a drawing `width` wide: {columns, rows, height, cell, pad} (height with
 * `pad` above and below the rows). Every cell is as wide as the widest entry
 * can be, so that `count` entries always fit without overlapping.
 */
export function tableBand(count, cell, width, pad = 4) {
  const columns = Math.max(1, Math.floor((width - 2 * pad) / cell.w));
  const rows = Math.max(1, Math.ceil(count / columns));
  return { columns, rows, height: rows * cell.h + 2 * pad, cell, pad };
}

/** Centre of cell i of a table band whose top edge is at `top`. */
export function tableCellCentre(band, i, top) {
  const col = i % band.columns;
  const row = Math.floor(i / band.columns);
  return { x: band.pad + (col + 0.5) * band.cell.w, y: top + band.pad + (row + 0.5) * band.cell.h };
}
