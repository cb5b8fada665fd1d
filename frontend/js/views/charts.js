// views/charts.js — the loss chart.
//
//   mountLossChart(container) → unmount()
//
// An SVG chart against the step of
//   - each update's loss (state.lossHistory, one entry per update seen, including the per-update
//     losses of /train): a faint line, since one example's loss jumps (cross-entropy up to 5);
//   - the whole training part's loss and the test part's loss (state.metricsHistory, one point
//     per step or /train chunk: what GET /metrics gives for those weights): bold lines. Without
//     them (a server that has no metrics) the mean of each epoch's updates is the bold line.
// The y axis fits the bold lines (the faint one is cut at the top, "scale: every update" fits it
// instead); linear or log (toggle). The last value of each line is written in its legend.
// Any length draws in the same time: every series is reduced to the first, lowest, highest and
// last point of each pixel column (decimate.js) before drawing, so spikes survive.
// Redraws once per burst of changes (in a microtask after a step, once a frame while training).
//
// Pure helpers (exported for tests): niceTicks(lo, hi, count), epochMeans(history).
//
// Test hooks: data-testid="loss-chart-svg", "loss-summary", "loss-log-toggle", "loss-fit-toggle",
// "loss-empty", "loss-step-line", "loss-train-line", "loss-test-line", "loss-epoch-line", and
// "loss-legend-update" / "-train" / "-test" (data-value: the last value drawn).
import { getState, subscribe } from '../state.js';
import { formatNumber } from '../format.js';
import { decimate, extent } from '../decimate.js';

const M = { left: 44, right: 10, top: 8, bottom: 30 };
// Okabe–Ito: blue for each update's loss, vermillion for the training part (or the epoch
// means), bluish green (dashed) for the test part
const STEP_COLOUR = 'var(--bp-loss-step, #0072B2)';
const EPOCH_COLOUR = 'var(--bp-loss-epoch, #D55E00)';
const TEST_COLOUR = 'var(--bp-loss-test, #009E73)';
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
  bar.style.cssText = 'display:flex;gap:.2em 1em;align-items:center;justify-content:space-between;flex-wrap:wrap;font-size:.9em';
  const summary = document.createElement('span');
  summary.dataset.testid = 'loss-summary';
  const checks = document.createElement('span');
  const check = (testid, text, title) => {
    const label = document.createElement('label');
    label.title = title;
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.dataset.testid = testid;
    label.append(input, ` ${text}`);
    checks.append(label, ' ');
    return input;
  };
  const toggle = check('loss-log-toggle', 'log', 'log scale');
  const fitAll = check('loss-fit-toggle', 'fit all',
    'scale the y axis to every update’s loss (else to the whole training / test loss)');
  bar.append(summary);
  checks.style.marginLeft = 'auto';
  // one entry per line drawn, with its last value
  const legend = document.createElement('div');
  legend.style.cssText = 'display:flex;gap:.1em .8em;flex-wrap:wrap;align-items:center;font-size:.85em;font-variant-numeric:tabular-nums';
  legend.append(checks);
  const chart = svg('svg', {
    role: 'img',
    'aria-label': 'Loss over steps',
    'data-testid': 'loss-chart-svg',
    style: 'width:100%;display:block;overflow:visible;font-size:12px',
  });
  container.replaceChildren(bar, legend, chart);

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
  for (const input of [toggle, fitAll]) {
    input.addEventListener('change', () => {
      drawn = null;
      schedule();
    });
  }

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

  const stepOf = (h) => h.step;
  const lossOf = (h) => h.loss;
  const trainOf = (h) => h.train_loss;
  const testOf = (h) => h.test_loss;
  const meanOf = (m) => m.mean;
  const middleOf = (m) => (m.first + m.last) / 2;

  function draw() {
    const st = getState();
    const history = st.lossHistory || [];
    const metrics = st.metricsHistory || [];
    const w = (resize ? boxWidth : Math.round(container.clientWidth)) || 480;
    if (drawn && history === drawn.history && metrics === drawn.metrics && st.batchSize === drawn.batch && w === width) return;
    drawn = { history, metrics, batch: st.batchSize };
    width = w;
    const W = Math.max(240, w);
    // on a short screen (1280 × 720) a lower chart leaves the heatmap below it on the screen
    const short = (globalThis.innerHeight || 900) < 800;
    const H = Math.round(Math.min(220, short ? 100 : Math.max(120, W * 0.4)));
    const PW = W - M.left - M.right;
    const PH = H - M.top - M.bottom;
    chart.setAttribute('viewBox', `0 0 ${W} ${H}`);
    chart.setAttribute('width', W);
    chart.setAttribute('height', H);
    chart.replaceChildren();
    const hasTrain = metrics.some((m) => Number.isFinite(m.train_loss));
    const hasTest = metrics.some((m) => Number.isFinite(m.test_loss));
    const batch = st.batchSize ?? 1;
    const how = batch === 1 ? 'batch 1 = per-example SGD' : `batch ${batch} = mean of ${batch} examples`;
    if (!history.length && !(hasTrain && metrics.length > 1)) {
      summary.textContent = 'No updates yet';
      legend.replaceChildren(checks);
      // two short lines: one long line ran past a phone's (or a side panel's) chart width
      chart.setAttribute('height', 48);
      chart.setAttribute('viewBox', `0 0 ${W} 48`);
      const empty = svg('text', { 'text-anchor': 'middle', fill: 'currentColor', 'data-testid': 'loss-empty' });
      empty.append(svg('tspan', { x: W / 2, y: 18 }, 'Press Step or Train to see the loss'),
        svg('tspan', { x: W / 2, y: 38 }, `(${how})`));
      chart.append(empty);
      return;
    }
    const log = toggle.checked;
    const means = hasTrain ? [] : epochMeans(history);
    const boldMeans = means.length > 1 || (means.length === 1 && means[0].count > 1);
    // y range: the bold lines (unless "fit every update", or there are none)
    const ranges = [];
    if (hasTrain) ranges.push(extent(metrics, trainOf, log));
    if (hasTest) ranges.push(extent(metrics, testOf, log));
    if (boldMeans) ranges.push(extent(means, meanOf, log));
    if (fitAll.checked || !ranges.some(Boolean)) ranges.push(extent(history, lossOf, log));
    const live = ranges.filter(Boolean);
    if (!live.length) {
      summary.textContent = 'No finite loss to draw';
      return;
    }
    const fy = log ? Math.log10 : (v) => v;
    let yLo = fy(Math.min(...live.map((r) => r[0])));
    let yHi = fy(Math.max(...live.map((r) => r[1])));
    if (!log) yLo = Math.min(0, yLo);
    if (yHi === yLo) yHi = yLo + (log ? 1 : Math.abs(yLo) || 1);
    const pad = (yHi - yLo) * 0.06;
    yHi += pad;
    if (log) yLo -= pad;
    const firsts = [history[0]?.step, metrics[0]?.step].filter(Number.isFinite);
    const lasts = [history.at(-1)?.step, metrics.at(-1)?.step].filter(Number.isFinite);
    const xLo = Math.min(...firsts);
    const xHi = Math.max(...lasts, xLo + 1);
    const sx = (x) => M.left + ((x - xLo) / (xHi - xLo)) * PW;
    const sy = (v) => M.top + PH - ((v - yLo) / (yHi - yLo)) * PH;

    // axes and grid
    const axes = svg('g', { fill: 'currentColor', stroke: 'none' });
    const yTicks = log
      ? niceTicks(Math.ceil(yLo), Math.floor(yHi), 5).filter((t) => Number.isInteger(t))
      : niceTicks(yLo, yHi, 4);
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
    axes.append(svg('text', { x: M.left + PW / 2, y: H - 2, 'text-anchor': 'middle', 'data-testid': 'loss-x-label' }, `step · ${how}`));
    axes.append(svg('text', {
      x: 12, y: M.top + PH / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${M.top + PH / 2})`,
    }, log ? 'loss L (log)' : 'loss L'));
    chart.append(axes);

    // the plot area clips the faint line where the axis fits the bold ones
    const clipId = `loss-clip-${Math.random().toString(36).slice(2, 8)}`;
    const clip = svg('clipPath', { id: clipId });
    clip.append(svg('rect', { x: M.left, y: M.top - 1, width: PW, height: PH + 2 }));
    chart.append(clip);
    const columns = Math.max(1, Math.round(PW));
    const pathOf = (items, x, y) => {
      const pts = decimate(items, x, y, columns, { lo: xLo, hi: xHi });
      let d = '';
      for (let i = 0; i < pts.length; i += 2) {
        const v = pts[i + 1];
        if (log && !(v > 0)) continue;
        d += `${d ? 'L' : 'M'}${sx(pts[i]).toFixed(1)},${sy(fy(v)).toFixed(1)}`;
      }
      return { d, count: pts.length / 2 };
    };
    const line = (items, x, y, attrs) => {
      const { d, count } = pathOf(items, x, y);
      if (!d) return null;
      const path = svg('path', { d, fill: 'none', 'clip-path': `url(#${clipId})`, ...attrs });
      chart.append(path);
      return count;
    };

    // each update's loss, faint
    const few = history.length <= 60;
    line(history, stepOf, lossOf, {
      stroke: STEP_COLOUR, 'stroke-width': 1, 'stroke-opacity': few ? 0.6 : 0.35, 'data-testid': 'loss-step-line',
    });
    if (few) {
      const dots = svg('g', { fill: STEP_COLOUR, 'fill-opacity': 0.6, 'clip-path': `url(#${clipId})` });
      for (const h of history) if (Number.isFinite(h.loss) && (!log || h.loss > 0)) dots.append(svg('circle', { cx: sx(h.step), cy: sy(fy(h.loss)), r: 2 }));
      chart.append(dots);
    }
    // the whole training / test part, bold (or the epoch means)
    if (hasTrain) {
      line(metrics, stepOf, trainOf, { stroke: EPOCH_COLOUR, 'stroke-width': 2.5, 'data-testid': 'loss-train-line' });
    } else if (boldMeans) {
      line(means, middleOf, meanOf, { stroke: EPOCH_COLOUR, 'stroke-width': 2.5, 'data-testid': 'loss-epoch-line' });
    }
    if (hasTest) {
      line(metrics, stepOf, testOf, {
        stroke: TEST_COLOUR, 'stroke-width': 2.5, 'stroke-dasharray': '6 3', 'data-testid': 'loss-test-line',
      });
    }

    // legend above the plot, each line with its last value
    const lastOf = (items, y) => {
      for (let i = items.length - 1; i >= 0; i -= 1) if (Number.isFinite(y(items[i]))) return y(items[i]);
      return null;
    };
    const entries = [];
    const lastUpdate = lastOf(history, lossOf);
    if (lastUpdate !== null) entries.push(['update', 'update', lastUpdate, STEP_COLOUR, 1.5, null]);
    if (hasTrain) entries.push(['train', 'train', lastOf(metrics, trainOf), EPOCH_COLOUR, 3, null]);
    else if (boldMeans) entries.push(['epoch', 'epoch mean', means.at(-1).mean, EPOCH_COLOUR, 3, null]);
    if (hasTest) entries.push(['test', 'test', lastOf(metrics, testOf), TEST_COLOUR, 3, '6 3']);
    legend.replaceChildren(...entries.map(([key, name, value, colour, strokeWidth, dash]) => {
      const item = document.createElement('span');
      item.dataset.testid = `loss-legend-${key}`;
      item.dataset.value = String(value);
      const mark = svg('svg', { width: 16, height: 8, 'aria-hidden': 'true' });
      mark.append(svg('line', { x1: 0, x2: 16, y1: 4, y2: 4, stroke: colour, 'stroke-width': strokeWidth, ...(dash ? { 'stroke-dasharray': dash } : {}) }));
      item.append(mark, ` ${name} `, Object.assign(document.createElement('b'), { textContent: formatNumber(value) }));
      return item;
    }), checks);

    const n = history.length;
    summary.textContent = n ? `${n} update${n === 1 ? '' : 's'} · last loss ${formatNumber(lastUpdate)}` : 'whole-dataset loss';
  }

  const unsubscribe = subscribe((state, previous) => {
    if (!previous || state.lossHistory !== previous.lossHistory || state.metricsHistory !== previous.metricsHistory
        || state.batchSize !== previous.batchSize) schedule();
  });
  draw();
  return () => {
    unsubscribe();
    if (resize) resize.disconnect();
    container.replaceChildren();
  };
}
