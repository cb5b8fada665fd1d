// notation.js — the lecture's notation in one place: every symbol the page shows, as plain text,
// Unicode and LaTeX, and the activation and loss formulas the server's table serves (GET /api/meta).
// Pure apart from loadMeta (one fetch). Every other module renders what this one returns; no other
// frontend file writes a symbol rule, a subscript table or an activation/loss formula.
//
// Symbols (lecture notation):
//   inputs x_i; hidden activations z_j (deeper nets tag the layer: z_j^(l)); output y (several: y_k),
//   target y* (y_k*); pre-activations s_j^h (s^o for one output); δ = ∂L/∂s; ∂L/∂a (∂L/∂z2, ∂L/∂y);
//   weights w_ij from unit i of the layer below (i = 0: the bias, whose input is 1) to unit j, with
//   the superscript h / o when the net has one hidden layer (o alone without one), the layer number
//   (l) in deeper nets; ∂L/∂w_ij; the learning rate γ; the loss L.
//   A symbol is {base, sub, sup, text, unicode, latex}:
//     text    what a person types, also used as the lecture's placeholder names: w_22^h, z2, z_1^(2), y*
//     unicode for plain-text places (SVG labels, titles): w₂₂ʰ, z₂, z₁⁽²⁾
//     latex   for KaTeX: w_{22}^{h}, z_{2}, z_{1}^{(2)}
//   Layers: 0 = input, 1..L the non-input layers (L = output); units 1-based (0 = the bias unit).
//
// Formulas come from the meta (setMeta/loadMeta): each activation's value f(s) and derivative f′,
// each loss's value and ∂L/∂y, as text and LaTeX with the placeholders {a} (the unit's activation
// symbol) and {s} (its pre-activation); a loss's formulas use y and y* (y^{*}). fillActivation /
// fillLoss substitute symbols, or numbers (then the formula shows its own arithmetic).

import { formatNumber, latexNumber } from './format.js';

// ---------------------------------------------------------------- the server's table

let META = { activations: [], losses: [], schedules: [], limits: {} };
let ACT = new Map();
let LOSS = new Map();
let SCHED = new Map();

/** Install GET /api/meta's answer ({activations: [...], losses: [...]}). */
export function setMeta(meta) {
  const activations = Array.isArray(meta?.activations) ? meta.activations : [];
  const losses = Array.isArray(meta?.losses) ? meta.losses : [];
  const schedules = Array.isArray(meta?.schedules) ? meta.schedules : [];
  const limits = meta?.limits && typeof meta.limits === 'object' ? meta.limits : {};
  META = { activations, losses, schedules, limits };
  SCHED = new Map(schedules.map((x) => [x.name, x]));
  ACT = new Map(activations.map((a) => [a.name, a]));
  LOSS = new Map(losses.map((l) => [l.name, l]));
  return META;
}

export function getMeta() {
  return META;
}

/** The API's fixed bounds served with the table (GET /api/meta "limits", e.g. max_unit_cells);
 * {} until the meta has loaded. */
export function apiLimits() {
  return META.limits ?? {};
}

/** Fetch GET /api/meta and install it. Resolves to true, or false (and a warning) on failure. */
export async function loadMeta(url = '/api/meta', fetchImpl = globalThis.fetch) {
  try {
    const response = await fetchImpl(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    setMeta(await response.json());
    return true;
  } catch (err) {
    console.warn(`GET ${url} failed (${err.message}): formulas are shown in generic form`);
    return false;
  }
}

/** Names of the activations the server offers; hidden: only those allowed in a hidden layer. */
export function activationNames({ hidden = false } = {}) {
  return META.activations.filter((a) => !hidden || !a.output_only).map((a) => a.name);
}

export function lossNames() {
  return META.losses.map((l) => l.name);
}

export function activationInfo(name) {
  return ACT.get(name);
}

export function lossInfo(name) {
  return LOSS.get(name);
}

// The lecture's own network: what "lecture-shaped" means and the setup form's defaults.
export const LECTURE = Object.freeze({ hidden: 'sigmoid', output: 'linear', loss: 'squared' });

/** The activation of non-input layer l (1-based) of a network spec. */
export function activationOf(network, l) {
  const n = (network?.layers?.length ?? 0) - 1;
  return network?.activations?.[l - 1] ?? (l === n ? LECTURE.output : LECTURE.hidden);
}

export function lossOf(network) {
  return network?.loss ?? LECTURE.loss;
}

/** True when f′ is the constant 1 (the chain rule then drops the factor). */
export function derivativeIsOne(name) {
  return activationInfo(name)?.derivative?.text?.trim() === '1';
}

// The output activations with which a loss's δ = ∂L/∂s simplifies to y − y* (the loss's
// canonical pairings, as the meta lists them in output_activations).
export function simplifiesToResidual(lossName, activationName) {
  const pairs = lossInfo(lossName)?.output_activations;
  return Array.isArray(pairs) && pairs.includes(activationName);
}

// ---------------------------------------------------------------- symbols

const SUB = { 0: '₀', 1: '₁', 2: '₂', 3: '₃', 4: '₄', 5: '₅', 6: '₆', 7: '₇', 8: '₈', 9: '₉', ',': ',', '(': '₍', ')': '₎', i: 'ᵢ', j: 'ⱼ', k: 'ₖ' };
const SUP = { 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹', h: 'ʰ', o: 'ᵒ', '(': '⁽', ')': '⁾', '*': '*' };
const BASE_LATEX = { δ: '\\delta', γ: '\\gamma', σ: '\\sigma' };

export const toSub = (t) => [...String(t)].map((c) => SUB[c] ?? c).join('');
export const toSup = (t) => [...String(t)].map((c) => SUP[c] ?? c).join('');

/** A symbol from its base letter, subscript and superscript. */
export function symbol(base, sub = '', sup = '') {
  const s = String(sub);
  const p = String(sup);
  let text = base;
  if (s) text += p || s.length > 1 ? `_${s}` : s;
  if (p) text += `^${p}`;
  const latexBase = BASE_LATEX[base] ?? base;
  const latex = `${latexBase}${s ? `_{${s}}` : ''}${p ? `^{${p}}` : ''}`;
  return { base, sub: s, sup: p, text, unicode: base + toSub(s) + toSup(p), latex };
}

function raw(text, latex, unicode = text) {
  return { base: text, sub: '', sup: '', text, unicode, latex };
}

export const ONE = raw('1', '1');
export const GAMMA = raw('γ', '\\gamma');
export const LOSS_SYMBOL = raw('L', 'L');

/** ∂num/∂den */
export function partial(num, den) {
  return raw(`∂${num.text}/∂${den.text}`, `\\frac{\\partial ${num.latex}}{\\partial ${den.latex}}`,
    `∂${num.unicode}/∂${den.unicode}`);
}

function pair(i, j) {
  return i > 9 || j > 9 ? `${i},${j}` : `${i}${j}`;
}

/**
 * The notation of one network: notation(network | layerSizes) →
 *   {L, sizes, lettered, sup(l), layerName(l), unit(l, u), target(k), weight(l, from, to),
 *    pre(l, u), delta(l, u), dL_da(l, u), dL_dw(l, from, to), deltaSum(l, j)} — symbols.
 */
export function notation(networkOrSizes) {
  const sizes = Array.isArray(networkOrSizes) ? networkOrSizes : networkOrSizes.layers;
  const L = sizes.length - 1;
  const lettered = L <= 2; // h / o with at most one hidden layer, (l) in deeper nets
  const nOut = sizes[L];
  const single = (l) => l === L && nOut === 1;
  const sup = (l) => {
    if (lettered) return l === L ? 'o' : 'h';
    return `(${l})`;
  };
  const unit = (l, u) => {
    if (u === 0) return ONE;
    if (l === 0) return symbol('x', u);
    if (l === L) return single(l) ? symbol('y') : symbol('y', u);
    return lettered ? symbol('z', u) : symbol('z', u, `(${l})`);
  };
  const target = (k) => {
    const y = nOut === 1 ? symbol('y') : symbol('y', k);
    return { ...y, sup: '*', text: `${y.text}*`, unicode: `${y.unicode}*`, latex: `${y.latex}^{*}` };
  };
  const weight = (l, from, to) => symbol('w', pair(from, to), sup(l));
  const pre = (l, u) => (single(l) ? symbol('s', '', sup(l)) : symbol('s', u, sup(l)));
  const delta = (l, u) => (single(l) ? symbol('δ', '', sup(l)) : symbol('δ', u, sup(l)));
  const dL_da = (l, u) => partial(LOSS_SYMBOL, unit(l, u));
  const dL_dw = (l, from, to) => partial(LOSS_SYMBOL, weight(l, from, to));
  const layerName = (l) => {
    if (l === 0) return 'input';
    if (l === L) return 'output';
    return L > 2 ? `hidden ${l}` : 'hidden';
  };
  // Σ_k w_jk δ_k over the units of layer l (the ∂L/∂a of unit j of the layer below)
  const deltaSum = (l, j) => {
    const idx = j > 9 ? `${j},k` : `${j}k`;
    const p = sup(l);
    return raw(`Σ_k w_${idx}^${p} δ_k^${p}`, `\\sum_{k=1}^{${sizes[l]}} w_{${idx}}^{${p}}\\,\\delta_{k}^{${p}}`,
      `Σₖ w${toSub(idx)}${toSup(p)} δₖ${toSup(p)}`);
  };
  return { L, sizes, lettered, sup, layerName, unit, target, weight, pre, delta, dL_da, dL_dw, deltaSum };
}

// format.js's label API (layer sizes in, symbol out)
export const unitLabel = (sizes, layer, unit) => notation(sizes).unit(layer, unit);
export const weightLabel = (sizes, layer, from, to) => notation(sizes).weight(layer, from, to);
export const weightSuperscript = (sizes, layer) => notation(sizes).sup(layer);
export const layerName = (sizes, layer) => notation(sizes).layerName(layer);
export const labelText = (label) => label.text ?? symbol(label.base, label.sub, label.sup).text;
export const labelUnicode = (label) => label.unicode ?? symbol(label.base, label.sub, label.sup).unicode;

/**
 * Scene text for display: the ASCII names a teacher types (w_22^h, w_0j, z2, x1, z_1^(2), δ_2^h)
 * become sub/superscripted Unicode (w₂₂ʰ, w₀ⱼ, z₂, x₁, z₁⁽²⁾, δ₂ʰ).
 */
export function prettyText(text) {
  return String(text)
    .replace(/(?<![A-Za-z0-9_])([wzsδ])_([0-9ij,]+)\^(h|o|\(\d+\))/g, (_, b, s, p) => `${b}${toSub(s)}${toSup(p)}`)
    .replace(/(?<![A-Za-z0-9_])([wzsδ])_([0-9]+|[0-9]?[ij])\b/g, (_, b, s) => `${b}${toSub(s)}`)
    .replace(/(?<![A-Za-z0-9_])([sδ])\^(h|o|\(\d+\))/g, (_, b, p) => `${b}${toSup(p)}`)
    .replace(/\b([xzy])(\d+)\b/g, (_, b, d) => `${b}${toSub(d)}`);
}

// ---------------------------------------------------------------- formulas

// generic symbols for layer-wide formulas ("z = σ(s)")
export const GENERIC = Object.freeze({
  z: symbol('z'), y: symbol('y'), s: symbol('s'),
});

const POWER_AFTER = /^[²³^]/;

// one value (symbol or number) as it goes into a formula at template[offset..offset+len)
function insert(value, mode, template, offset, length) {
  const before = template[offset - 1] ?? '';
  const after = template.slice(offset + length);
  const power = POWER_AFTER.test(after);
  const latex = mode === 'latex';
  const wrap = (t) => (latex ? `\\left(${t}\\right)` : `(${t})`);
  if (typeof value === 'number') {
    const t = latex ? latexNumber(value) : formatNumber(value);
    const enclosed = before === '(' && after.startsWith(')'); // already "f(…)"
    const needs = (value < 0 && !enclosed) || /[0-9.]/.test(before) || (power && /e/.test(t));
    return needs ? wrap(t) : t;
  }
  const t = value[mode] ?? value.text;
  return power && value.sup ? wrap(t) : t;
}

function fill(template, pattern, pick, mode) {
  if (typeof template !== 'string') return null;
  return template.replace(pattern, (match, offset) => insert(pick(match), mode, template, offset, match.length));
}

function allModes(formula, fillOne) {
  if (!formula) return null;
  return { text: fillOne(formula.text, 'text'), unicode: fillOne(formula.text, 'unicode'), latex: fillOne(formula.latex, 'latex') };
}

const ACT_PLACEHOLDER = /\{[as]\}/g;

/** An activation formula ({text, latex} with {a}, {s}) filled with a and s (symbols or numbers). */
export function fillActivation(formula, a, s) {
  return allModes(formula, (t, mode) => fill(t, ACT_PLACEHOLDER, (m) => (m === '{a}' ? a : s), mode));
}

const LOSS_TEXT = /y\*|(?<![\p{L}\p{N}_\\])y(?![\p{L}_])/gu;
const LOSS_LATEX = /y\^\{\*\}|(?<![A-Za-z\\])y(?![A-Za-z])/g;

/** A loss formula ({text, latex} in y and y*) filled with y and y* (symbols or numbers). */
export function fillLoss(formula, y, ystar) {
  if (!formula) return null;
  const pick = (m) => (m === 'y' ? y : ystar);
  return {
    text: fill(formula.text, LOSS_TEXT, pick, 'text'),
    unicode: fill(formula.text, LOSS_TEXT, pick, 'unicode'),
    latex: fill(formula.latex, LOSS_LATEX, pick, 'latex'),
  };
}

function wrapFormula(f) {
  if (!f) return f;
  const balanced = (t) => {
    if (!t.startsWith('(') || !t.endsWith(')')) return false;
    let depth = 0;
    for (let i = 0; i < t.length; i += 1) {
      if (t[i] === '(') depth += 1;
      else if (t[i] === ')') depth -= 1;
      if (depth === 0 && i < t.length - 1) return false;
    }
    return true;
  };
  const plain = (t) => (/^[^\s+−-]+$/.test(t) || balanced(t) ? t : `(${t})`);
  const latex = /^[^\s+-]+$/.test(f.latex) || balanced(f.latex) ? f.latex
    : (/\\frac/.test(f.latex) ? `\\left(${f.latex}\\right)` : `(${f.latex})`);
  return { text: plain(f.text), unicode: plain(f.unicode), latex };
}

/** f(s) of an activation (a symbol-like {text, unicode, latex}); a generic name(s) if unknown. */
export function activationValue(name, s) {
  const info = activationInfo(name);
  if (info) return fillActivation(info.value, s, s);
  return { text: `${name}(${s.text})`, unicode: `${name}(${s.unicode})`, latex: `\\operatorname{${String(name).replaceAll('_', '\\_')}}(${s.latex})` };
}

/**
 * f′ of an activation for a unit with activation symbol a and pre-activation s, as a factor
 * ("z2(1 − z2)"), in parentheses where the product needs them; ∂a/∂s if the table lacks it.
 */
export function activationDerivative(name, a, s) {
  const info = activationInfo(name);
  if (!info) return partial(a, s);
  return fillActivation(info.derivative, a, s);
}

/** The same derivative with the unit's numbers in place of a and s (its own arithmetic). */
export function derivativeArithmetic(name, aValue, sValue) {
  const info = activationInfo(name);
  if (!info || !/\{[as]\}/.test(info.derivative.text)) return null;
  return fillActivation(info.derivative, aValue, sValue);
}

/** The function head a scene writes before "(s)": \sigma, \tanh, or \operatorname{relu}. */
export function activationFunction(name) {
  const info = activationInfo(name);
  const m = info && /^(\\?[A-Za-z]+)\(\{s\}\)$/.exec(info.value.latex);
  if (m) return { text: /^(\S+)\(\{s\}\)$/.exec(info.value.text)?.[1] ?? name, latex: m[1] };
  return { text: name, latex: `\\operatorname{${String(name).replaceAll('_', '\\_')}}` };
}

/** "L = ½ Σ (y − y*)²" */
export function lossFormula(name) {
  const info = lossInfo(name);
  if (!info) return { text: `L = ${name}`, unicode: `L = ${name}`, latex: `L = \\text{${name}}` };
  return { text: `L = ${info.value.text}`, unicode: `L = ${info.value.text}`, latex: `L = ${info.value.latex}` };
}

/** ∂L/∂y of a loss in closed form for output y and target y* (symbols), in parentheses. */
export function lossGradient(name, y, ystar) {
  const info = lossInfo(name);
  if (!info) return partial(LOSS_SYMBOL, y);
  return wrapFormula(fillLoss(info.dL_dy, y, ystar));
}

/** The same with numbers: its own arithmetic ("0.4053 − 1"). */
export function lossGradientArithmetic(name, yValue, ystarValue) {
  const info = lossInfo(name);
  return info ? fillLoss(info.dL_dy, yValue, ystarValue) : null;
}

/** y − y* for output k: the δ a canonical loss/activation pair simplifies to. */
export function residual(y, ystar) {
  return {
    text: `(${y.text} − ${ystar.text})`,
    unicode: `(${y.unicode} − ${ystar.unicode})`,
    latex: `(${y.latex} - ${ystar.latex})`,
  };
}

export function residualArithmetic(yValue, ystarValue) {
  return fillLoss({ text: 'y − y*', latex: 'y - y^{*}' }, yValue, ystarValue);
}

// ---------------------------------------------------------------- learning-rate schedules γ_t

/** Names of the server's schedules (GET /api/meta "schedules"). */
export function scheduleNames() {
  return META.schedules.map((x) => x.name);
}

export function scheduleInfo(name) {
  return SCHED.get(name);
}

// γ₀ or a single letter (a parameter's symbol, or t) in a schedule formula's right-hand side
const SCHEDULE_TOKEN = /γ₀|\\gamma_0|[A-Za-z](?![A-Za-z])/g;

function fillSchedule(formula, values, mode) {
  const [lhs, ...rest] = formula.split(' = ');
  if (!rest.length) return formula;
  const rhs = rest.join(' = ').replace(SCHEDULE_TOKEN, (tok) => {
    const v = values[tok === '\\gamma_0' ? 'γ₀' : tok];
    if (v === undefined) return tok;
    return mode === 'latex' ? latexNumber(v) : formatNumber(v);
  });
  return `${lhs} = ${rhs}`;
}

/**
 * A schedule ({name, …parameters}) as the lecture writes it: {text, latex} of its formula,
 * with the parameter values named after it ("γ_t = γ₀ / (1 + k·t), k = 0.01").
 */
export function scheduleFormula(schedule) {
  const info = scheduleInfo(schedule?.name);
  if (!info) return { text: `γ_t: ${schedule?.name ?? 'constant'}`, latex: `\\gamma_t` };
  const params = (info.parameters ?? []).map((p) => [p.symbol, schedule[p.name] ?? p.default]);
  const tail = params.map(([sym, v]) => `${sym} = ${formatNumber(v)}`).join(', ');
  const tailTex = params.map(([sym, v]) => `${sym} = ${latexNumber(v)}`).join(',\\ ');
  return {
    text: tail ? `${info.formula.text}, ${tail}` : info.formula.text,
    latex: tailTex ? `${info.formula.latex},\\ ${tailTex}` : info.formula.latex,
  };
}

/**
 * γ_t of one update with its own arithmetic: "γ_t = 0.5 / (1 + 0.01·12) = 0.4464" (text) for a
 * schedule, the base rate γ0, t and the γ_t the server used; null for a constant schedule.
 */
export function scheduleArithmetic(schedule, gamma0, t, gammaT) {
  const info = scheduleInfo(schedule?.name);
  if (!info || !(info.parameters ?? []).length) return null;
  const values = { 'γ₀': gamma0, t };
  for (const p of info.parameters) values[p.symbol] = schedule[p.name] ?? p.default;
  const filled = fillSchedule(info.formula.text, values, 'text');
  return { text: `${filled} = ${formatNumber(gammaT)}`, symbolic: info.formula.text };
}
