// node --test tests/js/ — issue 13's pure parts: γ_t in the lecture's notation (notation.js, from
// GET /api/meta's schedules) and in the update phase's words (timeline.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { installMeta } from './helpers.js';
import { scheduleArithmetic, scheduleFormula, scheduleNames } from '../../frontend/js/notation.js';
import { buildPhases } from '../../frontend/js/timeline.js';

installMeta();

test('the schedules are the server’s, their formulas filled with the parameters', () => {
  assert.deepEqual(scheduleNames(), ['constant', 'inverse_time', 'step_decay']);
  assert.equal(scheduleFormula({ name: 'constant' }).text, 'γ_t = γ₀');
  assert.equal(scheduleFormula({ name: 'inverse_time', k: 0.01 }).text, 'γ_t = γ₀ / (1 + k·t), k = 0.01');
  assert.equal(scheduleFormula({ name: 'step_decay', decay: 0.5, every: 100 }).text, 'γ_t = γ₀ · d^⌊t/T⌋, d = 0.5, T = 100');
});

test('γ_t of one update with its arithmetic; none for a constant γ', () => {
  const g = 0.5 / (1 + 0.01 * 12);
  assert.equal(scheduleArithmetic({ name: 'inverse_time', k: 0.01 }, 0.5, 12, g).text,
    'γ_t = 0.5 / (1 + 0.01·12) = 0.4464');
  assert.equal(scheduleArithmetic({ name: 'step_decay', decay: 0.5, every: 100 }, 0.5, 250, 0.125).text,
    'γ_t = 0.5 · 0.5^⌊250/100⌋ = 0.125');
  assert.equal(scheduleArithmetic({ name: 'constant' }, 0.5, 12, 0.5), null);
});

test('the update phase names γ_t when the schedule decays', () => {
  const trace = JSON.parse(JSON.stringify({
    x: [1, -1], y: [1], loss: 0.1,
    forward: { layers: [{ s: [0, 0], a: [0.5, 0.5] }, { s: [0.3], a: [0.3] }], output: [0.3] },
    grads: [{}, {}], update: [{}, {}], t: 12, learning_rate: 0.5 / 1.12, step: 13,
  }));
  const network = { layers: [2, 2, 1], activations: ['sigmoid', 'linear'], loss: 'squared', learning_rate: 0.5 };
  const constant = buildPhases(trace, { ...network, schedule: { name: 'constant' } }).at(-1);
  assert.equal(constant.title, 'Update: w ← w − γ·∂L/∂w');
  const decaying = buildPhases(trace, { ...network, schedule: { name: 'inverse_time', k: 0.01 } }).at(-1);
  assert.equal(decaying.kind, 'update');
  assert.equal(decaying.title, 'Update: w ← w − γ_t·∂L/∂w');
  assert.match(decaying.detail, /γ_t = 0\.5 \/ \(1 \+ 0\.01·12\) = 0\.4464 \(t = 12\)/);
});
