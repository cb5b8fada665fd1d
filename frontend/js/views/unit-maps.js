// views/unit-maps.js — every unit's own activation over the input plane (playground's neuron maps).
//
//   mountUnitMaps(networkContainer) → unmount()
//
// One request serves every unit: POST /predict {grid, units: true} on the heatmap's grid
// (state.heatmapGrid), for the weights on screen; the answer is published as state.unitGrid =
// {key, weights, units} (units[l][j][p]: activation of unit j + 1 of non-input layer l + 1 at
// grid point p) and asked again only when the weights change (it is cached per weights
// version: the session's weights array), at most one request in flight and, while training,
// one every 200 ms. A Step needs none: it asks /step for the same grids (grid_units) and
// publishes them with the step's weights when the animation reaches the update (controls.js),
// so they are already fresh here.
// - Hovering a hidden unit in the network view, or selecting one, publishes state.unitView =
//   {layer, unit}: views/heatmap.js then draws that unit's activation (the hover wins; leaving
//   it goes back to the selection, else the output).
// - Networks of at most MAX_THUMB_UNITS units in every layer get a thumbnail of each hidden and
//   output unit's map inside its circle (an SVG image under the unit's name; the drawing is
//   rebuilt by views/network.js, which tells us so with a "bp-network-built" event).
// Only for 2-input networks with a dataset (where the heatmap is drawn).
//
// Test hooks: data-testid="unit-map-<layer>-<unit>" on each thumbnail (data-step: the session
// step it shows).
import { getState, setState, subscribe } from '../state.js';
import { predictUnits } from '../api.js';
import { divergingInto, GRID, unitRange } from './heatmap.js';
import { thumbnailsFor, unitGridsWanted } from '../unit-grids.js';

const MIN_INTERVAL_MS = 200;
const SVG = 'http://www.w3.org/2000/svg';

function unitOf(node) {
  const g = node?.closest?.('g.unit.hidden');
  const m = g && /^unit-(\d+)-(\d+)$/.exec(g.dataset.testid ?? '');
  return m ? { layer: Number(m[1]), unit: Number(m[2]) } : null;
}

const same = (a, b) => (a === b) || (!!a && !!b && a.layer === b.layer && a.unit === b.unit);

export function mountUnitMaps(container) {
  let hover = null;
  let inFlight = false;
  let lastRequest = 0;
  let timer = 0;
  let alive = true;

  function fresh(st) {
    const g = st.unitGrid;
    return !!g && g.key === st.heatmapGrid?.key && g.weights === st.session.weights;
  }

  // one request in flight, ≥ MIN_INTERVAL_MS apart while training, always ending on the latest weights
  function request() {
    const st = getState();
    if (!alive || inFlight || !unitGridsWanted(st) || fresh(st)) return;
    const wait = st.training ? lastRequest + MIN_INTERVAL_MS - Date.now() : 0;
    if (wait > 0) {
      if (!timer) timer = setTimeout(() => { timer = 0; request(); }, wait);
      return;
    }
    const { session, heatmapGrid } = st;
    inFlight = true;
    lastRequest = Date.now();
    predictUnits(session.id, heatmapGrid.grid)
      .then((res) => {
        const now = getState();
        if (!alive || now.session?.id !== session.id || now.heatmapGrid?.key !== heatmapGrid.key) return;
        if (fresh(now)) return; // a step brought the newer weights' grids meanwhile
        setState({ unitGrid: { key: heatmapGrid.key, weights: session.weights, step: session.step, units: res.units } });
      })
      .catch(() => {}) // the heatmap says what failed; the maps just stay as they were
      .finally(() => {
        inFlight = false;
        if (alive) request();
      });
  }

  function publishView() {
    const st = getState();
    const sel = st.selection;
    const n = st.session ? st.session.network.layers.length - 1 : 0;
    const selected = sel?.kind === 'unit' && sel.layer > 0 && sel.layer < n ? { layer: sel.layer, unit: sel.unit } : null;
    const view = hover ?? selected;
    if (!same(view, st.unitView)) setState({ unitView: view });
  }

  const onOver = (ev) => {
    const u = unitOf(ev.target);
    if (same(u, hover)) return;
    hover = u;
    publishView();
  };
  const onLeave = () => {
    if (!hover) return;
    hover = null;
    publishView();
  };
  container.addEventListener('pointerover', onOver);
  container.addEventListener('pointerleave', onLeave);

  // ------------------------------------------------------------ thumbnails
  const cells = document.createElement('canvas');
  cells.width = GRID;
  cells.height = GRID;
  const images = new Map(); // "l-u" → SVG image
  let painted = null; // the unitGrid drawn

  function paintThumbnails() {
    const st = getState();
    const svg = container.querySelector('svg.network');
    const g = st.unitGrid;
    // (the last maps stay until the new weights' arrive: no flicker while training)
    const on = !!svg && !!g && st.session && thumbnailsFor(st.session.network.layers) && g.key === st.heatmapGrid?.key;
    if (!on) {
      for (const img of images.values()) img.remove();
      images.clear();
      painted = null;
      return;
    }
    if (painted === g && [...images.values()].every((img) => img.isConnected)) return;
    painted = g;
    const ctx = cells.getContext('2d');
    const disc = !!st.settings.discretize;
    g.units.forEach((layer, l) => {
      layer.forEach((values, j) => {
        const id = `${l + 1}-${j + 1}`;
        const unit = svg.querySelector(`[data-testid="unit-${id}"]`);
        const circle = unit?.querySelector('circle.unit-circle');
        if (!circle) return;
        const [lo, hi] = unitRange(values);
        const img = ctx.createImageData(GRID, GRID);
        for (let p = 0; p < values.length; p += 1) {
          const t = (values[p] - lo) / (hi - lo);
          divergingInto(disc ? (t > 0.5 ? 1 : 0) : t, img.data, p * 4);
          img.data[p * 4 + 3] = 255;
        }
        ctx.putImageData(img, 0, 0);
        let image = images.get(id);
        if (!image || !image.isConnected) {
          image = document.createElementNS(SVG, 'image');
          image.setAttribute('class', 'unit-map');
          image.setAttribute('data-testid', `unit-map-${id}`);
          image.setAttribute('preserveAspectRatio', 'none');
          image.style.cssText = 'pointer-events:none;clip-path:circle(50%);opacity:.7';
          circle.after(image);
          images.set(id, image);
        }
        const r = Number(circle.getAttribute('r')) - 1.5;
        image.setAttribute('x', String(Number(circle.getAttribute('cx')) - r));
        image.setAttribute('y', String(Number(circle.getAttribute('cy')) - r));
        image.setAttribute('width', String(2 * r));
        image.setAttribute('height', String(2 * r));
        image.setAttribute('href', cells.toDataURL());
        image.dataset.step = String(g.step);
      });
    });
  }
  const onBuilt = () => {
    painted = null;
    paintThumbnails();
  };
  container.addEventListener('bp-network-built', onBuilt);

  const unsubscribe = subscribe((s, prev) => {
    if (s.session?.id !== prev.session?.id) hover = null;
    if (s.selection !== prev.selection || s.session !== prev.session) publishView();
    if (s.session !== prev.session || s.heatmapGrid !== prev.heatmapGrid || s.unitView !== prev.unitView
        || s.training !== prev.training) request();
    if (s.unitGrid !== prev.unitGrid || s.session !== prev.session || s.settings.discretize !== prev.settings.discretize) {
      if (s.settings.discretize !== prev.settings.discretize) painted = null;
      paintThumbnails();
    }
  });
  request();
  return () => {
    alive = false;
    unsubscribe();
    if (timer) clearTimeout(timer);
    container.removeEventListener('pointerover', onOver);
    container.removeEventListener('pointerleave', onLeave);
    container.removeEventListener('bp-network-built', onBuilt);
    for (const img of images.values()) img.remove();
  };
}
