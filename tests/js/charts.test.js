// node --test tests/js/ — pure helpers of views/charts.js and views/heatmap.js (no DOM needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { niceTicks, epochMeans } from '../../frontend/js/views/charts.js';
import { diverging, gridPoints, dataBounds, GRID } from '../../frontend/js/views/heatmap.js';

test('niceTicks gives round values inside the range', () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 1000, 4), [0, 200, 400, 600, 800, 1000]);
  assert.deepEqual(niceTicks(3, 3), [3]);
  for (const t of niceTicks(0.013, 0.87, 5)) assert.ok(t >= 0.013 && t <= 0.87);
});

test('epochMeans averages consecutive updates of each epoch', () => {
  const h = [
    { step: 1, epoch: 0, loss: 1 }, { step: 2, epoch: 0, loss: 3 },
    { step: 3, epoch: 1, loss: 0.5 }, { step: 4, epoch: 1, loss: NaN }, { step: 5, epoch: 1, loss: 1.5 },
  ];
  assert.deepEqual(epochMeans(h), [
    { epoch: 0, first: 1, last: 2, count: 2, mean: 2 },
    { epoch: 1, first: 3, last: 5, count: 2, mean: 1 },
  ]);
});

test('heatmap palette, bounds and grid', () => {
  assert.deepEqual(diverging(0), [94, 60, 153]);
  assert.deepEqual(diverging(0.5), [247, 247, 247]);
  assert.deepEqual(diverging(1), [230, 97, 1]);
  assert.deepEqual(diverging(2), diverging(1));
  const b = dataBounds([[0, 0], [1, 2]], 0.1);
  assert.deepEqual(b, { x0: -0.1, x1: 1.1, y0: -0.2, y1: 2.2 });
  const g = gridPoints({ x0: 0, x1: 1, y0: 0, y1: 1 }, 2);
  assert.deepEqual(g, [[0.25, 0.75], [0.75, 0.75], [0.25, 0.25], [0.75, 0.25]]);
  assert.equal(gridPoints(b).length, GRID * GRID);
});
