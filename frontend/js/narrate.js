// Pure: the words for the phase on screen, for the aria-live region of views/phase.js, so a
// screen-reader user can follow a step: "Backward, hidden layer: δ of z2 = z2(1 − z2) · w_21^o ·
// δ of y = 0.2 · 0.3 · 0.1 = 0.006". Symbols and formulas from notation.js (the formulas are
// the server's table, GET /api/meta), local factors' values from the trace (da_ds), numbers as
// the views show them. No DOM.
import { formatNumber } from './format.js';
import {
  activationDerivative, activationInfo, fillActivation, labelText, layerName, lossFormula, lossOf,
  notation, unitLabel, weightLabel,
} from './notation.js';

const MAX_UNITS = 6;   // units narrated per layer (the rest: "and 10 more units")
const MAX_TERMS = 4;   // terms of a sum written out
const MAX_WEIGHTS = 6; // weights narrated in the update

const fmt = (v) => formatNumber(v);
// a factor inside a product: negative numbers in parentheses
const factor = (v) => (v < 0 ? `(${fmt(v)})` : fmt(v));

function capitalised(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function unitName(sizes, layer, unit) {
  return labelText(unitLabel(sizes, layer, unit));
}

function weightName(sizes, layer, from, to) {
  return labelText(weightLabel(sizes, layer, from, to));
}

function activationWords(activation, s) {
  const info = activationInfo(activation);
  return info ? fillActivation(info.value, s, s).text : `${activation}(${fmt(s)})`;
}

// a′(s) of unit (layer, unit): {symbol, value}; the value is the trace's da_ds (null for a
// layer without an elementwise derivative, e.g. softmax)
function derivative(sizes, activation, g, layer, unit) {
  const n = notation(sizes);
  const value = g.da_ds?.[unit - 1] ?? null;
  const symbol = activationDerivative(activation, n.unit(layer, unit), n.pre(layer, unit)).text;
  return { symbol: value === null ? null : symbol, value };
}

const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

// The first `max` of `items` in words (describe(item, index): only those are worded; 2-16×6-1
// has 1 425 weights), then how many more there are.
function limited(items, max, what, describe = (item) => item) {
  const words = items.slice(0, max).map(describe).join('; ');
  return items.length <= max ? words : `${words}; and ${items.length - max} more ${what}`;
}

function forwardWords(sizes, network, fwd, layer) {
  const fl = fwd.layers[layer - 1];
  const activation = network.activations?.[layer - 1];
  const unitWords = (a, j) => {
    const name = unitName(sizes, layer, j + 1);
    if (activationInfo(activation)?.value.text === '{s}') return `s of ${name} = ${fmt(fl.s[j])}, ${name} = s = ${fmt(a)}`;
    return `s of ${name} = ${fmt(fl.s[j])}, ${name} = ${activationWords(activation, fl.s[j])} = ${fmt(a)}`;
  };
  return limited(fl.a, MAX_UNITS, 'units', unitWords);
}

function lossWords(sizes, network, fwd, loss) {
  const n = sizes.length - 1;
  const outputWords = (y, k) => {
    const name = unitName(sizes, n, k + 1);
    return `${name} = ${fmt(y)} against ${name}* = ${fmt(fwd.y[k])}`;
  };
  const formula = lossFormula(lossOf(network)).text;
  return `${limited(fwd.layers[n - 1].a, MAX_UNITS, 'outputs', outputWords)}; ${formula} = ${fmt(loss)}`;
}

function outputDeltaWords(sizes, network, fwd, grads, layer) {
  const g = grads[layer - 1];
  const activation = network.activations?.[layer - 1];
  const unitWords = (delta, k) => {
    const name = unitName(sizes, layer, k + 1);
    const d = derivative(sizes, activation, g, layer, k + 1);
    const dlda = g.dL_da?.[k];
    if (d.symbol && d.value !== null && dlda !== undefined && close(dlda * d.value, delta)) {
      return `δ of ${name} = ∂L/∂${name} · ${d.symbol} = ${factor(dlda)} · ${factor(d.value)} = ${fmt(delta)}`;
    }
    return `δ of ${name} = ∂L/∂s = ${fmt(delta)}`;
  };
  return `${limited(g.dL_ds, MAX_UNITS, 'units', unitWords)}, cached`;
}

// δ of unit j of `layer` from the cached δ of the layer above, with the weights before the update
function hiddenDeltaWords(sizes, network, fwd, grads, layer, weights) {
  const g = grads[layer - 1];
  const above = grads[layer].dL_ds;
  const W = weights[layer].W; // W[j][k]: from unit j+1 of `layer` to unit k+1 above
  const activation = network.activations?.[layer - 1];
  const unitWords = (delta, j) => {
    const name = unitName(sizes, layer, j + 1);
    const d = derivative(sizes, activation, g, layer, j + 1);
    const terms = above.map((dk, k) => ({
      symbol: `${weightName(sizes, layer + 1, j + 1, k + 1)} · δ of ${unitName(sizes, layer + 1, k + 1)}`,
      numbers: `${factor(W[j][k])} · ${factor(dk)}`,
    }));
    const shown = terms.slice(0, MAX_TERMS);
    const more = terms.length > MAX_TERMS ? ` + … (${terms.length} terms)` : '';
    const one = terms.length === 1;
    const symbolSum = one ? shown[0].symbol : `(${shown.map((t) => t.symbol).join(' + ')}${more})`;
    const numberSum = one ? shown[0].numbers : `(${shown.map((t) => t.numbers).join(' + ')}${more})`;
    if (!d.symbol || d.value === null) return `δ of ${name} = a′(s) · Σ w · δ = ${fmt(delta)}`;
    return `δ of ${name} = ${d.symbol} · ${symbolSum} = ${factor(d.value)} · ${numberSum} = ${fmt(delta)}`;
  };
  return limited(g.dL_ds, MAX_UNITS, 'units', unitWords);
}

function updateWords(sizes, data) {
  const lr = data.learning_rate;
  const items = [];
  data.update.forEach((u, l) => {
    const grads = data.grads[l];
    u.b_before.forEach((b, j) => items.push([l + 1, 0, j + 1, b, grads.dL_db[j], u.b_after[j]]));
    u.W_before.forEach((row, i) => row.forEach((w, j) => items.push([l + 1, i + 1, j + 1, w, grads.dL_dW[i][j], u.W_after[i][j]])));
  });
  const words = ([layer, from, to, before, grad, after]) => (
    `${weightName(sizes, layer, from, to)} = ${fmt(before)} − ${fmt(lr)} · ${factor(grad)} = ${fmt(after)}`);
  const loss = data.loss_after !== undefined && data.loss_after !== null
    ? `; loss on this example ${fmt(data.loss)} before, ${fmt(data.loss_after)} after` : '';
  return `w ← w − γ · ∂L/∂w with γ = ${fmt(lr)}: ${limited(items, MAX_WEIGHTS, 'weights', words)}${loss}. Step ${data.step} done`;
}

/**
 * The narration of `phase` (a timeline.js phase) of trace `data` on `network` (session.network);
 * `weights`: the weights the trace was computed with ([{W, b}] per layer: for a step trace its
 * update's *_before, else the session's).
 */
export function narratePhase(phase, data, network, weights) {
  if (!phase || !data) return '';
  const sizes = network.layers;
  const fwd = data.forward ?? data;
  const where = phase.layer ? `${capitalised(phase.kind)}, ${layerName(sizes, phase.layer)} layer` : capitalised(phase.kind);
  let words = '';
  if (phase.kind === 'forward') words = forwardWords(sizes, network, fwd, phase.layer);
  else if (phase.kind === 'loss') words = lossWords(sizes, network, fwd, data.loss ?? fwd.loss);
  else if (phase.kind === 'backward') {
    words = phase.layer === sizes.length - 1
      ? outputDeltaWords(sizes, network, fwd, data.grads, phase.layer)
      : `${hiddenDeltaWords(sizes, network, fwd, data.grads, phase.layer, weights)} (reusing the cached δ of the ${layerName(sizes, phase.layer + 1)} layer)`;
  } else if (phase.kind === 'update') words = updateWords(sizes, data);
  return `${where}: ${words}.`;
}

/** The weights a trace was computed with (see narratePhase). */
export function weightsOfTrace(data, sessionWeights) {
  if (data?.update) return data.update.map((u) => ({ W: u.W_before, b: u.b_before }));
  return sessionWeights;
}
