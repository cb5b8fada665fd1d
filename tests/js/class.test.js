// The class pages' pure parts: typed answers, selection -> blank / weight (the API's 0-based
// indices, i = -1 for the bias), the results' bars and clicks, server labels in Unicode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnswer } from '../../frontend/js/class/answer.js';
import {
  binsOf, blankOfSelection, clicksOf, exampleText, prettyLabel, selectionOfWeight, weightOfSelection,
} from '../../frontend/js/class/client.js';

test('typed answers: minus signs, decimal comma, exponents; junk refused', () => {
  assert.deepEqual(parseAnswer('−0.25'), { value: -0.25 });
  assert.deepEqual(parseAnswer(' -0,125 '), { value: -0.125 });
  assert.deepEqual(parseAnswer('2.5e-3'), { value: 0.0025 });
  assert.ok(parseAnswer('').error);
  assert.ok(parseAnswer('abc').error);
  assert.ok(parseAnswer('1,2,3').error);
  assert.ok(parseAnswer('1e999').error);
});

test('a weight selection becomes the API blank and weight, and back', () => {
  const w = { kind: 'weight', layer: 2, from: 1, to: 1 };          // w_11^o
  assert.deepEqual(blankOfSelection(w, 'dL_dW'), { quantity: 'dL_dW', layer: 1, i: 0, j: 0 });
  assert.deepEqual(weightOfSelection(w), { layer: 1, i: 0, j: 0 });
  assert.deepEqual(selectionOfWeight({ layer: 1, i: 0, j: 0 }), w);
  const bias = { kind: 'weight', layer: 1, from: 0, to: 2 };        // w_02^h
  assert.deepEqual(blankOfSelection(bias, 'dL_dW'), { quantity: 'dL_db', layer: 0, unit: 1 });
  assert.deepEqual(blankOfSelection(bias, 'W_after'), { quantity: 'b_after', layer: 0, unit: 1 });
  assert.deepEqual(weightOfSelection(bias), { layer: 0, i: -1, j: 1 });
  assert.deepEqual(selectionOfWeight({ layer: 0, i: -1, j: 1 }), bias);
});

test('a unit selection becomes a per-unit blank; input units and nothing selected give none', () => {
  assert.deepEqual(blankOfSelection({ kind: 'unit', layer: 1, unit: 2 }, 'dL_ds'), { quantity: 'dL_ds', layer: 0, unit: 1 });
  assert.equal(blankOfSelection({ kind: 'unit', layer: 0, unit: 1 }, 'dL_ds'), null);
  assert.equal(blankOfSelection(null, 'dL_ds'), null);
  assert.equal(weightOfSelection({ kind: 'unit', layer: 1, unit: 1 }), null);
});

test('results: bars with their right flag, clicks marked right against the expected weight', () => {
  const bins = binsOf({ histogram: [{ lo: -0.557, hi: -0.557, count: 3 }, { lo: 0.557, hi: 0.557, count: 1, right: true }] });
  assert.deepEqual(bins, [{ lo: -0.557, hi: -0.557, count: 3, right: false }, { lo: 0.557, hi: 0.557, count: 1, right: true }]);
  assert.deepEqual(binsOf({ clicks: [] }), []);
  const clicks = clicksOf({ clicks: [{ layer: 1, i: 0, j: 0, count: 2 }, { layer: 0, i: -1, j: 1, count: 5 }],
    expected: { layer: 0, i: -1, j: 1 } });
  assert.deepEqual(clicks.map((c) => [c.count, c.right]), [[2, false], [5, true]]);
  assert.deepEqual(clicksOf({ clicks: [{ layer: 1, i: 0, j: 0, count: 2 }], expected: null }).map((c) => c.right), [false]);
});

test("the server's labels in Unicode sub- and superscripts", () => {
  assert.equal(prettyLabel('∂L/∂w_22^h'), '∂L/∂w₂₂ʰ');
  assert.equal(prettyLabel('δ^o'), 'δᵒ');
  assert.equal(prettyLabel('δ_2^h = z2(1 − z2)·w_21^o·δ^o'), 'δ₂ʰ = z2(1 − z2)·w₂₁ᵒ·δᵒ');
  assert.equal(prettyLabel('z_1^(2)'), 'z₁⁽²⁾');
  assert.equal(prettyLabel(null), '');
});

test("a question's frozen example as text", () => {
  assert.equal(exampleText({ x: [1, -1], y: [1] }), ' for x = (1, −1), y* = 1');
  assert.equal(exampleText(null), '');
});

test('heat map of clicks: counts per edge id, heat relative to the most chosen, no answer before the reveal', async () => {
  const { heatOf, edgeIdOf } = await import('../../frontend/js/class/heat.js');
  assert.equal(edgeIdOf({ layer: 0, i: -1, j: 1 }), '1-0-2'); // the bias w_02^h
  assert.equal(edgeIdOf({ layer: 1, i: 1, j: 0 }), '2-2-1');
  const open = { answered: 4, clicks: [{ layer: 0, i: 1, j: 1, count: 3 }, { layer: 1, i: -1, j: 0, count: 1 }] };
  const h = heatOf(open);
  assert.equal(h.revealed, false);
  assert.equal(h.right, null);
  assert.deepEqual(h.edges, [
    { id: '1-2-2', count: 3, heat: 1, right: false },
    { id: '2-0-1', count: 1, heat: 1 / 3, right: false },
  ]);
  // revealed: the right weight marked, even when nobody chose it
  const shown = heatOf({ ...open, status: 'revealed', correct: 0, expected: { layer: 1, i: 0, j: 0 } });
  assert.equal(shown.revealed, true);
  assert.equal(shown.right, '2-1-1');
  assert.deepEqual(shown.edges.map((e) => [e.id, e.count, e.right]), [['1-2-2', 3, false], ['2-0-1', 1, false], ['2-1-1', 0, true]]);
  assert.deepEqual(heatOf(null).edges, []);
});

test("the class client calls api.js's request with the role's token and its errors", async () => {
  const { call } = await import('../../frontend/js/class/client.js');
  const seen = [];
  const saved = globalThis.fetch;
  globalThis.fetch = async (url, init) => {
    seen.push([url, init]);
    if (url.endsWith('/join')) return new Response(JSON.stringify({ detail: 'no live class has this code' }), { status: 404 });
    return new Response(JSON.stringify({ phase: 2 }), { status: 200 });
  };
  try {
    assert.deepEqual(await call('POST', '/classes/c1/phase', { token: 't0k', body: { phase: 2 } }), { phase: 2 });
    assert.equal(seen[0][0], '/api/classes/c1/phase');
    assert.equal(seen[0][1].headers.Authorization, 'Bearer t0k');
    assert.equal(seen[0][1].body, '{"phase":2}');
    await assert.rejects(call('POST', '/classes/join', { body: { code: 'ABCDEF' } }),
      (err) => err.name === 'ApiError' && err.status === 404 && err.message === 'no live class has this code');
    assert.equal(seen[1][1].headers.Authorization, undefined);
  } finally {
    globalThis.fetch = saved;
  }
});
