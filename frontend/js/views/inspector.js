// views/inspector.js — the chain-rule inspector panel.
//
//   mountInspector(container) → unmount()
//
// Shows the selected weight's ∂L/∂w (or the selected unit's δ = ∂L/∂s) as the product of its
// local factors, typeset with the vendored KaTeX: the lecture's symbolic line, the closed form
// (when it differs), the same product with the trace's numbers in parentheses, and the value,
// checked against the trace. Names the cached δ it reuses from the layer above, and publishes
// the path(s) to highlight as state.highlight = {units, edges} (see state.js) for the network view.
// Reads state.session, state.trace, state.selection; writes only state.highlight.
//
// Test hooks: data-testid="inspector-factor" on each numeric factor (text = the displayed
// number, data-value = the full value), "inspector-product" on the result, "inspector-term" on
// the numbers inside an explicit sum, "inspector-cached", "inspector-check", "inspector-empty".
import katex from '../../vendor/katex/katex.mjs';
import { getState, setState, subscribe } from '../state.js';
import { buildChainRule, toLatex, toText, factorLines } from '../chainrule.js';
import { formatNumber, latexNumber } from '../format.js';

const STYLE_ID = 'bp-inspector-style';
// Okabe–Ito blue for the cached δ; the whole theme may override it with --bp-cached.
const STYLE = `
.bp-inspector { font-size: 1rem; line-height: 1.5; }
.bp-inspector .bp-line { overflow-x: auto; overflow-y: hidden; padding: .15em 0; }
.bp-inspector .bp-line .katex { font-size: 1.15em; }
.bp-inspector .bp-cached { color: var(--bp-cached, #0072B2); }
.bp-inspector .bp-cached-note { border-left: .25em solid var(--bp-cached, #0072B2); padding-left: .5em; margin: .5em 0; }
.bp-inspector .bp-check { font-size: .9em; opacity: .85; margin: .3em 0; }
.bp-inspector .bp-notes { font-size: .9em; opacity: .85; margin: .3em 0 0; padding-left: 1.2em; }
.bp-inspector .bp-empty { opacity: .8; font-style: italic; font-size: .85em; margin: 0; }
.bp-inspector .bp-factors-head { margin: .4em 0 .1em; font-size: .9em; }
.bp-inspector .bp-factor-list { margin: 0; padding-left: 1.2em; font-size: .95em; }
.bp-inspector .bp-factor-list li { overflow-x: auto; overflow-y: hidden; }
.bp-inspector .bp-weights-note { font-size: .9em; margin: .3em 0; }
`;

const KATEX_OPTIONS = {
  throwOnError: false,
  strict: 'ignore',
  trust: (ctx) => ctx.command === '\\htmlData' || ctx.command === '\\htmlClass',
};

function ensureStyle() {
  if (typeof document === 'undefined' || document.getElementById(STYLE_ID)) return;
  const style = document.createElement('style');
  style.id = STYLE_ID;
  style.textContent = STYLE;
  document.head.appendChild(style);
}

function el(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

function mathLine(latex, testid) {
  const div = el('div', { class: 'bp-line', 'data-testid': testid });
  katex.render(`\\displaystyle ${latex}`, div, KATEX_OPTIONS);
  return div;
}

function mathInline(latex) {
  const span = el('span');
  katex.render(latex, span, KATEX_OPTIONS);
  return span;
}

// \htmlData values must not contain "," or "="
const dataValue = (v) => String(v).replace(/[,=]/g, '');

function weightsFor(state) {
  return state.session ? state.session.weights : null;
}

// the trace's number under its lecture name: ∂L/∂w₂₂ʰ, δ₂ʰ
function traceName(expr) {
  return expr.kind === 'weight' ? expr.target.unicode : expr.target.unicode.split(' = ')[0];
}

function highlightKey(h) {
  return h ? JSON.stringify(h) : 'null';
}

export function mountInspector(container) {
  ensureStyle();
  container.classList.add('bp-inspector');
  container.setAttribute('aria-live', 'polite');
  let last = { session: undefined, trace: undefined, selection: undefined, early: undefined };

  function render(state) {
    const early = notYetComputed(state);
    if (state.session === last.session && state.trace === last.trace && state.selection === last.selection
        && early === last.early) return;
    last = { session: state.session, trace: state.trace, selection: state.selection, early };
    const network = state.session && state.session.network;
    let expr = network
      ? buildChainRule({ network, trace: state.trace, selection: state.selection, weights: weightsFor(state) })
      : { ok: false, reason: 'No session yet.' };
    if (expr.ok && early) {
      // don't give the answer away while the animation (or the teacher's micro-steps)
      // has not reached the backward pass of this layer yet
      expr = { ok: false, reason: 'This gradient is computed when the backward pass reaches '
        + 'this layer: step on (→) to see its chain-rule product.' };
    }
    container.replaceChildren(...(expr.ok ? renderExpr(expr) : renderEmpty(expr.reason)));
    const highlight = expr.ok ? expr.highlight : null;
    if (highlightKey(highlight) !== highlightKey(getState().highlight ?? null)) setState({ highlight });
  }

  const unsubscribe = subscribe((state) => render(state));
  render(getState());
  return () => {
    unsubscribe();
    container.replaceChildren();
    if (getState().highlight) setState({ highlight: null });
  };
}

/** True while the shown phase is before the backward phase of the selected layer. */
function notYetComputed(state) {
  const { phases, phaseIndex, selection } = state;
  if (!selection || !phases || !phases.length) return false;
  const layer = Math.max(1, selection.layer);   // input units get ∂L/∂x with layer 1
  const at = phases.findIndex((p) => p.kind === 'backward' && p.layer === layer);
  return at >= 0 && phaseIndex < at;
}

function renderEmpty(reason) {
  return [el('p', { class: 'bp-empty', 'data-testid': 'inspector-empty' }, reason)];
}

function renderExpr(expr) {
  const nodes = [];
  const cachedIdx = new Set();
  expr.factors.forEach((f, i) => { if (f.cached) cachedIdx.add(i); });
  const tex = toLatex(expr, {
    format: (v) => latexNumber(v),
    wrapSymbol: (s, f, i) => (cachedIdx.has(i) && f.role !== 'sum' ? `\\htmlClass{bp-cached}{${s}}` : s),
    wrapFactor: (n, f, i) => {
      const inner = `\\htmlData{testid=inspector-factor, value=${dataValue(f.value)}, role=${f.role}}{${n}}`;
      return cachedIdx.has(i) ? `\\htmlClass{bp-cached}{${inner}}` : inner;
    },
    wrapTerm: (n, f) => {
      const inner = `\\htmlData{testid=inspector-term, value=${dataValue(f.value)}, role=${f.role}}{${n}}`;
      return f.cached ? `\\htmlClass{bp-cached}{${inner}}` : inner;
    },
    wrapProduct: (n) => `\\htmlData{testid=inspector-product, value=${dataValue(expr.value)}}{${n}}`,
  });
  const math = el('div', { class: 'bp-math', role: 'math', 'aria-label': toText(expr) });
  math.append(mathLine(tex.symbolic, 'inspector-symbolic'));
  if (tex.closed) math.append(mathLine(tex.closed, 'inspector-closed'));
  math.append(mathLine(tex.numeric, 'inspector-numeric'));
  math.append(mathLine(tex.result, 'inspector-result'));
  nodes.push(math);

  // each factor with its own arithmetic: z2(1 − z2) = 0.1978(1 − 0.1978) = 0.1587
  const lines = factorLines(expr);
  if (lines.length) {
    const box = el('div', { class: 'bp-factors', 'data-testid': 'inspector-factors' });
    box.append(el('p', { class: 'bp-factors-head' }, 'The factors:'));
    const ul = el('ul', { class: 'bp-factor-list' });
    for (const line of lines) {
      const li = el('li', {
        'data-testid': 'inspector-factor-line', 'data-role': line.factor.role,
        'data-value': String(line.factor.value), 'aria-label': line.text,
      });
      li.append(mathInline(line.latex));
      ul.append(li);
    }
    box.append(ul);
    nodes.push(box);
  }
  nodes.push(el('p', { class: 'bp-weights-note', 'data-testid': 'inspector-weights-note' }, expr.weightsNote));

  if (expr.cached.length) {
    const fromAbove = expr.cached[0].unit.layer > expr.selection.layer;
    const p = el('p', { class: 'bp-cached-note', 'data-testid': 'inspector-cached' });
    p.append(fromAbove ? 'Cached δ from the layer above (highlighted): ' : 'Cached for the layers below: ');
    expr.cached.forEach((c, i) => {
      if (i) p.append(', ');
      p.append(mathInline(`${c.latex} = ${latexNumber(c.value)}`));
    });
    p.append(fromAbove
      ? ' — computed once on the way down and reused here, not recomputed.'
      : ' — δ = ∂L/∂s of this output unit, computed once here and reused by every weight below.');
    nodes.push(p);
  }

  if (expr.traceValue !== null && expr.traceValue !== undefined) {
    const diff = Math.abs(expr.value - expr.traceValue);
    const ok = diff <= 1e-9 * Math.max(1, Math.abs(expr.traceValue));
    nodes.push(el('p', { class: 'bp-check', 'data-testid': 'inspector-check' },
      `Backend trace: ${traceName(expr)} = ${formatNumber(expr.traceValue)} ${ok ? '✓ same' : `✗ differs by ${formatNumber(diff)}`}`));
  }
  const notes = expr.notes.filter((n) => !/cached/.test(n));
  if (notes.length) {
    const ul = el('ul', { class: 'bp-notes' });
    for (const n of notes) ul.append(el('li', {}, n));
    nodes.push(ul);
  }
  return nodes;
}
