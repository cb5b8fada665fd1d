import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  computeLayout, visibleUnits, midpoint, pickEdge, placeBoxes, overlapArea, unitCandidates, edgeCandidates,
  leaderCandidates, STAGGER, tableCapacity, tableBand, tableCellCentre,
} from '../../frontend/js/layout.js';

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

const NETS = [[2, 2, 1], [2, 3, 1], [3, 2, 1], [2, 4, 4, 1], [2, 6, 6, 6, 1], [2, 16, 16, 16, 16, 16, 16, 1]];

test('no two edges between a pair of layers share a midpoint (odd layers staggered)', () => {
  assert.ok(STAGGER > 0.6 && STAGGER < 1);
  for (const sizes of NETS) {
    const layout = computeLayout(sizes, box);
    for (let l = 1; l < sizes.length; l += 1) {
      const ys = layout.edges.filter((e) => e.layer === l).map((e) => midpoint(e).y).sort((a, b) => a - b);
      for (let i = 1; i < ys.length; i += 1) assert.ok(ys[i] - ys[i - 1] > 0.3, `${sizes.join('-')} layer ${l}: ${ys[i] - ys[i - 1]}`);
    }
  }
});

test('pickEdge: a point at an edge midpoint picks that edge, on 2-2-1 and on 6 × 16', () => {
  for (const sizes of [[2, 2, 1], [2, 16, 16, 16, 16, 16, 16, 1]]) {
    const layout = computeLayout(sizes, box);
    for (const e of layout.edges) assert.equal(pickEdge(layout.edges, midpoint(e)), e);
  }
  const layout = computeLayout([2, 2, 1], box);
  // far from every edge: nothing
  assert.equal(pickEdge(layout.edges, { x: 5, y: 5 }), null);
  // on an edge away from its midpoint, 3 units off the line: still that edge
  const e = layout.edges.find((x) => x.layer === 1 && x.from === 1 && x.to === 1);
  const p = { x: e.x1 + 0.8 * (e.x2 - e.x1), y: e.y1 + 0.8 * (e.y2 - e.y1) + 3 };
  assert.equal(pickEdge(layout.edges, p), e);
});

function rectsOf(placed) {
  return [...placed.values()];
}

test('placeBoxes: labels never overlap each other or obstacles; what has no room is left out', () => {
  const obstacles = [{ x: 100, y: 100, w: 50, h: 50 }];
  const items = [];
  for (let i = 0; i < 30; i += 1) {
    // all want the same spot: the first gets it, the others move or are left out
    items.push({ id: i, w: 60, h: 20, candidates: [{ x: 200, y: 125 }, { x: 200, y: 150 }, { x: 200, y: 175 }, { x: 125, y: 125 }] });
  }
  const placed = placeBoxes(items, obstacles, { width: 400, height: 400 }, 2);
  assert.deepEqual([...placed.keys()], [0, 1, 2]); // the spot over the obstacle is never taken
  const rects = rectsOf(placed);
  for (let i = 0; i < rects.length; i += 1) {
    assert.equal(overlapArea(rects[i], obstacles[0]), 0);
    for (let j = i + 1; j < rects.length; j += 1) assert.equal(overlapArea(rects[i], rects[j]), 0);
  }
  // outside the box is never used; a fallback is tried when the item does not fit
  const more = placeBoxes([{ id: 'a', w: 500, h: 10, candidates: [{ x: 200, y: 200 }], fallback: { id: 'b', w: 50, h: 10, candidates: [{ x: 200, y: 200 }] } }], [], { width: 400, height: 400 });
  assert.deepEqual([...more.keys()], ['b']);
});

test('placeBoxes: an obstacle owned by the item does not block it; passThrough ignores midpoints', () => {
  const mid = { x: 95, y: 95, w: 10, h: 10, owner: 'e1', midpoint: true };
  const item = (id, extra) => ({ id, w: 40, h: 20, candidates: [{ x: 100, y: 100 }], ...extra });
  assert.equal(placeBoxes([item('x')], [mid], null).size, 0);
  assert.equal(placeBoxes([item('x', { owner: 'e1' })], [mid], null).size, 1);
  assert.equal(placeBoxes([item('x', { passThrough: true })], [mid], null).size, 1);
  assert.equal(placeBoxes([item('x', { passThrough: true })], [{ ...mid, midpoint: false }], null).size, 0);
});

test('2-2-1 edge labels: every one finds a spot clear of units, midpoints and each other', () => {
  const layout = computeLayout([2, 2, 1], { width: 1000, height: 600 });
  const r = layout.radius;
  const obstacles = layout.layers.flatMap((l) => l.units.map((u) => ({ x: u.x - r, y: u.y - r, w: 2 * r, h: 2 * r })));
  for (const e of layout.edges) {
    const m = midpoint(e);
    obstacles.push({ x: m.x - 2, y: m.y - 2, w: 4, h: 4, owner: `${e.layer}-${e.from}-${e.to}`, midpoint: true });
  }
  const size = { w: 110, h: 20 };
  const items = layout.edges.map((e) => ({
    id: `${e.layer}-${e.from}-${e.to}`, owner: `${e.layer}-${e.from}-${e.to}`, ...size,
    candidates: [...edgeCandidates(e, size), ...leaderCandidates(e, size)],
  }));
  const placed = placeBoxes(items, obstacles, layout.box, 2);
  assert.equal(placed.size, 9);
  const rects = [...placed.entries()];
  for (const [id, a] of rects) {
    for (const o of obstacles) if (o.owner !== id) assert.equal(overlapArea(a, o), 0, id);
    for (const [id2, b] of rects) if (id2 !== id) assert.equal(overlapArea(a, b), 0, `${id} ${id2}`);
  }
});

test('unit candidates start below the unit and never sit on it', () => {
  const u = { x: 100, y: 100 };
  const c = unitCandidates(u, 20, { w: 80, h: 40 });
  assert.deepEqual(c[0], { x: 100, y: 100 + 20 + 3 + 20 });
  for (const p of c) assert.equal(overlapArea({ x: p.x - 40, y: p.y - 20, w: 80, h: 40 }, { x: 80, y: 80, w: 40, h: 40 }), 0);
});

test('phase table: room for the widest layer, the selected unit and all its edges, none overlapping', () => {
  // 2-16×6-1: 16 units of the current layer + z and δ of the selected unit + 17 edges in, 16 out
  assert.equal(tableCapacity([2, 16, 16, 16, 16, 16, 16, 1]), 16 + 2 + 17 + 16);
  assert.equal(tableCapacity([2, 6, 6, 6, 1]), 6 + 2 + 7 + 6);
  // a layer of 40 draws 15 units and "… 25 more": the capacity counts the drawn ones (the
  // output unit's 16 incoming edges are the most any unit has)
  assert.equal(tableCapacity([2, 40, 1]), 15 + 2 + 16);
  const cell = { w: 150, h: 22 };
  const band = tableBand(51, cell, 1000, 4);
  assert.equal(band.columns, 6);
  assert.equal(band.rows, 9);
  assert.equal(band.height, 9 * 22 + 8);
  const top = 500;
  const boxes = Array.from({ length: 51 }, (_, i) => {
    const c = tableCellCentre(band, i, top);
    return { x: c.x - cell.w / 2, y: c.y - cell.h / 2, w: cell.w, h: cell.h };
  });
  for (const b of boxes) {
    assert.ok(b.x >= 0 && b.x + b.w <= 1000 && b.y >= top && b.y + b.h <= top + band.height, JSON.stringify(b));
  }
  for (let i = 0; i < boxes.length; i += 1) {
    for (let j = i + 1; j < boxes.length; j += 1) assert.equal(overlapArea(boxes[i], boxes[j]), 0);
  }
  // a drawing narrower than one cell still gets one column
  assert.equal(tableBand(3, cell, 100).columns, 1);
});
