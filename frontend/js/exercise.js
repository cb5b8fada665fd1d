// Exercise mode, the pure part (no DOM, no fetch; node-testable): which request body a mode
// makes, how an answer typed by a student is read, and what each blank shows after the
// server graded it. views/exercise.js draws it; worksheet.js prints it. The grading itself
// (tolerance, diagnoses, tries) is the server's (POST /api/exercises/{id}/answers).
import { formatNumber, MINUS, weightLabel, labelText } from './format.js';
import {
  GENERIC, activationDerivative, activationOf, activationValue, lossFormula, lossGradient, lossOf,
  notation,
} from './notation.js';

export const BACKWARD_QUANTITIES = Object.freeze(['dL_da', 'dL_ds', 'dL_dW', 'dL_db']);
// the lecture's ∂L/∂w_22^h: layer 0 (the hidden layer), from x2 (i = 1), to z2 (j = 1)
export const DEFAULT_WEIGHT = Object.freeze({ layer: 0, i: 1, j: 1 });
export const DEFAULT_RTOL = 0.01;
export const DEFAULT_ATOL = 1e-4;
export const MAX_SEED = 2 ** 32 - 1;

export const MODES = Object.freeze([
  { id: 'every', name: 'every value', text: 'every value of one step, forward, loss, backward and the update' },
  { id: 'backward', name: 'backward only', text: 'the backward pass: ∂L/∂a, δ, ∂L/∂w per layer, top-down' },
  { id: 'weight', name: 'one weight', text: 'one ∂L/∂w factor by factor (the selected weight)' },
  { id: 'sign', name: 'predict the sign', text: 'only the sign (+ or −) of each gradient' },
]);

export function isMode(id) {
  return MODES.some((m) => m.id === id);
}

/**
 * The example part of a request from the explorer's example (state.example):
 * 'next' → {} (the session's next dataset example; the session is not changed),
 * 'index' → {index}, 'custom' → {x, y}.
 */
export function exampleBody(example) {
  if (!example || example.mode === 'next') return {};
  if (example.mode === 'index') return { index: example.index };
  if (example.mode === 'custom' && Array.isArray(example.x) && Array.isArray(example.y)) {
    return { x: [...example.x], y: [...example.y] };
  }
  return {};
}

/**
 * The weight of "one weight" from the explorer's selection ({kind: 'weight', layer (1-based
 * non-input layer), from (0 = bias, else 1-based below), to (1-based)}) in the API's indices
 * ({layer 0-based, i 0-based or −1 for the bias, j 0-based}); the lecture's w_22^h otherwise.
 * layers: the network's sizes, to check the selection fits it.
 */
export function weightOf(selection, layers) {
  if (selection?.kind === 'weight' && Number.isInteger(selection.layer) && selection.layer >= 1) {
    const w = { layer: selection.layer - 1, i: selection.from - 1, j: selection.to - 1 };
    if (!layers || fits(w, layers)) return w;
  }
  if (!layers || fits(DEFAULT_WEIGHT, layers)) return { ...DEFAULT_WEIGHT };
  return { layer: 0, i: 0, j: 0 };
}

function fits(w, layers) {
  return w.layer >= 0 && w.layer < layers.length - 1 && w.i >= -1 && w.i < layers[w.layer]
    && w.j >= 0 && w.j < layers[w.layer + 1];
}

/**
 * POST /api/sessions/{id}/exercises body for a mode:
 * {mode, example (state.example), seed (a number or null), weight ({layer, i, j}), rtol, atol}.
 * A seed replaces the example (the seed makes its own weights and example).
 */
export function requestBody({ mode = 'every', example = null, seed = null, weight = null,
  rtol = DEFAULT_RTOL, atol = DEFAULT_ATOL } = {}) {
  if (!isMode(mode)) throw new Error(`unknown exercise mode ${mode}`);
  const body = seed === null || seed === undefined ? exampleBody(example) : { seed };
  if (mode === 'backward' || mode === 'sign') body.quantities = [...BACKWARD_QUANTITIES];
  if (mode === 'weight') body.weight = { ...(weight ?? DEFAULT_WEIGHT) };
  if (mode === 'sign') body.kind = 'sign';
  if (rtol !== DEFAULT_RTOL) body.rtol = rtol;
  if (atol !== DEFAULT_ATOL) body.atol = atol;
  return body;
}

/**
 * The body that makes the same exercise again (for the worksheet's answer key, made on a
 * copy so the student's own exercise is not revealed): the given one if known, else one
 * rebuilt from the exercise itself (x and y, or its seed; quantities from its blanks; a
 * one-weight chain from its last blank). The caller checks the copy's blanks are the same.
 */
export function copyBody(exercise, given = null) {
  if (given) return keyBody(exercise, given);
  const body = exercise.seed !== null && exercise.seed !== undefined
    ? { seed: exercise.seed } : { x: [...exercise.example.x], y: [...exercise.example.y] };
  if (exercise.kind === 'sign') body.kind = 'sign';
  if (exercise.rtol !== DEFAULT_RTOL) body.rtol = exercise.rtol;
  if (exercise.atol !== DEFAULT_ATOL) body.atol = exercise.atol;
  const blanks = exercise.blanks;
  const quantities = [...new Set(blanks.map((b) => b.quantity))];
  const grads = blanks.filter((b) => b.quantity === 'dL_dW' || b.quantity === 'dL_db');
  const last = blanks.at(-1);
  const forward = quantities.some((q) => ['s', 'a', 'loss', 'W_after', 'b_after'].includes(q));
  if (!forward && grads.length === 1 && last === grads[0] && blanks.length > 1) {
    body.weight = last.quantity === 'dL_db' ? { layer: last.layer, i: -1, j: last.unit }
      : { layer: last.layer, i: last.i, j: last.j };
  } else if (!sameSet(quantities, DEFAULT_QUANTITIES)) {
    body.quantities = quantities;
  }
  return body;
}

const DEFAULT_QUANTITIES = ['s', 'a', 'loss', 'dL_da', 'dL_ds', 'dL_dW', 'dL_db', 'W_after', 'b_after'];

function sameSet(a, b) {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * The body that made `exercise` with its example written out: {x, y} of the exercise instead
 * of an index or "the next example" (those could name another example later), the seed kept.
 */
export function keyBody(exercise, body) {
  const out = JSON.parse(JSON.stringify(body ?? {}));
  delete out.index;
  if (out.seed === null || out.seed === undefined) {
    delete out.seed;
    out.x = [...exercise.example.x];
    out.y = [...exercise.example.y];
  } else {
    delete out.x;
    delete out.y;
  }
  return out;
}

/**
 * A number as a student types it: "0.25", "−0.25" (typographic minus), "-1e-3", "0,25"
 * (decimal comma), "+0.5". → {value} or {error}.
 */
export function parseAnswer(text) {
  const raw = String(text ?? '').trim();
  if (!raw) return { error: 'type a number' };
  let t = raw.replaceAll(MINUS, '-').replaceAll('\u2013', '-').replace(/\s+/g, '');
  if (!t.includes('.') && /^[+-]?\d+,\d+([eE][+-]?\d+)?$/.test(t)) t = t.replace(',', '.');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return { error: `“${raw}” is not a number` };
  const value = Number(t);
  if (!Number.isFinite(value)) return { error: `“${raw}” is too large` };
  return { value };
}

/** A sign answer (+ or −) as the value sent: +1 or −1 (0 for "zero"). */
export function signValue(sign) {
  if (sign === '+' || sign === 1) return 1;
  if (sign === '-' || sign === MINUS || sign === -1) return -1;
  if (sign === '0' || sign === 0) return 0;
  throw new Error(`not a sign: ${sign}`);
}

export function signText(value) {
  if (value > 0) return '+';
  if (value < 0) return MINUS;
  return '0';
}

// A hint per quantity, in the lecture's notation (shown with a wrong answer).
const HINTS = {
  s: 'weighted sum of the inputs from below: s_j = Σ_i w_ij·x_i + w_0j·1',
  // a, loss, dL_da_out and da_ds: from the network's own activation and loss (hintFor)
  dL_da_hidden: 'sum over the units above, from the cache: ∂L/∂z_j = Σ_k w_jk·δ_k',
  dL_ds: 'δ = ∂L/∂s = ∂L/∂z · f′(s): multiply by the local factor f′(s)',
  dL_dW: '∂L/∂w_ij = δ_j · (activation of unit i below: x_i or z_i)',
  dL_db: 'the bias input is 1: ∂L/∂w_0j = δ_j · 1 = δ_j',
  W_after: 'gradient descent: w ← w − γ·∂L/∂w',
  b_after: 'gradient descent: w_0j ← w_0j − γ·∂L/∂w_0j',
};

// the hints that name the network's activation or loss: its formulas, from notation.js
function formulaHint(key, blank, network) {
  const act = activationOf(network, (blank.layer ?? 0) + 1);
  const loss = lossOf(network);
  if (key === 'a') return `the unit’s activation of its s: z = ${activationValue(act, GENERIC.s).text}`;
  if (key === 'loss') return `${lossFormula(loss).text} (summed over the outputs)`;
  if (key === 'dL_da_out') {
    const ystar = notation(network?.layers ?? [1, 1]).target(1);
    return `∂L/∂y = ${lossGradient(loss, GENERIC.y, ystar).text}`;
  }
  if (key === 'da_ds') return `the local factor f′(s) = ${activationDerivative(act, GENERIC.z, GENERIC.s).text}`;
  return '';
}

/** The hint for a blank; depth = number of non-input layers (to tell ∂L/∂y from ∂L/∂z). */
export function hintFor(blank, depth, kind = 'value', network = null) {
  let key = blank.quantity;
  if (key === 'dL_da') key = blank.layer === depth - 1 ? 'dL_da_out' : 'dL_da_hidden';
  const hint = HINTS[key] ?? formulaHint(key, blank, network);
  return kind === 'sign' ? `the sign of: ${hint}` : hint;
}

/** More digits than the explorer's 4 for a value a student compares against their own. */
export function valueText(value, kind = 'value') {
  if (value === null || value === undefined) return '';
  if (kind === 'sign') return signText(value);
  return formatNumber(value, 6);
}

/**
 * Each blank's state from the exercise (GET/POST response) and the last results by blank
 * ({blank → result of answers/reveal}): status 'open' | 'correct' | 'wrong' | 'revealed' |
 * 'settled' (wrong max_tries times), the value to show once settled, and for a wrong
 * answer the server's diagnosis message and a hint.
 */
export function blankView(exercise, blank, result = null) {
  const depth = exercise.network.layers.length - 1;
  const tries = result?.tries ?? blank.tries;
  const expected = result ? result.expected : blank.expected;
  const correct = result ? result.correct : blank.correct;
  const revealed = blank.revealed;
  const settled = expected !== null && expected !== undefined;
  let status = 'open';
  if (correct) status = 'correct';
  else if (revealed) status = 'revealed';
  else if (settled) status = 'settled';
  else if (tries > 0) status = 'wrong';
  const diagnosis = !correct && result ? (result.diagnosis ?? null) : null;
  const left = Math.max(0, exercise.max_tries - tries);
  let message = '';
  const miss = exercise.kind === 'sign' ? 'not that sign' : `not within ${tolText(exercise)}`;
  if (status === 'wrong') message = diagnosis ? diagnosis.message : miss;
  else if (status === 'settled') message = `${diagnosis ? `${diagnosis.message} — ` : ''}shown after ${tries} tries`;
  const last = blank.answers?.length ? blank.answers.at(-1) : null;
  return {
    blank: blank.blank,
    label: blank.label,
    quantity: blank.quantity,
    status,
    settled: settled || correct,
    tries,
    triesLeft: left,
    expected: settled ? expected : null,
    expectedText: settled ? valueText(expected, exercise.kind) : '',
    lastAnswer: last,
    diagnosis,
    message,
    hint: status === 'wrong' || status === 'settled' ? hintFor(blank, depth, exercise.kind, exercise.network) : '',
  };
}

export function tolText(exercise) {
  return `${formatNumber(exercise.rtol * 100)} % (or ${formatNumber(exercise.atol)} near 0)`;
}

/**
 * Merge a graded result into the exercise (a new object; the inputs are not changed): the
 * blank's tries, correct flag, answers and (once settled) expected value.
 */
export function applyResult(exercise, result, answered = null, revealed = false) {
  const blanks = exercise.blanks.map((b) => {
    if (b.blank !== result.blank) return b;
    const wasSettled = b.correct || (b.expected !== null && b.expected !== undefined);
    const answers = answered === null || wasSettled ? (b.answers ?? []) : [...(b.answers ?? []), answered];
    return {
      ...b,
      tries: result.tries,
      answers,
      correct: b.correct || result.correct,
      revealed: b.revealed || revealed,
      expected: result.expected ?? b.expected ?? null,
    };
  });
  return { ...exercise, blanks };
}

/** The first blank not settled yet (the one to work on), or null when all are. */
export function currentBlank(exercise) {
  if (!exercise) return null;
  const open = exercise.blanks.find((b) => !(b.correct || (b.expected !== null && b.expected !== undefined)));
  return open ?? null;
}

/** "3 of 9 right (5 answered)" */
export function scoreText(score) {
  return `${score.correct} of ${score.total} right (${score.answered} answered)`;
}

/**
 * What the network view should mark for a blank, by its data-testids (views/network.js:
 * unit-<layer>-<unit>, edge-<layer>-<from>-<to>, loss; layer 0 = input, units 1-based, from 0
 * = bias).
 */
export function highlightIds(blank) {
  if (!blank) return [];
  const l = blank.layer === null || blank.layer === undefined ? null : blank.layer + 1;
  switch (blank.quantity) {
    case 'loss':
      return ['loss'];
    case 'dL_dW':
    case 'W_after':
      return [`edge-${l}-${blank.i + 1}-${blank.j + 1}`];
    case 'dL_db':
    case 'b_after':
      return [`edge-${l}-0-${blank.unit + 1}`];
    default:
      return [`unit-${l}-${blank.unit + 1}`];
  }
}

/**
 * The problem as rows a person reads (panel and worksheet): network, activations, loss, γ,
 * every weight with its lecture label, the example and the seed.
 */
export function problemView(exercise) {
  const { layers, activations, loss, learning_rate: lr, l2 } = exercise.network;
  const depth = layers.length - 1;
  const layerNames = activations.map((a, k) => ({
    layer: k + 1 === depth ? 'output' : depth > 2 ? `hidden ${k + 1}` : 'hidden',
    activation: a,
  }));
  const weights = exercise.weights.map((w, k) => {
    const rows = [];
    for (let j = 0; j < layers[k + 1]; j += 1) {
      rows.push({ label: labelText(weightLabel(layers, k + 1, 0, j + 1)), value: w.b[j] });
      for (let i = 0; i < layers[k]; i += 1) {
        rows.push({ label: labelText(weightLabel(layers, k + 1, i + 1, j + 1)), value: w.W[i][j] });
      }
    }
    return { layer: layerNames[k].layer, rows };
  });
  const x = exercise.example.x.map((v, i) => ({ label: `x${i + 1}`, value: v }));
  const ny = exercise.example.y.length;
  const y = exercise.example.y.map((v, i) => ({ label: ny === 1 ? 'y*' : `y${i + 1}*`, value: v }));
  return {
    architecture: layers.join('-'),
    activations: layerNames,
    loss: `${loss}, ${lossFormula(loss).text}`,
    learningRate: lr,
    l2,
    weights,
    x,
    y,
    seed: exercise.seed,
    kind: exercise.kind,
    tolerance: tolText(exercise),
  };
}

/** "w_11^h = 0.5" style text of a number for the problem statement (exact, not rounded). */
export function exactText(value) {
  const s = String(value);
  return s.startsWith('-') ? MINUS + s.slice(1) : s;
}

/** A random seed for "new problem" (shown, so it can be handed out). */
export function randomSeed(random = Math.random) {
  return Math.floor(random() * 1000);
}

/** The seed typed in the field: an integer 0…2^32 − 1, or {error}. */
export function parseSeed(text) {
  const t = String(text ?? '').trim();
  if (!/^\d+$/.test(t)) return { error: 'the seed is a whole number ≥ 0' };
  const seed = Number(t);
  if (seed > MAX_SEED) return { error: `the seed is at most ${MAX_SEED}` };
  return { seed };
}

/** Tolerance settings typed in the panel: rtol in %, atol as a number. → {rtol, atol} or {error, field}. */
export function parseTolerance(rtolPercent, atolText) {
  const r = parseAnswer(rtolPercent);
  if (r.error || !(r.value > 0) || r.value > 100) return { error: 'tolerance: a percentage above 0, at most 100', field: 'rtol' };
  const a = parseAnswer(atolText);
  if (a.error || a.value < 0) return { error: 'absolute floor: a number ≥ 0', field: 'atol' };
  return { rtol: r.value / 100, atol: a.value };
}

/** The worksheet's address for an exercise (and the body that made it, for the key's copy). */
export function worksheetUrl(exerciseId, body = null) {
  const q = new URLSearchParams({ exercise: exerciseId });
  if (body) q.set('body', JSON.stringify(body));
  return `worksheet.html?${q}`;
}
