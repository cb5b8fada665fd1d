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
//   trainInFlight true until the training loop has ended, i.e. also while the chunk in flight
//               when Stop was pressed is still to be shown
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
//   pendingStep null | {trace, session, loss, prediction, unitGrid, metrics}: what a step produced that
//               the animation has not shown yet. session, lossHistory, prediction and unitGrid (a
//               step's grid_units, when it asked for them) keep the state before the
//               step until the shown phase reaches the step's update phase (or the trace is
//               replaced); then setState applies it in the same change. A patch that sets
//               `session` itself (a load, an undo, training) drops it. Use committedSession(s)
//               for what the server holds.
//   metrics     null | {step, epoch, n_train, n_test, train_loss, test_loss, train_accuracy,
//               test_accuracy}: the whole training / test part's loss and accuracy of the
//               committed weights (GET /metrics, a step trace's or a /train answer's fields)
//   metricsHistory [{step, epoch, train_loss, test_loss, train_accuracy, test_accuracy}]: one per
//               step or /train chunk seen (the loss chart's bold lines)
//   batchSize   examples per update sent with /train (1 = the lecture's per-example SGD)
//   settings.discretize: the heatmap in two colours (the decision y > ½ of the range)
//   unitView    null | {layer, unit}: the hidden unit whose own activation the heatmap shows
//               (published by views/unit-maps.js: the hovered unit, else the selected one)
//   unitGrid    null | {key, weights, step, units}: every unit's activation on heatmapGrid (POST /predict
//               {grid, units: true}, or a step's grid_units) for the weights `weights`
//               (views/unit-maps.js publishes it; a step through pendingStep)
//   editing     null | {layer, from, to}: the weight whose value is being typed (views/weight-editor.js)
//   invalid     {field: message}: toolbar fields whose typed value was refused ('learning_rate',
//               'x', 'y', 'index'); while one is set, Forward/Backward/Step/Train refuse to run
const listeners = new Set();

let state = Object.freeze({
  session: null,
  trace: null,
  phases: [],
  phaseIndex: 0,
  selection: null,
  lossHistory: [],
  example: { mode: 'next', index: 0, x: null, y: null },
  settings: { speed: 1, instant: false, projector: false, microstep: false, help: false, setup: false, discretize: false },
  busy: false,
  error: null,
  notice: null,
  dataset: null,
  datasets: [],
  learningRate: null,
  training: false,
  trainInFlight: false,
  heatmapGrid: null,
  prediction: null,
  pendingStep: null,
  invalid: {},
  metrics: null,
  metricsHistory: [],
  batchSize: 1,
  unitView: null,
  unitGrid: null,
  editing: null,
});

export function getState() {
  return state;
}

/** The session as the server holds it (a step being animated is already applied there). */
export function committedSession(s = state) {
  return s.pendingStep?.session ?? s.session;
}

function updateReached(s) {
  const at = s.phases.findIndex((phase) => phase.kind === 'update');
  return at < 0 || s.phaseIndex >= at;
}

function applyPending(next) {
  const p = next.pendingStep;
  return {
    ...next,
    session: p.session,
    lossHistory: [...next.lossHistory, p.loss],
    prediction: p.prediction,
    ...(p.unitGrid ? { unitGrid: p.unitGrid } : {}),
    ...(p.metrics ? { metrics: p.metrics, metricsHistory: [...next.metricsHistory, p.metrics] } : {}),
    pendingStep: null,
  };
}

// The pending step's rule (see pendingStep above), applied to every change.
function settle(next, patch) {
  const p = next.pendingStep;
  if (!p || 'pendingStep' in patch) return next;
  if ('session' in patch) return { ...next, pendingStep: null };
  if (next.trace !== p.trace || updateReached(next)) return applyPending(next);
  return next;
}

export function setState(patch) {
  const previous = state;
  state = Object.freeze(settle({ ...state, ...patch }, patch));
  for (const listener of listeners) listener(state, previous);
}

/** Show what a step being animated produced now (before another action reads the state). */
export function commitPendingStep() {
  if (state.pendingStep) setState(applyPending({ ...state }));
}

export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
