// decimate.js — a long series reduced to what one pixel column can show. Pure, no DOM.
//
//   decimate(items, x, y, columns, {lo, hi}?) → Float64Array [x0, y0, x1, y1, …]
//
// items: any array (e.g. state.lossHistory's {step, loss}); x(item), y(item) read its
// coordinates (x ascending; items whose y is not finite are skipped). The x range [lo, hi]
// (default: the first and last item's x) is cut into `columns` equal columns; each column
// keeps its first, lowest, highest and last item, in their own order, so a spike survives and
// the line's ends stay where they are. At most 4·columns points come back, however long the
// series: 100 000 updates draw as fast as a few hundred. A series no longer than 4·columns comes
// back whole. One pass, no object made per item.

export function decimate(items, x, y, columns, range = {}) {
  const n = items.length;
  const cols = Math.max(1, Math.floor(columns));
  if (!n) return new Float64Array(0);
  const lo = range.lo ?? x(items[0]);
  const hi = range.hi ?? x(items[n - 1]);
  if (n <= 4 * cols) {
    const out = new Float64Array(2 * n);
    let k = 0;
    for (let i = 0; i < n; i += 1) {
      const v = y(items[i]);
      if (!Number.isFinite(v)) continue;
      out[k++] = x(items[i]);
      out[k++] = v;
    }
    return out.subarray(0, k);
  }
  const span = hi - lo || 1;
  const out = new Float64Array(8 * cols);
  let k = 0;
  // x ascends: each column's items are one run, its end found by bisection, so the pass over
  // the items only reads y
  let i = 0;
  for (let c = 0; c < cols && i < n; c += 1) {
    const edge = lo + (span * (c + 1)) / cols;
    let end = n;
    if (c < cols - 1) {
      let a = i;
      let z = n;
      while (a < z) {
        const mid = (a + z) >>> 1;
        if (x(items[mid]) < edge) a = mid + 1;
        else z = mid;
      }
      end = a;
    }
    let first = -1; let min = -1; let max = -1; let last = -1;
    let minV = Infinity; let maxV = -Infinity;
    for (; i < end; i += 1) {
      const v = y(items[i]);
      if (!(v === v) || v === Infinity || v === -Infinity) continue; // not finite
      if (first < 0) first = i;
      last = i;
      if (v < minV) { minV = v; min = i; }
      if (v > maxV) { maxV = v; max = i; }
    }
    if (first < 0) continue;
    // the (up to) four kept items in index order, each once
    const a1 = Math.min(min, max);
    const a2 = Math.max(min, max);
    const keep = [first, a1, a2, last];
    for (let j = 0; j < 4; j += 1) {
      if (j && keep[j] === keep[j - 1]) continue;
      out[k++] = x(items[keep[j]]);
      out[k++] = y(items[keep[j]]);
    }
  }
  return out.subarray(0, k);
}

/** The smallest and largest finite y of items (y > 0 only, when positive is set): [lo, hi] or null. */
export function extent(items, y, positive = false) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < items.length; i += 1) {
    const v = y(items[i]);
    if (!Number.isFinite(v) || (positive && !(v > 0))) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo === Infinity ? null : [lo, hi];
}
