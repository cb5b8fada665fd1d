// views/charts.js — the loss chart.
//
//   mountLossChart(container) → unmount()
//
// An SVG chart of state.lossHistory ([{step, epoch, loss}], one entry per update seen, including
// the per-update losses of /train) against the step, with the mean loss of each epoch drawn as
// a step line on top. Linear or log y axis (toggle). Thousands of points stay fast: the per-step
// line is reduced to the min and max of each pixel column before drawing (spikes survive).
// Redraws once per burst of changes (in a microtask after a step, once a frame while training).
//
// Pure helpers (exported for tests): niceTicks(lo, hi, count), downsample(points, buckets),
// epochMeans(history).
//
// Test hooks: data-testid="loss-chart-svg", "loss-summary", "loss-log-toggle", "loss-empty".
import { getState, subscribe } from '../state.js';
import { formatNumber } from '../format.js';

const M = { left: 50, right: 10, top: 22, bottom: 34 };
// Okabe–Ito: blue for each update's loss, vermillion for the epoch means
const STEP_COLOUR = 'var(--bp-loss-step, #0072B2)';
const EPOCH_COLOUR = 'var(--bp-loss-epoch, #D55E00)';
const SVG_NS = 'http://www.w3.org/2000/svg';

// ------------------------------------------------------------ pure helpers

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo, hi, count = 5) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return ticks;
}

/**
 * Reduce [{x, y}] (sorted by x) to at most ~2·buckets points: the first, min, max and last
 * point of each x bucket, in x order. Short inputs come back unchanged.
 */
export function downsample(points, buckets) {
  if (points.length <= 2 * buckets) return points;
  const x0 = points[0].x;
  const span = points[points.length - 1].x - x0 || 1;
  const out = [];
  let i = 0;
  for (let b = 0; b < buckets && i < points.length; b += 1) {
    const end = x0 + (span * (b + 1)) / buckets;
    const start = i;
    let lo = i;
    let hi = i;
    while (i < points.length && (points[i].x <= end || b === buckets - 1)) {
      if (points[i].y < points[lo].y) lo = i;
      if (points[i].y > points[hi].y) hi = i;
      i += 1;
    }
    if (i === start) continue;
    const keep = [...new Set([start, lo, hi, i - 1])].sort((a, c) => a - c);
    for (const k of keep) out.push(points[k]);
  }
  return out;
}

/** Consecutive runs of one epoch → [{epoch, first, last, mean, count}] (finite losses only). */
export function epochMeans(history) {
  const out = [];
  for (const h of history) {
    if (!Number.isFinite(h.loss)) continue;
    const cur = out[out.length - 1];
    if (cur && cur.epoch === h.epoch) {
      cur.sum += h.loss;
      cur.count += 1;
      cur.last = h.step;
    } else {
      out.push({ epoch: h.epoch, first: h.step, last: h.step, sum: h.loss, count: 1 });
    }
  }
  return out.map(({ sum, ...rest }) => ({ ...rest, mean: sum / rest.count }));
}

// ------------------------------------------------------------ view

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

export function mountLossChart(container) {
  container.classList.add('bp-loss-chart');
  const bar = document.createElement('div');
  bar.style.cssText = 'display:flex;gap:1em;align-items:center;justify-content:space-between;flex-wrap:wrap';
  const summary = document.createElement('span');
  summary.dataset.testid = 'loss-summary';
  const toggleLabel = document.createElement('label');
  const toggle = document.createElement('input');
  toggle.type = 'checkbox';
  toggle.dataset.testid = 'loss-log-toggle';
  toggleLabel.append(toggle, ' log scale');
  bar.append(summary, toggleLabel);
  const chart = svg('svg', {
    role: 'img',
    'aria-label': 'Loss over steps',
    'data-testid': 'loss-chart-svg',
    style: 'width:100%;display:block;overflow:visible;font-size:12px',
  });
  container.replaceChildren(bar, chart);

  // One draw per burst of changes. After a step: in a microtask, still in the
  // task that changed the history, so it is painted in the same frame as the
  // network view. While training: in the next animation frame, which leaves
  // the page free to send the next /train first (and draws once a frame).
  let drawn = null;
  let queued = false;
  const schedule = () => {
    if (queued) return;
    queued = true;
    const run = () => {
      queued = false;
      draw();
    };
    if (getState().training && typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
    else queueMicrotask(run);
  };
  toggle.addEventListener('change', () => {
    drawn = null;
    schedule();
  });

  // drawn at the container's own pixel size, so text stays at its real size.
  // The size is read when the observer reports it (layout is clean then):
  // reading it in draw() would force a layout of the page on every update.
  let width = 0;
  let boxWidth = 0;
  const resize = typeof ResizeObserver === 'function'
    ? new ResizeObserver(() => {
      boxWidth = Math.round(container.clientWidth);
      if (boxWidth && boxWidth !== width) { drawn = null; schedule(); }
    })
    : null;
  if (resize) resize.observe(container);

  function draw() {
    const history = getState().lossHistory || [];
    const w = (resize ? boxWidth : Math.round(container.clientWidth)) || 480;
    if (history === drawn && w === width) return;
    drawn = history;
    width = w;
    const W = Math.max(240, w);
    const H = Math.round(Math.min(260, Math.max(160, W * 0.5)));
    const PW = W - M.left - M.right;
    const PH = H - M.top - M.bottom;
    chart.setAttribute('viewBox', `0 0 ${W} ${H}`);
    chart.setAttribute('width', W);
    chart.setAttribute('height', H);
    const pts = history.filter((h) => Number.isFinite(h.loss)).map((h) => ({ x: h.step, y: h.loss }));
    chart.replaceChildren();
    if (!pts.length) {
      summary.textContent = 'No updates yet';
      chart.setAttribute('height', 60);
      chart.setAttribute('viewBox', `0 0 ${W} 60`);
      chart.append(svg('text', {
        x: W / 2, y: 30, 'text-anchor': 'middle', fill: 'currentColor', 'data-testid': 'loss-empty',
      }, 'Press Step or Train to see the loss'));
      return;
    }
    const means = epochMeans(history);
    const log = toggle.checked && pts.every((p) => p.y > 0);
    const fy = log ? Math.log10 : (v) => v;
    let yLo = Infinity;
    let yHi = -Infinity;
    for (const p of pts) {
      const v = fy(p.y);
      if (v < yLo) yLo = v;
      if (v > yHi) yHi = v;
    }
    if (!log) yLo = Math.min(0, yLo);
    if (yHi === yLo) yHi = yLo + (log ? 1 : Math.abs(yLo) || 1);
    const pad = (yHi - yLo) * 0.05;
    yHi += pad;
    if (log) yLo -= pad;
    const xLo = pts[0].x;
    const xHi = Math.max(pts[pts.length - 1].x, xLo + 1);
    const sx = (x) => M.left + ((x - xLo) / (xHi - xLo)) * PW;
    const sy = (v) => M.top + PH - ((v - yLo) / (yHi - yLo)) * PH;

    // axes and grid
    const axes = svg('g', { fill: 'currentColor', stroke: 'none' });
    const yTicks = log
      ? niceTicks(Math.ceil(yLo), Math.floor(yHi), 5).filter((t) => Number.isInteger(t))
      : niceTicks(yLo, yHi, 5);
    for (const t of yTicks) {
      const y = sy(t);
      axes.append(svg('line', { x1: M.left, x2: M.left + PW, y1: y, y2: y, stroke: 'currentColor', 'stroke-opacity': 0.15 }));
      axes.append(svg('text', { x: M.left - 6, y: y + 4, 'text-anchor': 'end' }, log ? formatNumber(10 ** t) : formatNumber(t)));
    }
    const xTicks = niceTicks(xLo, xHi, Math.max(2, Math.floor(PW / 70))).filter((t) => Number.isInteger(t));
    for (const t of xTicks) {
      const x = sx(t);
      axes.append(svg('line', { x1: x, x2: x, y1: M.top + PH, y2: M.top + PH + 4, stroke: 'currentColor' }));
      axes.append(svg('text', { x, y: M.top + PH + 16, 'text-anchor': 'middle' }, String(t)));
    }
    axes.append(svg('line', { x1: M.left, x2: M.left + PW, y1: M.top + PH, y2: M.top + PH, stroke: 'currentColor' }));
    axes.append(svg('line', { x1: M.left, x2: M.left, y1: M.top, y2: M.top + PH, stroke: 'currentColor' }));
    axes.append(svg('text', { x: M.left + PW / 2, y: H - 4, 'text-anchor': 'middle' }, 'step'));
    axes.append(svg('text', {
      x: 12, y: M.top + PH / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${M.top + PH / 2})`,
    }, log ? 'loss (log)' : 'loss'));
    chart.append(axes);

    // per-update loss, reduced to ≤ 2 points per pixel column
    const reduced = downsample(pts, Math.round(PW));
    const d = reduced.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(fy(p.y)).toFixed(1)}`).join('');
    chart.append(svg('path', {
      d, fill: 'none', stroke: STEP_COLOUR, 'stroke-width': 1.2, 'stroke-opacity': 0.7, 'data-testid': 'loss-step-line',
    }));
    if (pts.length <= 60) {
      const dots = svg('g', { fill: STEP_COLOUR });
      for (const p of pts) dots.append(svg('circle', { cx: sx(p.x), cy: sy(fy(p.y)), r: 2.2 }));
      chart.append(dots);
    }

    // epoch means as a step line (each epoch's mean over its updates)
    if (means.length > 1 || (means.length === 1 && means[0].count > 1)) {
      // few epochs: a flat segment over each epoch's updates; many: a line through their middles
      const flat = means.length <= PW / 6;
      const seg = means
        .map((m, i) => {
          const y = sy(fy(m.mean)).toFixed(1);
          if (!flat) return `${i ? 'L' : 'M'}${sx((m.first + m.last) / 2).toFixed(1)},${y}`;
          const x1 = sx(Math.max(xLo, m.first - 0.5));
          const x2 = sx(Math.min(xHi, m.last + 0.5));
          return `M${x1.toFixed(1)},${y}H${x2.toFixed(1)}`;
        })
        .join('');
      chart.append(svg('path', {
        d: seg, fill: 'none', stroke: EPOCH_COLOUR, 'stroke-width': 2.5, 'data-testid': 'loss-epoch-line',
      }));
    }

    // legend, above the plot
    const legend = svg('g', { fill: 'currentColor' });
    const ly = M.top - 10;
    legend.append(svg('line', { x1: M.left, x2: M.left + 16, y1: ly, y2: ly, stroke: STEP_COLOUR, 'stroke-width': 2 }));
    legend.append(svg('text', { x: M.left + 20, y: ly + 4 }, 'each update'));
    legend.append(svg('line', { x1: M.left + 104, x2: M.left + 120, y1: ly, y2: ly, stroke: EPOCH_COLOUR, 'stroke-width': 3 }));
    legend.append(svg('text', { x: M.left + 124, y: ly + 4 }, 'epoch mean'));
    chart.append(legend);

    const lastMean = means[means.length - 1];
    summary.textContent = `${pts.length} update${pts.length === 1 ? '' : 's'} · last loss ${formatNumber(pts[pts.length - 1].y)}`
      + (lastMean ? ` · epoch ${lastMean.epoch} mean ${formatNumber(lastMean.mean)}` : '');
  }

  const unsubscribe = subscribe((state, previous) => {
    if (!previous || state.lossHistory !== previous.lossHistory) schedule();
  });
  draw();
  return () => {
    unsubscribe();
    if (resize) resize.disconnect();
    container.replaceChildren();
  };
}
