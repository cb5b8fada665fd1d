// node --test tests/js/ — which pages ask a Step for the unit grids (unit-grids.js), and a step's
// grid_units waiting in state.pendingStep until the animation reaches the update (state.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { thumbnailsFor, unitGridsWanted } from '../../frontend/js/unit-grids.js';
import { getState, setState } from '../../frontend/js/state.js';
import { installMeta, META } from './helpers.js';
import { setMeta } from '../../frontend/js/notation.js';

installMeta();   // the API's bound on unit grids comes with GET /api/meta (limits.max_unit_cells)

const session = (layers, dataset = { name: 'xor' }) => ({ network: { layers }, dataset, weights: [] });
const grid = { key: 'k', grid: { x1: [-1, 1], x2: [-1, 1], n: 40 } };

test('unit grids are wanted for thumbnails (≤ 8 units a layer) or a unit shown on the heatmap', () => {
  assert.equal(thumbnailsFor([2, 2, 1]), true);
  assert.equal(thumbnailsFor([2, 8, 8, 1]), true);
  assert.equal(thumbnailsFor([2, 9, 1]), false);
  assert.equal(thumbnailsFor([3, 2, 1]), false);
  assert.equal(unitGridsWanted({ session: session([2, 2, 1]), heatmapGrid: grid, unitView: null }), true);
  assert.equal(unitGridsWanted({ session: session([2, 16, 1]), heatmapGrid: grid, unitView: null }), false);
  assert.equal(unitGridsWanted({ session: session([2, 16, 1]), heatmapGrid: grid, unitView: { layer: 1, unit: 3 } }), true);
  // no heatmap, no dataset, not 2 inputs: nothing to draw them on
  assert.equal(unitGridsWanted({ session: session([2, 2, 1]), heatmapGrid: null, unitView: null }), false);
  assert.equal(unitGridsWanted({ session: session([2, 2, 1], null), heatmapGrid: grid, unitView: null }), false);
  assert.equal(unitGridsWanted({ session: session([3, 2, 1]), heatmapGrid: grid, unitView: { layer: 1, unit: 1 } }), false);
  assert.equal(unitGridsWanted({ session: null, heatmapGrid: grid, unitView: null }), false);
  // over the API's bound (1600 points × 401 units > 400 000): not asked, so a Step is never refused
  const big = session([2, 200, 200, 1]);
  assert.equal(unitGridsWanted({ session: big, heatmapGrid: grid, unitView: { layer: 1, unit: 1 } }), false);
  const coarse = { key: 'k', grid: { ...grid.grid, n: 30 } }; // 900 × 401
  assert.equal(unitGridsWanted({ session: big, heatmapGrid: coarse, unitView: { layer: 1, unit: 1 } }), true);
  // the bound is the server's: a smaller one served is obeyed; before the meta loads, none asked
  setMeta({ ...META, limits: { max_unit_cells: 900 * 401 - 1 } });
  assert.equal(unitGridsWanted({ session: big, heatmapGrid: coarse, unitView: { layer: 1, unit: 1 } }), false);
  setMeta({ ...META, limits: undefined });
  assert.equal(unitGridsWanted({ session: session([2, 2, 1]), heatmapGrid: grid, unitView: null }), false);
  installMeta();
});

test("a step's unit grids are shown with its weights, at its update phase, not before", () => {
  const before = session([2, 2, 1]);
  const after = { ...before, weights: [{ W: [[1]], b: [0] }], step: 1 };
  const old = { key: 'k', weights: before.weights, step: 0, units: [[[0]]] };
  const fresh = { key: 'k', weights: after.weights, step: 1, units: [[[1]]] };
  const trace = { kind: 'step' };
  setState({ session: before, unitGrid: old, lossHistory: [], metricsHistory: [] });
  setState({
    trace, phases: [{ kind: 'forward' }, { kind: 'update' }], phaseIndex: 0,
    pendingStep: { trace, session: after, loss: { step: 1, loss: 0.5 }, prediction: null, unitGrid: fresh, metrics: null },
  });
  assert.equal(getState().unitGrid, old);
  assert.equal(getState().session, before);
  setState({ phaseIndex: 1 });
  assert.equal(getState().unitGrid, fresh);
  assert.equal(getState().session, after);
  assert.equal(getState().pendingStep, null);
});
