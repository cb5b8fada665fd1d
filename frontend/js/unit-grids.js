// unit-grids.js — which networks want every unit's activation on the heatmap's grid (pure, given the meta notation.js installed).
//
// views/unit-maps.js draws them (thumbnails, the hovered unit's map); controls.js asks a Step
// for them in the same request (POST /step {grid, units: true} → grid_units), so a step of a
// network with thumbnails is one request, not a step and then a /predict.

import { apiLimits } from './notation.js';

export const MAX_THUMB_UNITS = 8;

/** Whether a network gets thumbnails: 2 inputs and at most MAX_THUMB_UNITS units in every layer. */
export function thumbnailsFor(sizes) {
  return sizes[0] === 2 && sizes.every((n) => n <= MAX_THUMB_UNITS);
}

/** Whether the page wants the unit grids of state `st`'s session on its heatmap grid: a 2-input
 * network with a dataset, and thumbnails or a unit whose map the heatmap shows, and no more
 * values than the API gives (GET /api/meta limits.max_unit_cells: points × units; a bigger ask
 * would be refused, and would refuse the Step it rides on; none asked before the meta loads). */
export function unitGridsWanted(st) {
  const s = st.session;
  if (!s || !s.dataset || s.network.layers[0] !== 2 || !st.heatmapGrid) return false;
  const { n } = st.heatmapGrid.grid;
  const units = s.network.layers.slice(1).reduce((a, b) => a + b, 0);
  if (!(n * n * units <= apiLimits().max_unit_cells)) return false;
  return thumbnailsFor(s.network.layers) || !!st.unitView;
}
