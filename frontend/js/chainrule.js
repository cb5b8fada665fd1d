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
//        arithmetic the closed form with the factor's own numbers (z2(1 − z2) → 0.1978(1 − 0.1978)),
//                null when the factor is a plain number (a weight, an input)
//        terms   for role 'sum' (δ_j = f'(s_j) · Σ_k w_jk δ_k with several k): the terms w_jk δ_k
//   toLatex(expr, {format?, wrapFactor?, wrapTerm?, wrapProduct?, wrapSymbol?})
//     → {symbolic, closed, numeric, result} LaTeX strings for KaTeX (closed === null when it
//       is the same as symbolic). numeric has each factor's number in parentheses;
//       wrapFactor(latexNumber, factor, index) / wrapTerm(latexNumber, factor) /
//       wrapProduct(latexNumber) can decorate them (e.g. with \htmlData);
//       wrapSymbol(latex, factor, index) the factors of the symbolic and closed lines.
//   toText(expr, format?) → one plain-text line: "∂L/∂w_22^h = ∂L/∂y · … = (…)(…) = …"
//   factorLines(expr, format?) → [{factor, text, latex}] one line per factor with its own arithmetic:
//       "z2(1 − z2) = 0.1978(1 − 0.1978) = 0.1587", "w_21^o = 0.3", "(y − y*) = 0.4053 − 0 = 0.4053"
//   expr.weightsNote   says which weights the factors use (before the update, for a step trace)
//
// Every symbol and formula comes from notation.js (the activation's derivative and the loss's
// ∂L/∂y from the server's table, GET /api/meta); the local factor's value is the trace's da_ds.
// W[i][j] of layer l ↔ w_(i+1)(j+1), b[j] ↔ w_0(j+1).

import { formatNumber, latexNumber } from './format.js';
import {
  notation, partial, ONE, LOSS_SYMBOL, activationOf, lossOf, derivativeIsOne, activationDerivative,
  derivativeArithmetic, lossGradient, lossGradientArithmetic, simplifiesToResidual, residual,
  residualArithmetic, activationInfo,
} from './notation.js';

const MAX_PATHS = 64;

// ---------------------------------------------------------------- helpers

function factor(role, symbol, value, extra = {}) {
  return {
    role,
    symbol,
    closed: extra.closed || symbol,
    value,
    cached: !!extra.cached,
    arithmetic: extra.arithmetic || null,
    ...(extra.terms ? { terms: extra.terms } : {}),
  };
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
  const lab = notation(network);
  const { L } = lab;
  const sizes = network.layers;
  const loss = lossOf(network);
  const forward = data.forward || {};
  const fLayers = forward.layers || [];
  const grads = data.grads;
  const x = data.x || forward.x || [];
  const ystar = data.y || forward.y || [];
  const isStep = Array.isArray(data.update);
  const used = isStep
    ? data.update.map((u) => ({ W: u.W_before, b: u.b_before }))
    : weights || null;
  const missingWeights = () => ({ ok: false, reason: 'The weights used by this trace are not known.' });

  const act = (l) => activationOf(network, l);
  const aOf = (l, u) => (l === 0 ? x[u - 1] : fLayers[l - 1].a[u - 1]);
  const sOf = (l, u) => fLayers[l - 1].s[u - 1];
  const deltaOf = (l, u) => grads[l - 1].dL_ds[u - 1];
  const wOf = (l, from, to) => (from === 0 ? used[l - 1].b[to - 1] : used[l - 1].W[from - 1][to - 1]);
  // f′(s) of a unit: the trace's da_ds (null where it is not elementwise, e.g. softmax); traces
  // without it (older stored ones) give δ / ∂L/∂a
  const localOf = (l, u) => {
    const d = grads[l - 1].da_ds;
    if (Array.isArray(d)) return d[u - 1];
    if (d === null) return null;
    const dLda = grads[l - 1].dL_da[u - 1];
    return dLda === 0 ? 0 : deltaOf(l, u) / dLda;
  };
  const elementwise = (l) => grads[l - 1].da_ds !== null;

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

  // the local derivative ∂a/∂s of unit (l, u) as a factor, or null when f′ is the constant 1
  function localFactor(l, u) {
    const name = act(l);
    if (derivativeIsOne(name)) return null;
    const symbol = activationDerivative(name, lab.unit(l, u), lab.pre(l, u));
    const arithmetic = derivativeArithmetic(name, aOf(l, u), sOf(l, u));
    return factor('local', symbol, localOf(l, u), { arithmetic });
  }

  // δ_k of output unit k as factors (the loss's derivative and the output's local derivative)
  function outputDeltaFactors(k, isCached) {
    const y = lab.unit(L, k);
    const t = lab.target(k);
    const a = act(L);
    const dLda = grads[L - 1].dL_da[k - 1];
    const delta = deltaOf(L, k);
    const opts = { cached: isCached };
    if (simplifiesToResidual(loss, a)) {
      notes.push(`With ${a} output and the ${loss} loss, δ = ∂L/∂s simplifies to y − y*.`);
      return [factor('delta', lab.delta(L, k), delta, {
        ...opts, closed: residual(y, t), arithmetic: residualArithmetic(aOf(L, k), ystar[k - 1]),
      })];
    }
    if (!elementwise(L)) {
      const deriv = activationInfo(a)?.derivative?.text;
      notes.push(`${a}’s derivative is not elementwise${deriv ? ` (${deriv})` : ''}: δ_k mixes every output, and its value is taken from the trace.`);
      const pre = lab.pre(L, k);
      const sum = {
        text: `Σ_m ∂L/∂y_m · ∂y_m/∂${pre.text}`,
        unicode: `Σₘ ∂L/∂yₘ · ∂yₘ/∂${pre.unicode}`,
        latex: `\\sum_{m} \\frac{\\partial L}{\\partial y_{m}} \\frac{\\partial y_{m}}{\\partial ${pre.latex}}`,
      };
      return [factor('delta', lab.delta(L, k), delta, { ...opts, closed: sum })];
    }
    const out = [factor('dL_dy', lab.dL_da(L, k), dLda, {
      ...opts, closed: lossGradient(loss, y, t), arithmetic: lossGradientArithmetic(loss, aOf(L, k), ystar[k - 1]),
    })];
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
    const closed = {
      text: terms.map((t) => `${t.weight.symbol.text}·${t.delta.symbol.text}`).join(' + '),
      unicode: terms.map((t) => `${t.weight.symbol.unicode}·${t.delta.symbol.unicode}`).join(' + '),
      // plain parentheses keep the + at the top level, where KaTeX may break the line
      latex: `(${terms.map((t) => `${t.weight.symbol.latex}\\,${t.delta.symbol.latex}`).join(' + ')})`,
    };
    const value = terms.reduce((acc, t) => acc + t.value, 0);
    return [factor('sum', lab.deltaSum(up, j), value, { closed, cached: true, terms })];
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
    target = lab.dL_dw(l, from, to);
    const d = deltaFactors(l, to);
    if (!d) return missingWeights();
    const input = from === 0
      ? factor('bias', ONE, 1)
      : factor('input', lab.unit(l - 1, from), aOf(l - 1, from));
    factors = [...d, input];
    traceValue = from === 0 ? grads[l - 1].dL_db[to - 1] : grads[l - 1].dL_dW[from - 1][to - 1];
    if (l === L) {
      const dl = lab.delta(L, to);
      cached.push({ unit: { layer: L, unit: to }, ...dl, value: deltaOf(L, to), factorIndices: d.map((_, i) => i) });
      notes.push(`${dl.unicode} = ∂L/∂s is computed once at the output and cached: every weight below reuses it.`);
    } else {
      notes.push(`${cached.map((c) => c.unicode).join(', ')} ${cached.length > 1 ? 'are' : 'is'} the cached δ from the layer above, reused here.`);
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
      target = partial(LOSS_SYMBOL, xl);
      factors = upstreamFactors(0, u);
      if (!factors) return missingWeights();
      traceValue = null;
      notes.push('∂L/∂x is not needed for the update; it is shown for completeness.');
    } else {
      const dl = lab.delta(l, u);
      const pre = lab.pre(l, u);
      const d = partial(LOSS_SYMBOL, pre);
      target = { text: `${dl.text} = ${d.text}`, unicode: `${dl.unicode} = ${d.unicode}`, latex: `${dl.latex} = ${d.latex}` };
      factors = deltaFactors(l, u);
      if (!factors) return missingWeights();
      traceValue = deltaOf(l, u);
      if (l < L) notes.push(`${cached.map((c) => c.unicode).join(', ')} ${cached.length > 1 ? 'are' : 'is'} the cached δ from the layer above.`);
      else notes.push(`${dl.unicode} is cached here for the layers below.`);
    }
  }

  const product = factors.reduce((acc, f) => acc * f.value, 1);
  const value = product + (l2 ? l2.value : 0);
  const { highlight, paths } = pathsFor(sizes, sel);
  const weightsNote = isStep
    ? 'Every factor uses the weights before this step’s update (the update uses this gradient).'
    : 'Every factor uses the current weights (no update has been applied yet).';
  return {
    ok: true,
    weightsNote,
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

// one line per factor: symbol [= closed form] [= its own arithmetic] = value
export function factorLines(expr, format = formatNumber) {
  if (!expr || !expr.ok) return [];
  const lines = [];
  const seen = new Set();
  const add = (f) => {
    const key = `${f.role}:${f.symbol.text}`;
    if (f.role === 'bias' || seen.has(key)) return;
    seen.add(key);
    const text = [f.symbol.unicode ?? f.symbol.text];
    const latex = [f.symbol.latex];
    if (f.closed.text !== f.symbol.text) {
      text.push(f.closed.unicode ?? f.closed.text);
      latex.push(f.closed.latex);
    }
    const num = format(f.value);
    if (f.arithmetic && f.arithmetic.text !== num) {
      text.push(f.arithmetic.unicode ?? f.arithmetic.text);
      latex.push(f.arithmetic.latex);
    }
    if (f.symbol.text !== num) {
      text.push(num);
      latex.push(latexNumber(f.value));
    }
    lines.push({ factor: f, text: text.join(' = '), latex: latex.join(' = ') });
  };
  for (const f of expr.factors) {
    if (f.role === 'sum') for (const t of f.terms) { add(t.weight); add(t.delta); }
    else add(f);
  }
  if (expr.l2) add(expr.l2.weight);
  return lines;
}
