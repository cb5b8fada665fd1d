// The projector's heat map of a "click the weight with the largest |∂L/∂w|" question (issue 15):
// the students' clicks drawn on the teacher's own network (views/network.js) — each clicked
// edge glows, wider and stronger the more students chose it, with a badge of its count near
// the unit it feeds; a caption on the network says how many answered. Nothing tells the
// answer before the reveal; after it the right weight is marked (a green badge, even if nobody
// chose it) and the caption says how many were right and which classic wrong picks were made,
// with their counts. The drawing is two groups of its own in the network's SVG (the glow right
// above the edges, the badges on top), drawn again when the network redraws its edges (its
// container's `bp-network-built` event); neither takes a click.
import { weightLabel, labelUnicode } from '../format.js';
import { clicksOf, diagnosesOf, prettyLabel } from './client.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const MIN_WIDTH = 3; // heat line width (drawing units) of the least-clicked edge …
const MAX_WIDTH = 16; // … and of the most-clicked one
const BADGE_R = 12;
const BADGE_AT = 0.78; // where on an edge its count sits: near the unit it feeds, clear of the labels
// at the midpoints (for the edges into one unit still apart: 0.22 of their sources' spacing)

/** The network view's edge id ("layer-from-to", 1-based, from 0 = the bias) of an answer's weight
 * ({layer: 0-based, i: -1 for the bias, j}). */
export function edgeIdOf(w) {
  return `${w.layer + 1}-${w.i + 1}-${w.j + 1}`;
}

/** Pure: what the heat map shows for a pick-the-weight question's results (the projector's
 * `results`/`reveal` data): {answered, revealed, correct, right: edge id | null,
 * edges: [{id, count, heat (count / the largest count, 0..1], right}]} in the results' order. */
export function heatOf(results) {
  const expected = results?.expected && typeof results.expected === 'object' ? results.expected : null;
  const clicks = clicksOf(results).filter((c) => c.count > 0);
  const max = Math.max(1, ...clicks.map((c) => c.count));
  const edges = clicks.map((c) => ({ id: edgeIdOf(c), count: c.count, heat: c.count / max, right: !!expected && c.right }));
  const right = expected ? edgeIdOf(expected) : null;
  if (right && !edges.some((e) => e.id === right)) edges.push({ id: right, count: 0, heat: 0, right: true });
  return {
    answered: results?.answered ?? 0,
    revealed: !!expected,
    correct: results?.correct ?? null,
    right,
    edges,
  };
}

function svgEl(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** The heat map on the network drawn in `container` (the element holding the network's SVG):
 * show(results, sizes) draws (or redraws) it, clear() takes it away. */
export function mountHeat(container) {
  let shown = null; // {results, sizes}
  const caption = document.createElement('div');
  caption.className = 'class-heat-caption';
  caption.dataset.testid = 'class-heat-caption';
  caption.hidden = true;
  container.append(caption);

  const network = () => container.querySelector('svg.network');
  container.addEventListener('bp-network-built', () => draw());

  function draw() {
    const net = network();
    for (const old of net?.querySelectorAll(':scope > .class-heat, :scope > .class-heat-lines') ?? []) old.remove();
    if (!shown || !net) {
      caption.hidden = true;
      return;
    }
    const { results, sizes } = shown;
    const heat = heatOf(results);
    // the glow under the labels and units (right above the edges), the counts above everything
    const lines = svgEl('g', { class: 'class-heat-lines', 'pointer-events': 'none' });
    const group = svgEl('g', {
      class: 'class-heat', 'data-testid': 'class-heat', 'pointer-events': 'none',
      'data-answered': heat.answered, 'data-status': heat.revealed ? 'revealed' : 'open',
    });
    for (const e of heat.edges) {
      const line = net.querySelector(`[data-testid="edge-${e.id}"] .edge-line`);
      if (!line) continue; // a unit the drawing leaves out ("… more"): the panel's list has it
      const [x1, y1, x2, y2] = ['x1', 'y1', 'x2', 'y2'].map((a) => Number(line.getAttribute(a)));
      const cls = e.right ? ' right' : '';
      if (e.count > 0) {
        lines.append(svgEl('line', {
          class: `heat-line${cls}`, x1, y1, x2, y2,
          'stroke-width': (MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * e.heat).toFixed(1),
          'stroke-opacity': (0.3 + 0.5 * e.heat).toFixed(2),
        }));
      }
      if (e.right) lines.append(svgEl('line', { class: 'heat-right-line', x1, y1, x2, y2 }));
      const bx = x1 + BADGE_AT * (x2 - x1);
      const by = y1 + BADGE_AT * (y2 - y1);
      const badge = svgEl('g', {
        class: `heat-badge${cls}`, 'data-testid': `heat-${e.id}`, 'data-count': e.count,
        'data-right': String(e.right), transform: `translate(${bx.toFixed(1)} ${by.toFixed(1)})`,
      });
      const text = svgEl('text', { class: 'heat-count' });
      text.textContent = e.right ? `✓ ${e.count}` : String(e.count);
      badge.append(svgEl('rect', {
        x: -BADGE_R - (e.right ? 7 : 0), y: -BADGE_R, rx: BADGE_R, width: 2 * BADGE_R + (e.right ? 14 : 0), height: 2 * BADGE_R,
      }), text);
      group.append(badge);
    }
    const edges = net.querySelector(':scope > .edges');
    if (edges) edges.after(lines);
    else net.append(lines);
    net.append(group);
    caption.hidden = false;
    caption.dataset.answered = String(heat.answered);
    let line = `${heat.answered} answered · the number on a weight: how many chose it`;
    const notes = [];
    if (heat.revealed) {
      const [layer, from, to] = heat.right.split('-').map(Number);
      let name = heat.right;
      try {
        name = labelUnicode(weightLabel(sizes, layer, from, to));
      } catch { /* the id then */ }
      line = `✓ ${name} has the largest |∂L/∂w| · ${heat.correct ?? 0} of ${heat.answered} right`;
      // the classic wrong picks, with how many made them (anonymous)
      for (const d of diagnosesOf(results)) {
        const item = document.createElement('div');
        item.className = 'class-heat-diagnosis';
        item.dataset.code = d.code;
        item.textContent = `${d.count} × ${prettyLabel(d.message) || d.code.replaceAll('_', ' ')}`;
        notes.push(item);
      }
    }
    caption.replaceChildren(line, ...notes);
  }

  return {
    show(results, sizes) {
      shown = { results, sizes };
      draw();
    },
    clear() {
      shown = null;
      draw();
    },
  };
}
