// views/heatmap.js — the network's output over the input plane, with the data points.
//
//   mountHeatmap(container) → unmount()
//
// For a session with 2 inputs and a dataset: fetches GET /api/sessions/{id}/dataset once per
// session (and dataset), then POST /api/sessions/{id}/predict on a 40×40 grid over the data's
// range (+10 %) after every change of the session's weights — at most one request in flight and
// at most one every 200 ms while training, always ending on the latest weights. One output is
// drawn on a colour-blind-safe diverging palette (purple ↔ white ↔ orange, centred between the
// smallest and largest target); several outputs (one-hot classes) show the winning class, paler
// where the network is less sure. Data points sit on top (class 0 circles, class 1 squares).
// For other networks the panel says why it is hidden.
//
// Pure helpers (exported for tests): gridPoints(bounds, n) (the grid /predict {grid} builds), diverging(t) → [r, g, b],
// dataBounds(X, pad).
//
// Test hooks: data-testid="heatmap-canvas", "heatmap-hidden", "heatmap-legend".
import { getState, subscribe } from '../state.js';
import { dataset as fetchDataset, predictGrid } from '../api.js';
import { formatNumber } from '../format.js';

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
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0.5)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(u));
  const f = u - i;
  return STOPS[i].map((c, k) => Math.round(c + (STOPS[i + 1][k] - c) * f));
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
  canvas.style.cssText = 'width:100%;max-width:420px;aspect-ratio:1/1;display:block;border:1px solid currentColor';
  const legend = document.createElement('div');
  legend.dataset.testid = 'heatmap-legend';
  legend.style.cssText = 'font-size:.85em;margin-top:.3em;display:flex;gap:.5em;align-items:center;flex-wrap:wrap';
  container.replaceChildren(message, canvas, legend);

  let data = null; // {key, X, Y, bounds, lo, hi, task}
  let loadingKey = null;
  let pred = null; // {key, Y}
  let inFlight = false;
  let pending = false;
  let lastRequest = 0;
  let timer = 0;
  let alive = true;

  function show(reason) {
    message.textContent = reason || '';
    message.hidden = !reason;
    canvas.hidden = !!reason;
    legend.hidden = !!reason;
  }

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
      data = { key, X, Y, bounds, lo, hi, task: ds.task, name: ds.name };
      pred = null;
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
    inFlight = true;
    pending = false;
    lastRequest = Date.now();
    const key = data.key;
    // the server builds the same grid as gridPoints(): a 100-byte request instead of 60 kB
    predictGrid(session.id, { x1: [data.bounds.x0, data.bounds.x1], x2: [data.bounds.y0, data.bounds.y1], n: GRID })
      .then((res) => {
        if (!alive || !data || data.key !== key) return;
        pred = { key, Y: res.Y };
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
    const n = GRID;
    const size = Math.round(Math.max(160, Math.min(420, container.clientWidth || 320)) * (globalThis.devicePixelRatio || 1));
    if (canvas.width !== size) { canvas.width = size; canvas.height = size; }
    const ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, size, size);
    const multi = data.Y[0] && data.Y[0].length > 1;
    if (pred) {
      const cells = document.createElement('canvas');
      cells.width = n;
      cells.height = n;
      const cctx = cells.getContext('2d');
      const img = cctx.createImageData(n, n);
      for (let i = 0; i < n * n; i += 1) {
        const row = pred.Y[i] || [];
        let rgb;
        if (multi) {
          let best = 0;
          for (let k = 1; k < row.length; k += 1) if (row[k] > row[best]) best = k;
          const conf = row.length > 1 ? Math.min(1, Math.max(0, (row[best] - 1 / row.length) / (1 - 1 / row.length))) : 1;
          const base = CLASSES[best % CLASSES.length];
          rgb = base.map((c) => Math.round(255 - (255 - c) * (0.25 + 0.6 * conf)));
        } else {
          rgb = diverging((row[0] - data.lo) / (data.hi - data.lo));
        }
        img.data.set([rgb[0], rgb[1], rgb[2], 255], i * 4);
      }
      cctx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = true;
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
      ctx.fillStyle = `rgb(${rgb.join(',')})`;
      ctx.beginPath();
      if (cls % 2 === 1) ctx.rect(px - r, py - r, 2 * r, 2 * r);
      else ctx.arc(px, py, r, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    canvas.setAttribute('aria-label', `Network output over x1 from ${formatNumber(x0)} to ${formatNumber(x1)} and x2 from ${formatNumber(y0)} to ${formatNumber(y1)}, with ${data.X.length} data points`);
    drawLegend(multi);
  }

  function drawLegend(multi) {
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
      legend.append(`output y: ${formatNumber(data.lo)}`, bar, `${formatNumber(data.hi)}`);
    }
    const range = document.createElement('span');
    range.style.flexBasis = '100%';
    range.textContent = `x1 → ${formatNumber(data.bounds.x0)} … ${formatNumber(data.bounds.x1)}, x2 ↑ ${formatNumber(data.bounds.y0)} … ${formatNumber(data.bounds.y1)}`;
    legend.append(range);
  }

  function update(state, previous) {
    const session = state.session;
    const reason = hiddenReason(session);
    if (reason) {
      data = null;
      pred = null;
      show(reason);
      return;
    }
    const key = datasetKey(session);
    if (!data || data.key !== key) {
      if (loadingKey !== key) {
        data = null;
        show('Loading the dataset…');
        loadDataset(session, key);
      }
      return;
    }
    if (!previous || session !== previous.session) request();
  }

  const unsubscribe = subscribe(update);
  update(getState(), null);
  return () => {
    alive = false;
    unsubscribe();
    if (timer) clearTimeout(timer);
    container.replaceChildren();
  };
}
