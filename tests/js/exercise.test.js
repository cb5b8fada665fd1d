import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  requestBody, exampleBody, weightOf, copyBody, keyBody, parseAnswer, parseSeed, parseTolerance,
  signValue, blankView, applyResult, currentBlank, highlightIds, problemView, hintFor, worksheetUrl,
  scoreText, valueText, BACKWARD_QUANTITIES, DEFAULT_WEIGHT,
} from '../../frontend/js/exercise.js';
import { installMeta } from './helpers.js';

installMeta();   // the formulas in hints come from the server's table (fixtures/meta.json)

const MINUS = '\u2212';
const LECTURE_LAYERS = [2, 2, 1];

// the shape of POST /api/sessions/{id}/exercises on the lecture's 2-2-1, "one weight" w_22^h
function oneWeightExercise() {
  const blank = (k, quantity, layer, unit, label) => ({
    blank: k, quantity, layer, unit, label, tries: 0, answers: [], correct: false, revealed: false, expected: null,
  });
  return {
    id: 'e1', session_id: 's1', kind: 'value', example: { x: [1, 0.5], y: [1] },
    weights: [{ W: [[0.1, -0.2], [0.3, 0.4]], b: [0.05, -0.05] }, { W: [[0.5], [-0.6]], b: [0.2] }],
    network: { layers: [2, 2, 1], activations: ['sigmoid', 'linear'], loss: 'squared', learning_rate: 0.5, l2: 0 },
    seed: null, rtol: 0.01, atol: 1e-4, max_tries: 2,
    blanks: [
      blank(0, 'dL_da', 1, 0, '∂L/∂y'),
      blank(1, 'dL_ds', 1, 0, 'δ^o'),
      blank(2, 'dL_da', 0, 1, '∂L/∂z2'),
      blank(3, 'da_ds', 0, 1, 'σ′(s_2^h)'),
      blank(4, 'dL_ds', 0, 1, 'δ_2^h'),
      { ...blank(5, 'dL_dW', 0, undefined, '∂L/∂w_22^h'), i: 1, j: 1 },
    ],
    score: { answered: 0, correct: 0, total: 6 },
  };
}

test('each mode makes its request body', () => {
  const example = { mode: 'next', index: 0, x: null, y: null };
  assert.deepEqual(requestBody({ mode: 'every', example }), {});
  assert.deepEqual(requestBody({ mode: 'backward', example }), { quantities: ['dL_da', 'dL_ds', 'dL_dW', 'dL_db'] });
  assert.deepEqual(requestBody({ mode: 'weight', example }), { weight: { layer: 0, i: 1, j: 1 } });
  assert.deepEqual(requestBody({ mode: 'weight', example, weight: { layer: 1, i: -1, j: 0 } }),
    { weight: { layer: 1, i: -1, j: 0 } });
  assert.deepEqual(requestBody({ mode: 'sign', example }), { quantities: [...BACKWARD_QUANTITIES], kind: 'sign' });
  // tolerances only when not the server's defaults
  assert.deepEqual(requestBody({ mode: 'every', example, rtol: 0.05, atol: 0.001 }), { rtol: 0.05, atol: 0.001 });
  assert.deepEqual(requestBody({ mode: 'every', example, rtol: 0.01, atol: 1e-4 }), {});
  assert.throws(() => requestBody({ mode: 'guess' }), /unknown exercise mode/);
});

test('the example comes from the explorer, a seed replaces it', () => {
  assert.deepEqual(exampleBody({ mode: 'index', index: 3 }), { index: 3 });
  assert.deepEqual(exampleBody({ mode: 'custom', x: [1, 0.5], y: [1] }), { x: [1, 0.5], y: [1] });
  assert.deepEqual(exampleBody({ mode: 'custom', x: null, y: null }), {});
  assert.deepEqual(exampleBody(null), {});
  const example = { mode: 'custom', x: [1, 0.5], y: [1] };
  assert.deepEqual(requestBody({ mode: 'backward', example, seed: 17 }),
    { seed: 17, quantities: [...BACKWARD_QUANTITIES] });
  assert.deepEqual(requestBody({ mode: 'every', example, seed: 0 }), { seed: 0 });
  const body = requestBody({ mode: 'every', example });
  body.x.push(9);
  assert.deepEqual(example.x, [1, 0.5], 'the state is not changed through the body');
});

test('one weight: the selected weight in the API indices, w_22^h by default', () => {
  assert.deepEqual(weightOf(null, LECTURE_LAYERS), { layer: 0, i: 1, j: 1 });
  assert.deepEqual(weightOf({ kind: 'unit', layer: 1, unit: 1 }, LECTURE_LAYERS), DEFAULT_WEIGHT);
  // selection: 1-based layer, from 0 = bias, to 1-based
  assert.deepEqual(weightOf({ kind: 'weight', layer: 2, from: 1, to: 1 }, LECTURE_LAYERS), { layer: 1, i: 0, j: 0 });
  assert.deepEqual(weightOf({ kind: 'weight', layer: 1, from: 0, to: 2 }, LECTURE_LAYERS), { layer: 0, i: -1, j: 1 });
  // a selection that does not fit the network, and a network without a w_22
  assert.deepEqual(weightOf({ kind: 'weight', layer: 3, from: 1, to: 1 }, LECTURE_LAYERS), DEFAULT_WEIGHT);
  assert.deepEqual(weightOf(null, [1, 1]), { layer: 0, i: 0, j: 0 });
});

test('answers as typed: typographic minus, decimal comma, exponents; junk refused', () => {
  assert.deepEqual(parseAnswer('0.25'), { value: 0.25 });
  assert.deepEqual(parseAnswer(`${MINUS}0.0625`), { value: -0.0625 });
  assert.deepEqual(parseAnswer(' -1e-3 '), { value: -0.001 });
  assert.deepEqual(parseAnswer('0,5'), { value: 0.5 });
  assert.deepEqual(parseAnswer('+.5'), { value: 0.5 });
  assert.deepEqual(parseAnswer('2.'), { value: 2 });
  assert.match(parseAnswer('').error, /type a number/);
  assert.match(parseAnswer('abc').error, /not a number/);
  assert.match(parseAnswer('1,000.5').error, /not a number/);
  assert.match(parseAnswer('0x10').error, /not a number/);
  assert.match(parseAnswer('1e999').error, /too large/);
  assert.equal(signValue('+'), 1);
  assert.equal(signValue(MINUS), -1);
  assert.equal(signValue('-'), -1);
  assert.throws(() => signValue('?'));
});

test('seed and tolerance fields', () => {
  assert.deepEqual(parseSeed('17'), { seed: 17 });
  assert.deepEqual(parseSeed(' 0 '), { seed: 0 });
  assert.ok(parseSeed('-1').error);
  assert.ok(parseSeed('1.5').error);
  assert.ok(parseSeed(String(2 ** 32)).error);
  assert.deepEqual(parseSeed(String(2 ** 32 - 1)), { seed: 2 ** 32 - 1 });
  assert.deepEqual(parseTolerance('1', '0.0001'), { rtol: 0.01, atol: 0.0001 });
  assert.deepEqual(parseTolerance('5', '0'), { rtol: 0.05, atol: 0 });
  assert.equal(parseTolerance('0', '0.1').field, 'rtol');
  assert.equal(parseTolerance('200', '0.1').field, 'rtol');
  assert.equal(parseTolerance('1', '-1').field, 'atol');
});

test('a blank before, after a wrong answer with a diagnosis, after a right one', () => {
  let ex = oneWeightExercise();
  const b = ex.blanks[4];
  let v = blankView(ex, b);
  assert.equal(v.status, 'open');
  assert.equal(v.expectedText, '');
  assert.equal(v.hint, '');
  assert.equal(v.triesLeft, 2);
  // ∂L/∂z2 typed for δ_2^h: the server says which factor is missing
  const wrong = { blank: 4, correct: false, expected: null, tries: 1,
    diagnosis: { code: 'missing_activation_derivative', message: 'δ_2^h = ∂L/∂z2 · σ′(s_2^h): the factor σ′(s_2^h) is missing' } };
  ex = applyResult(ex, wrong, -0.3);
  v = blankView(ex, ex.blanks[4], wrong);
  assert.equal(v.status, 'wrong');
  assert.equal(v.message, wrong.diagnosis.message);
  assert.match(v.hint, /f′\(s\)/);
  assert.equal(v.triesLeft, 1);
  assert.equal(v.expected, null);
  assert.deepEqual(ex.blanks[4].answers, [-0.3]);
  assert.equal(currentBlank(ex).blank, 0);
  const right = { blank: 4, correct: true, expected: -0.0712345678, tries: 2, diagnosis: null };
  ex = applyResult(ex, right, -0.0712);
  v = blankView(ex, ex.blanks[4], right);
  assert.equal(v.status, 'correct');
  assert.equal(v.message, '');
  assert.equal(v.expectedText, `${MINUS}0.0712346`);
  assert.equal(v.settled, true);
  assert.equal(ex.blanks[4].correct, true);
  // a wrong answer without a diagnosis names the tolerance
  const plain = { blank: 0, correct: false, expected: null, tries: 1, diagnosis: null };
  const ex2 = applyResult(ex, plain, 5);
  assert.match(blankView(ex2, ex2.blanks[0], plain).message, /not within 1 % \(or 1e−4 near 0\)/);
});

test('shown after max_tries wrong answers, or on request', () => {
  let ex = oneWeightExercise();
  const second = { blank: 1, correct: false, expected: 0.6, tries: 2,
    diagnosis: { code: 'sign_flipped', message: 'the sign of δ^o is flipped' } };
  ex = applyResult(ex, { blank: 1, correct: false, expected: null, tries: 1, diagnosis: null }, 1);
  ex = applyResult(ex, second, -0.6);
  let v = blankView(ex, ex.blanks[1], second);
  assert.equal(v.status, 'settled');
  assert.equal(v.expectedText, '0.6');
  assert.match(v.message, /flipped — shown after 2 tries/);
  // a third answer to a settled blank is not recorded here either
  ex = applyResult(ex, { ...second, tries: 2 }, 7);
  assert.deepEqual(ex.blanks[1].answers, [1, -0.6]);
  const revealed = { blank: 0, correct: false, expected: -0.25, tries: 0, diagnosis: null };
  ex = applyResult(ex, revealed, null, true);
  v = blankView(ex, ex.blanks[0], revealed);
  assert.equal(v.status, 'revealed');
  assert.equal(v.expectedText, `${MINUS}0.25`);
  assert.equal(currentBlank(ex).blank, 2);
  // the exercise as GET returns it after a reload: same states without the results
  assert.equal(blankView(ex, ex.blanks[0]).status, 'revealed');
  assert.equal(blankView(ex, ex.blanks[1]).status, 'settled');
});

test('sign exercises show + and −', () => {
  const ex = { ...oneWeightExercise(), kind: 'sign' };
  assert.equal(valueText(-0.3, 'sign'), MINUS);
  assert.equal(valueText(0.3, 'sign'), '+');
  const r = { blank: 0, correct: true, expected: -0.25, tries: 1, diagnosis: null };
  assert.equal(blankView(applyResult(ex, r, -1), ex.blanks[0], r).expectedText, MINUS);
  assert.match(hintFor(ex.blanks[0], 2, 'sign'), /^the sign of: /);
  const w = { blank: 0, correct: false, expected: null, tries: 1, diagnosis: null };
  const v = blankView(applyResult(ex, w, 1), ex.blanks[0], w);
  assert.equal(v.status, 'wrong');
  assert.equal(v.message, 'not that sign');
});

test('hints in the lecture’s notation, ∂L/∂y at the output, the sum over units below', () => {
  const ex = oneWeightExercise();
  const lecture = { layers: [2, 2, 1], activations: ['sigmoid', 'linear'], loss: 'squared' };
  assert.match(hintFor(ex.blanks[0], 2, 'value', lecture), /∂L\/∂y = \(y − y\*\)/);
  assert.match(hintFor({ quantity: 'da_ds', layer: 0, unit: 1 }, 2, 'value', lecture), /f′\(s\) = z\(1 − z\)/);
  const tanh = { ...lecture, activations: ['tanh', 'linear'] };
  assert.match(hintFor({ quantity: 'a', layer: 0, unit: 1 }, 2, 'value', tanh), /z = tanh\(s\)/);
  assert.match(hintFor(ex.blanks[2], 2), /Σ_k w_jk·δ_k/);
  assert.match(hintFor(ex.blanks[5], 2), /δ_j · \(activation of unit i below/);
  assert.match(hintFor({ quantity: 'dL_db', layer: 0, unit: 0 }, 2), /bias input is 1/);
  assert.match(hintFor({ quantity: 'W_after', layer: 0, i: 0, j: 0 }, 2), /w ← w − γ·∂L\/∂w/);
});

test('the network view marks the blank’s unit, edge or the loss', () => {
  const ex = oneWeightExercise();
  assert.deepEqual(highlightIds(ex.blanks[0]), ['unit-2-1']);
  assert.deepEqual(highlightIds(ex.blanks[4]), ['unit-1-2']);
  assert.deepEqual(highlightIds(ex.blanks[5]), ['edge-1-2-2']);
  assert.deepEqual(highlightIds({ quantity: 'dL_db', layer: 1, unit: 0 }), ['edge-2-0-1']);
  assert.deepEqual(highlightIds({ quantity: 'loss', layer: null }), ['loss']);
  assert.deepEqual(highlightIds(null), []);
});

test('the problem as a person reads it: weights with lecture labels, exact values', () => {
  const p = problemView(oneWeightExercise());
  assert.equal(p.architecture, '2-2-1');
  assert.deepEqual(p.activations, [{ layer: 'hidden', activation: 'sigmoid' }, { layer: 'output', activation: 'linear' }]);
  assert.deepEqual(p.weights[0].rows.map((r) => `${r.label}=${r.value}`),
    ['w_01^h=0.05', 'w_11^h=0.1', 'w_21^h=0.3', 'w_02^h=-0.05', 'w_12^h=-0.2', 'w_22^h=0.4']);
  assert.deepEqual(p.weights[1].rows.map((r) => r.label), ['w_01^o', 'w_11^o', 'w_21^o']);
  assert.deepEqual(p.x, [{ label: 'x1', value: 1 }, { label: 'x2', value: 0.5 }]);
  assert.deepEqual(p.y, [{ label: 'y*', value: 1 }]);
  assert.equal(p.learningRate, 0.5);
  assert.match(p.tolerance, /1 %/);
});

test('the answer key’s copy: the same body with the example written out', () => {
  const ex = oneWeightExercise();
  assert.deepEqual(keyBody(ex, { weight: { layer: 0, i: 1, j: 1 } }),
    { weight: { layer: 0, i: 1, j: 1 }, x: [1, 0.5], y: [1] });
  assert.deepEqual(keyBody(ex, { index: 2, quantities: ['dL_ds'] }), { quantities: ['dL_ds'], x: [1, 0.5], y: [1] });
  assert.deepEqual(keyBody({ ...ex, seed: 17 }, { seed: 17, kind: 'sign' }), { seed: 17, kind: 'sign' });
  // without the body: rebuilt from the exercise (the one-weight chain from its last blank)
  assert.deepEqual(copyBody(ex), { x: [1, 0.5], y: [1], weight: { layer: 0, i: 1, j: 1 } });
  const backward = { ...ex, seed: 3, rtol: 0.05, blanks: [
    { blank: 0, quantity: 'dL_da', layer: 1, unit: 0 }, { blank: 1, quantity: 'dL_ds', layer: 1, unit: 0 },
    { blank: 2, quantity: 'dL_dW', layer: 1, i: 0, j: 0 }, { blank: 3, quantity: 'dL_dW', layer: 1, i: 1, j: 0 },
    { blank: 4, quantity: 'dL_db', layer: 1, unit: 0 }] };
  assert.deepEqual(copyBody(backward), { seed: 3, rtol: 0.05, quantities: ['dL_da', 'dL_ds', 'dL_dW', 'dL_db'] });
  const every = { ...ex, blanks: ['s', 'a', 'loss', 'dL_da', 'dL_ds', 'dL_dW', 'dL_db', 'W_after', 'b_after']
    .map((q, k) => ({ blank: k, quantity: q, layer: 0, unit: 0, i: 0, j: 0 })) };
  assert.deepEqual(copyBody(every), { x: [1, 0.5], y: [1] });
  const url = new URL(worksheetUrl('ab c', { seed: 17 }), 'http://h/');
  assert.equal(url.searchParams.get('exercise'), 'ab c');
  assert.deepEqual(JSON.parse(url.searchParams.get('body')), { seed: 17 });
});

test('score line', () => {
  assert.equal(scoreText({ answered: 5, correct: 3, total: 9 }), '3 of 9 right (5 answered)');
});
