// The one store of the explorer. Views read it and subscribe; only
// controls.js and api.js-driven actions change it (through setState), except
// what two views publish for others: views/inspector.js the highlight,
// views/heatmap.js the grid it draws (heatmapGrid).
//
// Shape:
//   session     the API's session state ({id, network, weights, step, epoch, dataset, history})
//   trace       the last trace shown: {kind: 'forward'|'backward'|'step', data: <API trace>} or null
//   phases      timeline.js phases of that trace; phaseIndex = how far it is shown
//   selection   null | {kind: 'weight', layer, from, to} | {kind: 'unit', layer, unit}
//               layer: 1-based non-input layer for weights (unit: 0 = input layer);
//               from: 0 = bias, else 1-based unit of the layer below; to/unit: 1-based
//   lossHistory [{step, epoch, loss}] in order of the updates seen
//   example     the example the next call uses: {mode: 'next'|'index'|'custom', index, x, y}
//   settings    {speed, instant, projector, microstep}
//   busy, error UI status (error: null | {message, field, status})
//   notice      null | string: an informational message (e.g. "session not found, started a new one")
//   dataset     null | the session's dataset points {name, task, n, X, Y} (GET /dataset)
//   datasets    the built-in datasets [{name, task, description, default_n, default_noise}]
//   learningRate γ sent with every step/train (starts as session.network.learning_rate)
//   training    true while continuous training runs
//   settings.speed: animation speed factor (1 = about 0.7 s per phase);
//   settings.instant: show a trace's last phase at once; settings.help: shortcut overlay open;
//   settings.setup: setup panel (architecture, dataset, …) open
//   highlight   null | {units: [{layer, unit, role}], edges: [{layer, from, to, role}]}: the chain-rule
//               path(s) of the selection, set by views/inspector.js for views/network.js to draw;
//               indices as in selection (units: layer 0 = input, unit 0 = bias unit);
//               role 'selected' | 'source' | 'path'
//   heatmapGrid null | {key, grid: {x1: [lo, hi], x2: [lo, hi], n}}: the grid views/heatmap.js draws
//               (key: its session and dataset); a step sends it along (POST /step {grid})
//   prediction  null | {key, session, Y}: a step's grid_Y, the outputs of `session` (the session
//               object after that step) on the heatmapGrid with that key
const listeners = new Set();

let state = Object.freeze({
  session: null,
  trace: null,
  phases: [],
  phaseIndex: 0,
  selection: null,
  lossHistory: [],
  example: { mode: 'next', index: 0, x: null, y: null },
  settings: { speed: 1, instant: false, projector: false, microstep: false, help: false, setup: false },
  busy: false,
  error: null,
  notice: null,
  dataset: null,
  datasets: [],
  learningRate: null,
  training: false,
  heatmapGrid: null,
  prediction: null,
});

export function getState() {
  return state;
}

export function setState(patch) {
  const previous = state;
  state = Object.freeze({ ...state, ...patch });
  for (const listener of listeners) listener(state, previous);
}

export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
