// unit-grids.js — which networks want every unit's activation on the heatmap's grid (pure).
//
// views/unit-maps.js draws them (thumbnails, the hovered unit's map); controls.js asks a Step
// for them in the same request (POST /step {grid, units: true} → grid_units), so a step of a
// network with thumbnails is one request, not a step and then a /predict.

export const MAX_THUMB_UNITS = 8;
// points × units the API returns at most (docs/api-contract.md: /predict and /step "units"); a
// bigger ask would be refused — and would refuse the Step it rides on
export const MAX_UNIT_CELLS = 400_000;

/** Whether a network gets thumbnails: 2 inputs and at most MAX_THUMB_UNITS units in every layer. */
export function thumbnailsFor(sizes) {
  return sizes[0] === 2 && sizes.every((n) => n <= MAX_THUMB_UNITS);
}

/** Whether the page wants the unit grids of state `st`'s session on its heatmap grid: a 2-input
 * network with a dataset, and thumbnails or a unit whose map the heatmap shows (and no more
 * values than the API gives). */
export function unitGridsWanted(st) {
  const s = st.session;
  if (!s || !s.dataset || s.network.layers[0] !== 2 || !st.heatmapGrid) return false;
  const { n } = st.heatmapGrid.grid;
  const units = s.network.layers.slice(1).reduce((a, b) => a + b, 0);
  if (n * n * units > MAX_UNIT_CELLS) return false;
  return thumbnailsFor(s.network.layers) || !!st.unitView;
}
