import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv } from '../../frontend/js/csv.js';

test('header names x and y columns', () => {
  const data = parseCsv('x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n');
  assert.deepEqual(data.X, [[0, 0], [0, 1], [1, 0], [1, 1]]);
  assert.deepEqual(data.Y, [[0], [1], [1], [0]]);
});

test('columns in any order, several targets, semicolons', () => {
  const data = parseCsv('y1;x1;y2;x2\n1;0.5;0;-2\n');
  assert.deepEqual(data.X, [[0.5, -2]]);
  assert.deepEqual(data.Y, [[1, 0]]);
});

test('no header: last column is y', () => {
  const data = parseCsv('1,2,3\n4,5,6');
  assert.deepEqual(data.X, [[1, 2], [4, 5]]);
  assert.deepEqual(data.Y, [[3], [6]]);
});

test('bad input is rejected with the line number', () => {
  assert.throws(() => parseCsv('x1,y\n1,abc\n'), /line 2/);
  assert.throws(() => parseCsv('x1,y\n1,2,3\n'), /line 2/);
  assert.throws(() => parseCsv(''), /empty/);
});
