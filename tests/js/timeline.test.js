import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPhases, visibility, traceKind, clampPhase } from '../../frontend/js/timeline.js';
import { installMeta } from './helpers.js';

installMeta();

const network = { layers: [2, 2, 1], activations: ['sigmoid', 'linear'], loss: 'squared' };
const fwd = { x: [1, 0], y: [1], layers: [{ s: [0, 0], a: [0.5, 0.5] }, { s: [1], a: [1] }], output: [1], loss: 0 };
const bwd = { x: [1, 0], y: [1], forward: fwd, loss: 0, grads: [{}, {}] };
const step = { ...bwd, update: [{}, {}], learning_rate: 0.5, step: 1 };

test('trace kinds', () => {
  assert.equal(traceKind(fwd), 'forward');
  assert.equal(traceKind(bwd), 'backward');
  assert.equal(traceKind(step), 'step');
  assert.equal(traceKind(null), null);
});

test('a step trace: forward 1..N, loss, backward N..1, update', () => {
  const ids = buildPhases(step, network).map((p) => p.id);
  assert.deepEqual(ids, ['forward-1', 'forward-2', 'loss', 'backward-2', 'backward-1', 'update']);
});

test('forward without a target has no loss phase', () => {
  const ids = buildPhases({ ...fwd, loss: null, y: null }, network).map((p) => p.id);
  assert.deepEqual(ids, ['forward-1', 'forward-2']);
  assert.deepEqual(buildPhases(fwd, network).map((p) => p.id), ['forward-1', 'forward-2', 'loss']);
});

test('deep nets get one phase per layer each way', () => {
  const deep = { layers: [2, 3, 3, 3, 1], activations: ['tanh', 'tanh', 'tanh', 'linear'], loss: 'squared' };
  const ids = buildPhases(bwd, deep).map((p) => p.id);
  assert.deepEqual(ids, ['forward-1', 'forward-2', 'forward-3', 'forward-4', 'loss',
    'backward-4', 'backward-3', 'backward-2', 'backward-1']);
});

test('phase names follow the lecture', () => {
  const phases = buildPhases(step, network);
  assert.match(phases[0].title, /Forward · hidden layer/);
  assert.match(phases[3].title, /Backward · output layer: δ = ∂L\/∂s cached/);
  assert.match(phases[4].title, /reuse cached δ/);
  assert.match(phases[5].title, /w ← w − γ·∂L\/∂w/);
});

test('visibility accumulates and reports the reused cache', () => {
  const phases = buildPhases(step, network);
  let seen = visibility(phases, 0);
  assert.deepEqual([...seen.forward], [1]);
  assert.equal(seen.loss, false);
  seen = visibility(phases, 4);
  assert.equal(seen.loss, true);
  assert.deepEqual([...seen.backward].sort(), [1, 2]);
  assert.equal(seen.reuse, 2);
  assert.equal(seen.update, false);
  seen = visibility(phases, 99);
  assert.equal(seen.update, true);
  assert.equal(seen.current.id, 'update');
});

test('clampPhase', () => {
  const phases = buildPhases(step, network);
  assert.equal(clampPhase(phases, -3), 0);
  assert.equal(clampPhase(phases, 42), 5);
  assert.equal(clampPhase([], 3), 0);
});
