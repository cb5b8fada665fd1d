// The SVG network view: units, bias nodes, edges and the values of the
// current trace up to the current phase. Reads state.js only; a click sets
// the selection through controls.js's select().
import { getState, subscribe } from '../state.js';
import {
  computeLayout, pickEdge, placeBoxes, unitCandidates, edgeCandidates, leaderCandidates, anywhereCandidates, midpoint,
  visibleUnits, tableCapacity, tableBand, tableCellCentre, PICK_RADIUS, PICK_TIE,
} from '../layout.js';
import { notation } from '../notation.js';
import { buildPhases, forwardOf, traceKind, visibility } from '../timeline.js';
import { formatNumber, unitLabel, weightLabel, labelUnicode, labelText, layerName } from '../format.js';
import { select } from '../controls.js';

const SVG = 'http://www.w3.org/2000/svg';
const TRAIN_REDRAW_MS = 200;
// Edges between two layers: up to FULL_EDGES (and ≤ 3 units a side) get the
// full three-line label (w → w', ∂L/∂w, the update's arithmetic); up to
// COMPACT_EDGES (and ≤ 5 units a side) a one-line label with the phase's value; more
// (7 × 6, 17 × 16: dense layers)
// only on the selected unit's edges, the selected, hovered or focused edge.
const FULL_EDGES = 12;
const COMPACT_EDGES = 30;
// Tab stops: every unit and edge while there are at most this many, else the
// units only (edges by arrow keys from there).
const MAX_TAB_STOPS = 200;
const COMPACT_FONT = 12;
// A change of the view's box below this share of its size keeps the drawing (see resized()).
const RESIZE_SLACK = 0.1;

function el(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// Append a lecture label (base, subscript, superscript) as tspans to `text`;
// returns the vertical offset the next tspan must undo.
function appendLabel(text, label, size) {
  text.append(el('tspan', { class: 'lbl-base' }, label.base));
  let shift = 0;
  if (label.sub) {
    text.append(el('tspan', { class: 'lbl-sub', dy: (0.28 * size).toFixed(2), 'font-size': (0.72 * size).toFixed(2) }, label.sub));
    shift += 0.28 * size;
  }
  if (label.sup) {
    const dy = -(shift + 0.42 * size);
    text.append(el('tspan', { class: 'lbl-sup', dy: dy.toFixed(2), 'font-size': (0.72 * size).toFixed(2) }, label.sup));
    shift += dy;
  }
  return -shift;
}

function valueSpan(role, resetDy = 0) {
  return el('tspan', { 'data-role': role, dy: resetDy ? resetDy.toFixed(2) : null });
}

// A node's CSS font (not style.font: that shorthand is empty when
// font-variant-numeric is set).
function fontOf(node) {
  const st = getComputedStyle(node);
  return `${st.fontStyle} ${st.fontWeight} ${st.fontSize} ${st.fontFamily}`;
}

// The one-line labels' two fonts (name, number), read once from a probe in `parent`.
function probeFonts(parent) {
  const prefix = el('tspan', { class: 'op' }, 'z = ');
  const value = el('tspan', { 'data-role': 'value' }, '0.5');
  const probe = el('g', { class: 'compact-label label' }, el('text', { class: 'compact-text' }, prefix, value));
  parent.append(probe);
  const fonts = [fontOf(prefix), fontOf(value)];
  probe.remove();
  return fonts;
}

function weightAt(weights, layer, from, to) {
  const w = weights?.[layer - 1];
  if (!w) return null;
  return from === 0 ? w.b[to - 1] : w.W[from - 1][to - 1];
}

function beforeAfter(update, layer, from, to) {
  const u = update?.[layer - 1];
  if (!u) return [null, null];
  return from === 0
    ? [u.b_before[to - 1], u.b_after[to - 1]]
    : [u.W_before[from - 1][to - 1], u.W_after[from - 1][to - 1]];
}

function gradAt(grads, layer, from, to) {
  const g = grads?.[layer - 1];
  if (!g) return null;
  return from === 0 ? g.dL_db[to - 1] : g.dL_dW[from - 1][to - 1];
}

export function mountNetwork(container) {
  const svg = el('svg', {
    class: 'network', 'data-testid': 'network', role: 'group',
    'aria-label': 'Network diagram: Tab or the arrow keys move between units and weights, Enter shows the chain rule',
  });
  container.append(svg);
  let built = null; // {key, layout, units: Map, edges: Map, loss, sizes}

  // The container's size, kept by the observer: reading clientWidth in
  // render() would force a layout of the whole page on every update.
  let size = { width: 0, height: 0 };
  const ro = new ResizeObserver((entries) => {
    const rect = entries[entries.length - 1].contentRect;
    size = { width: rect.width, height: rect.height };
    render();
  });
  ro.observe(container);
  // One redraw per burst of state changes: a step sets the session, then the
  // trace, then the phase in one go; they are drawn once, in a microtask
  // (still before the next frame, so nothing waits a frame for it).
  let queued = false;
  function schedule() {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      render();
    });
  }
  // While training, the weights change with every chunk: draw them at most
  // once per frame. For dense nets a redraw re-rasters thousands of edges, so
  // they are drawn at most once per TRAIN_REDRAW_MS, and no more often than
  // leaves the browser three quarters of its time for the other panels
  // (trainCost: how long the frames after the last redraw took).
  let frameQueued = false;
  let lastTrainDraw = 0;
  let trainCost = 0;
  function scheduleTraining() {
    if (frameQueued) return;
    frameQueued = true;
    const draw = () => requestAnimationFrame(() => {
      frameQueued = false;
      const start = performance.now();
      lastTrainDraw = start;
      render();
      requestAnimationFrame(() => requestAnimationFrame(() => { trainCost = performance.now() - start; }));
    });
    const wait = built?.dense ? lastTrainDraw + Math.max(TRAIN_REDRAW_MS, 4 * trainCost) - performance.now() : 0;
    if (wait > 0) setTimeout(draw, wait);
    else draw();
  }
  subscribe((s, prev) => {
    if (s.session !== prev.session || s.trace !== prev.trace || s.phaseIndex !== prev.phaseIndex
        || s.selection !== prev.selection || s.settings !== prev.settings || s.phases !== prev.phases
        || s.training !== prev.training) {
      if (s.training && prev.training) scheduleTraining();
      else schedule();
    }
  });

  // ------------------------------------------------------------ pointer and keyboard
  //
  // A click (or hover) on the drawing means the edge layout.js pickEdge()
  // finds at that point: at an edge's midpoint always that edge, elsewhere
  // the nearest line. The point is the pointerdown's (fractional) position:
  // a click event's is rounded to whole pixels.
  let hotEdge = null;
  function setHot(ref, on) {
    if (ref.hot === on) return;
    ref.hot = on;
    ref.group.classList.toggle('hot', on);
    schedule();
  }
  function toDrawing(clientX, clientY) {
    const m = svg.getScreenCTM();
    if (!m) return null;
    const p = new DOMPoint(clientX, clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y, scale: m.a || 1 };
  }
  function edgeAt(clientX, clientY) {
    if (!built) return null;
    const p = toDrawing(clientX, clientY);
    if (!p) return null;
    const e = pickEdge(built.layout.edges, p, PICK_RADIUS / p.scale, PICK_TIE / p.scale);
    return e ? built.edges.get(`${e.layer}-${e.from}-${e.to}`) : null;
  }
  let down = null;
  svg.addEventListener('pointerdown', (ev) => { down = { x: ev.clientX, y: ev.clientY }; });
  svg.addEventListener('click', (ev) => {
    const exact = down && Math.abs(down.x - ev.clientX) < 1 && Math.abs(down.y - ev.clientY) < 1 ? down : { x: ev.clientX, y: ev.clientY };
    down = null;
    const ref = edgeAt(exact.x, exact.y);
    if (ref) ref.select();
    else select(null);
  });
  let hoverAt = null;
  svg.addEventListener('pointermove', (ev) => {
    const first = hoverAt === null;
    hoverAt = { x: ev.clientX, y: ev.clientY, onUnit: !!ev.target.closest?.('.unit, .label') };
    if (!first) return;
    requestAnimationFrame(() => {
      const at = hoverAt;
      hoverAt = null;
      if (!at) return;
      const ref = at.onUnit ? null : edgeAt(at.x, at.y);
      if (ref === hotEdge) return;
      if (hotEdge) setHot(hotEdge, false);
      hotEdge = ref;
      if (ref) setHot(ref, true);
    });
  });
  svg.addEventListener('pointerleave', () => {
    hoverAt = null;
    if (hotEdge) setHot(hotEdge, false);
    hotEdge = null;
  });
  // Keyboard: units and edges are buttons (Tab stops while there are at most
  // MAX_TAB_STOPS, see build); the arrow keys walk built.order (input units,
  // then each unit after its incoming edges); Enter or Space
  // selects, as a click does. A focused item shows its label (hot).
  const refOf = (node) => {
    const id = node?.closest?.('.unit, .edge')?.dataset.testid;
    if (!id || !built) return null;
    return id.startsWith('edge-') ? built.edges.get(id.slice(5)) : built.units.get(id.slice(5));
  };
  svg.addEventListener('keydown', (ev) => {
    const ref = refOf(ev.target);
    if (!ref || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const order = built.order;
    const i = order.indexOf(ref);
    let next = null;
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      ev.stopPropagation();
      ref.select();
      return;
    }
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowRight') next = order[Math.min(order.length - 1, i + 1)];
    else if (ev.key === 'ArrowUp' || ev.key === 'ArrowLeft') next = order[Math.max(0, i - 1)];
    else if (ev.key === 'Home') next = order[0];
    else if (ev.key === 'End') next = order[order.length - 1];
    if (!next) return;
    ev.preventDefault();
    ev.stopPropagation();
    next.group.focus();
  });
  svg.addEventListener('focusin', (ev) => { const ref = refOf(ev.target); if (ref) setHot(ref, true); });
  svg.addEventListener('focusout', (ev) => { const ref = refOf(ev.target); if (ref) setHot(ref, false); });

  // Scale of the drawing: the 2-2-1 network needs about 900 × 540 units to
  // show every label; a larger box (projector, big screens) enlarges the type.
  // Layers of more than 5 units get 0.72 of that (more room for their
  // numbers between the columns, at 10–11 px type on a laptop screen).
  function zoomFor(width, height, projector, dense) {
    const fit = Math.min(width / 900, height / 540) * (dense ? 0.72 : 1);
    return Math.max(0.75, Math.min(projector ? 2.4 : 1.1, fit));
  }

  function build(sizes, width, height, projector) {
    const zoom = zoomFor(width, height, projector, Math.max(...sizes) > 5);
    const box = { width: width / zoom, height: height / zoom };
    const font = 14;
    const lineH = font * 1.3;
    svg.setAttribute('viewBox', `0 0 ${box.width.toFixed(1)} ${box.height.toFixed(1)}`);
    svg.replaceChildren();
    svg.style.setProperty('--font', `${font}px`);

    const gEdges = el('g', { class: 'edges' });
    const gFlows = el('g', { class: 'flows' });
    const gEdgeLabels = el('g', { class: 'edge-labels' });
    const gLeaders = el('g', { class: 'leaders' });
    const gUnits = el('g', { class: 'units' });
    const gVals = el('g', { class: 'unit-values' });
    const gTable = el('g', { class: 'phase-table', 'data-testid': 'phase-table' });
    const gTop = el('g', { class: 'top' });
    svg.append(gEdges, gFlows, gLeaders, gEdgeLabels, gUnits, gVals, gTable, gTop);
    // the one-line labels' two fonts, for measuring them without a layout
    const compactFonts = probeFonts(gVals);

    // Room under the lowest unit for its values box (unless the layers are dense).
    const maxShown = Math.max(...sizes.map((v) => visibleUnits(v)));
    const valuesRoom = maxShown <= 5 ? 2 * lineH + 12 : lineH + 12;
    // Dense layers: the phase table's band at the bottom (see tableEntries).
    const table = maxShown > 5 ? phaseTableBand(sizes, box.width, compactFonts) : null;
    const layout = computeLayout(sizes, box, {
      padding: {
        top: maxShown <= 5 ? 12 : lineH + 12, bottom: valuesRoom + (table ? table.height : 0),
        left: maxShown <= 5 ? 64 : 44, right: maxShown <= 5 ? 185 : 175,
      },
      maxRadius: 26,
    });
    if (table) {
      table.top = box.height - table.height;
      gTable.append(
        el('line', { class: 'table-rule', x1: 4, x2: box.width - 4, y1: table.top + 1, y2: table.top + 1 }),
        table.hint = el('text', { class: 'table-hint', x: 8, y: table.top + table.pad + table.cell.h / 2 },
          'select a unit: its weights are listed here'),
      );
    }

    const n = sizes.length - 1;
    const r = layout.radius;
    const edgesPerLayer = sizes.slice(1).map((size, i) => Math.min(size, 16) * (Math.min(sizes[i], 16) + 1));
    // How each pair of layers labels its edges (see FULL_EDGES).
    const pairMode = [null, ...edgesPerLayer.map((count, i) => {
      if (count <= FULL_EDGES && Math.min(sizes[i], 16) <= 3 && Math.min(sizes[i + 1], 16) <= 3) return 'full';
      return count <= COMPACT_EDGES && Math.max(sizes[i], sizes[i + 1]) <= 5 ? 'compact' : 'dense';
    })];
    const denseEdges = pairMode.some((m) => m && m !== 'full');
    const maxEdgeWidth = Math.max(1.5, Math.min(7, 7 * Math.sqrt(12 / Math.max(...edgesPerLayer))));
    svg.classList.toggle('dense-net', denseEdges);
    const denseUnits = maxShown > 5 || layout.rowGap < 2 * r + 3 * lineH + 24;
    const edgeFont = 13;

    // What no label may cover: units, bias nodes, "… more" markers, the loss
    // box, and every edge's midpoint (its click spot; an edge's own label may).
    const obstacles = [];
    for (const layer of layout.layers) {
      for (const u of layer.units) obstacles.push({ x: u.x - r - 1, y: u.y - r - 1, w: 2 * r + 2, h: 2 * r + 2 });
      if (layer.bias) {
        const br = Math.max(9, r * 0.55) + 1;
        obstacles.push({ x: layer.bias.x - br, y: layer.bias.y - br, w: 2 * br, h: 2 * br });
      }
      if (layer.more) obstacles.push({ x: layer.more.x - 40, y: layer.more.y - 9, w: 80, h: 18 });
    }
    if (table) obstacles.push({ x: 0, y: table.top, w: box.width, h: table.height });
    for (const e of layout.edges) {
      const m = midpoint(e);
      obstacles.push({ x: m.x - 2, y: m.y - 2, w: 4, h: 4, owner: `${e.layer}-${e.from}-${e.to}`, midpoint: true });
    }

    const makeLabel = (ref) => {
      const line1 = el('text', { class: 'edge-text', x: 0, y: -2 });
      const reset = appendLabel(line1, ref.label, edgeFont);
      const eq = el('tspan', { dy: reset.toFixed(2), class: 'op' }, ' = ');
      const wSpan = valueSpan('w');
      const arrow = el('tspan', { class: 'op arrow' }, ' → ');
      const afterSpan = valueSpan('w_after');
      line1.append(eq, wSpan, arrow, afterSpan);
      const line2 = el('text', { class: 'edge-text line2', x: 0, y: 1.2 * edgeFont });
      const gradSpan = valueSpan('dL_dW');
      line2.append(el('tspan', { class: 'op' }, '∂L/∂w = '), gradSpan);
      const line3 = el('text', { class: 'edge-text line3', x: 0, y: 1.2 * edgeFont });
      const arithmetic = el('tspan', { 'data-role': 'arithmetic' });
      line3.append(arithmetic);
      const bg = el('rect', { class: 'edge-label-bg', rx: 4 });
      const labelGroup = el('g', {
        class: 'edge-label label', 'data-testid': `edge-${ref.id}-label`, display: 'none',
      }, bg, line1, line2, line3);
      gEdgeLabels.append(labelGroup);
      labelGroup.addEventListener('click', ref.onClick);
      Object.assign(ref, { labelGroup, bg, wSpan, arrow, afterSpan, line2, gradSpan, line3, arithmetic, eq, texts: [line1, line2, line3], labelClass: {} });
      ref.painted = null; // its texts are filled in by the next paintEdge
      applyLabelClasses(ref);
    };

    // A one-line label: "prefix value" on a white box, centred on (0, 0).
    const makeCompact = (parent, testid, onClick) => {
      const bg = el('rect', { class: 'compact-bg', rx: 3 });
      const prefix = el('tspan', { class: 'op' });
      const value = el('tspan', { 'data-role': 'value' });
      const text = el('text', { class: 'compact-text', x: 0, y: 0 }, prefix, value);
      const g = el('g', { class: 'compact-label label', 'data-testid': testid, display: 'none' }, bg, text);
      parent.append(g);
      g.addEventListener('click', onClick);
      return { g, bg, prefix, value, text: '', ext: null, classes: {} };
    };

    const edges = new Map();
    const focusable = sizes.reduce((a, v) => a + Math.min(v, 16), 0) + layout.edges.length <= MAX_TAB_STOPS;
    for (const e of layout.edges) {
      const id = `${e.layer}-${e.from}-${e.to}`;
      const label = weightLabel(sizes, e.layer, e.from, e.to);
      const halo = el('line', { class: 'edge-halo', x1: e.x1, y1: e.y1, x2: e.x2, y2: e.y2 });
      const line = el('line', { class: 'edge-line', x1: e.x1, y1: e.y1, x2: e.x2, y2: e.y2 });
      const hit = el('line', { class: 'edge-hit', x1: e.x1, y1: e.y1, x2: e.x2, y2: e.y2 });
      const title = el('title');
      const from = e.from === 0 ? 'the bias' : labelText(unitLabel(sizes, e.layer - 1, e.from));
      const group = el('g', {
        class: `edge${e.from === 0 ? ' bias-edge' : ''}`, 'data-testid': `edge-${id}`,
        'data-layer': e.layer, 'data-from': e.from, 'data-to': e.to, 'data-label': labelUnicode(label),
        tabindex: focusable ? '0' : '-1', role: 'button',
        'aria-label': `weight ${labelText(label)}, from ${from} to ${labelText(unitLabel(sizes, e.layer, e.to))}`,
      }, title, halo, line, hit);
      gEdges.append(group);
      // The reused δ flowing down this edge: in a group of its own above all
      // edges (a layer of its own on dense nets), so showing it repaints no edge.
      const flow = el('line', { class: 'edge-flow', x1: e.x2, y1: e.y2, x2: e.x1, y2: e.y1 });
      gFlows.append(flow);
      const ref = {
        e, id, group, line, halo, title, flow, label, mode: pairMode[e.layer],
        labelGroup: null, texts: null, compact: null, attrs: {}, groupClass: {}, labelClass: {}, flowClass: {},
        flags: { selected: false, 'on-path': false, fresh: false },
        width: null, hot: false, ctx: null, painted: null,
      };
      ref.select = () => select({ kind: 'weight', layer: e.layer, from: e.from, to: e.to });
      ref.onClick = (ev) => { ev.stopPropagation(); ref.select(); };
      ref.makeLabel = () => makeLabel(ref);
      ref.makeCompact = () => { ref.compact = makeCompact(gEdgeLabels, `edge-${id}-compact`, ref.onClick); };
      edges.set(id, ref);
    }

    const makeVals = (ref) => {
      const { u, label } = ref;
      // Values box (placed by update(): below the unit where there is room):
      // one text line per quantity, drawn around (0, 0).
      const x0 = 0;
      let y = font;
      const lines = {};
      const mk = (role, name, labelFor) => {
        const t = el('text', { class: `val-line val-${role}`, x: x0, y });
        if (labelFor) {
          t.append(el('tspan', { class: 'op' }, name[0]));
          const reset = appendLabel(t, labelFor, font);
          t.append(el('tspan', { class: 'op', dy: reset.toFixed(2) }, name[1]));
        } else {
          t.append(el('tspan', { class: 'op' }, name));
        }
        const span = valueSpan(role);
        t.append(span);
        y += lineH;
        lines[role] = { text: t, span };
        return t;
      };
      const vals = el('g', { class: 'unit-vals label', 'data-testid': `unit-${ref.id}-values`, display: 'none' });
      const bg = el('rect', { class: 'val-bg', rx: 5 });
      vals.append(bg);
      if (u.layer === 0) {
        vals.append(mk('a', ['', ' = '], label));
      } else {
        vals.append(mk('s', 's = '));
        vals.append(mk('a', ['', ' = '], label));
        vals.append(mk('dlda', ['∂L/∂', ' = '], label));
        y += 3;
        const cacheBox = el('rect', { class: 'cache-box', rx: 5 });
        vals.append(cacheBox);
        const deltaText = mk('delta', 'δ = ');
        const badge = el('tspan', { class: 'cache-badge', dx: '6' }, 'cache');
        deltaText.append(badge);
        vals.append(deltaText);
        lines.delta.cacheBox = cacheBox;
        lines.delta.badge = badge;
      }
      gVals.append(vals);
      vals.addEventListener('click', ref.onClick);
      Object.assign(ref, {
        vals, bg, lines, valsClass: {},
        roles: Object.keys(lines),
        bgTexts: Object.values(lines).map((x) => x.text).filter((t) => !t.classList.contains('val-delta')),
      });
      applyValsClasses(ref);
    };

    const units = new Map();
    for (const layer of layout.layers) {
      if (layer.bias) {
        const b = layer.bias;
        gUnits.append(el('g', { class: 'bias', 'data-testid': `bias-${layer.layer}` },
          el('title', {}, 'bias input: always 1 (its weights are w_0j)'),
          el('circle', { cx: b.x, cy: b.y, r: Math.max(9, r * 0.55) }),
          el('text', { x: b.x, y: b.y, class: 'bias-text' }, '1')));
      }
      if (layer.more) {
        const m = layer.more;
        gUnits.append(el('g', { class: 'more', 'data-testid': `more-${layer.layer}` },
          el('text', { x: m.x, y: m.y, class: 'more-text' }, `… ${m.count} more`)));
      }
      for (const u of layer.units) {
        const id = `${u.layer}-${u.unit}`;
        const label = unitLabel(sizes, u.layer, u.unit);
        const circle = el('circle', { class: 'unit-circle', cx: u.x, cy: u.y, r });
        const nameSize = Math.min(font * 1.35, r * (label.sup ? 0.62 : 0.9));
        const text = el('text', { class: 'unit-name', x: u.x, y: u.y, 'font-size': nameSize.toFixed(1) });
        appendLabel(text, label, nameSize);
        if (r < 13) text.setAttribute('display', 'none');
        const kind = u.layer === 0 ? 'input' : u.layer === n ? 'output' : 'hidden';
        const group = el('g', {
          class: `unit ${kind}`, 'data-testid': `unit-${id}`, 'data-label': labelUnicode(label),
          tabindex: '0', role: 'button', 'aria-label': `${kind} unit ${labelText(label)} (${layerName(sizes, u.layer)} layer)`,
        },
          el('title', {}, `${labelUnicode(label)} (${kind})`), circle, text);
        gUnits.append(group);
        const ref = {
          u, id, group, vals: null, compact: null, label, dense: denseUnits,
          attrs: {}, groupClass: {}, valsClass: {}, flags: { reused: false, fresh: false, selected: false, 'on-path': false },
          hot: false, v: null, painted: null,
        };
        ref.select = () => select({ kind: 'unit', layer: u.layer, unit: u.unit });
        ref.onClick = (ev) => { ev.stopPropagation(); ref.select(); };
        ref.makeVals = () => makeVals(ref);
        ref.makeCompact = () => { ref.compact = makeCompact(gVals, `unit-${id}-compact`, ref.onClick); };
        group.addEventListener('click', ref.onClick);
        group.addEventListener('pointerenter', () => setHot(ref, true));
        group.addEventListener('pointerleave', () => setHot(ref, false));
        units.set(id, ref);
      }
    }

    // Loss box right of the output layer.
    const out = layout.layers[n];
    const ly = out.units.length ? (out.units[0].y + out.units[out.units.length - 1].y) / 2 : box.height / 2;
    const lx = out.x + r + 16;
    const lossText = el('text', { class: 'loss-line', x: lx + 10, y: ly - 0.2 * font },
      el('tspan', { class: 'op' }, 'L = '), valueSpan('loss'));
    const targetText = el('text', { class: 'loss-target', x: lx + 10, y: ly + 1.25 * font },
      el('tspan', { class: 'op' }, 'y* = '), valueSpan('target'));
    const lossBg = el('rect', { class: 'loss-bg', x: lx, y: ly - 1.5 * font, rx: 6, height: 3.3 * font });
    const loss = el('g', { class: 'loss', 'data-testid': 'loss' }, lossBg, lossText, targetText);
    gTop.append(loss);
    obstacles.push({ x: lx - 2, y: ly - 1.5 * font - 2, w: box.width - lx + 2, h: 3.3 * font + 4 });
    const lossSpan = lossText.querySelector('[data-role=loss]');
    const targetSpan = targetText.querySelector('[data-role=target]');

    // The loss box changes width with its numbers on nearly every step. Its
    // lines' fonts and vertical extent are read here, once; on an update the
    // widths come from the fonts (lossBox()), not from a layout of the page.
    lossSpan.textContent = '0.5';
    targetSpan.textContent = '1';
    const lineBoxes = [lossText.getBBox(), targetText.getBBox()];
    const lossGeometry = {
      x0: Math.min(...lineBoxes.map((b) => b.x)),
      y0: Math.min(...lineBoxes.map((b) => b.y)),
      y1: Math.max(...lineBoxes.map((b) => b.y + b.height)),
      lines: [[lossText, [fontOf(lossText.firstChild), fontOf(lossSpan)]],
        [targetText, [fontOf(targetText.firstChild), fontOf(targetSpan)]]],
    };
    lossSpan.textContent = '';
    targetSpan.textContent = '';

    built = {
      key: `${sizes.join('-')}|${projector}`, width, height,
      layout, units, edges, loss, lossText, targetText, lossBg, sizes, font, lineH, maxEdgeWidth,
      lossSpan, targetSpan, lossGeometry,
      lossAttrs: {}, lossClass: {}, svgData: {}, svgClass: {}, dense: denseEdges,
      obstacles, box, denseUnits, n, placementKey: null, positions: new Map(), labelNodes: new Set(), leaders: new Set(), leaderOf: new Map(), gLeaders,
      order: focusOrder(layout, edges, units), compactFonts, table, gTable, tableCells: [],
      makeCompact: (testid, onClick, parent = gVals) => makeCompact(parent, testid, onClick),
    };
  }

  // Width of a text in a CSS font, from a canvas (no layout); cached.
  const measureContext = document.createElement('canvas').getContext('2d');
  const widths = new Map();
  function textWidth(font, text) {
    const key = `${font}|${text}`;
    let w = widths.get(key);
    if (w === undefined) {
      measureContext.font = font;
      w = measureContext.measureText(text).width;
      if (widths.size > 5000) widths.clear();
      widths.set(key, w);
    }
    return w;
  }

  // The phase table of a network with dense layers: a band at the bottom of
  // the drawing, sized when the drawing is built for the most entries it can
  // ever hold (layout.js tableCapacity) at the widest any entry can be, so that
  // whatever a phase and a selection put in it fits.
  function phaseTableBand(sizes, width, [f0, f1]) {
    const nota = notation(sizes);
    const shown = sizes.map((v) => visibleUnits(v));
    const names = [];
    for (let l = 0; l < sizes.length; l += 1) {
      const u = shown[l];
      names.push(`${nota.unit(l, u).unicode} = `);
      if (l > 0) {
        const w = nota.weight(l, shown[l - 1], u).unicode;
        names.push(`${nota.delta(l, u).unicode} = `, `∂L/∂${w} = `, `new ${w} = `);
      }
    }
    const widest = Math.max(...names.map((t) => textWidth(f0, t))) + textWidth(f1, '−8.888e−888');
    const cell = { w: widest + 6 + 6, h: COMPACT_FONT * 1.3 + 4 + 4 };
    return tableBand(tableCapacity(sizes), cell, width);
  }

  // Width of a number: in a font whose ten digits are equally wide, that of
  // its shape (0.4521 as 0.0000), so that a step's new values are measured
  // once rather than each number again.
  const evenDigits = new Map();
  function numberWidth(font, text) {
    let even = evenDigits.get(font);
    if (even === undefined) {
      even = textWidth(font, '0123456789') === textWidth(font, '0000000000');
      evenDigits.set(font, even);
    }
    return textWidth(font, even ? text.replace(/[0-9]/g, '0') : text);
  }

  // The loss box around its two lines (each line: its spans, each in its font).
  function lossBox() {
    const g = built.lossGeometry;
    let w = 0;
    for (const [text, fonts] of g.lines) {
      let lineWidth = 0;
      [...text.children].forEach((span, i) => { lineWidth += textWidth(fonts[i], span.textContent); });
      w = Math.max(w, lineWidth);
    }
    return { x0: g.x0, y0: g.y0, x1: g.x0 + w, y1: g.y1 };
  }

  // The drawing is built again (every node: for 2-16×6-1 close to 10 000 of
  // them) only when its box changed by more than RESIZE_SLACK in width or
  // height: the toolbar and the phase title wrap to another line now and
  // then, and for those few pixels the SVG scales its drawing (viewBox,
  // aspect ratio kept) instead.
  function resized(b, width, height) {
    return Math.abs(width - b.width) > RESIZE_SLACK * b.width || Math.abs(height - b.height) > RESIZE_SLACK * b.height;
  }

  function render() {
    const state = getState();
    const session = state.session;
    if (!session) return;
    const sizes = session.network.layers;
    const { width, height } = size;
    if (width < 10 || height < 10) return;
    const key = `${sizes.join('-')}|${state.settings.projector}`;
    if (!built || built.key !== key || resized(built, width, height)) {
      build(sizes, width, height, state.settings.projector);
      // overlays (views/unit-maps.js thumbnails, class/heat.js) draw into the new drawing
      container.dispatchEvent(new CustomEvent('bp-network-built'));
    }
    update(state);
  }

  // Writes only what changed: the caches hold what was last written, so an
  // unchanged value costs no DOM call (and no style or layout work).
  function setAttr(cache, node, name, value) {
    if (cache[name] !== value) {
      cache[name] = value;
      node.setAttribute(name, value);
    }
  }

  function setClass(cache, node, name, on) {
    if (cache[name] !== on) {
      cache[name] = on;
      node.classList.toggle(name, on);
    }
  }

  function setText(node, value) {
    if (node.textContent !== value) node.textContent = value;
  }

  function valueText(value, visible) {
    return visible && value !== null && value !== undefined ? formatNumber(value) : '';
  }

  // Size a background rect to its texts. Measuring forces a layout, so update()
  // queues these and measures them all after its writes (see flushFits); and a
  // box is measured again only when its texts changed shape: digits are
  // tabular (equally wide), so "0.1235" → "0.4521" needs no new measurement.
  function measure(texts) {
    let x0 = Infinity; let y0 = Infinity; let x1 = -Infinity; let y1 = -Infinity;
    for (const t of texts) {
      if (t.getAttribute('display') === 'none') continue;
      const b = t.getBBox();
      if (!b.width) continue;
      x0 = Math.min(x0, b.x); y0 = Math.min(y0, b.y); x1 = Math.max(x1, b.x + b.width); y1 = Math.max(y1, b.y + b.height);
    }
    return x0 === Infinity ? null : { x0, y0, x1, y1 };
  }

  const fitted = new WeakMap(); // rect → the shape of the texts it was last sized to
  const hidden = (node) => shown.get(node) === false || node.getAttribute('display') === 'none';
  function shapeOf(texts) {
    let key = '';
    for (const t of texts) {
      if (hidden(t)) key += '∅';
      else for (const part of t.childNodes) key += part.nodeType === 1 && hidden(part) ? '∅' : part.textContent.replace(/[0-9]/g, '0');
      key += '|';
    }
    return key;
  }

  const boxOf = new WeakMap(); // rect → the box it was sized to (its label's extent)
  function applyFit(rect, box, pad) {
    boxOf.set(rect, box && { x0: box.x0 - pad, y0: box.y0 - pad / 2, x1: box.x1 + pad, y1: box.y1 + pad / 2 });
    if (!box) {
      rect.setAttribute('display', 'none');
      return;
    }
    rect.removeAttribute('display');
    rect.setAttribute('x', (box.x0 - pad).toFixed(1));
    rect.setAttribute('y', (box.y0 - pad / 2).toFixed(1));
    rect.setAttribute('width', (box.x1 - box.x0 + 2 * pad).toFixed(1));
    rect.setAttribute('height', (box.y1 - box.y0 + pad).toFixed(1));
  }


  let pendingFits = [];
  function queueFit(rect, texts, pad = 4) {
    const shape = shapeOf(texts);
    if (fitted.get(rect) === shape) return;
    fitted.set(rect, shape);
    pendingFits.push([rect, texts, pad]);
  }
  function flushFits() {
    if (!pendingFits.length) return;
    const boxes = pendingFits.map(([, texts]) => measure(texts));   // reads
    pendingFits.forEach(([rect, , pad], i) => applyFit(rect, boxes[i], pad)); // writes
    pendingFits = [];
  }

  const shown = new WeakMap();
  function show(node, on) {
    if (shown.get(node) === on) return;
    shown.set(node, on);
    if (on) node.removeAttribute('display');
    else node.setAttribute('display', 'none');
  }

  // The line thickness for |w|, in steps of 0.1 px: finer steps are not seen,
  // and a step that moves a weight a little then leaves its edge as it was
  // (no repaint of a line that looks the same).
  function edgeWidth(value, maxAbs) {
    const w = 0.8 + built.maxEdgeWidth * Math.min(1, Math.abs(value) / maxAbs);
    return (Math.round(w * 10) / 10).toFixed(1);
  }

  // Classes of an edge's label (and a unit's values box), which dense nets
  // make only when first shown: kept in ref.flags, applied when they exist.
  function applyLabelClasses(ref) {
    if (!ref.labelGroup) return;
    for (const name of ['selected', 'on-path', 'fresh']) setClass(ref.labelClass, ref.labelGroup, name, ref.flags[name]);
  }

  function applyValsClasses(ref) {
    if (!ref.vals) return;
    for (const name of ['reused', 'fresh', 'selected', 'on-path']) setClass(ref.valsClass, ref.vals, name, ref.flags[name]);
  }

  // An edge's label and its data-w / data-dl-dw / data-w-after attributes, from
  // what update() saw last (ref.ctx). Labels of dense nets are hidden unless
  // hovered or selected: those are filled in when they are shown, not on every
  // update, and their data attributes are there only while they are shown.
  function edgeValues(ref) {
    const c = ref.ctx;
    const { e } = ref;
    let before = weightAt(c.weights, e.layer, e.from, e.to);
    let after = null;
    if (c.kind === 'step') [before, after] = beforeAfter(c.data.update, e.layer, e.from, e.to);
    const grad = c.kind === 'backward' || c.kind === 'step' ? gradAt(c.data.grads, e.layer, e.from, e.to) : null;
    return {
      before, grad, after, gradVisible: c.seen.backward.has(e.layer), updateVisible: c.seen.update, learningRate: c.learningRate,
    };
  }

  function paintEdge(ref) {
    if (!ref.ctx || ref.painted === ref.ctx) return;
    ref.painted = ref.ctx;
    const v = edgeValues(ref);
    const wText = valueText(v.before, true);
    const gText = valueText(v.grad, v.gradVisible);
    const aText = valueText(v.after, v.updateVisible);
    setAttr(ref.attrs, ref.group, 'data-w', wText);
    setAttr(ref.attrs, ref.group, 'data-dl-dw', gText);
    setAttr(ref.attrs, ref.group, 'data-w-after', aText);
    if (!ref.labelGroup) return;
    setText(ref.wSpan, wText);
    setText(ref.gradSpan, gText);
    setText(ref.afterSpan, aText);
    show(ref.arrow, v.updateVisible);
    show(ref.line2, v.gradVisible && !v.updateVisible);
    show(ref.line3, v.updateVisible);
    if (v.updateVisible) {
      setText(ref.arithmetic, `= ${wText} − ${formatNumber(v.learningRate)}·${gText.startsWith('−') ? `(${gText})` : gText}`);
    }
    setText(ref.eq, v.updateVisible ? ': ' : ' = ');
    setText(ref.title, `${labelUnicode(ref.label)} = ${wText}${gText ? `, ∂L/∂w = ${gText}` : ''}${aText ? `, new ${aText}` : ''}`);
  }

  function unpaintEdge(ref) {
    ref.painted = null;
    for (const name of ['data-w', 'data-dl-dw', 'data-w-after']) {
      if (ref.attrs[name] !== undefined) {
        ref.group.removeAttribute(name);
        delete ref.attrs[name];
      }
    }
  }

  // A unit's values box (same rule as the edge labels for dense nets).
  function paintUnit(ref) {
    const v = ref.v;
    if (!v || ref.painted === v || !ref.vals) return;
    ref.painted = v;
    const { lines } = ref;
    for (const role of ref.roles) {
      setText(lines[role].span, v.text[role]);
      show(lines[role].text, v.visible[role]);
    }
    if (lines.delta) {
      show(lines.delta.badge, v.visible.delta);
      show(lines.delta.cacheBox, v.visible.delta);
    }
  }

  function update(state) {
    const { session, trace, selection } = state;
    const data = trace?.data ?? null;
    const kind = traceKind(data);
    const phases = state.phases?.length ? state.phases : buildPhases(data, session.network);
    const seen = visibility(phases, state.phaseIndex);
    const fwd = forwardOf(data);
    const current = seen.current;
    setAttr(built.svgData, svg, 'data-phase', current ? current.id : 'none');
    setAttr(built.svgData, svg, 'data-trace-kind', kind ?? 'none');

    // Weight scale for thickness: the largest |w|, rounded up to a step of
    // 2^(1/4) (19 %), so that it stays put while the largest weight moves a
    // little, instead of every edge's thickness changing with it.
    let maxAbs = 1e-12;
    const weightsNow = session.weights;
    for (const w of weightsNow) {
      for (const row of w.W) for (const v of row) maxAbs = Math.max(maxAbs, Math.abs(v));
      for (const v of w.b) maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    maxAbs = 2 ** (Math.ceil(4 * Math.log2(maxAbs) - 1e-9) / 4);

    const path = pathOf(selection, built.sizes);
    const updateVisible = seen.update;
    const freshEdges = !!current && (current.kind === 'update' || current.kind === 'backward');
    // what an edge's label needs, shared by all edges of this update (a
    // label is worked out from it when it is painted: see edgeValues)
    const ctx = { kind, data, weights: weightsNow, seen, learningRate: data?.learning_rate };
    // the weights each edge is drawn with: after the update once it is shown
    const drawn = kind === 'step' ? data.update.map((u) => (updateVisible
      ? { W: u.W_after, b: u.b_after } : { W: u.W_before, b: u.b_before })) : weightsNow;

    for (const ref of built.edges.values()) {
      const { e, id } = ref;
      const shownValue = weightAt(drawn, e.layer, e.from, e.to) ?? 0;
      const width = edgeWidth(shownValue, maxAbs);
      if (ref.width !== width) {
        ref.width = width;
        ref.line.setAttribute('stroke-width', width);
      }
      setClass(ref.groupClass, ref.group, 'neg', shownValue < 0);
      setClass(ref.groupClass, ref.group, 'pos', shownValue >= 0);
      const isSel = selection?.kind === 'weight' && selection.layer === e.layer && selection.from === e.from && selection.to === e.to;
      const onPath = !!path && path.edges.has(id);
      setClass(ref.groupClass, ref.group, 'selected', isSel);
      setClass(ref.groupClass, ref.group, 'on-path', onPath);
      const reuse = seen.reuse === e.layer && e.from !== 0;
      setClass(ref.groupClass, ref.group, 'reuse', reuse);
      setClass(ref.flowClass, ref.flow, 'on', reuse);
      ref.flags.selected = isSel;
      ref.flags['on-path'] = onPath;
      ref.flags.fresh = freshEdges && (current.kind === 'update' || current.layer === e.layer);
      applyLabelClasses(ref);
      ref.ctx = ctx;
    }
    setClass(built.svgClass, svg, 'has-selection', !!path);

    for (const ref of built.units.values()) {
      const { u, id } = ref;
      const l = u.layer;
      let v;
      if (l === 0) {
        const x = data ? (data.x ?? fwd.x)[u.unit - 1] : null;
        const a = valueText(x, !!data);
        setAttr(ref.attrs, ref.group, 'data-a', a);
        v = { text: { a }, raw: { a: x }, visible: { a: !!data } };
      } else {
        const fl = fwd?.layers?.[l - 1];
        const fv = seen.forward.has(l) && !!fl;
        const g = data?.grads?.[l - 1];
        const bv = seen.backward.has(l) && !!g;
        const text = {
          s: valueText(fl?.s[u.unit - 1], fv),
          a: valueText(fl?.a[u.unit - 1], fv),
          dlda: valueText(g?.dL_da[u.unit - 1], bv),
          delta: valueText(g?.dL_ds[u.unit - 1], bv),
        };
        setAttr(ref.attrs, ref.group, 'data-s', text.s);
        setAttr(ref.attrs, ref.group, 'data-a', text.a);
        setAttr(ref.attrs, ref.group, 'data-dlda', text.dlda);
        setAttr(ref.attrs, ref.group, 'data-delta', text.delta);
        v = { text, raw: { a: fl?.a[u.unit - 1], delta: g?.dL_ds[u.unit - 1] }, visible: { s: fv, a: fv, dlda: bv, delta: bv } };
        const fresh = !!current && current.layer === l && (current.kind === 'forward' || current.kind === 'backward');
        ref.flags.reused = seen.reuse === l;
        ref.flags.fresh = fresh;
        setClass(ref.groupClass, ref.group, 'active', fresh);
      }
      ref.v = v;
      const isSel = isSelUnit(selection, u);
      const onPath = !!path && path.units.has(id);
      ref.flags.selected = isSel;
      ref.flags['on-path'] = onPath;
      setClass(ref.groupClass, ref.group, 'selected', isSel);
      setClass(ref.groupClass, ref.group, 'on-path', onPath);
      applyValsClasses(ref);
    }

    // Loss and target.
    const lossValue = data ? (data.loss ?? fwd.loss) : null;
    const target = data ? (data.y ?? fwd.y) : null;
    const lossText = valueText(lossValue, seen.loss);
    setText(built.lossSpan, lossText);
    setAttr(built.lossAttrs, built.loss, 'data-loss', lossText);
    const targetText = target && seen.loss ? target.map((x) => formatNumber(x)).join(', ') : '';
    setText(built.targetSpan, targetText);
    setAttr(built.lossAttrs, built.loss, 'data-target', targetText);
    show(built.loss, !!lossText);
    setClass(built.lossClass, built.loss, 'fresh', current?.kind === 'loss');
    if (lossText) {
      const shape = shapeOf([built.lossText, built.targetText]);
      if (fitted.get(built.lossBg) !== shape) {
        fitted.set(built.lossBg, shape);
        applyFit(built.lossBg, lossBox(), 8);
      }
    }
    placeAll(state, seen, current, kind);
  }

  // ------------------------------------------------------------ labels
  //
  // Which labels are drawn, their text, and where (layout.js placeBoxes):
  // every label is a box that may cover edges but no unit, no other label
  // and no other edge's midpoint (the click spot); a label with no free spot
  // is left out rather than drawn over something. Priority: the selected
  // and the hovered/focused item, then the current phase's layer, then the
  // rest. Positions are worked out again only when the set of labels or
  // their sizes change (not on every training frame).

  // 'full' | 'compact' | null for an edge's label.
  function edgeWant(ref, selection) {
    const { e } = ref;
    if (ref.flags.selected || ref.hot) return 'full';
    if (ref.mode === 'full') return 'full';
    if (ref.mode === 'compact') return 'compact';
    if (selection?.kind === 'unit' && ((e.layer === selection.layer && e.to === selection.unit)
        || (e.layer === selection.layer + 1 && e.from === selection.unit))) return 'compact';
    return null;
  }

  // Units: the full box (s, z, ∂L/∂z, δ) on small nets, and on the others
  // for the current phase's layer (where they are at most 5 a layer) and the
  // selected / hovered / focused unit; a one-line label otherwise.
  function unitWant(ref, hasValues, active) {
    if (ref.flags.selected || ref.hot) return 'full';
    if (!ref.dense && (!built.dense || ref.u.layer === active)) return 'full';
    return hasValues ? 'compact' : null;
  }

  function compactEdgeText(ref) {
    const v = edgeValues(ref);
    if (v.updateVisible && v.after !== null && v.after !== undefined) return ['new w = ', formatNumber(v.after)];
    if (v.gradVisible && v.grad !== null && v.grad !== undefined) return ['∂L/∂w = ', formatNumber(v.grad)];
    return v.before === null || v.before === undefined ? null : ['w = ', formatNumber(v.before)];
  }

  function compactUnitText(ref, active) {
    const { u } = ref;
    const v = ref.v;
    if (!v) return null;
    // small layers: 4 significant digits; layers of more than 5 units: 3 for
    // the current phase's layer, 2 for the others (the selected unit's box
    // has all 4)
    const digits = !ref.dense ? undefined : active ? 3 : 2;
    const again = (role) => formatNumber(v.raw[role], digits);
    const name = u.layer === 0 ? 'x' : u.layer === built.n ? 'y' : 'z';
    if (u.layer === 0) return v.visible.a ? [`${name} = `, v.text.a] : null;
    if (v.visible.delta) return ['δ = ', again('delta')];
    if (v.visible.a) return [`${name} = `, again('a')];
    return null;
  }

  function paintCompact(c, parts) {
    const text = parts.join('');
    if (c.text === text) return;
    c.text = text;
    c.prefix.textContent = parts[0];
    c.value.textContent = parts[1];
    const [f0, f1] = built.compactFonts;
    const w = textWidth(f0, parts[0]) + numberWidth(f1, parts[1]) + 6;
    const h = COMPACT_FONT * 1.3 + 4;
    c.bg.setAttribute('x', (-w / 2).toFixed(1));
    c.bg.setAttribute('y', (-h / 2).toFixed(1));
    c.bg.setAttribute('width', w.toFixed(1));
    c.bg.setAttribute('height', h.toFixed(1));
    c.ext = { x0: -w / 2, y0: -h / 2, x1: w / 2, y1: h / 2 };
  }

  function union(a, b) {
    if (!a) return b;
    if (!b) return a;
    return { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) };
  }

  function placeAll(state, seen, current) {
    const selection = state.selection;
    const active = !current ? null : current.kind === 'loss' ? built.n : current.kind === 'update' ? null : current.layer;
    const want = []; // [{ref, kind: 'edge'|'unit', how: 'full'|'compact', node, priority}]
    const namedPairs = new Set(); // pairs of layers whose one-line "new w" labels are named
    for (const ref of built.edges.values()) {
      const how = edgeWant(ref, selection);
      if (!how) {
        if (ref.painted) unpaintEdge(ref);
        continue;
      }
      paintEdge(ref);
      // a one-line label: the label itself, or the fallback of a full one
      // (where the full label finds no free spot)
      let parts = compactEdgeText(ref);
      let naming = false;
      if (parts && how === 'compact' && ref.mode === 'compact' && built.denseUnits && parts[0] === 'new w = ') {
        // a crowded drawing at the update (every edge's new w at once): the pair's first
        // label reads "new w = 0.7577", the others the number only, as the units' labels
        if (namedPairs.has(ref.e.layer)) parts = ['', parts[1]];
        else {
          namedPairs.add(ref.e.layer);
          naming = true;
        }
      }
      if (parts) {
        if (!ref.compact) ref.makeCompact();
        paintCompact(ref.compact, parts);
      }
      if (how === 'full') {
        if (!ref.labelGroup) ref.makeLabel();
        paintEdge(ref);
        queueFit(ref.bg, ref.texts, 5);
      } else if (!parts) continue;
      if (ref.compact) setClass(ref.compact.classes, ref.compact.g, 'pass-through', how === 'compact' && ref.mode === 'dense');
      const layerActive = current && (current.kind === 'update' || (current.kind === 'backward' && current.layer === ref.e.layer));
      const priority = ref.flags.selected ? 0 : ref.hot ? 1 : how === 'compact' && ref.mode === 'dense' ? 2 : layerActive ? (naming ? 3.9 : 4) : 6;
      want.push({ ref, kind: 'edge', how, priority });
    }
    const named = new Set(); // dense layers whose one-line labels have said what they show
    for (const ref of built.units.values()) {
      // one line: the label of a dense layer's unit, or the fallback of a full box
      let parts = compactUnitText(ref, !ref.dense || ref.u.layer === active || ref.u.layer === 0);
      const how = unitWant(ref, !!parts, active);
      if (!how) continue;
      let naming = false;
      if (parts && ref.dense && how === 'compact' && ref.u.layer > 0) {
        // dense layers: the layer's first one-line label reads "δ = 0.0657" (one label, beside
        // its unit), the others below it the number only
        if (named.has(ref.u.layer)) parts = ['', parts[1]];
        else {
          named.add(ref.u.layer);
          naming = true;
        }
      }
      if (parts) {
        if (!ref.compact) ref.makeCompact();
        paintCompact(ref.compact, parts);
        setClass(ref.compact.classes, ref.compact.g, 'pass-through', ref.dense && how === 'compact');
      }
      if (how === 'full') {
        if (!ref.vals) ref.makeVals();
        paintUnit(ref);
        const anyVisible = ref.roles.some((role) => ref.v?.visible[role]);
        if (!anyVisible) continue;
        if (ref.lines.delta && ref.v.visible.delta) queueFit(ref.lines.delta.cacheBox, [ref.lines.delta.text], 4);
        queueFit(ref.bg, ref.bgTexts, 5);
      }
      // (the label that names its layer's numbers is placed before them)
      const priority = ref.flags.selected ? 0 : ref.hot ? 1 : ref.u.layer === active ? (naming ? 2.5 : 3) : naming ? 4.5 : 5;
      want.push({ ref, kind: 'unit', how, priority });
    }
    flushFits(); // sizes the full labels' boxes (one layout for all of them)

    // extents in each label's own coordinates
    for (const w of want) {
      const { ref } = w;
      if (w.how === 'compact') w.ext = ref.compact.ext;
      else if (w.kind === 'edge') w.ext = boxOf.get(ref.bg);
      else {
        w.ext = boxOf.get(ref.bg);
        if (ref.lines.delta && ref.v.visible.delta) w.ext = union(w.ext, boxOf.get(ref.lines.delta.cacheBox));
      }
      w.node = w.how === 'compact' ? ref.compact.g : w.kind === 'edge' ? ref.labelGroup : ref.vals;
    }
    const placeable = want.filter((w) => w.ext);
    placeable.sort((a, b) => a.priority - b.priority);
    const dims = (e) => (e ? `${Math.round(e.x1 - e.x0)}x${Math.round(e.y1 - e.y0)}` : '');
    const key = placeable.map((w) => `${w.ref.id}${w.kind[0]}${w.how[0]}${dims(w.ext)}/${dims(w.ref.compact?.ext)}`).join('|');
    const shownNodes = new Set(placeable.flatMap((w) => (w.how === 'full' && w.ref.compact
      ? [w.node, w.ref.compact.g] : [w.node])));
    if (key !== built.placementKey) {
      built.placementKey = key;
      const r = built.layout.radius;
      const items = placeable.map((w) => {
        const size = { w: w.ext.x1 - w.ext.x0, h: w.ext.y1 - w.ext.y0 };
        let candidates;
        if (w.kind === 'edge') candidates = edgeCandidates(w.ref.e, size);
        else {
          candidates = unitCandidates(w.ref.u, r, size);
          // one-line labels sit beside their unit first (rows are close)
          if (w.how === 'compact') candidates = [candidates[1], candidates[2], ...candidates.slice(3), candidates[0]];
        }
        if (w.priority <= 1 && w.how === 'full') {
          const anchor = w.kind === 'edge' ? midpoint(w.ref.e) : w.ref.u;
          candidates = [...candidates, ...anywhereCandidates(anchor, size, built.box)];
        }
        const item = { id: w.node, owner: w.kind === 'edge' ? w.ref.id : undefined, ...size, candidates, want: w };
        // a dense layer's one-line unit labels let clicks through (CSS
        // .pass-through) to the edges under them, so they may cover midpoints
        if (w.kind === 'unit' && w.how === 'compact' && w.ref.dense) item.passThrough = true;
        // so do the numbers on a dense pair's edges of the selected unit
        if (w.kind === 'edge' && w.how === 'compact' && w.ref.mode === 'dense') {
          item.passThrough = true;
          item.candidates = [...item.candidates, ...anywhereCandidates(midpoint(w.ref.e), size, built.box, 12, 320)];
        }
        const c = w.ref.compact;
        if (w.kind === 'edge' && w.how === 'full' && c?.ext && c.text) {
          const small = { w: c.ext.x1 - c.ext.x0, h: c.ext.y1 - c.ext.y0 };
          item.fallback = {
            id: c.g, owner: w.ref.id, ...small, want: { ext: c.ext },
            candidates: [...edgeCandidates(w.ref.e, small), ...leaderCandidates(w.ref.e, small)],
          };
        } else if (w.kind === 'unit' && w.how === 'full' && c?.ext && c.text) {
          const small = { w: c.ext.x1 - c.ext.x0, h: c.ext.y1 - c.ext.y0 };
          const near = unitCandidates(w.ref.u, r, small);
          item.fallback = {
            id: c.g, ...small, want: { ext: c.ext }, candidates: [near[1], near[2], ...near.slice(3), near[0]],
          };
        } else if (w.how === 'compact' && w.kind === 'edge') {
          // the current phase's one-line edge labels (small nets only) may go
          // anywhere near their edge, with a leader line, as a last resort
          item.candidates = [...candidates, ...leaderCandidates(w.ref.e, size),
            ...(w.priority <= 4 && w.ref.mode === 'compact' ? anywhereCandidates(midpoint(w.ref.e), size, built.box, 12, 160) : [])];
        }
        return item;
      });
      // Greedy, then up to two repair rounds: the current phase's labels left
      // out go first (the others give way to them), keeping the better round.
      const missing = (result) => items.filter((it) => it.want.priority <= 4
        && !result.has(it.id) && !(it.fallback && result.has(it.fallback.id)));
      let placed = placeBoxes(items, built.obstacles, built.box, 2);
      let left = missing(placed);
      for (let round = 0; round < 2 && left.length && items.length <= 400; round += 1) {
        const first = new Set(left);
        const again = placeBoxes([...left, ...items.filter((it) => !first.has(it))], built.obstacles, built.box, 2);
        const leftAgain = missing(again);
        if (leftAgain.length >= left.length) break;
        placed = again;
        left = leftAgain;
      }
      built.positions = new Map();
      for (const leader of built.leaders) show(leader, false);
      const leadersOn = new Set();
      built.leaders = leadersOn;
      for (const item of items) {
        for (const it of item.fallback ? [item, item.fallback] : [item]) {
          const spot = placed.get(it.id);
          if (!spot) continue;
          const { ext } = it.want;
          const tx = spot.x - ext.x0;
          const ty = spot.y - ext.y0;
          built.positions.set(it.id, `translate(${tx.toFixed(1)} ${ty.toFixed(1)})`);
          if (spot.anchor) {
            // a label set off its edge or unit is joined to it by a leader line
            let leader = built.leaderOf.get(it.id);
            if (!leader) {
              leader = el('line', { class: 'leader' });
              built.gLeaders.append(leader);
              built.leaderOf.set(it.id, leader);
            }
            const cx = spot.x + spot.w / 2;
            const cy = spot.y + spot.h / 2;
            leader.setAttribute('x1', cx.toFixed(1));
            leader.setAttribute('y1', cy.toFixed(1));
            leader.setAttribute('x2', spot.anchor.x.toFixed(1));
            leader.setAttribute('y2', spot.anchor.y.toFixed(1));
            show(leader, true);
            leadersOn.add(leader);
          }
        }
      }
    }
    // show the placed ones, hide every other label made so far
    for (const node of built.labelNodes) {
      if (!shownNodes.has(node) || !built.positions.has(node)) show(node, false);
    }
    for (const node of shownNodes) {
      const t = built.positions.get(node);
      if (!t) continue;
      if (node.getAttribute('transform') !== t) node.setAttribute('transform', t);
      show(node, true);
      built.labelNodes.add(node);
    }
    if (built.table) paintTable(selection, current);
  }

  // ------------------------------------------------------------ the phase table
  //
  // Networks with a layer of more than 5 units have no room for every number
  // beside its unit or edge, so a band at the bottom of the drawing lists, in
  // full (4 significant digits), each named: the current phase's values (z of
  // every unit of the layer going forward, δ going backward), then the
  // selected unit's own values and every edge into and out of it (w, ∂L/∂w
  // once its layer's backward phase is shown, the new w at the update), or the
  // selected weight. The band is sized for the most it can hold (see
  // phaseTableBand), so every entry always finds its cell. The numbers placed
  // in the drawing beside their units stay where they find room.

  function unitEntry(ref, role) {
    const v = ref.v;
    if (!v?.visible[role] || v.raw[role] === null || v.raw[role] === undefined) return null;
    const { layer, unit } = ref.u;
    const name = role === 'delta' ? notation(built.sizes).delta(layer, unit) : ref.label;
    return { ref, id: `table-unit-${ref.id}-${role}`, parts: [`${labelUnicode(name)} = `, formatNumber(v.raw[role])] };
  }

  function edgeEntry(ref) {
    const v = edgeValues(ref);
    const name = labelUnicode(ref.label);
    let parts;
    if (v.updateVisible && v.after !== null && v.after !== undefined) parts = [`new ${name} = `, formatNumber(v.after)];
    else if (v.gradVisible && v.grad !== null && v.grad !== undefined) parts = [`∂L/∂${name} = `, formatNumber(v.grad)];
    else if (v.before !== null && v.before !== undefined) parts = [`${name} = `, formatNumber(v.before)];
    else return null;
    return { ref, id: `table-edge-${ref.id}`, parts };
  }

  function tableEntries(selection, current) {
    const out = [];
    const push = (entry) => { if (entry) out.push(entry); };
    if (current && (current.kind === 'forward' || current.kind === 'backward')) {
      const role = current.kind === 'forward' ? 'a' : 'delta';
      for (const u of built.layout.layers[current.layer].units) push(unitEntry(built.units.get(`${u.layer}-${u.unit}`), role));
    }
    if (selection?.kind === 'unit') {
      const ref = built.units.get(`${selection.layer}-${selection.unit}`);
      if (ref) {
        push(unitEntry(ref, 'a'));
        if (selection.layer > 0) push(unitEntry(ref, 'delta'));
        for (const e of built.edges.values()) {
          if (e.e.layer === selection.layer && e.e.to === selection.unit) push(edgeEntry(e));
        }
        for (const e of built.edges.values()) {
          if (e.e.layer === selection.layer + 1 && e.e.from === selection.unit) push(edgeEntry(e));
        }
      }
    } else if (selection?.kind === 'weight') {
      const ref = built.edges.get(`${selection.layer}-${selection.from}-${selection.to}`);
      if (ref) push(edgeEntry(ref));
    }
    return out;
  }

  function paintTable(selection, current) {
    const { table, tableCells } = built;
    const entries = tableEntries(selection, current).slice(0, table.columns * table.rows);
    entries.forEach((entry, i) => {
      let cell = tableCells[i];
      if (!cell) {
        cell = built.makeCompact(null, (ev) => { ev.stopPropagation(); cell.entry?.ref.select(); }, built.gTable);
        cell.g.classList.add('table-cell');
        cell.g.addEventListener('pointerenter', () => { if (cell.entry) setHot(cell.entry.ref, true); });
        cell.g.addEventListener('pointerleave', () => { if (cell.entry) setHot(cell.entry.ref, false); });
        tableCells.push(cell);
      }
      cell.entry = entry;
      if (cell.g.dataset.testid !== entry.id) cell.g.dataset.testid = entry.id;
      paintCompact(cell, entry.parts);
      const c = tableCellCentre(table, i, table.top);
      const t = `translate(${c.x.toFixed(1)} ${c.y.toFixed(1)})`;
      if (cell.g.getAttribute('transform') !== t) cell.g.setAttribute('transform', t);
      show(cell.g, true);
    });
    for (let i = entries.length; i < tableCells.length; i += 1) {
      tableCells[i].entry = null;
      show(tableCells[i].g, false);
    }
    show(table.hint, entries.length === 0 && !selection);
  }

  return { render };
}

// Keyboard order: the input units, then layer by layer each unit after its
// incoming edges (bias first).
function focusOrder(layout, edges, units) {
  const order = [];
  for (const layer of layout.layers) {
    for (const u of layer.units) {
      for (const e of layout.edges) if (e.layer === layer.layer && e.to === u.unit) order.push(edges.get(`${e.layer}-${e.from}-${e.to}`));
      order.push(units.get(`${u.layer}-${u.unit}`));
    }
  }
  return order;
}

function isSelUnit(selection, u) {
  return selection?.kind === 'unit' && selection.layer === u.layer && selection.unit === u.unit;
}

// Which edges/units a selection's gradient flows through (the downstream paths).
function pathOf(selection, sizes) {
  if (!selection) return null;
  const n = sizes.length - 1;
  const edges = new Set();
  const units = new Set();
  let layer;
  let unit;
  if (selection.kind === 'weight') {
    edges.add(`${selection.layer}-${selection.from}-${selection.to}`);
    if (selection.from > 0) units.add(`${selection.layer - 1}-${selection.from}`);
    layer = selection.layer;
    unit = selection.to;
  } else {
    layer = selection.layer;
    unit = selection.unit;
  }
  units.add(`${layer}-${unit}`);
  let frontier = new Set([unit]);
  for (let l = layer + 1; l <= n; l += 1) {
    const next = new Set();
    for (let k = 1; k <= Math.min(sizes[l], 16); k += 1) {
      for (const j of frontier) edges.add(`${l}-${j}-${k}`);
      next.add(k);
      units.add(`${l}-${k}`);
    }
    frontier = next;
  }
  return { edges, units };
}
