// chainrule.js — the chain-rule product behind one gradient, in the lecture's notation.
// Pure: no DOM, no fetch. Used by views/inspector.js; tested by tests/js/chainrule.test.js.
//
// API
//   buildChainRule({network, trace, selection, weights?})
//       network   the session's resolved spec: {layers: [n0, n1, ...], activations: [...], loss, l2?}
//       trace     a backward or step trace (docs/api-contract.md), or the store's {kind, data}
//       selection {kind: 'weight', layer, from, to} | {kind: 'unit', layer, unit}
//                 (state.js convention: layer 1 = first non-input layer for weights, 0 = input
//                 layer for units; from 0 = bias; from/to/unit are 1-based)
//       weights   [{W, b}] the weights the trace was computed with; optional for a step trace
//                 (its update[].W_before is used), needed for a backward trace when the
//                 expression uses a weight (hidden units, L2)
//     → {ok: false, reason} when there is nothing to show (no selection, no gradients yet, ...)
//     → {ok: true, kind, selection, target, factors, l2, product, value, traceValue,
//        cached, highlight, paths, notes}
//        target     {text, latex}: e.g. ∂L/∂w_22^h
//        factors    [Factor] whose product is the gradient (without the L2 term)
//        l2         null | {lambda, weight: Factor, value}: dL_dW includes λw when l2 > 0
//        product    Π factor values;  value = product (+ l2.value)
//        traceValue the same number as the trace reports it (dL_dW / dL_db / dL_ds), or null
//                   (∂L/∂x is not in the trace)
//        cached     [{unit: {layer, unit}, text, latex, value, factorIndices}] the cached δ's the
//                   product reuses (from the layer above, or the output δ kept for the layers below)
//        highlight  {units: [{layer, unit, role}], edges: [{layer, from, to, role}]}: the path(s)
//                   from the selected weight/unit to the output(s); unit 0 = the bias unit;
//                   role: 'selected' | 'source' | 'path'
//        paths      [[{layer, unit}, ...]] every path to the outputs (null when more than 64)
//        notes      [string] short plain-text remarks (the cached δ, simplifications)
//   Factor = {role, symbol: {text, latex}, closed: {text, latex}, value, cached: bool,
//             terms?: [{weight: Factor, delta: Factor, value}]}
//        role    'dL_dy' | 'delta' | 'weight' | 'local' | 'input' | 'bias' | 'sum'
//        symbol  as the lecture writes the chain (∂L/∂y, w_21^o, z2(1 − z2), x2)
//        closed  the same factor in closed form ((y − y*) for ∂L/∂y), else equal to symbol
//        terms   for role 'sum' (δ_j = f'(s_j) · Σ_k w_jk δ_k with several k): the terms w_jk δ_k
//   toLatex(expr, {format?, wrapFactor?, wrapTerm?, wrapProduct?, wrapSymbol?})
//     → {symbolic, closed, numeric, result} LaTeX strings for KaTeX (closed === null when it
//       is the same as symbolic). numeric has each factor's number in parentheses;
//       wrapFactor(latexNumber, factor, index) / wrapTerm(latexNumber, factor) /
//       wrapProduct(latexNumber) can decorate them (e.g. with \htmlData);
//       wrapSymbol(latex, factor, index) the factors of the symbolic and closed lines.
//   toText(expr, format?) → one plain-text line: "∂L/∂w_22^h = ∂L/∂y · … = (…)(…) = …"
//   latexNumber(v, digits = 4) → format.js's formatNumber text as LaTeX; KaTeX typesets it
//                                 back to exactly that text ("−0.1235", "1.5e−5")
//   labels(network) → {unit(layer, unit), weight(layer, from, to), delta(layer, unit),
//                      pre(layer, unit), target(unit)} each {text, latex}
//
// Notation (lecture): inputs x_i; hidden z_j (deeper nets z_j^(l)); output y (several: y_k);
// pre-activations s; W[i][j] of layer l ↔ w_(i+1)(j+1), b[j] ↔ w_0(j+1); superscript h / o with
// one hidden layer (or none), (l) in deeper nets. δ = ∂L/∂s.

import { formatNumber, MINUS } from './format.js';

const MAX_PATHS = 64;

// ---------------------------------------------------------------- numbers

// LaTeX of formatNumber's text whose typeset glyphs read back as that same text
// (KaTeX draws "-" as "−"): "−1.5e−5" → "-1.5\mathrm{e}{-5}"
export function latexNumber(v, digits = 4) {
  const text = formatNumber(v, digits).replaceAll(MINUS, '-');
  if (text === '—') return '\\text{—}';
  if (text === 'NaN') return '\\text{NaN}';
  if (text.endsWith('∞')) return text.replace('∞', '\\infty');
  const match = /^(-?[\d.]+)e(-?\d+)$/.exec(text);
  return match ? `${match[1]}\\mathrm{e}{${match[2]}}` : text;
}

// ---------------------------------------------------------------- notation

function pair(i, j) {
  return i >= 10 || j >= 10 ? `${i},${j}` : `${i}${j}`;
}

export function labels(network) {
  const sizes = network.layers;
  const L = sizes.length - 1; // non-input layers
  const lettered = L <= 2; // h / o superscripts with at most one hidden layer
  const nOut = sizes[L];
  const sup = (l) => {
    if (lettered) return l === L ? { text: 'o', latex: 'o' } : { text: 'h', latex: 'h' };
    return { text: `(${l})`, latex: `(${l})` };
  };
  const supLatex = (l) => `^{${sup(l).latex}}`;
  const supText = (l) => `^${sup(l).text}`;

  function unit(l, u) {
    if (u === 0) return { text: '1', latex: '1' };
    if (l === 0) return { text: `x${u}`, latex: `x_{${u}}` };
    if (l === L) {
      return nOut === 1 ? { text: 'y', latex: 'y' } : { text: `y${u}`, latex: `y_{${u}}` };
    }
    if (lettered) return { text: `z${u}`, latex: `z_{${u}}` };
    return { text: `z_${u}^(${l})`, latex: `z_{${u}}^{(${l})}` };
  }
  function target(u) {
    return nOut === 1 ? { text: 'y*', latex: 'y^{*}' } : { text: `y${u}*`, latex: `y_{${u}}^{*}` };
  }
  function weight(l, from, to) {
    return { text: `w_${pair(from, to)}${supText(l)}`, latex: `w_{${pair(from, to)}}${supLatex(l)}` };
  }
  function pre(l, u) {
    const single = l === L && nOut === 1;
    return single
      ? { text: `s${supText(l)}`, latex: `s${supLatex(l)}` }
      : { text: `s_${u}${supText(l)}`, latex: `s_{${u}}${supLatex(l)}` };
  }
  function delta(l, u) {
    const single = l === L && nOut === 1;
    return single
      ? { text: `δ${supText(l)}`, latex: `\\delta${supLatex(l)}` }
      : { text: `δ_${u}${supText(l)}`, latex: `\\delta_{${u}}${supLatex(l)}` };
  }
  return { L, lettered, unit, target, weight, pre, delta, sup };
}

// ---------------------------------------------------------------- helpers

function same(sym) {
  return { symbol: sym, closed: sym };
}

function factor(role, symbol, value, extra = {}) {
  return { role, symbol, closed: extra.closed || symbol, value, cached: !!extra.cached, ...(extra.terms ? { terms: extra.terms } : {}) };
}

function partial(num, den) {
  return { text: `∂${num.text}/∂${den.text}`, latex: `\\frac{\\partial ${num.latex}}{\\partial ${den.latex}}` };
}

// a label that already carries a superscript needs parentheses before a power
function paren(lab) {
  return lab.latex.includes('^') ? `\\left(${lab.latex}\\right)` : lab.latex;
}

function unwrapTrace(trace) {
  if (!trace) return null;
  if (trace.kind && trace.data) return trace.data;
  return trace;
}

// ---------------------------------------------------------------- builder

export function buildChainRule({ network, trace, selection, weights } = {}) {
  if (!selection) return { ok: false, reason: 'Click a weight or a unit to see its chain-rule product.' };
  if (!network || !Array.isArray(network.layers)) return { ok: false, reason: 'No network yet.' };
  const data = unwrapTrace(trace);
  if (!data || !Array.isArray(data.grads)) {
    return { ok: false, reason: 'Run Backward or Step to compute the gradients first.' };
  }
  const lab = labels(network);
  const { L } = lab;
  const sizes = network.layers;
  const acts = network.activations || [];
  const loss = network.loss || 'squared';
  const forward = data.forward || {};
  const fLayers = forward.layers || [];
  const grads = data.grads;
  const x = data.x || forward.x || [];
  const ystar = data.y || forward.y || [];
  const used = Array.isArray(data.update)
    ? data.update.map((u) => ({ W: u.W_before, b: u.b_before }))
    : weights || null;
  const missingWeights = () => ({ ok: false, reason: 'The weights used by this trace are not known.' });

  const act = (l) => acts[l - 1] || 'linear';
  const aOf = (l, u) => (l === 0 ? x[u - 1] : fLayers[l - 1].a[u - 1]);
  const sOf = (l, u) => fLayers[l - 1].s[u - 1];
  const deltaOf = (l, u) => grads[l - 1].dL_ds[u - 1];
  const wOf = (l, from, to) => (from === 0 ? used[l - 1].b[to - 1] : used[l - 1].W[from - 1][to - 1]);

  // validate the selection against the network
  const sel = selection;
  if (sel.kind === 'weight') {
    if (!(sel.layer >= 1 && sel.layer <= L && sel.to >= 1 && sel.to <= sizes[sel.layer]
      && sel.from >= 0 && sel.from <= sizes[sel.layer - 1])) {
      return { ok: false, reason: 'The selected weight is not in this network.' };
    }
  } else if (sel.kind === 'unit') {
    if (!(sel.layer >= 0 && sel.layer <= L && sel.unit >= 1 && sel.unit <= sizes[sel.layer])) {
      return { ok: false, reason: 'The selected unit is not in this network.' };
    }
  } else {
    return { ok: false, reason: 'Unknown selection.' };
  }
  if (grads.length !== L || fLayers.length !== L) {
    return { ok: false, reason: 'The trace does not match the network (reload the session).' };
  }

  const notes = [];
  const cached = [];

  // the local derivative ∂a/∂s of unit (l, u) as a factor, or null when it is 1 (linear)
  function localFactor(l, u) {
    const a = aOf(l, u);
    const s = sOf(l, u);
    const z = lab.unit(l, u);
    const zs = { text: z.text, latex: paren(z) };
    const pre = lab.pre(l, u);
    switch (act(l)) {
      case 'sigmoid':
        return factor('local', { text: `${zs.text}(1 − ${zs.text})`, latex: `${zs.latex}(1 - ${zs.latex})` }, a * (1 - a));
      case 'tanh':
        return factor('local', { text: `(1 − ${zs.text}²)`, latex: `(1 - ${zs.latex}^{2})` }, 1 - a * a);
      case 'relu':
        return factor('local', { text: `relu′(${pre.text})`, latex: `\\operatorname{relu}'(${pre.latex})` }, s > 0 ? 1 : 0);
      case 'leaky_relu':
        return factor('local', { text: `lrelu′(${pre.text})`, latex: `\\operatorname{lrelu}'(${pre.latex})` }, s > 0 ? 1 : 0.01);
      case 'linear':
        return null;
      default:
        return factor('local', partial(z, pre), grads[l - 1].dL_da[u - 1] === 0 ? 0 : deltaOf(l, u) / grads[l - 1].dL_da[u - 1]);
    }
  }

  // δ_k of output unit k as factors (the loss's derivative and the output's local derivative)
  function outputDeltaFactors(k, isCached) {
    const y = lab.unit(L, k);
    const t = lab.target(k);
    const a = act(L);
    const dLda = grads[L - 1].dL_da[k - 1];
    const delta = deltaOf(L, k);
    const yMinus = { text: `(${y.text} − ${t.text})`, latex: `(${y.latex} - ${t.latex})` };
    const opts = { cached: isCached };
    if (loss === 'cross_entropy' && (a === 'sigmoid' || a === 'softmax')) {
      notes.push(`With ${a} output and cross-entropy, δ = ∂L/∂s simplifies to y − y*.`);
      return [factor('delta', lab.delta(L, k), delta, { ...opts, closed: yMinus })];
    }
    if (a === 'softmax') {
      notes.push('With a softmax output and squared loss, δ_k mixes every output (the softmax Jacobian); its value is taken from the trace.');
      const sum = { text: `Σ_m ∂L/∂y_m · ∂y_m/∂s_${k}`, latex: `\\sum_{m} \\frac{\\partial L}{\\partial y_{m}} \\frac{\\partial y_{m}}{\\partial ${lab.pre(L, k).latex}}` };
      return [factor('delta', lab.delta(L, k), delta, { ...opts, closed: sum })];
    }
    const dLdy = partial({ text: 'L', latex: 'L' }, y);
    let closed;
    if (loss === 'squared') closed = yMinus;
    else {
      closed = {
        text: `(−${t.text}/${y.text} + (1 − ${t.text})/(1 − ${y.text}))`,
        latex: `\\left(-\\frac{${t.latex}}{${y.latex}} + \\frac{1 - ${t.latex}}{1 - ${y.latex}}\\right)`,
      };
    }
    const out = [factor('dL_dy', dLdy, dLda, { ...opts, closed })];
    const local = localFactor(L, k);
    if (local) {
      local.cached = isCached;
      out.push(local);
    }
    return out;
  }

  // Σ_k w_jk δ_k over the units k of layer l+1 above unit (l, j): ∂L/∂a of that unit
  function upstreamFactors(l, j) {
    const up = l + 1;
    const n = sizes[up];
    if (!used) return null;
    if (n === 1) {
      const w = factor('weight', lab.weight(up, j, 1), wOf(up, j, 1));
      let dFactors;
      if (up === L) dFactors = outputDeltaFactors(1, true);
      else dFactors = [factor('delta', lab.delta(up, 1), deltaOf(up, 1), { cached: true })];
      cached.push({ unit: { layer: up, unit: 1 }, ...lab.delta(up, 1), value: deltaOf(up, 1), factorIndices: dFactors.map((_, i) => i) });
      return [...dFactors, w];
    }
    const terms = [];
    for (let k = 1; k <= n; k += 1) {
      const w = factor('weight', lab.weight(up, j, k), wOf(up, j, k));
      const d = factor('delta', lab.delta(up, k), deltaOf(up, k), { cached: true });
      terms.push({ weight: w, delta: d, value: w.value * d.value });
      cached.push({ unit: { layer: up, unit: k }, ...lab.delta(up, k), value: d.value, factorIndices: [0] });
    }
    const supL = lab.sup(up).latex;
    const idx = j >= 10 ? `${j},k` : `${j}k`;
    const symbol = {
      text: `Σ_k w_${idx}^${lab.sup(up).text} δ_k^${lab.sup(up).text}`,
      latex: `\\sum_{k=1}^{${n}} w_{${idx}}^{${supL}}\\,\\delta_{k}^{${supL}}`,
    };
    const closed = {
      text: terms.map((t) => `${t.weight.symbol.text}·${t.delta.symbol.text}`).join(' + '),
      // plain parentheses keep the + at the top level, where KaTeX may break the line
      latex: `(${terms.map((t) => `${t.weight.symbol.latex}\\,${t.delta.symbol.latex}`).join(' + ')})`,
    };
    const value = terms.reduce((acc, t) => acc + t.value, 0);
    return [factor('sum', symbol, value, { closed, cached: true, terms })];
  }

  // δ of unit (l, u) = ∂L/∂s as factors
  function deltaFactors(l, u) {
    if (l === L) return outputDeltaFactors(u, false);
    const up = upstreamFactors(l, u);
    if (!up) return null;
    const local = localFactor(l, u);
    return local ? [...up, local] : up;
  }

  let target;
  let factors;
  let traceValue;
  let l2 = null;

  if (sel.kind === 'weight') {
    const { layer: l, from, to } = sel;
    const wLab = lab.weight(l, from, to);
    target = partial({ text: 'L', latex: 'L' }, wLab);
    const d = deltaFactors(l, to);
    if (!d) return missingWeights();
    const input = from === 0
      ? factor('bias', { text: '1', latex: '1' }, 1)
      : factor('input', same(lab.unit(l - 1, from)).symbol, aOf(l - 1, from));
    factors = [...d, input];
    traceValue = from === 0 ? grads[l - 1].dL_db[to - 1] : grads[l - 1].dL_dW[from - 1][to - 1];
    if (l === L) {
      const dl = lab.delta(L, to);
      cached.push({ unit: { layer: L, unit: to }, ...dl, value: deltaOf(L, to), factorIndices: d.map((_, i) => i) });
      notes.push(`${dl.text} = ∂L/∂s is computed once at the output and cached: every weight below reuses it.`);
    } else {
      notes.push(`${cached.map((c) => c.text).join(', ')} ${cached.length > 1 ? 'are' : 'is'} the cached δ from the layer above, reused here.`);
    }
    const lambda = Number(network.l2 || 0);
    if (lambda > 0 && from > 0) {
      if (!used) return missingWeights();
      const w = factor('weight', wLab, wOf(l, from, to));
      l2 = { lambda, weight: w, value: lambda * w.value };
      notes.push('With L2 the gradient gets λ·w on top of the chain-rule product.');
    }
  } else {
    const { layer: l, unit: u } = sel;
    if (l === 0) {
      const xl = lab.unit(0, u);
      target = partial({ text: 'L', latex: 'L' }, xl);
      factors = upstreamFactors(0, u);
      if (!factors) return missingWeights();
      traceValue = null;
      notes.push('∂L/∂x is not needed for the update; it is shown for completeness.');
    } else {
      const dl = lab.delta(l, u);
      const pre = lab.pre(l, u);
      target = {
        text: `${dl.text} = ∂L/∂${pre.text}`,
        latex: `${dl.latex} = \\frac{\\partial L}{\\partial ${pre.latex}}`,
      };
      factors = deltaFactors(l, u);
      if (!factors) return missingWeights();
      traceValue = deltaOf(l, u);
      if (l < L) notes.push(`${cached.map((c) => c.text).join(', ')} ${cached.length > 1 ? 'are' : 'is'} the cached δ from the layer above.`);
      else notes.push(`${dl.text} is cached here for the layers below.`);
    }
  }

  const product = factors.reduce((acc, f) => acc * f.value, 1);
  const value = product + (l2 ? l2.value : 0);
  const { highlight, paths } = pathsFor(sizes, sel);
  return {
    ok: true,
    kind: sel.kind,
    selection: sel,
    target,
    factors,
    l2,
    product,
    value,
    traceValue,
    cached,
    highlight,
    paths,
    notes: [...new Set(notes)],
  };
}

// ---------------------------------------------------------------- paths

function pathsFor(sizes, sel) {
  const L = sizes.length - 1;
  const units = [];
  const edges = [];
  let start; // the unit from which the gradient flows up to the outputs
  if (sel.kind === 'weight') {
    edges.push({ layer: sel.layer, from: sel.from, to: sel.to, role: 'selected' });
    units.push({ layer: sel.layer - 1, unit: sel.from, role: 'source' });
    units.push({ layer: sel.layer, unit: sel.to, role: 'path' });
    start = { layer: sel.layer, unit: sel.to };
  } else {
    units.push({ layer: sel.layer, unit: sel.unit, role: 'selected' });
    start = { layer: sel.layer, unit: sel.unit };
  }
  // every edge above the start unit: from it to all of the next layer, then all weights above
  for (let l = start.layer + 1; l <= L; l += 1) {
    const froms = l === start.layer + 1 ? [start.unit] : range(1, sizes[l - 1]);
    for (const from of froms) {
      for (const to of range(1, sizes[l])) edges.push({ layer: l, from, to, role: 'path' });
    }
    for (const u of range(1, sizes[l])) units.push({ layer: l, unit: u, role: 'path' });
  }
  let count = 1;
  for (let l = start.layer + 1; l <= L; l += 1) count *= sizes[l];
  let paths = null;
  if (count <= MAX_PATHS) {
    const head = sel.kind === 'weight' ? [{ layer: sel.layer - 1, unit: sel.from }] : [];
    paths = [[...head, { ...start }]];
    for (let l = start.layer + 1; l <= L; l += 1) {
      const next = [];
      for (const p of paths) for (const u of range(1, sizes[l])) next.push([...p, { layer: l, unit: u }]);
      paths = next;
    }
  }
  return { highlight: { units, edges }, paths };
}

function range(a, b) {
  const out = [];
  for (let i = a; i <= b; i += 1) out.push(i);
  return out;
}

// ---------------------------------------------------------------- rendering to strings

const DOT = ' \\cdot ';

export function toLatex(expr, options = {}) {
  const fmt = options.format || ((v) => latexNumber(v));
  const wrapFactor = options.wrapFactor || ((n) => n);
  const wrapTerm = options.wrapTerm || ((n) => n);
  const wrapProduct = options.wrapProduct || ((n) => n);
  const wrapSymbol = options.wrapSymbol || ((s) => s);
  if (!expr || !expr.ok) return null;
  const l2Sym = expr.l2 ? ` + \\lambda\\, ${expr.l2.weight.symbol.latex}` : '';
  const symbolic = `${expr.target.latex} = ${expr.factors.map((f, i) => wrapSymbol(f.symbol.latex, f, i)).join(DOT)}${l2Sym}`;
  const sameForm = expr.factors.every((f) => f.closed.latex === f.symbol.latex);
  const closed = sameForm
    ? null
    : `= ${expr.factors.map((f, i) => wrapSymbol(f.closed.latex, f, i)).join(DOT)}${l2Sym}`;
  const numericFactors = expr.factors.map((f, i) => {
    if (f.role === 'sum') {
      const inner = f.terms
        .map((t) => `(${wrapTerm(fmt(t.weight.value), t.weight)})(${wrapTerm(fmt(t.delta.value), t.delta)})`)
        .join(' + ');
      return `(${inner})`;
    }
    return `(${wrapFactor(fmt(f.value), f, i)})`;
  });
  const l2Num = expr.l2
    ? ` + (${fmt(expr.l2.lambda)})(${wrapTerm(fmt(expr.l2.weight.value), expr.l2.weight)})`
    : '';
  const numeric = `= ${numericFactors.join('\\allowbreak ')}${l2Num}`;
  const result = `= ${wrapProduct(fmt(expr.value))}`;
  return { symbolic, closed, numeric, result };
}

export function toText(expr, format = formatNumber) {
  if (!expr || !expr.ok) return expr ? expr.reason : '';
  const sym = expr.factors.map((f) => f.symbol.text).join(' · ');
  const closed = expr.factors.map((f) => f.closed.text).join(' · ');
  const nums = expr.factors
    .map((f) => (f.role === 'sum'
      ? `(${f.terms.map((t) => `(${format(t.weight.value)})(${format(t.delta.value)})`).join(' + ')})`
      : `(${format(f.value)})`))
    .join('');
  const l2 = expr.l2 ? ` + λ·${expr.l2.weight.symbol.text}` : '';
  const l2n = expr.l2 ? ` + (${format(expr.l2.lambda)})(${format(expr.l2.weight.value)})` : '';
  const parts = [`${expr.target.text} = ${sym}${l2}`];
  if (closed !== sym) parts.push(`${closed}${l2}`);
  parts.push(`${nums}${l2n}`, format(expr.value));
  return parts.join(' = ');
}
