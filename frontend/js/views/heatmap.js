// views/heatmap.js — the network's output over the input plane, with the data points.
//
//   mountHeatmap(container) → unmount()
//
// For a session with 2 inputs and a dataset: fetches GET /api/sessions/{id}/dataset once per
// session (and dataset), and draws the network's output on a 40×40 grid over the data's range
// (+10 %). It publishes that grid as state.heatmapGrid ({key, grid: {x1, x2, n}}), which a Step
// sends with POST /step: the step trace's grid_Y (the updated network's outputs), put in the store
// as state.prediction ({key, session, Y}) with the session it belongs to, is drawn at once, in the
// same task as the rest of the step. Any other change of the weights (loading a session, undo,
// training) asks POST /api/sessions/{id}/predict {grid} — at most one request in flight and at
// most one every 200 ms while training, always ending on the latest weights, and an answer
// older than what is already drawn is dropped. One output is
// drawn on a colour-blind-safe diverging palette (purple ↔ white ↔ orange, centred between the
// smallest and largest target); several outputs (one-hot classes) show the winning class, paler
// where the network is less sure. Data points sit on top (class 0 circles, class 1 squares;
// test points hollow: the network never trains on them).
// "discretize" (settings.discretize) draws two colours only: the decision, y above or below the
// middle of the targets' range (the winning class for several outputs), cell by cell, unsmoothed.
// While state.unitView names a hidden unit (views/unit-maps.js: hovered or selected), the plane
// shows that unit's own activation z_j from state.unitGrid (POST /predict {grid, units: true} on
// the same grid), on the same palette over unitRange() of its values; the caption says which.
// The canvas is 200–420 px: in the wide layout it takes the side panel's room left under the
// chain rule and the loss chart (measured by a ResizeObserver on the panel and the cards
// above), so at 1280 × 720 it sits inside the first screen; elsewhere at most 100vh − 510 px.
// For other networks the panel says why it is hidden.
//
// Pure helpers (exported for tests): gridPoints(bounds, n) (the grid /predict {grid} builds), diverging(t) → [r, g, b],
// dataBounds(X, pad), unitRange(values) → [lo, hi], cellColour(v, lo, hi, discretize) → [r, g, b].
//
// Test hooks: data-testid="heatmap-canvas", "heatmap-hidden", "heatmap-legend", "heatmap-caption",
// "heatmap-discretize"; the canvas's data-step (the session step whose outputs are drawn),
// data-grid (the grid, as JSON), data-shows ("output" | "unit-<layer>-<unit>") and data-range
// (the [lo, hi] the palette spans, as JSON).
import { getState, setState, subscribe } from '../state.js';
import { dataset as fetchDataset, predictGrid } from '../api.js';
import { formatNumber } from '../format.js';
import { labelUnicode, unitLabel } from '../notation.js';
import { toggleDiscretize } from '../controls.js';

export const GRID = 40;
const MIN_INTERVAL_MS = 200;
// PuOr (ColorBrewer), colour-blind safe
const STOPS = [
  [94, 60, 153],
  [178, 171, 210],
  [247, 247, 247],
  [253, 184, 99],
  [230, 97, 1],
];
// Okabe–Ito for classes when the net has several outputs
const CLASSES = [
  [0, 114, 178], [230, 159, 0], [0, 158, 115], [204, 121, 167],
  [86, 180, 233], [213, 94, 0], [240, 228, 66], [0, 0, 0],
];

// ------------------------------------------------------------ pure helpers

export function diverging(t) {
  const out = [0, 0, 0];
  divergingInto(t, out, 0);
  return out;
}

/** diverging(t) written to out[at], out[at + 1], out[at + 2] (no array made per cell). */
export function divergingInto(t, out, at) {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0.5)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(u));
  const f = u - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  for (let k = 0; k < 3; k += 1) out[at + k] = Math.round(a[k] + (b[k] - a[k]) * f);
}

/** The palette's span for one unit's activations: [min(0, lowest), max(1, highest)] (σ: [0, 1]). */
export function unitRange(values) {
  let lo = 0;
  let hi = 1;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** The colour of one cell: the palette at (v − lo)/(hi − lo), or its two ends when discretized. */
export function cellColour(v, lo, hi, discretize = false) {
  const t = (v - lo) / (hi - lo);
  return diverging(discretize ? (t > 0.5 ? 1 : 0) : t);
}

export function dataBounds(X, pad = 0.1) {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [a, b] of X) {
    if (a < x0) x0 = a;
    if (a > x1) x1 = a;
    if (b < y0) y0 = b;
    if (b > y1) y1 = b;
  }
  if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
  if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
  const px = (x1 - x0) * pad;
  const py = (y1 - y0) * pad;
  return { x0: x0 - px, x1: x1 + px, y0: y0 - py, y1: y1 + py };
}

/** n×n cell centres, row 0 at the top (largest x2), as [[x1, x2], ...] row-major. */
export function gridPoints(b, n = GRID) {
  const out = [];
  for (let r = 0; r < n; r += 1) {
    const x2 = b.y1 - ((r + 0.5) / n) * (b.y1 - b.y0);
    for (let c = 0; c < n; c += 1) out.push([b.x0 + ((c + 0.5) / n) * (b.x1 - b.x0), x2]);
  }
  return out;
}

// ------------------------------------------------------------ view

function datasetKey(session) {
  if (!session || !session.dataset) return null;
  const { next_index: _skip, ...rest } = session.dataset;
  return `${session.id}:${JSON.stringify(rest)}`;
}

function hiddenReason(session) {
  if (!session) return 'No session yet.';
  const inputs = session.network.layers[0];
  if (inputs !== 2) return `The output heatmap needs 2 inputs; this network has ${inputs}.`;
  if (!session.dataset) return 'The output heatmap needs a dataset.';
  return null;
}

export function mountHeatmap(container) {
  container.classList.add('bp-heatmap');
  const message = document.createElement('p');
  message.dataset.testid = 'heatmap-hidden';
  message.style.cssText = 'opacity:.8;font-style:italic;margin:.3em 0';
  const canvas = document.createElement('canvas');
  canvas.dataset.testid = 'heatmap-canvas';
  canvas.setAttribute('role', 'img');
  canvas.style.cssText = 'width:100%;max-width:min(420px, max(200px, var(--heatmap-room, 100vh - 510px)));aspect-ratio:1/1;display:block;border:1px solid currentColor';
  const caption = document.createElement('div');
  caption.dataset.testid = 'heatmap-caption';
  caption.style.cssText = 'font-size:.85em;display:flex;gap:.8em;align-items:center;justify-content:space-between;flex-wrap:wrap;margin-top:.2em';
  const shows = document.createElement('span');
  const discretizeLabel = document.createElement('label');
  discretizeLabel.title = 'two colours: which side of the decision each point falls on';
  const discretize = document.createElement('input');
  discretize.type = 'checkbox';
  discretize.dataset.testid = 'heatmap-discretize';
  discretize.addEventListener('change', () => toggleDiscretize(discretize.checked));
  discretizeLabel.append(discretize, ' discretize');
  caption.append(shows, discretizeLabel);
  const legend = document.createElement('div');
  legend.dataset.testid = 'heatmap-legend';
  legend.style.cssText = 'font-size:.85em;margin-top:.3em;display:flex;gap:.5em;align-items:center;flex-wrap:wrap';
  container.replaceChildren(message, canvas, caption, legend);

  let data = null; // {key, X, Y, bounds, lo, hi, task, grid}
  let loadingKey = null;
  let pred = null; // {key, Y, step}
  let inFlight = false;
  let pending = false;
  let lastRequest = 0;
  let timer = 0;
  let alive = true;
  // Predictions are numbered when asked for (or received with a step); one is
  // drawn only if nothing newer has been: a /predict answer that arrives after
  // a step's grid_Y must not draw the older weights over it.
  let asked = 0;
  let drawnSeq = 0;
  let drawnFor = null; // the session whose outputs are drawn
  // the panel's width, kept by the observer (reading it while drawing would
  // force a layout of the page in the middle of a step's redraw)
  let boxWidth = 0;
  const resize = typeof ResizeObserver === 'function'
    ? new ResizeObserver(() => {
      fitRoom();
      const w = container.clientWidth;
      if (w && w !== boxWidth) {
        boxWidth = w;
        if (data && !canvas.hidden) draw();
      }
    })
    : null;
  if (resize) resize.observe(container);

  // In a side panel of bounded height (the wide layout; not the one-column narrow layout,
  // where the page scrolls, nor projector mode, where the panel's cards float), the canvas
  // takes the room left under the cards above it, so the whole heatmap stays on the first
  // screen whatever the toolbar, the readout or the chain rule above it take (200–420 px).
  const panel = container.closest('.side');
  const fit = typeof ResizeObserver === 'function' && panel
    ? new ResizeObserver(() => fitRoom())
    : null;
  function fitRoom() {
    const style = getComputedStyle(panel);
    if (style.display === 'contents' || style.overflowY === 'visible' || canvas.hidden) {
      if (canvas.style.getPropertyValue('--heatmap-room')) canvas.style.removeProperty('--heatmap-room');
      return;
    }
    const card = container.closest('.card') ?? container;
    const top = canvas.getBoundingClientRect().top - panel.getBoundingClientRect().top + panel.scrollTop;
    const below = card.getBoundingClientRect().bottom - canvas.getBoundingClientRect().bottom
      + parseFloat(style.paddingBottom || '0');
    const room = `${Math.floor(panel.clientHeight - top - below)}px`;
    if (canvas.style.getPropertyValue('--heatmap-room') !== room) canvas.style.setProperty('--heatmap-room', room);
  }
  if (fit) {
    fit.observe(panel);
    for (const child of panel.children) if (!child.contains(container)) fit.observe(child);
  }

  function publishGrid(value) {
    const now = getState().heatmapGrid ?? null;
    if ((now?.key ?? null) !== (value?.key ?? null)) setState({ heatmapGrid: value });
  }

  // (writes only what changes: draw() runs on every step)
  function show(reason) {
    if (message.textContent !== (reason || '')) message.textContent = reason || '';
    if (message.hidden !== !reason) message.hidden = !reason;
    if (canvas.hidden !== !!reason) canvas.hidden = !!reason;
    if (legend.hidden !== !!reason) legend.hidden = !!reason;
    if (caption.hidden !== !!reason) caption.hidden = !!reason;
  }
  let legendFor = null; // the data the legend was drawn for
  let legendDrawn = ''; // and what it showed (output or unit, range, discretized)

  // The hidden unit to show instead of the output: state.unitView, once its activations on
  // this grid for the weights drawn are in state.unitGrid.
  function unitShown(st) {
    const view = st.unitView;
    const g = st.unitGrid;
    if (!view || !g || !data || g.key !== data.key || g.weights !== st.session.weights) return null;
    const layer = g.units[view.layer - 1];
    return layer && layer[view.unit - 1] ? view : null;
  }
  let cells = null; // the n×n image of the outputs, scaled up onto the canvas

  async function loadDataset(session, key) {
    loadingKey = key;
    try {
      const ds = await fetchDataset(session.id);
      if (!alive || loadingKey !== key) return;
      const X = ds.X;
      const Y = ds.Y;
      let lo = Infinity;
      let hi = -Infinity;
      for (const row of Y) for (const v of row) { if (v < lo) lo = v; if (v > hi) hi = v; }
      if (!(hi > lo)) { lo = Math.min(lo, 0); hi = Math.max(hi, 1); }
      const bounds = dataBounds(X);
      // the server builds the same grid as gridPoints(): a 100-byte request instead of 60 kB
      const grid = { x1: [bounds.x0, bounds.x1], x2: [bounds.y0, bounds.y1], n: GRID };
      const test = Array.isArray(ds.split) ? ds.split.map((part) => part === 'test') : X.map(() => false);
      data = { key, X, Y, bounds, lo, hi, task: ds.task, name: ds.name, label: ds.label ?? ds.name, grid, test };
      pred = null;
      publishGrid({ key, grid });
      request();
    } catch (err) {
      if (alive && loadingKey === key) show(`Could not load the dataset (${err.message}).`);
    } finally {
      if (loadingKey === key) loadingKey = null;
    }
  }

  // throttled /predict: one in flight, ≥ MIN_INTERVAL_MS apart, the last change always served
  function request() {
    if (inFlight) { pending = true; return; }
    const wait = lastRequest + MIN_INTERVAL_MS - Date.now();
    if (wait > 0) {
      if (!timer) timer = setTimeout(() => { timer = 0; request(); }, wait);
      return;
    }
    const session = getState().session;
    if (!data || !session || datasetKey(session) !== data.key) return;
    if (drawnFor === session && pred) return; // already drawn (a step brought it)
    inFlight = true;
    pending = false;
    lastRequest = Date.now();
    const key = data.key;
    const seq = ++asked;
    predictGrid(session.id, data.grid)
      .then((res) => {
        if (!alive || !data || data.key !== key || seq < drawnSeq) return;
        drawnSeq = seq;
        drawnFor = session;
        pred = { key, Y: res.Y, step: session.step };
        draw();
      })
      .catch((err) => {
        if (alive) show(`Could not compute the heatmap (${err.message}).`);
      })
      .finally(() => {
        inFlight = false;
        if (alive && pending) request();
      });
  }

  function draw() {
    if (!data) return;
    show(null);
    const step = pred ? String(pred.step) : '';
    if (canvas.dataset.step !== step) canvas.dataset.step = step;
    const grid = JSON.stringify(data.grid);
    if (canvas.dataset.grid !== grid) canvas.dataset.grid = grid;
    const n = GRID;
    const width = resize ? boxWidth : container.clientWidth;
    const size = Math.round(Math.max(160, Math.min(420, width || 320)) * (globalThis.devicePixelRatio || 1));
    if (canvas.width !== size) { canvas.width = size; canvas.height = size; }
    const ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, size, size);
    const st = getState();
    const multiOut = data.Y[0] && data.Y[0].length > 1;
    const unit = unitShown(st);
    const multi = multiOut && !unit;
    const disc = !!st.settings.discretize;
    let lo = data.lo;
    let hi = data.hi;
    let values = null; // one unit's activations
    if (unit) {
      values = st.unitGrid.units[unit.layer - 1][unit.unit - 1];
      [lo, hi] = unitRange(values);
    }
    const showsKey = unit ? `unit-${unit.layer}-${unit.unit}` : 'output';
    if (canvas.dataset.shows !== showsKey) canvas.dataset.shows = showsKey;
    const rangeText = JSON.stringify([lo, hi]);
    if (canvas.dataset.range !== rangeText) canvas.dataset.range = rangeText;
    if (discretize.checked !== disc) discretize.checked = disc;
    const sizes = st.session.network.layers;
    const what = unit
      ? `hidden unit ${labelUnicode(unitLabel(sizes, unit.layer, unit.unit))} (its activation; hover off for y)`
      : `output ${labelUnicode(unitLabel(sizes, sizes.length - 1, 1)).replace(/[₀-₉]+$/, '')}`;
    const showsText = `showing: ${what}${disc ? ', discretized' : ''}`;
    if (shows.textContent !== showsText) shows.textContent = showsText;
    if (pred || unit) {
      if (!cells) {
        cells = document.createElement('canvas');
        cells.width = n;
        cells.height = n;
      }
      const cctx = cells.getContext('2d');
      const img = cctx.createImageData(n, n);
      const px = img.data;
      for (let i = 0; i < n * n; i += 1) {
        const row = unit ? [values[i]] : (pred.Y[i] || []);
        if (multi) {
          let best = 0;
          for (let k = 1; k < row.length; k += 1) if (row[k] > row[best]) best = k;
          const conf = row.length > 1 ? Math.min(1, Math.max(0, (row[best] - 1 / row.length) / (1 - 1 / row.length))) : 1;
          const base = CLASSES[best % CLASSES.length];
          const strength = disc ? 0.85 : 0.25 + 0.6 * conf;
          for (let k = 0; k < 3; k += 1) px[i * 4 + k] = Math.round(255 - (255 - base[k]) * strength);
        } else {
          const t = (row[0] - lo) / (hi - lo);
          divergingInto(disc ? (t > 0.5 ? 1 : 0) : t, px, i * 4);
        }
        px[i * 4 + 3] = 255;
      }
      cctx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = !disc; // two colours stay two colours
      ctx.drawImage(cells, 0, 0, size, size);
    }
    // data points on top
    const { x0, x1, y0, y1 } = data.bounds;
    const r = Math.max(2.5, size / 110);
    ctx.lineWidth = Math.max(1, size / 300);
    ctx.strokeStyle = '#111';
    for (let i = 0; i < data.X.length; i += 1) {
      const [a, b] = data.X[i];
      const px = ((a - x0) / (x1 - x0)) * size;
      const py = ((y1 - b) / (y1 - y0)) * size;
      const t = data.Y[i];
      let cls;
      let rgb;
      if (multi) {
        cls = t.indexOf(Math.max(...t));
        rgb = CLASSES[cls % CLASSES.length];
      } else {
        const u = (t[0] - data.lo) / (data.hi - data.lo);
        cls = u >= 0.5 ? 1 : 0;
        rgb = data.task === 'classification' ? diverging(cls) : diverging(u);
      }
      const colour = `rgb(${rgb.join(',')})`;
      ctx.beginPath();
      if (cls % 2 === 1) ctx.rect(px - r, py - r, 2 * r, 2 * r);
      else ctx.arc(px, py, r, 0, 2 * Math.PI);
      if (data.test[i]) {
        // a test point: hollow, its class colour as a thick ring inside a dark one
        ctx.lineWidth = Math.max(1, size / 300) * 3.5;
        ctx.strokeStyle = '#111';
        ctx.stroke();
        ctx.lineWidth = Math.max(1, size / 300) * 1.8;
        ctx.strokeStyle = colour;
        ctx.stroke();
        ctx.lineWidth = Math.max(1, size / 300);
        ctx.strokeStyle = '#111';
      } else {
        ctx.fillStyle = colour;
        ctx.fill();
        ctx.stroke();
      }
    }
    const legendKey = `${showsKey}|${rangeText}|${disc}`;
    if (legendFor !== data || legendDrawn !== legendKey) {
      legendFor = data;
      legendDrawn = legendKey;
      canvas.setAttribute('aria-label', `Network output over x1 from ${formatNumber(x0)} to ${formatNumber(x1)} and x2 from ${formatNumber(y0)} to ${formatNumber(y1)}, with ${data.X.length} data points`);
      drawLegend(multi, lo, hi, unit);
    }
  }

  function drawLegend(multi, lo, hi, unit) {
    legend.replaceChildren();
    if (multi) {
      const k = data.Y[0].length;
      for (let c = 0; c < k; c += 1) {
        const sw = document.createElement('span');
        sw.style.cssText = `display:inline-block;width:1em;height:1em;border:1px solid #111;background:rgb(${CLASSES[c % CLASSES.length].join(',')})`;
        legend.append(sw, ` class ${c + 1} `);
      }
      legend.append('(paler = less sure)');
    } else {
      const bar = document.createElement('span');
      const stops = STOPS.map((s, i) => `rgb(${s.join(',')}) ${(i / (STOPS.length - 1)) * 100}%`).join(',');
      bar.style.cssText = `display:inline-block;width:8em;height:.9em;border:1px solid #111;background:linear-gradient(to right,${stops})`;
      const sizes = getState().session.network.layers;
      const name = unit ? labelUnicode(unitLabel(sizes, unit.layer, unit.unit)) : 'output y';
      if (getState().settings.discretize) {
        const swatch = (t) => {
          const sw = document.createElement('span');
          sw.style.cssText = `display:inline-block;width:1em;height:1em;border:1px solid #111;background:rgb(${diverging(t).join(',')})`;
          return sw;
        };
        legend.append(swatch(0), ` ${name} ≤ ${formatNumber((lo + hi) / 2)} `, swatch(1), ` above`);
      } else {
        legend.append(`${name}: ${formatNumber(lo)}`, bar, `${formatNumber(hi)}`);
      }
    }
    if (data.test.some(Boolean)) {
      const n = data.test.filter(Boolean).length;
      legend.append(` · filled: ${data.X.length - n} training points, hollow: ${n} test points`);
    }
    const range = document.createElement('span');
    range.style.flexBasis = '100%';
    range.textContent = `${data.label}: x1 → ${formatNumber(data.bounds.x0)} … ${formatNumber(data.bounds.x1)}, x2 ↑ ${formatNumber(data.bounds.y0)} … ${formatNumber(data.bounds.y1)}`;
    legend.append(range);
  }

  function update(state, previous) {
    const session = state.session;
    if (previous && session === previous.session && data && (state.unitView !== previous.unitView
        || state.unitGrid !== previous.unitGrid || state.settings.discretize !== previous.settings.discretize)) {
      if (state.settings.discretize !== previous.settings.discretize) legendDrawn = '';
      if (pred || unitShown(state)) draw();
      return;
    }
    const reason = hiddenReason(session);
    if (reason) {
      data = null;
      pred = null;
      publishGrid(null);
      show(reason);
      return;
    }
    const key = datasetKey(session);
    if (!data || data.key !== key) {
      if (loadingKey !== key) {
        data = null;
        publishGrid(null);
        show('Loading the dataset…');
        loadDataset(session, key);
      }
      return;
    }
    if (!previous || session !== previous.session) {
      // a step that brought this session's outputs on our grid along: no request
      const given = state.prediction;
      if (given && given.session === session && given.key === data.key && Array.isArray(given.Y)) {
        drawnSeq = ++asked;
        drawnFor = session;
        pred = { key: data.key, Y: given.Y, step: session.step };
        draw();
        return;
      }
      request();
    }
  }

  const unsubscribe = subscribe(update);
  update(getState(), null);
  return () => {
    alive = false;
    unsubscribe();
    if (timer) clearTimeout(timer);
    if (resize) resize.disconnect();
    if (fit) fit.disconnect();
    publishGrid(null);
    container.replaceChildren();
  };
}
