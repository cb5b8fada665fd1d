import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeLayout, visibleUnits, labelFraction } from '../../frontend/js/layout.js';

const box = { width: 1200, height: 600 };

test('2-2-1: units, bias nodes and every edge including biases', () => {
  const layout = computeLayout([2, 2, 1], box);
  assert.equal(layout.layers.length, 3);
  assert.deepEqual(layout.layers.map((l) => l.units.length), [2, 2, 1]);
  assert.ok(layout.layers[0].bias && layout.layers[1].bias);
  assert.equal(layout.layers[2].bias, null);
  // (2 inputs + bias) * 2 hidden + (2 hidden + bias) * 1 output
  assert.equal(layout.edges.length, 9);
  const ids = layout.edges.map((e) => `${e.layer}-${e.from}-${e.to}`);
  assert.ok(ids.includes('1-0-2') && ids.includes('2-2-1') && ids.includes('2-0-1'));
});

test('columns go left to right and everything stays inside the box', () => {
  const layout = computeLayout([2, 5, 3, 1], box);
  const xs = layout.layers.map((l) => l.x);
  assert.deepEqual([...xs].sort((a, b) => a - b), xs);
  for (const layer of layout.layers) {
    for (const u of layer.units) {
      assert.ok(u.x - layout.radius >= 0 && u.x + layout.radius <= box.width);
      assert.ok(u.y - layout.radius >= 0 && u.y + layout.radius <= box.height);
    }
  }
});

test('units of a layer do not overlap', () => {
  const layout = computeLayout([16, 16, 16, 16, 16, 16], box);
  for (const layer of layout.layers) {
    const ys = layer.units.map((u) => u.y);
    for (let i = 1; i < ys.length; i += 1) assert.ok(ys[i] - ys[i - 1] >= 2 * layout.radius);
  }
  assert.ok(layout.radius >= 6);
});

test('layers wider than 16 collapse visibly with a count', () => {
  assert.equal(visibleUnits(16), 16);
  assert.equal(visibleUnits(40), 15);
  const layout = computeLayout([2, 40, 1], box);
  assert.equal(layout.layers[1].units.length, 15);
  assert.equal(layout.layers[1].hidden, 25);
  assert.equal(layout.layers[1].more.count, 25);
  assert.equal(layout.layers[0].more, null);
  // edges only to and from drawn units
  assert.equal(layout.edges.length, 3 * 15 + 16 * 1);
});

test('edge labels avoid the crossing point', () => {
  assert.equal(labelFraction({ x1: 0, y1: 0, x2: 100, y2: 0 }), 0.5);
  assert.equal(labelFraction({ x1: 0, y1: 0, x2: 100, y2: 50 }), 0.3);
  assert.equal(labelFraction({ x1: 0, y1: 50, x2: 100, y2: 0 }), 0.7);
});

test('placeLabels keeps the 2-2-1 labels apart from each other and from obstacles', async () => {
  const { placeLabels } = await import('../../frontend/js/layout.js');
  const layout = computeLayout([2, 2, 1], { width: 1000, height: 600 });
  const size = { w: 120, h: 34 };
  const obstacles = layout.layers.flatMap((l) => l.units.map((u) => ({
    x: u.x - layout.radius, y: u.y - layout.radius, w: 2 * layout.radius, h: 2 * layout.radius,
  })));
  const spots = placeLabels(layout.edges, size, obstacles, layout.box);
  assert.equal(spots.size, 9);
  const rects = [...spots.values()].map((p) => ({ x: p.x - 60, y: p.y - 17, w: 120, h: 34 }));
  for (let i = 0; i < rects.length; i += 1) {
    for (let j = i + 1; j < rects.length; j += 1) {
      const a = rects[i];
      const b = rects[j];
      const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
      assert.ok(apart, `labels ${i} and ${j} overlap`);
    }
  }
});
