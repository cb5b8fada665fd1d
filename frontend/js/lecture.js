// lecture.js — Lecture mode's logic: scenes (frontend/lecture/scenes.json) and their templates
// resolved against the live trace. Pure: no DOM, no fetch. Used by views/lecture.js; tested by
// tests/js/lecture.test.js. The scene format and the placeholder language are documented in the
// README ("Lecture mode"); in short:
//
// Scene  {id, title, text, equation, highlight: {units, edges, cached}, phase?, requires?,
//         focus?, general?: {text?, equation?, highlight?}}
//   text      plain text, may hold {{…}} placeholders (numbers as format.js writes them)
//   equation  LaTeX for KaTeX, usually the body of an aligned environment (rows separated by \\,
//             & marks the alignment); may hold {{…}} placeholders
//   highlight units  lecture names: x1, z2, y, y1, z_1^(2), loss, bias0 (the bias node feeding
//                    layer 1), with * as a wildcard (z*, x*, *)
//             edges  weight names: w_22^h, w_01^o, w_12^(3), wildcards (w_*^h, w_0*^o, *)
//             cached units whose cached δ = ∂L/∂s the scene talks about (same names as units)
//   phase     what the network view shows: forward | loss | backward-output | backward | update |
//             all | an exact phase id (forward-1, backward-2, …); with micro-step mode on, → / ←
//             walk through that range of phases before moving to the next / previous scene
//   requires  'forward' | 'backward' (default) | 'step': the kind of trace the scene needs
//   focus     the gradient the scene is about (W[l][i][j], b[l][j] or delta[l][j]); on networks not
//             shaped like the lecture's, the highlight is its chain-rule path
//   general   replaces title/text/equation/highlight when the network is not lecture-shaped (one hidden
//             layer, one output, linear output, squared loss)
//
// Placeholders {{ … }} (whitespace inside is ignored):
//   {{name}}         a number, LaTeX via chainrule.latexNumber (= format.js's text)
//   {{name|p}}       the same, in parentheses when negative (for products: 0.7 \cdot {{w_21^o|p}})
//   names  lecture symbols of the current network: x1 x2 … z1 z2 … y (y1 …) ystar (ystar1 …),
//          weights w_22^h w_01^o w_12^(3) … (the values the trace was computed with),
//          s_2^h s^o (pre-activations), delta_2^h delta^o (δ = ∂L/∂s), dL_dy (∂L/∂y),
//          L (the loss), L_after (loss after the step), gamma (learning rate)
//        | trace paths as in docs/api-contract.md: layer l is 1-based (1 = first hidden), the other
//          indices 0-based: x[i] y[k] (target) output[k] s[l][j] a[l][j] dL_da[l][j] dL_ds[l][j]
//          dL_dW[l][i][j] dL_db[l][j] W[l][i][j] b[l][j] W_after[l][i][j] b_after[l][j]
//          local[l][j] (∂a/∂s of that unit) loss loss_after learning_rate
//   {{sym:X}}        the LaTeX label of X in the current network's notation: sym:W[1][1][1] → w_{22}^{h},
//                    sym:b[2][0] → w_{01}^{o}, sym:a[l][j] (x_i / z_j / y), sym:s[l][j], sym:delta[l][j],
//                    sym:local[l][j] (z_2(1 - z_2), (1 - z_2^2), relu'(s) …), sym:act[l] (\sigma, \tanh …),
//                    sym:dL_dy ((y - y^*) for the squared loss)
//   {{chain:X}}      the chain-rule derivation of X = W[l][i][j] | b[l][j] | delta[l][j] from chainrule.js,
//                    as aligned rows: target &= factors \\ &= closed form \\ &= numbers \\ &= value
//                    (on deeper networks the factors include the sum over the units above)
//   {{chain.rest:X}} the same rows without the first (continues a derivation already begun)
//   {{chain.closed:X}} only the rows from the closed form on ((y − y*) · w_21^o · …, numbers, value)
//   {{chain:X|c}}    also colours ∂L/∂y and δ factors as cached (for a scene that says "reuse it")
// In text, {{sym:X}} gives the plain-text label (w_22^h) and numbers are format.js text.
// KaTeX macros for templates: \cached{…} (cached-δ colour), \hl{…} (highlight colour).

import { formatNumber, latexNumber } from './format.js';
import { buildChainRule, toLatex } from './chainrule.js';
import {
  notation, LECTURE, activationOf, lossOf, activationInfo, activationFunction, activationDerivative,
  lossGradient, derivativeIsOne, GENERIC,
} from './notation.js';
import { traceKind, forwardOf } from './timeline.js';

export const PLACEHOLDER = /\{\{\s*([^{}]+?)\s*\}\}/g;
export const PHASE_TOKENS = ['forward', 'loss', 'backward-output', 'backward', 'update', 'all'];
export const REQUIRES = ['forward', 'backward', 'step'];
export const KATEX_MACROS = Object.freeze({
  '\\cached': '\\htmlClass{lec-cached}{#1}',
  '\\hl': '\\htmlClass{lec-hl}{#1}',
});

// ---------------------------------------------------------------- scenes

/** Problems with one scene (strings); [] when it is well-formed. Structure only. */
export function sceneProblems(scene) {
  const problems = [];
  const where = scene && typeof scene.id === 'string' ? `scene ${scene.id}` : 'a scene';
  if (!scene || typeof scene !== 'object') return ['a scene is not an object'];
  for (const key of ['id', 'title', 'text', 'equation']) {
    if (typeof scene[key] !== 'string' || !scene[key].trim()) problems.push(`${where}: ${key} must be a non-empty string`);
  }
  if (typeof scene.id === 'string' && !/^[a-z0-9][a-z0-9-]*$/.test(scene.id)) problems.push(`${where}: id must be lowercase letters, digits and -`);
  const h = scene.highlight;
  if (!h || typeof h !== 'object') problems.push(`${where}: highlight must be {units, edges, cached}`);
  else {
    for (const key of ['units', 'edges', 'cached']) {
      if (!Array.isArray(h[key]) || h[key].some((v) => typeof v !== 'string')) problems.push(`${where}: highlight.${key} must be a list of names`);
    }
  }
  if (scene.phase !== undefined && !(PHASE_TOKENS.includes(scene.phase) || /^(forward|backward)-\d+$/.test(scene.phase))) {
    problems.push(`${where}: phase must be one of ${PHASE_TOKENS.join(', ')} or a phase id like backward-1`);
  }
  if (scene.requires !== undefined && !REQUIRES.includes(scene.requires)) problems.push(`${where}: requires must be one of ${REQUIRES.join(', ')}`);
  if (scene.general !== undefined && (typeof scene.general !== 'object' || scene.general === null)) problems.push(`${where}: general must be an object`);
  if (scene.focus !== undefined && !/^(W\[\d+\]\[\d+\]\[\d+\]|b\[\d+\]\[\d+\]|delta\[\d+\]\[\d+\])$/.test(scene.focus)) {
    problems.push(`${where}: focus must be W[l][i][j], b[l][j] or delta[l][j]`);
  }
  return problems;
}

/** Validate a parsed scenes.json: {scenes, problems}. Unique ids; every scene well-formed. */
export function parseScenes(json) {
  if (!Array.isArray(json)) return { scenes: [], problems: ['scenes.json must be a JSON list of scenes'] };
  const problems = json.flatMap((s) => sceneProblems(s));
  const seen = new Set();
  for (const s of json) {
    if (s && typeof s.id === 'string') {
      if (seen.has(s.id)) problems.push(`scene id ${s.id} is used twice`);
      seen.add(s.id);
    }
  }
  return { scenes: json, problems };
}

/** The lecture's shape: one hidden layer, one output unit, linear output, squared loss. */
export function lectureShaped(network) {
  if (!network || !Array.isArray(network.layers)) return false;
  const n = network.layers.length - 1;
  return n === 2 && network.layers[n] === 1 && activationOf(network, n) === LECTURE.output
    && lossOf(network) === LECTURE.loss;
}

/** {title, text, equation, highlight, general: bool} of a scene on this network. */
export function sceneFor(scene, network) {
  const shaped = lectureShaped(network);
  const general = !shaped && scene.general ? scene.general : null;
  return {
    title: general?.title ?? scene.title,
    text: general?.text ?? scene.text,
    equation: general?.equation ?? scene.equation,
    // null: not the lecture's shape and no general.highlight (resolveHighlight then uses the focus)
    highlight: shaped ? scene.highlight : general?.highlight ?? null,
    general: !!general,
  };
}

/** Every placeholder body in a template ("x1", "sym:W[1][1][1]", …). */
export function placeholders(template) {
  return [...String(template ?? '').matchAll(PLACEHOLDER)].map((m) => m[1].replace(/\s+/g, ''));
}

// ---------------------------------------------------------------- context

/**
 * makeContext({session, trace, example, learningRate}) → the values a template is resolved
 * against. trace: an API trace or the store's {kind, data}. The weights are the ones the trace was
 * computed with (a step trace's W_before, else the session's).
 */
export function makeContext({ session, trace, example = null, learningRate = null } = {}) {
  const network = session?.network ?? null;
  const data = trace && trace.kind && trace.data ? trace.data : trace ?? null;
  const kind = traceKind(data);
  const weights = kind === 'step'
    ? data.update.map((u) => ({ W: u.W_before, b: u.b_before }))
    : session?.weights ?? null;
  return { session, network, data, kind, forward: data ? forwardOf(data) : null, weights, example, learningRate };
}

function parsePath(name) {
  const m = /^([A-Za-z_]+)((?:\[\d+\])*)$/.exec(name);
  if (!m) return null;
  const idx = [...m[2].matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
  return { key: m[1], idx };
}

function at(arr, ...idx) {
  let v = arr;
  for (const i of idx) {
    if (!Array.isArray(v) || i < 0 || i >= v.length) return undefined;
    v = v[i];
  }
  return v;
}

// a trace path (W[1][1][1], dL_ds[2][0], loss …) → number | undefined
function pathValue(path, ctx) {
  const { key, idx } = path;
  const { data, forward, weights } = ctx;
  const network = ctx.network;
  const L = network ? network.layers.length - 1 : 0;
  const layerOk = (l) => Number.isInteger(l) && l >= 1 && l <= L;
  switch (key) {
    case 'x': return idx.length === 1 ? at(data?.x ?? forward?.x ?? ctx.example?.x, idx[0]) : undefined;
    case 'y': return idx.length === 1 ? at(data?.y ?? forward?.y ?? ctx.example?.y, idx[0]) : undefined;
    case 'output': return idx.length === 1 ? at(forward?.output, idx[0]) : undefined;
    case 's':
    case 'a':
      if (idx.length !== 2) return undefined;
      if (key === 'a' && idx[0] === 0) return at(data?.x ?? forward?.x, idx[1]);
      return layerOk(idx[0]) ? at(forward?.layers?.[idx[0] - 1]?.[key], idx[1]) : undefined;
    case 'local': {
      // f′(s) of the unit: the trace's da_ds (backward and step traces; null for softmax)
      if (idx.length !== 2 || !layerOk(idx[0])) return undefined;
      const v = at(data?.grads?.[idx[0] - 1]?.da_ds, idx[1]);
      return v ?? undefined;
    }
    case 'dL_da':
    case 'dL_ds':
    case 'dL_db':
      return idx.length === 2 && layerOk(idx[0]) ? at(data?.grads?.[idx[0] - 1]?.[key], idx[1]) : undefined;
    case 'dL_dW':
      return idx.length === 3 && layerOk(idx[0]) ? at(data?.grads?.[idx[0] - 1]?.dL_dW, idx[1], idx[2]) : undefined;
    case 'W':
      return idx.length === 3 && layerOk(idx[0]) ? at(weights?.[idx[0] - 1]?.W, idx[1], idx[2]) : undefined;
    case 'b':
      return idx.length === 2 && layerOk(idx[0]) ? at(weights?.[idx[0] - 1]?.b, idx[1]) : undefined;
    case 'W_after':
      return idx.length === 3 && layerOk(idx[0]) ? at(data?.update?.[idx[0] - 1]?.W_after, idx[1], idx[2]) : undefined;
    case 'b_after':
      return idx.length === 2 && layerOk(idx[0]) ? at(data?.update?.[idx[0] - 1]?.b_after, idx[1]) : undefined;
    case 'loss': return idx.length ? undefined : data?.loss ?? forward?.loss ?? undefined;
    case 'loss_after': return idx.length ? undefined : data?.loss_after ?? undefined;
    case 'learning_rate': return idx.length ? undefined : data?.learning_rate ?? undefined;
    default: return undefined;
  }
}

/**
 * The lecture names of this network → trace paths: x1 → x[0], z2 → a[1][1], y → output[0],
 * ystar → y[0], w_22^h → W[1][1][1], w_01^o → b[2][0], s_2^h → s[1][1], delta^o → dL_ds[2][0].
 */
export function symbolTable(network) {
  const table = new Map();
  if (!network || !Array.isArray(network.layers)) return table;
  const sizes = network.layers;
  const L = sizes.length - 1;
  const lab = notation(network);
  const nOut = sizes[L];
  for (let i = 1; i <= sizes[0]; i += 1) table.set(lab.unit(0, i).text, `x[${i - 1}]`);
  for (let l = 1; l <= L; l += 1) {
    for (let j = 1; j <= sizes[l]; j += 1) {
      table.set(lab.unit(l, j).text, l === L ? `output[${j - 1}]` : `a[${l}][${j - 1}]`);
      table.set(lab.pre(l, j).text, `s[${l}][${j - 1}]`);
      const d = lab.delta(l, j).text;
      table.set(d, `dL_ds[${l}][${j - 1}]`);
      table.set(d.replace('δ', 'delta'), `dL_ds[${l}][${j - 1}]`);
      table.set(lab.weight(l, 0, j).text, `b[${l}][${j - 1}]`);
      for (let i = 1; i <= sizes[l - 1]; i += 1) table.set(lab.weight(l, i, j).text, `W[${l}][${i - 1}][${j - 1}]`);
    }
  }
  for (let k = 1; k <= nOut; k += 1) {
    table.set(nOut === 1 ? 'ystar' : `ystar${k}`, `y[${k - 1}]`);
    table.set(lab.target(k).text, `y[${k - 1}]`);
    table.set(nOut === 1 ? 'dL_dy' : `dL_dy${k}`, `dL_da[${L}][${k - 1}]`);
  }
  table.set('L', 'loss');
  table.set('L_after', 'loss_after');
  return table;
}

/** The number a placeholder name stands for, or undefined. */
export function resolveValue(name, ctx) {
  const bare = name.replace(/\s+/g, '');
  if (bare === 'gamma') {
    const v = ctx.data?.learning_rate ?? ctx.learningRate ?? ctx.network?.learning_rate;
    return typeof v === 'number' ? v : undefined;
  }
  const table = ctx._table ?? (ctx._table = symbolTable(ctx.network));
  const target = table.get(bare) ?? bare;
  const path = parsePath(target);
  if (!path) return undefined;
  const v = pathValue(path, ctx);
  return typeof v === 'number' && !Number.isNaN(v) ? v : undefined;
}

// ---------------------------------------------------------------- symbols

/** sym:X → {latex, text} | undefined */
export function resolveSymbol(name, network) {
  if (!network || !Array.isArray(network.layers)) return undefined;
  const sizes = network.layers;
  const L = sizes.length - 1;
  const lab = notation(network);
  const bare = name.replace(/\s+/g, '');
  const path = parsePath(bare);
  if (bare === 'dL_dy') {
    if (sizes[L] !== 1) return undefined;
    return lossGradient(lossOf(network), lab.unit(L, 1), lab.target(1));
  }
  if (!path) return undefined;
  const { key, idx } = path;
  const unitOk = (l, j) => Number.isInteger(l) && l >= 0 && l <= L && j >= 0 && j < sizes[l];
  if (key === 'W' && idx.length === 3 && idx[0] >= 1 && idx[0] <= L && unitOk(idx[0] - 1, idx[1]) && unitOk(idx[0], idx[2])) {
    return lab.weight(idx[0], idx[1] + 1, idx[2] + 1);
  }
  if (key === 'b' && idx.length === 2 && idx[0] >= 1 && unitOk(idx[0], idx[1])) return lab.weight(idx[0], 0, idx[1] + 1);
  if (key === 'a' && idx.length === 2 && unitOk(idx[0], idx[1])) return lab.unit(idx[0], idx[1] + 1);
  if (key === 's' && idx.length === 2 && idx[0] >= 1 && unitOk(idx[0], idx[1])) return lab.pre(idx[0], idx[1] + 1);
  if (key === 'delta' && idx.length === 2 && idx[0] >= 1 && unitOk(idx[0], idx[1])) return lab.delta(idx[0], idx[1] + 1);
  if (key === 'act' && idx.length === 1 && idx[0] >= 1 && idx[0] <= L) {
    return activationFunction(activationOf(network, idx[0]));
  }
  if (key === 'local' && idx.length === 2 && idx[0] >= 1 && unitOk(idx[0], idx[1])) {
    const l = idx[0];
    const u = idx[1] + 1;
    const act = activationOf(network, l);
    if (derivativeIsOne(act)) return { latex: '1', text: '1' };
    return activationDerivative(act, lab.unit(l, u), lab.pre(l, u));
  }
  return undefined;
}

// ---------------------------------------------------------------- chain rule

/** chain target X → a state.js selection */
export function selectionOf(target, network) {
  const path = parsePath(String(target).replace(/\s+/g, ''));
  if (!path || !network) return null;
  const { key, idx } = path;
  if (key === 'W' && idx.length === 3) return { kind: 'weight', layer: idx[0], from: idx[1] + 1, to: idx[2] + 1 };
  if (key === 'b' && idx.length === 2) return { kind: 'weight', layer: idx[0], from: 0, to: idx[1] + 1 };
  if (key === 'delta' && idx.length === 2) return { kind: 'unit', layer: idx[0], unit: idx[1] + 1 };
  return null;
}

/** buildChainRule for a chain target against the context (ok: false when not available). */
export function chainFor(target, ctx) {
  const selection = selectionOf(target, ctx.network);
  if (!selection) return { ok: false, reason: `not a chain target: ${target}` };
  return buildChainRule({ network: ctx.network, trace: ctx.data, selection, weights: ctx.weights });
}

const dataValue = (v) => String(v).replace(/[,=]/g, '');

function chainRows(expr, target, from, markDelta = false) {
  const cachedIdx = new Set();
  expr.factors.forEach((f, i) => {
    if (f.cached || (markDelta && (f.role === 'dL_dy' || f.role === 'delta'))) cachedIdx.add(i);
  });
  const tag = dataValue(target);
  const tex = toLatex(expr, {
    format: (v) => latexNumber(v),
    wrapSymbol: (s, f, i) => (cachedIdx.has(i) && f.role !== 'sum' ? `\\htmlClass{lec-cached}{${s}}` : s),
    wrapFactor: (n, f, i) => {
      const inner = `\\htmlData{testid=lecture-factor, chain=${tag}, value=${dataValue(f.value)}, role=${f.role}}{${n}}`;
      return cachedIdx.has(i) ? `\\htmlClass{lec-cached}{${inner}}` : inner;
    },
    wrapTerm: (n, f) => {
      const inner = `\\htmlData{testid=lecture-term, chain=${tag}, value=${dataValue(f.value)}, role=${f.role}}{${n}}`;
      return f.cached ? `\\htmlClass{lec-cached}{${inner}}` : inner;
    },
    wrapProduct: (n) => `\\htmlData{testid=lecture-product, chain=${tag}, value=${dataValue(expr.value)}}{${n}}`,
  });
  const head = tex.symbolic.slice(0, expr.target.latex.length);
  const first = `${head} &${tex.symbolic.slice(expr.target.latex.length).replace(/^\s*/, ' ')}`;
  const rows = [];
  if (from === 'target') rows.push(first);
  else if (from === 'symbolic' || !tex.closed) rows.push(`&${tex.symbolic.slice(expr.target.latex.length).replace(/^\s*/, ' ')}`);
  if (tex.closed) rows.push(`&${tex.closed}`);
  rows.push(`&${tex.numeric}`, `&${tex.result}`);
  return rows.join(' \\\\ ');
}

// ---------------------------------------------------------------- templates

function numberLatex(name, v, parenNeg) {
  const n = latexNumber(v);
  const body = `\\htmlData{testid=lecture-value, name=${dataValue(name)}, value=${dataValue(v)}}{${n}}`;
  return parenNeg && v < 0 ? `(${body})` : body;
}

/**
 * resolveTemplate(template, ctx, {mode}) → {out, missing: [names], unknown: [names], chains: [expr]}
 *   mode 'latex' (equations) or 'text' (scene text). missing: names that exist but have no value
 *   in this trace (e.g. loss_after before the step), shown as "?"; unknown: names that mean
 *   nothing on this network (a scene error on the lecture's network).
 */
export function resolveTemplate(template, ctx, { mode = 'latex' } = {}) {
  const missing = [];
  const unknown = [];
  const chains = [];
  const latex = mode === 'latex';
  const out = String(template ?? '').replace(PLACEHOLDER, (_, body) => {
    const raw = body.replace(/\s+/g, '');
    const [name, flag] = raw.split('|');
    const q = latex ? '\\text{?}' : '?';
    if (name.startsWith('sym:')) {
      const sym = resolveSymbol(name.slice(4), ctx.network);
      if (!sym) { unknown.push(raw); return q; }
      return latex ? sym.latex : sym.text;
    }
    const chainMatch = /^chain(?:\.(rest|closed))?:(.+)$/.exec(name);
    if (chainMatch) {
      const from = { rest: 'symbolic', closed: 'closed' }[chainMatch[1]] ?? 'target';
      const target = chainMatch[2];
      if (!selectionOf(target, ctx.network)) { unknown.push(raw); return q; }
      const expr = chainFor(target, ctx);
      if (!expr.ok) {
        if (/not in this network|not a chain target/.test(expr.reason)) unknown.push(raw);
        else missing.push(raw);
        return latex ? `&= ${q}` : q;
      }
      chains.push({ target, expr });
      return latex ? chainRows(expr, target, from, flag === 'c') : formatNumber(expr.value);
    }
    const v = resolveValue(name, ctx);
    if (v === undefined) {
      if (isKnownName(name, ctx)) missing.push(raw);
      else unknown.push(raw);
      return q;
    }
    if (!latex) return formatNumber(v);
    return numberLatex(name, v, flag === 'p');
  });
  return { out, missing, unknown, chains };
}

// a name that is valid on this network but may lack a value in a given trace
function isKnownName(name, ctx) {
  if (['gamma', 'loss', 'loss_after', 'learning_rate', 'L', 'L_after'].includes(name)) return true;
  const table = ctx._table ?? (ctx._table = symbolTable(ctx.network));
  if (table.has(name)) return true;
  const path = parsePath(name);
  if (!path || !ctx.network) return false;
  const sizes = ctx.network.layers;
  const L = sizes.length - 1;
  const { key, idx } = path;
  const unit = (l, j) => l >= 0 && l <= L && j >= 0 && j < sizes[l];
  switch (key) {
    case 'x': return idx.length === 1 && unit(0, idx[0]);
    case 'y':
    case 'output': return idx.length === 1 && unit(L, idx[0]);
    case 'a': return idx.length === 2 && unit(idx[0], idx[1]);
    case 's': case 'local': case 'dL_da': case 'dL_ds': case 'dL_db': case 'b': case 'b_after':
      return idx.length === 2 && idx[0] >= 1 && unit(idx[0], idx[1]);
    case 'W': case 'dL_dW': case 'W_after':
      return idx.length === 3 && idx[0] >= 1 && unit(idx[0] - 1, idx[1]) && unit(idx[0], idx[2]);
    default: return false;
  }
}

// ---------------------------------------------------------------- highlight

function globRegex(pattern) {
  const esc = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${esc}$`);
}

/** Every unit / edge of the network with its lecture name. */
export function networkNames(network) {
  const sizes = network.layers;
  const lab = notation(network);
  const L = sizes.length - 1;
  const units = [];
  const edges = [];
  for (let l = 0; l <= L; l += 1) {
    for (let u = 1; u <= sizes[l]; u += 1) units.push({ name: lab.unit(l, u).text, layer: l, unit: u });
    if (l < L) units.push({ name: `bias${l}`, layer: l, unit: 0 });
  }
  units.push({ name: 'loss', layer: null, unit: null });
  for (let l = 1; l <= L; l += 1) {
    for (let j = 1; j <= sizes[l]; j += 1) {
      for (let i = 0; i <= sizes[l - 1]; i += 1) edges.push({ name: lab.weight(l, i, j).text, layer: l, from: i, to: j });
    }
  }
  return { units, edges };
}

/** Names in a highlight list that match nothing on this network. */
export function unmatchedNames(highlight, network) {
  const { units, edges } = networkNames(network);
  const bad = [];
  for (const [key, pool] of [['units', units], ['edges', edges], ['cached', units]]) {
    for (const name of highlight?.[key] ?? []) {
      const re = globRegex(name);
      if (!pool.some((x) => re.test(x.name))) bad.push(`${key}: ${name}`);
    }
  }
  return bad;
}

/**
 * The highlight of a scene on this network: {units: [{layer, unit, role}], edges: [{layer, from,
 * to, role}], cached: [{layer, unit}], loss: bool} (state.js's highlight shape, plus cached / loss).
 * On a network that is not lecture-shaped, a scene with a focus and no general.highlight shows
 * the focus's chain-rule path.
 */
export function resolveHighlight(scene, network, ctx = null) {
  const view = sceneFor(scene, network);
  const out = { units: [], edges: [], cached: [], loss: false };
  if (!network) return out;
  let h = view.highlight;
  if (!h && scene.focus && ctx) {
    const expr = chainFor(scene.focus, ctx);
    if (expr.ok) {
      return {
        units: expr.highlight.units,
        edges: expr.highlight.edges,
        cached: expr.cached.map((c) => c.unit),
        loss: false,
      };
    }
  }
  if (!h) h = scene.highlight;
  const { units, edges } = networkNames(network);
  const pick = (pool, names) => {
    const res = (names ?? []).map(globRegex);
    return pool.filter((x) => res.some((re) => re.test(x.name)));
  };
  for (const u of pick(units, h.units)) {
    if (u.name === 'loss') out.loss = true;
    else out.units.push({ layer: u.layer, unit: u.unit, role: 'path' });
  }
  for (const e of pick(edges, h.edges)) out.edges.push({ layer: e.layer, from: e.from, to: e.to, role: 'path' });
  for (const u of pick(units, h.cached)) if (u.layer !== null && u.unit > 0) out.cached.push({ layer: u.layer, unit: u.unit });
  return out;
}

// ---------------------------------------------------------------- phases

/** {from, to} phase indices a scene's phase spec covers in this phase list (null: no phases). */
export function phaseRange(spec, phases) {
  if (!phases || !phases.length) return null;
  const last = phases.length - 1;
  const idx = (pred) => phases.findIndex(pred);
  const lastIdx = (pred) => {
    for (let i = last; i >= 0; i -= 1) if (pred(phases[i])) return i;
    return -1;
  };
  const range = (a, b) => (a < 0 || b < 0 ? { from: last, to: last } : { from: a, to: b });
  switch (spec ?? 'all') {
    case 'all': return { from: 0, to: last };
    case 'forward': return range(idx((p) => p.kind === 'forward'), lastIdx((p) => p.kind === 'forward'));
    case 'loss': {
      const i = idx((p) => p.kind === 'loss');
      return i < 0 ? range(lastIdx((p) => p.kind === 'forward'), lastIdx((p) => p.kind === 'forward')) : { from: i, to: i };
    }
    case 'backward-output': {
      const i = idx((p) => p.kind === 'backward');
      return range(i, i);
    }
    case 'backward': return range(idx((p) => p.kind === 'backward'), lastIdx((p) => p.kind === 'backward'));
    case 'update': {
      const i = idx((p) => p.kind === 'update');
      return i < 0 ? { from: last, to: last } : { from: i, to: i };
    }
    default: {
      const i = idx((p) => p.id === spec);
      return i < 0 ? { from: last, to: last } : { from: i, to: i };
    }
  }
}

// ---------------------------------------------------------------- notes

/**
 * Plain-text remarks on how this network differs from the lecture's, for a scene whose
 * template uses local derivatives or chain-rule products (the text "says so").
 */
export function networkNotes(scene, network) {
  if (!network) return [];
  const view = sceneFor(scene, network);
  const names = placeholders(view.equation);
  const chain = names.some((n) => n.startsWith('chain'));
  const usesLocal = chain || names.some((n) => n.startsWith('sym:local'));
  const notes = [];
  const sizes = network.layers;
  const L = sizes.length - 1;
  if (view.general) notes.push(`This ${sizes.join('-')} network is not shaped like the lecture’s 2-2-1, so the scene shows the general form.`);
  if (usesLocal) {
    const lecture = activationDerivative(LECTURE.hidden, GENERIC.z, GENERIC.s).unicode;
    const hidden = [...new Set(Array.from({ length: L - 1 }, (_, i) => activationOf(network, i + 1)))];
    for (const act of hidden) {
      if (act === LECTURE.hidden) continue;
      const desc = activationInfo(act)?.description ?? act;
      const d = activationDerivative(act, GENERIC.z, GENERIC.s).unicode;
      notes.push(`${act} hidden units (${desc}): the local derivative is ∂z/∂s = ${d} (the lecture’s ${LECTURE.hidden} gives ${lecture}).`);
    }
  }
  if (chain) {
    if (L > 2) notes.push('Several hidden layers: a unit’s δ sums w·δ over all the units above, each δ computed (and cached) one layer up.');
    const outAct = activationOf(network, L);
    const loss = lossOf(network);
    if (outAct !== LECTURE.output || loss !== LECTURE.loss) {
      notes.push(`${outAct} output with the ${loss} loss: the output δ comes from this loss and activation, not from (y − y*)·1.`);
    }
    if (sizes[L] > 1) notes.push('Several outputs: the loss sums over them, and so does the chain rule.');
  }
  return notes;
}

// scene text prettified (w_22^h → w₂₂ʰ): notation.js
export { prettyText } from './notation.js';

/** Which trace a scene needs and whether ctx has it: {ok, need}. */
export function traceSatisfies(scene, ctx) {
  const need = scene.requires ?? 'backward';
  const order = { forward: 1, backward: 2, step: 3 };
  const have = order[ctx.kind] ?? 0;
  return { ok: have >= order[need], need };
}
