// The SVG network view: units, bias nodes, edges and the values of the
// current trace up to the current phase. Reads state.js only; a click sets
// the selection through controls.js's select().
import { getState, subscribe } from '../state.js';
import { computeLayout, placeLabels, pointOnEdge } from '../layout.js';
import { buildPhases, forwardOf, traceKind, visibility } from '../timeline.js';
import { formatNumber, unitLabel, weightLabel, labelUnicode } from '../format.js';
import { select } from '../controls.js';

const SVG = 'http://www.w3.org/2000/svg';

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
  const svg = el('svg', { class: 'network', 'data-testid': 'network', role: 'img', 'aria-label': 'Network diagram' });
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
  subscribe((s, prev) => {
    if (s.session !== prev.session || s.trace !== prev.trace || s.phaseIndex !== prev.phaseIndex
        || s.selection !== prev.selection || s.settings !== prev.settings || s.phases !== prev.phases) {
      render();
    }
  });

  // Scale of the drawing: the 2-2-1 network needs about 900 × 540 units to
  // show every label; a larger box (projector, big screens) enlarges the type.
  function zoomFor(width, height, projector) {
    const fit = Math.min(width / 900, height / 540);
    return Math.max(0.75, Math.min(projector ? 2.4 : 1.3, fit));
  }

  function build(sizes, width, height, projector) {
    const zoom = zoomFor(width, height, projector);
    const box = { width: width / zoom, height: height / zoom };
    const font = 14;
    const lineH = font * 1.3;
    // Room under the lowest unit for its values box (unless the layers are dense).
    const maxShown = Math.max(...sizes.map((v) => Math.min(v, 16)));
    const valuesRoom = maxShown <= 5 ? 3 * lineH + 34 : 12;
    const layout = computeLayout(sizes, box, {
      padding: { top: 12, bottom: valuesRoom, left: 64, right: 185 },
      maxRadius: 26,
    });
    svg.setAttribute('viewBox', `0 0 ${box.width.toFixed(1)} ${box.height.toFixed(1)}`);
    svg.replaceChildren();
    svg.style.setProperty('--font', `${font}px`);

    const gEdges = el('g', { class: 'edges' });
    const gEdgeLabels = el('g', { class: 'edge-labels' });
    const gUnits = el('g', { class: 'units' });
    const gVals = el('g', { class: 'unit-values' });
    const gTop = el('g', { class: 'top' });
    svg.append(gEdges, gEdgeLabels, gUnits, gVals, gTop);

    const n = sizes.length - 1;
    const r = layout.radius;
    const edgesPerLayer = sizes.slice(1).map((size, i) => Math.min(size, 16) * (Math.min(sizes[i], 16) + 1));
    // Small nets (up to 3 units a layer, 12 edges between two layers) show every
    // edge label; larger ones show a label on hover or selection only.
    const denseEdges = maxShown > 3 || Math.max(...edgesPerLayer) > 12;
    const maxEdgeWidth = Math.max(1.5, Math.min(7, 7 * Math.sqrt(12 / Math.max(...edgesPerLayer))));
    svg.classList.toggle('dense-net', denseEdges);
    const denseUnits = maxShown > 5 || layout.rowGap < 2 * r + 3 * lineH + 24;

    // Label spots: away from units, their value boxes, the loss box and each other.
    const edgeFont = 13;
    const probe = el('text', { class: 'edge-text', 'font-size': edgeFont }, '= −0.0000 − 0.5·(−0.00000)');
    svg.append(probe);
    const probeWidth = probe.getBBox().width || edgeFont * 0.66 * 23;
    probe.remove();
    const labelSize = { w: probeWidth + 12, h: edgeFont * 2.5 + 8 };
    const obstacles = [];
    for (const layer of layout.layers) {
      for (const u of layer.units) {
        obstacles.push({ x: u.x - r - 2, y: u.y - r - 2, w: 2 * r + 4, h: 2 * r + 4 });
        if (!denseUnits) {
          const rows = layer.layer === 0 ? 1 : 4;
          const half = layer.layer === 0 ? 40 : 82;
          obstacles.push({ x: u.x - half, y: u.y + r, w: 2 * half, h: rows * lineH + 8 });
        }
      }
      if (layer.bias) obstacles.push({ x: layer.bias.x - 12, y: layer.bias.y - 12, w: 24, h: 24 });
    }
    const spots = denseEdges ? new Map() : placeLabels(layout.edges, labelSize, obstacles, box);

    const edges = new Map();
    for (const e of layout.edges) {
      const id = `${e.layer}-${e.from}-${e.to}`;
      const label = weightLabel(sizes, e.layer, e.from, e.to);
      const halo = el('line', { class: 'edge-halo', x1: e.x1, y1: e.y1, x2: e.x2, y2: e.y2 });
      const line = el('line', { class: 'edge-line', x1: e.x1, y1: e.y1, x2: e.x2, y2: e.y2 });
      const flow = el('line', { class: 'edge-flow', x1: e.x2, y1: e.y2, x2: e.x1, y2: e.y1 });
      const hit = el('line', { class: 'edge-hit', x1: e.x1, y1: e.y1, x2: e.x2, y2: e.y2 });
      const title = el('title');
      const group = el('g', {
        class: `edge${e.from === 0 ? ' bias-edge' : ''}`, 'data-testid': `edge-${id}`,
        'data-layer': e.layer, 'data-from': e.from, 'data-to': e.to, 'data-label': labelUnicode(label),
      }, title, halo, line, flow, hit);
      gEdges.append(group);

      const p = spots.get(e) ?? pointOnEdge(e, 0.5);
      const line1 = el('text', { class: 'edge-text', x: p.x, y: p.y - 2 });
      const reset = appendLabel(line1, label, edgeFont);
      const eq = el('tspan', { dy: reset.toFixed(2), class: 'op' }, ' = ');
      const wSpan = valueSpan('w');
      const arrow = el('tspan', { class: 'op arrow' }, ' → ');
      const afterSpan = valueSpan('w_after');
      line1.append(eq, wSpan, arrow, afterSpan);
      const line2 = el('text', { class: 'edge-text line2', x: p.x, y: p.y + 1.2 * edgeFont });
      const gradName = el('tspan', { class: 'op' }, '∂L/∂w = ');
      const gradSpan = valueSpan('dL_dW');
      line2.append(gradName, gradSpan);
      const line3 = el('text', { class: 'edge-text line3', x: p.x, y: p.y + 1.2 * edgeFont });
      const arithmetic = el('tspan', { 'data-role': 'arithmetic' });
      line3.append(arithmetic);
      const bg = el('rect', { class: 'edge-label-bg', rx: 4 });
      const labelGroup = el('g', {
        class: `edge-label${denseEdges ? ' dense' : ''}`,
        'data-testid': `edge-${id}-label`,
      }, bg, line1, line2, line3);
      gEdgeLabels.append(labelGroup);
      const onClick = (ev) => { ev.stopPropagation(); select({ kind: 'weight', layer: e.layer, from: e.from, to: e.to }); };
      group.addEventListener('click', onClick);
      labelGroup.addEventListener('click', onClick);
      const dense = denseEdges;
      const hot = (on) => () => {
        labelGroup.classList.toggle('hot', on);
        group.classList.toggle('hot', on);
        if (on && dense) fitBox(bg, [line1, line2, line3], 5);
      };
      group.addEventListener('pointerenter', hot(true));
      group.addEventListener('pointerleave', hot(false));
      labelGroup.addEventListener('pointerenter', hot(true));
      labelGroup.addEventListener('pointerleave', hot(false));
      edges.set(id, {
        e, group, labelGroup, line, halo, title, bg, p, wSpan, arrow, afterSpan, line2, gradSpan, line3, arithmetic, label, eq, line1, dense,
      });
    }

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
        const group = el('g', { class: `unit ${kind}`, 'data-testid': `unit-${id}`, 'data-label': labelUnicode(label) },
          el('title', {}, `${labelUnicode(label)} (${kind})`), circle, text);
        gUnits.append(group);

        // Values box below the unit: one text line per quantity.
        const x0 = u.x;
        let y = u.y + r + 4 + font;
        const lines = {};
        const mk = (role, name, labelFor) => {
          const t = el('text', { class: `val-line val-${role}`, x: x0, y });
          if (labelFor) {
            const pre = name[0];
            t.append(el('tspan', { class: 'op' }, pre));
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
        const vals = el('g', { class: `unit-vals${denseUnits ? ' dense' : ''}`, 'data-testid': `unit-${id}-values` });
        const bg = el('rect', { class: 'val-bg', rx: 5 });
        vals.append(bg);
        if (u.layer === 0) {
          vals.append(mk('a', ['', ' = '], label));
        } else {
          vals.append(mk('s', 's = '));
          vals.append(mk('a', ['', ' = '], label));
          vals.append(mk('dlda', ['∂L/∂', ' = '], label));
          y += 3;
          const cacheY = y;
          const cacheBox = el('rect', { class: 'cache-box', rx: 5 });
          vals.append(cacheBox);
          const deltaText = mk('delta', 'δ = ');
          const badge = el('tspan', { class: 'cache-badge', dx: '6' }, 'cache');
          deltaText.append(badge);
          vals.append(deltaText);
          lines.delta.cacheBox = cacheBox;
          lines.delta.badge = badge;
          y += 4;
          void cacheY;
        }
        gVals.append(vals);
        const onClick = (ev) => { ev.stopPropagation(); select({ kind: 'unit', layer: u.layer, unit: u.unit }); };
        group.addEventListener('click', onClick);
        vals.addEventListener('click', onClick);
        const hot = (on) => () => {
          vals.classList.toggle('hot', on);
          group.classList.toggle('hot', on);
          if (on && denseUnits) {
            fitBox(bg, Object.values(lines).map((x) => x.text).filter((t) => !t.classList.contains('val-delta')), 5);
            if (lines.delta) fitBox(lines.delta.cacheBox, [lines.delta.text], 4);
          }
        };
        group.addEventListener('pointerenter', hot(true));
        group.addEventListener('pointerleave', hot(false));
        units.set(id, { u, group, vals, bg, lines, label, top: u.y + r + 4, dense: denseUnits });
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
    svg.addEventListener('click', () => select(null));

    built = {
      key: `${sizes.join('-')}|${Math.round(width)}x${Math.round(height)}|${projector}`,
      layout, units, edges, loss, lossText, targetText, lossBg, sizes, font, lineH, maxEdgeWidth,
    };
  }

  function render() {
    const state = getState();
    const session = state.session;
    if (!session) return;
    const sizes = session.network.layers;
    const { width, height } = size;
    if (width < 10 || height < 10) return;
    const key = `${sizes.join('-')}|${Math.round(width)}x${Math.round(height)}|${state.settings.projector}`;
    if (!built || built.key !== key) build(sizes, width, height, state.settings.projector);
    update(state);
  }

  function setValue(span, owner, attr, value, visible) {
    const text = visible && value !== null && value !== undefined ? formatNumber(value) : '';
    if (span.textContent !== text) span.textContent = text;
    if (owner.getAttribute(attr) !== text) owner.setAttribute(attr, text);
    return text;
  }

  // Size a background rect to its texts. Measuring forces a layout, so update()
  // queues these and measures them all after its writes (see flushFits).
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

  function applyFit(rect, box, pad) {
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

  function fitBox(rect, texts, pad = 4) {
    applyFit(rect, measure(texts), pad);
  }

  let pendingFits = [];
  function queueFit(rect, texts, pad = 4) {
    pendingFits.push([rect, texts, pad]);
  }
  function flushFits() {
    const boxes = pendingFits.map(([, texts]) => measure(texts));   // reads
    pendingFits.forEach(([rect, , pad], i) => applyFit(rect, boxes[i], pad)); // writes
    pendingFits = [];
  }

  function show(node, on) {
    if (on) node.removeAttribute('display');
    else node.setAttribute('display', 'none');
  }

  function update(state) {
    const { session, trace, selection } = state;
    const data = trace?.data ?? null;
    const kind = traceKind(data);
    const phases = state.phases?.length ? state.phases : buildPhases(data, session.network);
    const seen = visibility(phases, state.phaseIndex);
    const fwd = forwardOf(data);
    const current = seen.current;
    const n = built.sizes.length - 1;
    svg.dataset.phase = current ? current.id : 'none';
    svg.dataset.traceKind = kind ?? 'none';

    // Weight scale for thickness.
    let maxAbs = 1e-12;
    const weightsNow = session.weights;
    for (const w of weightsNow) {
      for (const row of w.W) for (const v of row) maxAbs = Math.max(maxAbs, Math.abs(v));
      for (const v of w.b) maxAbs = Math.max(maxAbs, Math.abs(v));
    }

    const path = pathOf(selection, built.sizes);

    for (const [id, ref] of built.edges) {
      const { e } = ref;
      let before = weightAt(weightsNow, e.layer, e.from, e.to);
      let after = null;
      if (kind === 'step') [before, after] = beforeAfter(data.update, e.layer, e.from, e.to);
      const grad = kind === 'backward' || kind === 'step' ? gradAt(data.grads, e.layer, e.from, e.to) : null;
      const gradVisible = seen.backward.has(e.layer);
      const updateVisible = seen.update;
      const wText = setValue(ref.wSpan, ref.group, 'data-w', before, true);
      const gText = setValue(ref.gradSpan, ref.group, 'data-dl-dw', grad, gradVisible);
      const aText = setValue(ref.afterSpan, ref.group, 'data-w-after', after, updateVisible);
      show(ref.arrow, updateVisible);
      show(ref.line2, gradVisible && !updateVisible);
      show(ref.line3, updateVisible);
      if (updateVisible) {
        const arithmetic = `= ${wText} − ${formatNumber(data.learning_rate)}·${gText.startsWith('−') ? `(${gText})` : gText}`;
        if (ref.arithmetic.textContent !== arithmetic) ref.arithmetic.textContent = arithmetic;
      }
      ref.eq.textContent = updateVisible ? ': ' : ' = ';
      const shown = updateVisible ? after : before;
      const mag = Math.abs(shown ?? 0) / maxAbs;
      ref.line.setAttribute('stroke-width', (0.8 + built.maxEdgeWidth * Math.min(1, mag)).toFixed(2));
      ref.group.classList.toggle('neg', (shown ?? 0) < 0);
      ref.group.classList.toggle('pos', (shown ?? 0) >= 0);
      const isSel = selection?.kind === 'weight' && selection.layer === e.layer && selection.from === e.from && selection.to === e.to;
      ref.group.classList.toggle('selected', isSel);
      ref.labelGroup.classList.toggle('selected', isSel);
      ref.group.classList.toggle('on-path', !!path && path.edges.has(id));
      ref.labelGroup.classList.toggle('on-path', !!path && path.edges.has(id));
      const fresh = current && ((current.kind === 'backward' && current.layer === e.layer) || current.kind === 'update');
      ref.labelGroup.classList.toggle('fresh', !!fresh);
      ref.group.classList.toggle('reuse', seen.reuse === e.layer && e.from !== 0);
      const title = `${labelUnicode(ref.label)} = ${wText}${gText ? `, ∂L/∂w = ${gText}` : ''}${aText ? `, new ${aText}` : ''}`;
      if (ref.title.textContent !== title) ref.title.textContent = title;
      if (!ref.dense || isSel) queueFit(ref.bg, [ref.line1, ref.line2, ref.line3], 5);
    }
    svg.classList.toggle('has-selection', !!path);

    for (const [id, ref] of built.units) {
      const { u, lines } = ref;
      const l = u.layer;
      if (l === 0) {
        const x = data ? (data.x ?? fwd.x)[u.unit - 1] : null;
        setValue(lines.a.span, ref.group, 'data-a', x, !!data);
        show(lines.a.text, !!data);
      } else {
        const fl = fwd?.layers?.[l - 1];
        const fv = seen.forward.has(l) && !!fl;
        setValue(lines.s.span, ref.group, 'data-s', fl?.s[u.unit - 1], fv);
        setValue(lines.a.span, ref.group, 'data-a', fl?.a[u.unit - 1], fv);
        show(lines.s.text, fv);
        show(lines.a.text, fv);
        const g = data?.grads?.[l - 1];
        const bv = seen.backward.has(l) && !!g;
        setValue(lines.dlda.span, ref.group, 'data-dlda', g?.dL_da[u.unit - 1], bv);
        setValue(lines.delta.span, ref.group, 'data-delta', g?.dL_ds[u.unit - 1], bv);
        show(lines.dlda.text, bv);
        show(lines.delta.text, bv);
        show(lines.delta.badge, bv);
        show(lines.delta.cacheBox, bv);
        if (bv && (!ref.dense || isSelUnit(selection, u))) queueFit(lines.delta.cacheBox, [lines.delta.text], 4);
        ref.vals.classList.toggle('reused', seen.reuse === l);
        const fresh = current && current.layer === l && (current.kind === 'forward' || current.kind === 'backward');
        ref.vals.classList.toggle('fresh', !!fresh);
        ref.group.classList.toggle('active', !!fresh);
      }
      const texts = Object.values(lines).map((x) => x.text).filter((t) => !t.classList.contains('val-delta'));
      if (!ref.dense || isSelUnit(selection, u)) queueFit(ref.bg, texts, 5);
      const isSel = selection?.kind === 'unit' && selection.layer === l && selection.unit === u.unit;
      ref.group.classList.toggle('selected', isSel);
      ref.vals.classList.toggle('selected', isSel);
      ref.group.classList.toggle('on-path', !!path && path.units.has(id));
      ref.vals.classList.toggle('on-path', !!path && path.units.has(id));
    }

    // Loss and target.
    const lossValue = data ? (data.loss ?? fwd.loss) : null;
    const target = data ? (data.y ?? fwd.y) : null;
    const lossText = setValue(built.lossText.querySelector('[data-role=loss]'), built.loss, 'data-loss', lossValue, seen.loss);
    const targetText = target && seen.loss ? target.map((v) => formatNumber(v)).join(', ') : '';
    const targetSpan = built.targetText.querySelector('[data-role=target]');
    if (targetSpan.textContent !== targetText) targetSpan.textContent = targetText;
    built.loss.setAttribute('data-target', targetText);
    show(built.loss, !!lossText);
    built.loss.classList.toggle('fresh', current?.kind === 'loss');
    if (lossText) queueFit(built.lossBg, [built.lossText, built.targetText], 8);
    flushFits();
    void n;
  }

  return { render };
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
