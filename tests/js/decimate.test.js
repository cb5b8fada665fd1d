// node --test tests/js/ — decimate.js: a series reduced to one pixel column's first, lowest,
// highest and last point.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { decimate, extent } from '../../frontend/js/decimate.js';

const X = (h) => h.step;
const Y = (h) => h.loss;
const pairs = (flat) => Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]);

test('a short series comes back whole (non-finite losses left out)', () => {
  const h = [{ step: 1, loss: 0.5 }, { step: 2, loss: NaN }, { step: 3, loss: 0.25 }];
  assert.deepEqual(pairs(decimate(h, X, Y, 10)), [[1, 0.5], [3, 0.25]]);
  assert.equal(decimate([], X, Y, 10).length, 0);
});

test('100 000 updates: ≤ 4 points a column, ends, every column’s extremes and a spike kept', () => {
  const n = 100000;
  const h = Array.from({ length: n }, (_, i) => ({ step: i + 1, loss: 1 + Math.sin(i / 700) + (i === 54321 ? 4 : 0) }));
  const columns = 300;
  const out = pairs(decimate(h, X, Y, columns));
  assert.ok(out.length <= 4 * columns, out.length);
  assert.ok(out.length >= 2 * columns, out.length);
  assert.deepEqual(out[0], [1, h[0].loss]);
  assert.deepEqual(out.at(-1), [n, h[n - 1].loss]);
  for (let i = 1; i < out.length; i += 1) assert.ok(out[i][0] > out[i - 1][0], 'x strictly ascending');
  assert.deepEqual(out.find((p) => p[1] > 4.5), [54322, h[54321].loss]);
  // each column's min and max equal the brute-force ones
  const width = (n - 1) / columns;
  for (const c of [0, 17, 150, 299]) {
    const inCol = h.filter((p) => Math.min(columns - 1, Math.floor((p.step - 1) / width)) === c).map(Y);
    const kept = out.filter(([x]) => Math.min(columns - 1, Math.floor((x - 1) / width)) === c).map((p) => p[1]);
    assert.equal(Math.min(...kept), Math.min(...inCol));
    assert.equal(Math.max(...kept), Math.max(...inCol));
  }
});

test('an explicit x range places the columns (a series starting late keeps its own points)', () => {
  const h = Array.from({ length: 1000 }, (_, i) => ({ step: 500 + i, loss: i % 2 }));
  const out = pairs(decimate(h, X, Y, 10, { lo: 0, hi: 1499 }));
  // 1000 points over columns 3…9 of 10: 7 columns of ≤ 4 points
  assert.ok(out.length <= 28, out.length);
  assert.equal(out[0][0], 500);
});

test('extent: finite (and, for a log axis, positive) values only', () => {
  const h = [{ loss: 0 }, { loss: 2 }, { loss: NaN }, { loss: 0.5 }];
  assert.deepEqual(extent(h, Y), [0, 2]);
  assert.deepEqual(extent(h, Y, true), [0.5, 2]);
  assert.equal(extent([{ loss: NaN }], Y), null);
});
