// Buttons and keys -> api.js calls -> state.js. The only module (with
// player.js) that changes the store.
import { api, fieldName, tidyMessage } from './api.js';
import { commitPendingStep, committedSession, getState, setState, subscribe } from './state.js';
import { buildPhases, clampPhase } from './timeline.js';
import { formatNumber } from './format.js';
import { activationNames, LECTURE, labelText, weightLabel, scheduleFormula, scheduleInfo, scheduleNames } from './notation.js';
import { parseCsv } from './csv.js';
import { closeDialog, openDialog } from './dialog.js';
import * as player from './player.js';
import { unitGridsWanted } from './unit-grids.js';

// The one keymap: views/help.js lists it, handleKey runs it (the lecture panel's own keys,
// L and its scene keys, are run by views/lecture.js). keys: as shown; match: event.key values.
export const SHORTCUTS = [
  { keys: ['f'], match: ['f'], action: 'forward', text: 'Forward pass on the current example', run: () => forward() },
  { keys: ['b'], match: ['b'], action: 'backward', text: 'Forward + backward (gradients, cached δ)', run: () => backward() },
  { keys: ['s', 'Space'], match: ['s', ' '], action: 'step', text: 'One SGD step: forward, backward, update', run: () => step() },
  { keys: ['t'], match: ['t'], action: 'train', text: 'Train continuously / pause', run: () => toggleTrain() },
  { keys: ['u'], match: ['u'], action: 'undo', text: 'Undo the last update', run: () => undo() },
  { keys: ['r'], match: ['r'], action: 'reset', text: 'Reset: same network, fresh weights from the init', run: () => reset() },
  { keys: ['n'], match: ['n'], action: 'nextExample', text: 'Use the next dataset example / pick the following index', run: () => nextExample() },
  { keys: ['m'], match: ['m'], action: 'micro', text: 'Micro-step mode on/off (narrate one phase per key)', run: () => toggleMicro() },
  { keys: ['→'], match: ['ArrowRight'], action: 'nextPhase', text: 'Next phase (forward layer, loss, backward layer, update)', run: () => nextPhase() },
  { keys: ['←'], match: ['ArrowLeft'], action: 'prevPhase', text: 'Previous phase', run: () => prevPhase() },
  { keys: ['i'], match: ['i'], action: 'instant', text: 'Instant mode on/off (no animation)', run: () => toggleInstant() },
  { keys: ['+', '−'], match: ['+', '=', '-', '−'], action: 'speed', text: 'Animation faster / slower', run: (key) => changeSpeed(key === '+' || key === '=' ? 1 : -1) },
  { keys: ['a'], match: ['a'], action: 'setup', text: 'Setup panel: architecture, loss, init, dataset, CSV', run: () => toggleSetup() },
  { keys: ['l'], match: [], action: 'lecture', text: 'Lecture mode on/off (→ / ← or PageDown / PageUp: next / previous scene)' },
  { keys: ['p'], match: ['p'], action: 'projector', text: 'Projector mode on/off', run: () => toggleProjector() },
  { keys: ['x'], match: ['x'], action: 'exercise', text: 'Exercise mode: compute the step yourself, graded value by value', run: () => toggleExercise() },
  { keys: ['w'], match: ['w'], action: 'editWeight', text: 'Type a new value for the focused or selected weight (or double-click it); Enter sets it, U undoes', run: () => openWeightEditor() },
  { keys: ['e'], match: ['e'], action: 'export', text: 'Export the session as a .json file', run: () => exportSession() },
  { keys: ['c'], match: ['c'], action: 'class', text: 'Class: open a live class on this session (join code, questions)', run: () => document.getElementById('btn-class')?.click() },
  { keys: ['?'], match: ['?'], action: 'help', text: 'Show / hide this list', run: () => toggleHelp() },
  { keys: ['Esc'], match: ['Escape'], action: 'escape', text: 'Close this list or the setup panel, clear the selection', run: () => escape() },
];

// event.key -> shortcut (letters in either case)
const KEYMAP = new Map(SHORTCUTS.flatMap((s) => s.match.map((k) => [k, s])));
// what an open shortcut list lets through to the page
const DIALOG_ACTIONS = new Set(['help', 'escape']);

const TRAIN_CHUNK = 10;
// the loss chart keeps this many updates (it draws them decimated, one min/max per pixel column)
const MAX_HISTORY = 200000;
// the lecture preset's dataset (backend sessions/presets.py): XOR on ±1 inputs
const LECTURE_XOR = { X: [[-1, -1], [-1, 1], [1, -1], [1, 1]], Y: [[0], [1], [1], [0]] };
const ORIGIN_KEY = (id) => `bpx-origin-${id}`;

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- status

function fail(err) {
  const message = tidyMessage(err?.message ?? String(err));
  const patch = { error: { message, field: err?.field ?? null, status: err?.status ?? null }, busy: false };
  // the server refused a typed example: its field stays marked until it is changed
  const s = getState();
  if (err?.status === 422 && s.example.mode === 'custom' && (err.field === 'x' || err.field === 'y')) {
    patch.invalid = { ...s.invalid, [err.field]: message };
  }
  setState(patch);
}

let noticeTimer = null;

async function guarded(fn) {
  if (getState().busy) return;
  // a step being animated is applied before anything else reads or changes the session
  commitPendingStep();
  setState({ busy: true, error: null });
  try {
    await fn();
  } catch (err) {
    fail(err);
    return;
  }
  setState({ busy: false });
}

// Bumped whenever the page's session is replaced: an answer to a request made for an
// earlier session (a train chunk, a step, a PATCH, a dataset) is then dropped, not shown.
let generation = 0;
// The γ typed last, until the server has accepted or refused it (a run waits for it).
let learningRateCheck = Promise.resolve();

// The toolbar fields an action uses, refused while one of them holds a refused value.
function refuseIfInvalid(what) {
  const invalid = getState().invalid;
  const field = Object.keys(invalid)[0];
  if (field) throw Object.assign(new Error(`${what} not run: ${invalid[field]}`), { field });
}

function setInvalid(field, message) {
  const invalid = { ...getState().invalid };
  if (message) invalid[field] = message;
  else delete invalid[field];
  setState({ invalid });
}

// ---------------------------------------------------------------- sessions

function setUrl(id) {
  const url = new URL(window.location.href);
  url.searchParams.set('session', id);
  window.history.replaceState(null, '', url);
}

async function loadSession(session, notice = null) {
  player.stop();
  stopTraining();
  generation += 1;
  const gen = generation;
  const current = getState();
  setState({
    session,
    trace: null,
    phases: [],
    phaseIndex: 0,
    selection: null,
    pendingStep: null,
    invalid: {},
    lossHistory: current.session?.id === session.id ? current.lossHistory : [],
    metricsHistory: current.session?.id === session.id ? current.metricsHistory : [],
    metrics: null,
    unitGrid: null,
    learningRate: session.network.learning_rate,
    dataset: null,
    prediction: null,
    example: session.dataset
      ? { mode: 'next', index: session.dataset.next_index ?? 0, x: null, y: null }
      : { mode: 'custom', index: 0, x: zeros(session.network.layers[0]), y: zeros(session.network.layers.at(-1)) },
    notice,
    error: null,
  });
  setUrl(session.id);
  document.body.dataset.session = session.id;
  if (session.dataset) {
    const ds = await api.dataset(session.id);
    if (gen === generation) setState({ dataset: ds });
    await refreshMetrics(gen);
  }
}

// The readout's and chart's whole-dataset numbers, asked for after a change that brought none
// (a load, an undo, an edited weight, new data); a step and /train bring their own.
const METRIC_KEYS = ['train_loss', 'test_loss', 'train_accuracy', 'test_accuracy'];

/** {step, epoch, train_loss, …} of an answer that carries them (GET /metrics, a step, /train), else null. */
export function metricsOf(answer) {
  if (!answer || answer.train_loss === undefined) return null;
  const m = { step: answer.step, epoch: answer.epoch };
  for (const k of METRIC_KEYS) m[k] = answer[k] ?? null;
  if (answer.n_train !== undefined) { m.n_train = answer.n_train; m.n_test = answer.n_test; }
  return m;
}

async function refreshMetrics(gen = generation) {
  const s = getState();
  if (!s.session?.dataset) return;
  let m;
  try {
    m = metricsOf(await api.metrics(s.session.id));
  } catch {
    return; // a server without GET /metrics: the readout stays empty
  }
  if (gen !== generation || !m) return;
  const now = getState();
  const history = now.metricsHistory.filter((h) => h.step < m.step);
  setState({ metrics: m, metricsHistory: [...history, m] });
}

function zeros(n) {
  return Array.from({ length: n }, () => 0);
}

function rememberOrigin(id, body) {
  try {
    sessionStorage.setItem(ORIGIN_KEY(id), JSON.stringify(body));
  } catch {
    // storage unavailable: reset falls back to the resolved spec
  }
}

function originOf(id) {
  try {
    const text = sessionStorage.getItem(ORIGIN_KEY(id));
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

export async function createSession(body, notice = null) {
  const session = await api.createSession(body);
  rememberOrigin(session.id, body);
  await loadSession(session, notice);
  return session;
}

/** On page load: resume ?session=<id>, or make a lecture session. */
export async function start() {
  setState({ busy: true });
  try {
    api.datasets().then((datasets) => setState({ datasets })).catch(() => {});
    const id = new URL(window.location.href).searchParams.get('session');
    if (id) {
      try {
        const session = await api.getSession(id);
        await loadSession(session);
      } catch (err) {
        if (err.status !== 404 && err.status !== 422) throw err;
        await createSession({ preset: 'lecture' }, `Session ${id} was not found, so a new lecture session was started.`);
      }
    } else {
      await createSession({ preset: 'lecture' });
    }
    setState({ busy: false });
  } catch (err) {
    fail(err);
  }
  document.body.dataset.ready = 'true';
}

// ---------------------------------------------------------------- calls

function currentExample() {
  const s = getState();
  const ex = s.example;
  if (ex.mode === 'custom') return { x: ex.x, y: ex.y };
  const ds = s.dataset;
  if (!ds) throw new Error('this session has no dataset: type an example (x and y*)');
  const index = ex.mode === 'index' ? ex.index : (s.session.dataset?.next_index ?? 0);
  if (index < 0 || index >= ds.X.length) throw new Error(`example index must be between 0 and ${ds.X.length - 1}`);
  return { x: ds.X[index], y: ds.Y[index], index };
}

function showTrace(kind, data, example) {
  const phases = buildPhases(data, getState().session.network);
  setState({ trace: { kind, data, example }, phases, phaseIndex: 0 });
  player.present();
}

// Before a run: the γ typed last is accepted or refused, no field holds a refused value.
async function ready(what) {
  await learningRateCheck;
  refuseIfInvalid(what);
  await endTraining();
  const s = getState();
  if (!s.session) throw new Error('no session yet');
  return { s, gen: generation };
}

export function forward() {
  return guarded(async () => {
    const { s, gen } = await ready('Forward');
    const { x, y, index } = currentExample();
    const data = await api.forward(s.session.id, { x, y });
    if (gen === generation) showTrace('forward', data, { x, y, index });
  });
}

export function backward() {
  return guarded(async () => {
    const { s, gen } = await ready('Backward');
    const { x, y, index } = currentExample();
    const data = await api.backward(s.session.id, { x, y });
    if (gen === generation) showTrace('backward', data, { x, y, index });
  });
}

function stepBody() {
  const s = getState();
  const body = {};
  if (s.example.mode === 'custom') {
    body.x = s.example.x;
    body.y = s.example.y;
  } else if (s.example.mode === 'index') {
    body.index = s.example.index;
  }
  if (s.learningRate !== null && s.learningRate !== undefined) body.learning_rate = s.learningRate;
  return body;
}

// The session as the server holds it after a step, from the step trace alone
// (new weights, counters, undo depth, next example): no second request.
export function sessionAfterStep(session, trace) {
  return {
    ...session,
    weights: trace.update.map((u) => ({ W: u.W_after, b: u.b_after })),
    step: trace.step,
    epoch: trace.epoch,
    history: trace.history,
    dataset: session.dataset ? { ...session.dataset, next_index: trace.next_index } : null,
  };
}

// A step's results wait in state.pendingStep until the animation reaches its update phase
// (state.js applies them then): the step counter, loss chart, heatmap and next example
// never run ahead of what the network shows.
export function step() {
  return guarded(async () => {
    const { s, gen } = await ready('Step');
    const body = stepBody();
    // the heatmap's grid goes along: the answer carries the updated network's
    // outputs on it (grid_Y), so the heatmap needs no /predict of its own
    const heatmap = s.heatmapGrid;
    if (heatmap) body.grid = heatmap.grid;
    // and so do the unit maps' grids (grid_units: every unit's activation after the update)
    if (heatmap && unitGridsWanted(s)) body.units = true;
    const data = await api.step(s.session.id, body);
    if (gen !== generation) return;
    const session = sessionAfterStep(getState().session, data);
    const example = { x: data.x, y: data.y, index: data.example_index ?? undefined, epoch: s.session.epoch };
    const trace = { kind: 'step', data, example };
    showTraceWithPending(trace, {
      trace,
      session,
      loss: { step: data.step, epoch: data.epoch, loss: data.loss },
      prediction: heatmap && Array.isArray(data.grid_Y) ? { key: heatmap.key, session, Y: data.grid_Y } : null,
      unitGrid: heatmap && Array.isArray(data.grid_units)
        ? { key: heatmap.key, weights: session.weights, step: session.step, units: data.grid_units } : null,
      metrics: metricsOf(data),
    });
  });
}

function showTraceWithPending(trace, pendingStep) {
  const phases = buildPhases(trace.data, getState().session.network);
  setState({ trace, phases, phaseIndex: 0, pendingStep });
  player.present();
}

export function undo() {
  const s = getState();
  if (s.session && !(committedSession(s).history > 0) && !s.training) {
    fail(new Error('nothing to undo: no update has been made since this session started'));
    return Promise.resolve();
  }
  return guarded(async () => {
    await endTraining();
    player.stop();
    const gen = generation;
    const session = await api.undo(getState().session.id);
    if (gen !== generation) return;
    setState({
      session,
      trace: null,
      phases: [],
      phaseIndex: 0,
      prediction: null,
      lossHistory: getState().lossHistory.filter((h) => h.step <= session.step),
      metricsHistory: getState().metricsHistory.filter((h) => h.step < session.step),
    });
    await refreshMetrics(gen);
  });
}

function specFromSession() {
  const s = getState();
  const net = s.session.network;
  const body = {
    layers: net.layers,
    activations: net.activations,
    loss: net.loss,
    learning_rate: net.learning_rate,
    l2: net.l2,
    init: net.init,
  };
  const ds = s.session.dataset;
  if (ds && ds.name !== 'custom') body.dataset = { name: ds.name, n: ds.n, noise: ds.noise, seed: ds.seed };
  else if (ds && s.dataset) body.dataset = { X: s.dataset.X, Y: s.dataset.Y };
  return body;
}

export function reset() {
  return guarded(async () => {
    await endTraining();
    const s = getState();
    const body = originOf(s.session.id) ?? specFromSession();
    await createSession(body, 'Reset: a new session with the same network and fresh initial weights.');
  });
}

// ---------------------------------------------------------------- training

let trainRun = 0;
let trainLoop = null; // the running loop's promise (resolves when it has ended)

/** Ask the training loop to stop (it ends after the chunk in flight). */
export function stopTraining() {
  trainRun += 1;
  if (getState().training) setState({ training: false });
}

/** Stop training and wait until the loop has ended (its last chunk shown): an action that
 * replaces the session calls this first, so no answer of the old loop lands afterwards. */
export async function endTraining() {
  stopTraining();
  if (trainLoop) await trainLoop;
}

export function toggleTrain() {
  if (getState().training) {
    stopTraining();
    return;
  }
  const s = getState();
  if (s.busy || !s.session) return;
  if (!s.session.dataset) {
    fail(new Error('training needs a dataset: choose one in Setup'));
    return;
  }
  try {
    refuseIfInvalid('Train');
  } catch (err) {
    fail(err);
    return;
  }
  player.stop();
  const run = ++trainRun;
  const gen = generation;
  setState({ training: true, trace: null, phases: [], phaseIndex: 0, error: null });
  const loop = async () => {
    await trainLoop; // an earlier loop still finishing its last chunk
    while (run === trainRun && gen === generation) {
      const st = getState();
      const body = { steps: Math.max(1, Math.round(TRAIN_CHUNK * st.settings.speed)), batch_size: st.batchSize };
      if (st.learningRate !== null) body.learning_rate = st.learningRate;
      try {
        const result = await api.train(st.session.id, body);
        const session = await api.getSession(st.session.id);
        // the session was replaced meanwhile: this chunk belongs to the old one
        if (gen !== generation) break;
        const first = result.step - result.updates + 1;
        const every = result.loss_every || 1;
        const added = result.loss.map((loss, i) => ({ step: first + i * every, epoch: result.epoch, loss }));
        const now = getState();
        const m = metricsOf(result);
        setState({
          session,
          lossHistory: [...now.lossHistory, ...added].slice(-MAX_HISTORY),
          ...(m ? { metrics: m, metricsHistory: [...now.metricsHistory, m].slice(-MAX_HISTORY) } : {}),
        });
      } catch (err) {
        if (run === trainRun && gen === generation) {
          stopTraining();
          fail(err);
        }
        break;
      }
      // Next chunk right away: the views coalesce their redraws (the network
      // view draws at most once a frame while training), so waiting for a
      // frame here would only slow the requests down.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  };
  const promise = loop();
  trainLoop = promise;
  setState({ trainInFlight: true });
  promise.finally(() => {
    if (trainLoop !== promise) return;
    trainLoop = null;
    setState({ trainInFlight: false });
  });
}

// ---------------------------------------------------------------- playground controls (issue 13)

/** The weight the W key edits: the focused edge, else the selected weight (null if neither). */
function weightTarget() {
  const edge = document.activeElement?.closest?.('.edge[data-layer]');
  if (edge) return { layer: Number(edge.dataset.layer), from: Number(edge.dataset.from), to: Number(edge.dataset.to) };
  const sel = getState().selection;
  return sel?.kind === 'weight' ? { layer: sel.layer, from: sel.from, to: sel.to } : null;
}

/** Open the in-place editor of a weight (the focused or selected one by default). */
export function openWeightEditor(target = weightTarget()) {
  const s = getState();
  if (!s.session) return;
  if (!target) {
    fail(new Error('select a weight first (click it or Tab to it), then press W or double-click it'));
    return;
  }
  commitPendingStep();
  const sel = s.selection;
  const same = sel?.kind === 'weight' && sel.layer === target.layer && sel.from === target.from && sel.to === target.to;
  setState({ editing: { ...target }, ...(same ? {} : { selection: { kind: 'weight', ...target } }), error: null });
}

export function closeWeightEditor() {
  if (getState().editing) setState({ editing: null });
}

/** The weight's value in a session's weights (from 0 = the bias). */
export function weightValue(weights, { layer, from, to }) {
  const w = weights?.[layer - 1];
  if (!w) return null;
  return from === 0 ? w.b[to - 1] : w.W[from - 1]?.[to - 1] ?? null;
}

/**
 * Set one weight: one PUT /weights (an undoable change, U restores it). The network, heatmap,
 * readout and, when a trace is shown, the chain rule follow: the trace's example is run
 * backward again on the new weights (no update). Resolves to true when the server took it;
 * a value that is not a finite number, or one the server refuses, changes nothing.
 */
export async function setWeight(target, text) {
  const v = Number(String(text).trim());
  const name = `weight ${labelText(weightLabel(getState().session.network.layers, target.layer, target.from, target.to))}`;
  if (!String(text).trim() || !Number.isFinite(v)) {
    fail(Object.assign(new Error(`${name}: give a finite number (for example 0.25)`), { field: 'weights' }));
    return false;
  }
  let ok = false;
  await guarded(async () => {
    const { s, gen } = await ready('Edit');
    const weights = s.session.weights.map((l) => ({ W: l.W.map((row) => [...row]), b: [...l.b] }));
    const layer = weights[target.layer - 1];
    if (target.from === 0) layer.b[target.to - 1] = v;
    else layer.W[target.from - 1][target.to - 1] = v;
    let session;
    try {
      session = await api.setWeights(s.session.id, weights);
    } catch (err) {
      if (err.status === 422) err.message = `${name}: ${err.message.replace(/^weights[^:]*: /, '')}`;
      throw err;
    }
    if (gen !== generation) return;
    ok = true;
    const shown = s.trace;
    setState({ session, prediction: null, editing: null, notice: `${name} = ${formatNumber(v)} (U undoes it).` });
    if (shown?.example?.x && shown?.example?.y) {
      const { x, y, index } = shown.example;
      const data = await api.backward(session.id, { x, y });
      if (gen === generation) {
        setState({ trace: { kind: 'backward', data, example: { x, y, index } }, phases: buildPhases(data, session.network) });
        setState({ phaseIndex: Math.max(0, getState().phases.length - 1) });
      }
    }
    await refreshMetrics(gen);
  });
  return ok;
}

/** Examples per update in /train: 1 = the lecture's per-example SGD, m > 1 = the mean of m gradients. */
export function setBatchSize(value) {
  const n = Math.trunc(Number(value));
  if (!Number.isFinite(n) || n < 1) {
    fail(Object.assign(new Error('batch size: give a whole number ≥ 1'), { field: 'batch_size' }));
    return;
  }
  setState({ batchSize: n, notice: batchText(n) });
}

/** What a batch size means, in words (shown beside the control). */
export function batchText(n) {
  return n === 1
    ? 'batch 1: one update per example, the lecture’s SGD'
    : `batch ${n}: one update per ${n} examples, w ← w − γ · the mean of their ∂L/∂w`;
}

export function toggleDiscretize(on = !getState().settings.discretize) {
  setSettings({ discretize: on });
}

/** New data for the session (noise, n, test fraction, seed: PATCH {dataset}), weights kept. */
export function regenerateDataset(patch) {
  return guarded(async () => {
    const { s, gen } = await ready('New data');
    const session = await api.updateSettings(s.session.id, { dataset: patch });
    if (gen !== generation) return;
    setState({ session, trace: null, phases: [], phaseIndex: 0, prediction: null, dataset: null, unitGrid: null,
      example: { ...getState().example, mode: getState().example.mode === 'index' ? 'next' : getState().example.mode },
      notice: `New data: ${session.dataset.label ?? session.dataset.name}, n = ${session.dataset.n}, noise ${formatNumber(session.dataset.noise)} (seed ${session.dataset.seed}).` });
    const ds = await api.dataset(session.id);
    if (gen === generation) setState({ dataset: ds });
    await refreshMetrics(gen);
  });
}

/** The learning-rate schedule γ_t ({name, …parameters}: PATCH {schedule}). */
export function setSchedule(schedule) {
  return guarded(async () => {
    const { s, gen } = await ready('Schedule');
    const session = await api.updateSettings(s.session.id, { schedule });
    if (gen !== generation) return;
    const now = getState();
    setState({ session: { ...now.session, network: session.network }, notice: `γ_t: ${scheduleFormula(session.network.schedule).text}` });
  });
}

/** Download the session's next step as a runnable numpy or PyTorch script. */
export function exportScript(format) {
  return guarded(async () => {
    const s = getState();
    const text = await api.exportScript(s.session.id, format);
    download(text, 'text/x-python', `backprop-step-${s.session.id.slice(0, 8)}-${format}.py`);
  });
}

function download(text, type, name) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// ---------------------------------------------------------------- phases, modes

export function select(selection) {
  setState({ selection });
}

export function nextPhase() {
  const s = getState();
  player.stop();
  setState({ phaseIndex: clampPhase(s.phases, s.phaseIndex + 1) });
}

export function prevPhase() {
  const s = getState();
  player.stop();
  setState({ phaseIndex: clampPhase(s.phases, s.phaseIndex - 1) });
}

function setSettings(patch) {
  setState({ settings: { ...getState().settings, ...patch } });
}

// exercise mode (views/exercise.js opens and closes its panel on settings.exercise)
export function toggleExercise(on = !getState().settings.exercise) {
  setSettings({ exercise: on });
}

export function toggleMicro() {
  const micro = !getState().settings.microstep;
  player.stop();
  setSettings({ microstep: micro });
  if (micro) setState({ phaseIndex: 0 });
  else setState({ phaseIndex: Math.max(0, getState().phases.length - 1) });
}

export function toggleInstant() {
  const instant = !getState().settings.instant;
  setSettings({ instant });
  if (instant && !getState().settings.microstep) {
    player.stop();
    setState({ phaseIndex: Math.max(0, getState().phases.length - 1) });
  }
}

const SPEEDS = [0.25, 0.5, 1, 1.5, 2, 3, 4];

export function changeSpeed(direction) {
  const speed = getState().settings.speed;
  let i = SPEEDS.findIndex((v) => v >= speed - 1e-9);
  if (i < 0) i = SPEEDS.length - 1;
  const next = SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, i + direction))];
  setSettings({ speed: next });
}

export function toggleProjector() {
  setSettings({ projector: !getState().settings.projector });
}

export function toggleSetup(open) {
  const setup = open ?? !getState().settings.setup;
  setSettings({ setup });
}

export function toggleHelp(open) {
  const help = open ?? !getState().settings.help;
  setSettings({ help });
}

export function nextExample() {
  commitPendingStep();
  const s = getState();
  if (!s.dataset) return;
  const n = s.dataset.X.length;
  if (s.example.mode === 'index') {
    setState({ example: { ...s.example, index: (s.example.index + 1) % n } });
  } else {
    setState({ example: { ...s.example, mode: 'next' } });
  }
}

function escape() {
  const s = getState();
  if (s.settings.help) toggleHelp(false);
  else if (s.settings.exercise) toggleExercise(false);
  else if (s.settings.setup && document.getElementById('setup')?.contains(document.activeElement)) toggleSetup(false);
  else setState({ selection: null, notice: null, error: null });
}

// ---------------------------------------------------------------- export / import / setup

export function exportSession() {
  return guarded(async () => {
    const s = getState();
    const doc = await api.exportSession(s.session.id);
    download(JSON.stringify(doc, null, 2), 'application/json', `backprop-session-${s.session.id}.json`);
  });
}

export function importSession(file) {
  return guarded(async () => {
    await endTraining();
    let doc;
    try {
      doc = JSON.parse(await file.text());
    } catch (err) {
      throw new Error(`${file.name} is not JSON: ${err.message}`, { cause: err });
    }
    const session = await api.importSession(doc);
    await loadSession(session, `Imported ${file.name} as a new session.`);
  });
}

function parseLayers(text) {
  const parts = String(text).split(/[\s,\-x×]+/).filter(Boolean).map(Number);
  if (parts.length < 2 || parts.some((v) => !Number.isInteger(v) || v < 1)) {
    throw Object.assign(new Error('layers: give sizes like 2-2-1 (input first, at least two)'), { field: 'layers' });
  }
  return parts;
}

function renderActivationSelects(sizes, current = []) {
  const box = $('setup-activations');
  if (!box) return;
  const old = [...box.querySelectorAll('select')].map((s) => s.value);
  box.replaceChildren();
  for (let l = 1; l < sizes.length; l += 1) {
    const label = document.createElement('label');
    label.className = 'act';
    const name = l === sizes.length - 1 ? 'output' : `hidden ${l}`;
    label.append(`${name} (${sizes[l]})`);
    const sel = document.createElement('select');
    sel.dataset.layer = String(l);
    sel.setAttribute('data-testid', `setup-activation-${l}`);
    // the server's activations (GET /api/meta via notation.js); output-only ones only on the output
    for (const a of activationNames({ hidden: l < sizes.length - 1 })) {
      const opt = document.createElement('option');
      opt.value = a;
      opt.textContent = a;
      sel.append(opt);
    }
    sel.value = current[l - 1] ?? old[l - 1] ?? (l === sizes.length - 1 ? LECTURE.output : LECTURE.hidden);
    label.append(sel);
    box.append(label);
  }
}

function setupBody() {
  const layers = parseLayers($('setup-layers').value);
  const activations = [...$('setup-activations').querySelectorAll('select')].map((s) => s.value);
  if (activations.length !== layers.length - 1) renderActivationSelects(layers);
  const body = {
    layers,
    activations: [...$('setup-activations').querySelectorAll('select')].map((s) => s.value),
    loss: $('setup-loss').value,
    learning_rate: Number($('learning-rate').value) || getState().learningRate,
    l2: Number($('setup-l2').value) || 0,
    init: { scheme: $('setup-init').value, seed: Math.trunc(Number($('setup-seed').value) || 0) },
  };
  const dsName = $('setup-dataset').value;
  const testFraction = Number($('setup-test-fraction')?.value) || 0;
  if (dsName === 'xor4') {
    body.dataset = getState().datasets.some((d) => d.name === 'lecture_xor') ? { name: 'lecture_xor' } : { ...LECTURE_XOR };
  }
  else if (dsName === 'csv') {
    if (!uploaded) throw new Error('choose a CSV file first');
    body.dataset = uploaded;
  } else if (dsName !== 'none') {
    body.dataset = {
      name: dsName,
      n: Math.trunc(Number($('setup-n').value) || 200),
      noise: Number($('setup-noise').value) || 0,
      seed: Math.trunc(Number($('setup-data-seed').value) || 0),
    };
  }
  if (body.dataset && testFraction > 0) body.dataset.test_fraction = testFraction;
  return body;
}

let uploaded = null;

export function createFromSetup() {
  return guarded(async () => {
    const body = setupBody();
    await endTraining();
    await createSession(body, `New session: ${body.layers.join('-')} network.`);
  });
}

export function overfitPreset() {
  return guarded(async () => {
    await endTraining();
    await createSession({ preset: 'overfit' },
      'Overfitting demo: a wide network, 20 noisy training points and 20 held out. Train (T) and watch the test loss.');
  });
}

export function lecturePreset() {
  return guarded(async () => {
    await endTraining();
    await createSession({ preset: 'lecture' }, 'New session: the lecture’s 2-2-1 network.');
  });
}

export function uploadCsv(file) {
  return guarded(async () => {
    const data = parseCsv(await file.text());
    uploaded = { X: data.X, Y: data.Y };
    const sizes = parseLayers($('setup-layers').value);
    sizes[0] = data.X[0].length;
    sizes[sizes.length - 1] = data.Y[0].length;
    $('setup-layers').value = sizes.join('-');
    renderActivationSelects(sizes);
    const opt = $('setup-dataset').querySelector('option[value=csv]');
    opt.disabled = false;
    opt.textContent = `${file.name} (${data.X.length} rows)`;
    $('setup-dataset').value = 'csv';
    await endTraining();
    await createSession(setupBody(), `Loaded ${file.name}: ${data.X.length} examples, columns ${data.columns.join(', ')}.`);
  });
}

function fillSetup(session) {
  const net = session.network;
  $('setup-layers').value = net.layers.join('-');
  renderActivationSelects(net.layers, net.activations);
  $('setup-loss').value = net.loss;
  $('setup-l2').value = String(net.l2 ?? 0);
  $('setup-init').value = net.init?.scheme ?? 'xavier';
  $('setup-seed').value = String(net.init?.seed ?? 0);
  const ds = session.dataset;
  const sel = $('setup-dataset');
  if ($('setup-test-fraction')) $('setup-test-fraction').value = String(ds?.test_fraction ?? 0);
  if (!ds) sel.value = 'none';
  else if (ds.name === 'custom') sel.value = ds.n === 4 && !uploaded ? 'xor4' : (uploaded ? 'csv' : 'xor4');
  else if (ds.name === 'lecture_xor') sel.value = 'xor4';
  else {
    sel.value = ds.name;
    $('setup-n').value = String(ds.n);
    $('setup-noise').value = String(ds.noise);
    $('setup-data-seed').value = String(ds.seed ?? 0);
  }
}

function fillDatasetOptions(datasets) {
  const sel = $('setup-dataset');
  const keep = sel.value;
  for (const opt of [...sel.querySelectorAll('option[data-builtin]')]) opt.remove();
  const csv = sel.querySelector('option[value=csv]');
  for (const d of datasets) {
    if (d.name === 'lecture_xor') continue; // the xor4 entry above
    const opt = document.createElement('option');
    opt.value = d.name;
    opt.dataset.builtin = 'true';
    opt.textContent = `${d.label ?? d.name} (${d.task})`;
    opt.title = d.description ?? '';
    sel.insertBefore(opt, csv);
  }
  sel.value = keep;
  if (!sel.value) sel.value = 'xor4';
}

// ---------------------------------------------------------------- example inputs

function parseVector(text, n, name) {
  const parts = String(text).split(/[\s,;]+/).filter(Boolean).map(Number);
  if (parts.length !== n || parts.some((v) => !Number.isFinite(v))) {
    throw new Error(`${name}: give ${n} number${n > 1 ? 's' : ''}, separated by commas`);
  }
  return parts;
}

// The example fields -> state.example. A field whose text is refused is marked invalid
// (state.invalid) and its old value is not kept: runs are refused until it is fixed.
function readExampleInputs() {
  const s = getState();
  const mode = $('example-mode').value;
  const example = { ...s.example, mode };
  const invalid = { ...s.invalid };
  delete invalid.x;
  delete invalid.y;
  if (mode === 'index') {
    const max = s.dataset ? s.dataset.X.length - 1 : 0;
    example.index = Math.max(0, Math.min(max, Math.trunc(Number($('example-index').value) || 0)));
  } else if (mode === 'custom') {
    if (!$('example-x').value.trim() && !$('example-y').value.trim()) {
      // Start from the example that was about to be used (or zeros).
      const from = currentExampleFrom({ ...s, example: { ...s.example, mode: s.example.mode === 'custom' ? 'next' : s.example.mode } });
      const net = s.session.network.layers;
      $('example-x').value = (from?.x ?? zeros(net[0])).join(', ');
      $('example-y').value = (from?.y ?? zeros(net.at(-1))).join(', ');
    }
    const layers = s.session.network.layers;
    for (const [field, id, n] of [['x', 'example-x', layers[0]], ['y', 'example-y', layers.at(-1)]]) {
      try {
        example[field] = parseVector($(id).value, n, fieldName(field));
      } catch (err) {
        invalid[field] = err.message;
      }
    }
  }
  // a refused field keeps the text typed (marked invalid), the example keeps its old value
  // for it, and runs are refused until it is fixed
  const refused = ['x', 'y'].find((f) => invalid[f]);
  if (refused) {
    setState({ example, invalid });
    fail(Object.assign(new Error(invalid[refused]), { field: refused }));
    return;
  }
  const fixed = s.error && ['x', 'y'].includes(s.error.field);
  setState({ example, invalid, ...(fixed ? { error: null } : {}) });
}

// γ: checked here (a positive number), then by the server (PATCH, so a reload keeps it);
// only a value the server accepted becomes state.learningRate.
function commitLearningRate() {
  const input = $('learning-rate');
  const s = getState();
  const text = input.value.trim();
  const v = Number(text);
  if (!text || !Number.isFinite(v) || v <= 0) {
    const err = Object.assign(new Error('γ: give a positive number (for example 0.5)'), { field: 'learning_rate' });
    setInvalid('learning_rate', err.message);
    fail(err);
    return;
  }
  const id = s.session?.id;
  if (!id || (v === s.learningRate && !s.invalid.learning_rate)) return;
  const gen = generation;
  learningRateCheck = api.updateSettings(id, { learning_rate: v }).then((session) => {
    if (gen !== generation) return;
    const now = getState();
    const network = { ...now.session.network, learning_rate: session.network.learning_rate };
    const invalid = { ...now.invalid };
    delete invalid.learning_rate;
    const p = now.pendingStep;
    setState({
      learningRate: session.network.learning_rate,
      session: { ...now.session, network },
      pendingStep: p ? { ...p, session: { ...p.session, network } } : null,
      invalid,
      error: now.error?.field === 'learning_rate' ? null : now.error,
      notice: `γ = ${formatNumber(session.network.learning_rate)} from the next step on.`,
    });
  }, (err) => {
    if (gen !== generation) return;
    setInvalid('learning_rate', err.message);
    fail(err);
  });
}

// ---------------------------------------------------------------- keyboard

const ACTIVATION_KEYS = new Set([' ', 'Enter']);
const ARROWS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown']);
const BUTTON_ROLES = new Set(['button', 'link', 'checkbox', 'switch', 'menuitem', 'option', 'tab', 'radio']);
const SLIDER_ROLES = new Set(['slider', 'spinbutton', 'scrollbar', 'listbox', 'radiogroup', 'tablist', 'menu', 'tree', 'grid']);

/** Whether the focused element does something with this key itself (then no shortcut runs):
 * text fields and selects every key, sliders the arrows, buttons and checkboxes Space/Enter. */
export function handlesKey(target, key) {
  if (!(target instanceof Element) || target === document.body || target === document.documentElement) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = target.type;
    if (type === 'range') return ARROWS.has(key);
    if (type === 'radio') return ARROWS.has(key) || ACTIVATION_KEYS.has(key);
    if (['checkbox', 'button', 'submit', 'reset', 'file', 'color', 'image'].includes(type)) return ACTIVATION_KEYS.has(key);
    return true;
  }
  if (tag === 'BUTTON' || tag === 'SUMMARY' || (tag === 'A' && target.hasAttribute('href'))) return ACTIVATION_KEYS.has(key);
  const role = target.getAttribute('role');
  if (SLIDER_ROLES.has(role)) return ARROWS.has(key) || ACTIVATION_KEYS.has(key);
  if (BUTTON_ROLES.has(role) || target.hasAttribute('tabindex')) return ACTIVATION_KEYS.has(key);
  return false;
}

// The toolbar's fields: Enter commits (their change handler runs) and gives the keys back
// to the page, so S, T, … work at once.
const COMMIT_FIELDS = ['learning-rate', 'example-x', 'example-y', 'example-index', 'batch-size'];

function onFieldKey(event) {
  if (event.key !== 'Enter' && event.key !== 'Escape') return;
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  event.preventDefault();
  event.currentTarget.blur(); // fires `change` when the text changed
}

export function handleKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const shortcut = KEYMAP.get(event.key === '?' ? '?' : key);
  if (!shortcut || !shortcut.run) return;
  if (handlesKey(event.target, event.key) && event.key !== 'Escape') return;
  if (getState().settings.help && !DIALOG_ACTIONS.has(shortcut.action)) return;
  event.preventDefault();
  shortcut.run(event.key);
}

// ---------------------------------------------------------------- binding

function on(id, event, fn) {
  const node = $(id);
  if (node) node.addEventListener(event, fn);
}

export function initControls() {
  document.addEventListener('keydown', handleKey);
  for (const id of COMMIT_FIELDS) on(id, 'keydown', onFieldKey);
  const setup = $('setup');
  if (setup) {
    setup.setAttribute('role', 'dialog');
    setup.setAttribute('aria-modal', 'false');
  }
  on('btn-forward', 'click', forward);
  on('btn-backward', 'click', backward);
  on('btn-step', 'click', step);
  on('btn-train', 'click', toggleTrain);
  on('btn-undo', 'click', undo);
  on('btn-reset', 'click', reset);
  on('btn-micro', 'click', toggleMicro);
  on('btn-prev', 'click', prevPhase);
  on('btn-next', 'click', nextPhase);
  on('btn-projector', 'click', toggleProjector);
  on('btn-help', 'click', () => toggleHelp());
  on('btn-setup', 'click', () => toggleSetup());
  on('btn-help-close', 'click', () => toggleHelp(false));
  on('help', 'click', (ev) => { if (ev.target === $('help')) toggleHelp(false); });
  on('btn-export', 'click', exportSession);
  on('btn-exercise', 'click', () => toggleExercise());
  on('btn-import', 'click', () => $('import-file').click());
  on('import-file', 'change', (ev) => {
    const file = ev.target.files[0];
    if (file) importSession(file);
    ev.target.value = '';
  });
  on('btn-create', 'click', createFromSetup);
  on('btn-lecture', 'click', lecturePreset);
  on('btn-overfit', 'click', overfitPreset);
  bindPlayground();
  on('setup-csv', 'change', (ev) => {
    const file = ev.target.files[0];
    if (file) uploadCsv(file);
    ev.target.value = '';
  });
  on('setup-layers', 'change', () => {
    try {
      renderActivationSelects(parseLayers($('setup-layers').value));
      setState({ error: null });
    } catch (err) {
      fail(err);
    }
  });
  on('learning-rate', 'change', commitLearningRate);
  on('speed', 'input', (ev) => setSettings({ speed: Number(ev.target.value) }));
  on('instant', 'change', toggleInstant);
  on('example-mode', 'change', (ev) => {
    readExampleInputs();
    if (ev.target.value === 'next') ev.target.blur();
  });
  on('example-index', 'change', readExampleInputs);
  on('example-x', 'change', readExampleInputs);
  on('example-y', 'change', readExampleInputs);
  on('status-close', 'click', () => setState({ error: null, notice: null }));
  // a long word (a number, a path) wraps instead of pushing the × off screen
  if ($('status-text')) Object.assign($('status-text').style, { overflowWrap: 'anywhere', minWidth: '0' });

  subscribe(sync);
  sync(getState(), {});
}

// Reflect state into the controls (labels, values, pressed/disabled).
function sync(s, prev) {
  const body = document.body;
  body.classList.toggle('projector', s.settings.projector);
  body.classList.toggle('setup-open', !!s.settings.setup);
  body.classList.toggle('instant', s.settings.instant);
  body.classList.toggle('microstep', s.settings.microstep);
  body.classList.toggle('training', s.training);
  body.classList.toggle('busy', s.busy);
  // Every write below is made only when the value changes: this runs on every
  // state change, and even a same-value write is a mutation and a style (or,
  // for text, a layout) invalidation.
  const data = (key, value) => { if (body.dataset[key] !== value) body.dataset[key] = value; };
  data('training', String(s.training));
  // true until the training loop has ended: after Pause, the chunk in flight still lands
  data('trainInFlight', String(s.trainInFlight));
  data('busy', String(s.busy));
  data('phaseIndex', String(s.phaseIndex));
  data('traceKind', s.trace?.kind ?? 'none');
  data('step', String(s.session?.step ?? ''));
  data('speed', String(s.settings.speed));

  const pressed = (id, value) => {
    const b = $(id);
    if (b && b.getAttribute('aria-pressed') !== String(!!value)) b.setAttribute('aria-pressed', String(!!value));
  };
  pressed('btn-micro', s.settings.microstep);
  pressed('btn-projector', s.settings.projector);
  pressed('btn-setup', s.settings.setup);
  pressed('btn-train', s.training);
  const train = $('btn-train');
  const text = (node, value) => { if (node && node.textContent !== value) node.textContent = value; };
  const disable = (node, value) => { if (node && node.disabled !== value) node.disabled = value; };
  if (train) text(train.querySelector('.label'), s.training ? 'Pause' : 'Train');
  for (const id of ['btn-forward', 'btn-backward', 'btn-step', 'btn-reset']) disable($(id), !s.session);
  disable($('btn-undo'), !s.session || !(committedSession(s).history > 0));
  disable($('btn-prev'), !s.phases.length || s.phaseIndex <= 0);
  disable($('btn-next'), !s.phases.length || s.phaseIndex >= s.phases.length - 1);

  if (s.settings !== prev.settings) {
    if ($('speed') && Number($('speed').value) !== s.settings.speed) $('speed').value = String(s.settings.speed);
    if ($('speed-value')) $('speed-value').textContent = `${s.settings.speed}×`;
    if ($('instant')) $('instant').checked = s.settings.instant;
    syncDialogs(s, prev);
  }
  // the field shows the γ in use, except while it holds a refused value (marked invalid)
  if ((s.learningRate !== prev.learningRate || (prev.invalid?.learning_rate && !s.invalid.learning_rate)) && $('learning-rate')
      && s.learningRate !== null && !s.invalid.learning_rate) {
    if (Number($('learning-rate').value) !== s.learningRate) $('learning-rate').value = String(s.learningRate);
  }
  if (s.invalid !== prev.invalid) {
    for (const [id, field] of [['learning-rate', 'learning_rate'], ['example-x', 'x'], ['example-y', 'y']]) {
      const node = $(id);
      if (!node) continue;
      if (s.invalid[field]) {
        node.setAttribute('aria-invalid', 'true');
        node.setAttribute('aria-errormessage', 'status-text');
      } else if (node.hasAttribute('aria-invalid')) {
        node.removeAttribute('aria-invalid');
        node.removeAttribute('aria-errormessage');
      }
    }
  }
  if (s.session && s.session !== prev.session && s.session.id !== prev.session?.id) fillSetup(s.session);
  if (s.datasets !== prev.datasets && s.datasets.length) {
    fillDatasetOptions(s.datasets);
    if (s.session) fillSetup(s.session);
  }
  if (s.example !== prev.example || s.dataset !== prev.dataset || s.session !== prev.session
      || s.trace !== prev.trace || s.pendingStep !== prev.pendingStep || s.invalid !== prev.invalid) syncExample(s);

  const info = $('session-info');
  if (info && s.session) {
    const ds = s.session.dataset;
    // (the dataset's name is in the title and under the heatmap: the top bar stays one line at 1280 px)
    text(info, `${s.session.network.layers.join('-')} · step ${s.session.step} · epoch ${s.session.epoch}`);
    const title = `session ${s.session.id}${ds ? ` · ${datasetName(ds)}` : ''}`;
    if (info.title !== title) info.title = title;
    if (info.dataset.step !== String(s.session.step)) info.dataset.step = String(s.session.step);
  }
  syncPlayground(s, prev);
  if (s.notice && s.notice !== prev.notice) {
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { if (getState().notice === s.notice) setState({ notice: null }); }, 8000);
  }
  const status = $('status');
  if (status && (s.error !== prev.error || s.notice !== prev.notice)) {
    const message = s.error ? s.error.message : (s.notice ?? '');
    status.hidden = !message;
    status.classList.toggle('error', !!s.error);
    $('status-text').textContent = message;
    status.dataset.field = s.error?.field ?? '';
  }
}

// The shortcut list and the setup panel: focus moves in when one opens and back when it closes.
function syncDialogs(s, prev) {
  const help = $('help');
  if (help && !!s.settings.help !== !!prev.settings?.help) {
    help.hidden = !s.settings.help;
    if (s.settings.help) openDialog(help, $('btn-help-close'));
    else closeDialog(help);
  }
  const setup = $('setup');
  if (setup && !!s.settings.setup !== !!prev.settings?.setup) {
    if (s.settings.setup) {
      setup.setAttribute('aria-modal', 'true');
      openDialog(setup);
    } else {
      setup.setAttribute('aria-modal', 'false');
      closeDialog(setup);
    }
  }
}

/** A session's dataset, short (the top bar): "lecture XOR (4)", "circle (200)". */
export function datasetName(ds) {
  const label = ds.label ?? ds.name;
  return `${label.replace(/ \(\d+ points?\)$/, '')} (${ds.n})`;
}

// ---------------------------------------------------------------- playground controls: binding

function scheduleFromInputs() {
  const name = $('schedule').value;
  const schedule = { name };
  for (const input of $('schedule-params').querySelectorAll('input[data-param]')) {
    schedule[input.dataset.param] = Number(input.value);
  }
  return schedule;
}

function renderScheduleParams(schedule) {
  const box = $('schedule-params');
  const info = scheduleInfo(schedule.name);
  const params = info?.parameters ?? [];
  const have = [...box.querySelectorAll('input[data-param]')].map((i) => i.dataset.param).join();
  if (have !== params.map((p) => p.name).join()) {
    box.replaceChildren(...params.map((p) => {
      const label = document.createElement('label');
      label.title = p.description ?? '';
      const input = document.createElement('input');
      input.type = 'number';
      input.dataset.param = p.name;
      input.dataset.testid = `schedule-${p.name}`;
      input.step = p.type === 'integer' ? '1' : 'any';
      input.min = String(p.min);
      input.max = String(p.max);
      input.addEventListener('change', () => setSchedule(scheduleFromInputs()));
      label.append(`${p.symbol} `, input);
      return label;
    }));
  }
  for (const input of box.querySelectorAll('input[data-param]')) {
    const p = params.find((q) => q.name === input.dataset.param);
    const v = String(schedule[p.name] ?? p.default);
    if (document.activeElement !== input && input.value !== v) input.value = v;
  }
  $('schedule-formula').textContent = scheduleFormula(schedule).text;
}

function bindPlayground() {
  on('batch-size', 'change', (ev) => setBatchSize(ev.target.value));
  const names = scheduleNames();
  if ($('schedule') && names.length) {
    $('schedule').replaceChildren(...names.map((n) => {
      const opt = document.createElement('option');
      opt.value = n;
      opt.textContent = n.replaceAll('_', ' ');
      opt.title = scheduleInfo(n)?.description ?? '';
      return opt;
    }));
  }
  on('schedule', 'change', () => {
    const info = scheduleInfo($('schedule').value);
    const schedule = { name: $('schedule').value };
    for (const p of info?.parameters ?? []) schedule[p.name] = p.default;
    renderScheduleParams(schedule);
    setSchedule(schedule);
  });
  const slider = (id, field, show) => {
    on(id, 'input', (ev) => { $(`${id}-value`).textContent = show(Number(ev.target.value)); });
    on(id, 'change', (ev) => regenerateDataset({ [field]: Number(ev.target.value) }));
  };
  slider('data-noise', 'noise', (v) => formatNumber(v));
  slider('data-n', 'n', (v) => String(v));
  slider('data-test', 'test_fraction', (v) => formatNumber(v));
  on('btn-export-numpy', 'click', () => exportScript('numpy'));
  on('btn-export-torch', 'click', () => exportScript('torch'));
  // a dataset's own defaults (spiral keeps its n) when it is chosen for a new session
  on('setup-dataset', 'change', (ev) => {
    const d = getState().datasets.find((x) => x.name === ev.target.value);
    if (!d) return;
    if (d.default_n !== undefined) $('setup-n').value = String(d.default_n);
    if (d.default_noise !== undefined) $('setup-noise').value = String(d.default_noise);
  });
}

function syncPlayground(s, prev) {
  const batch = $('batch-size');
  if (batch && s.batchSize !== prev.batchSize) {
    if (Number(batch.value) !== s.batchSize) batch.value = String(s.batchSize);
    batch.title = batchText(s.batchSize);
  }
  if (!s.session || (s.session === prev.session && s.datasets === prev.datasets)) return;
  const schedule = s.session.network.schedule ?? { name: 'constant' };
  if ($('schedule') && (s.session.network !== prev.session?.network)) {
    if ($('schedule').value !== schedule.name) $('schedule').value = schedule.name;
    renderScheduleParams(schedule);
  }
  const ds = s.session.dataset;
  const sliders = $('data-sliders');
  if (!sliders) return;
  sliders.hidden = !ds;
  for (const id of ['btn-export-numpy', 'btn-export-torch']) $(id).disabled = !ds;
  if (!ds) return;
  const meta = s.datasets.find((d) => d.name === ds.name);
  const userData = !meta; // X/Y given by the user: only a new split
  const set = (id, v, show) => {
    const node = $(id);
    if (document.activeElement !== node && Number(node.value) !== v) node.value = String(v);
    $(`${id}-value`).textContent = show(v);
  };
  set('data-noise', ds.noise ?? 0, (v) => formatNumber(v));
  set('data-n', ds.n, (v) => String(v));
  set('data-test', ds.test_fraction ?? 0, (v) => formatNumber(v));
  $('data-noise').disabled = userData;
  $('data-n').disabled = userData || !!meta?.fixed_n;
}

function exampleText(ex) {
  const index = ex.index !== undefined && ex.index !== null ? `#${ex.index}: ` : '';
  return `${index}x = (${ex.x.map((v) => formatNumber(v)).join(', ')}), y* = ${ex.y.map((v) => formatNumber(v)).join(', ')}`;
}

function syncExample(s) {
  const mode = $('example-mode');
  if (!mode) return;
  const hasData = !!s.dataset;
  const set = (node, key, value) => { if (node[key] !== value) node[key] = value; };
  set(mode.querySelector('option[value=next]'), 'disabled', !s.session?.dataset);
  set(mode.querySelector('option[value=index]'), 'disabled', !s.session?.dataset);
  if (mode.value !== s.example.mode) mode.value = s.example.mode;
  set($('example-index'), 'hidden', s.example.mode !== 'index');
  set($('example-custom'), 'hidden', s.example.mode !== 'custom');
  if (hasData) set($('example-index'), 'max', String(s.dataset.X.length - 1));
  if (s.example.mode === 'index' && Number($('example-index').value) !== s.example.index) {
    $('example-index').value = String(s.example.index);
  }
  if (s.example.mode === 'custom' && s.example.x) {
    // a field holding refused text keeps it (marked invalid) until it is fixed
    if (!s.invalid.x && document.activeElement !== $('example-x')) set($('example-x'), 'value', s.example.x.join(', '));
    if (!s.invalid.y && document.activeElement !== $('example-y')) set($('example-y'), 'value', s.example.y.join(', '));
  }
  // "this step" (or "this forward / backward pass": those take no step): the example of the
  // trace on screen; "next": the one the next run uses (for a step being animated, known once
  // its update phase is shown; after the last example of an epoch the order is shuffled
  // again, so it may be the same one: the new epoch is named)
  const preview = $('example-preview');
  if (preview) {
    let shown = preview.querySelector('[data-testid="example-this"]');
    let next = preview.querySelector('[data-testid="example-next"]');
    if (!shown) {
      shown = document.createElement('span');
      shown.setAttribute('data-testid', 'example-this');
      next = document.createElement('span');
      next.setAttribute('data-testid', 'example-next');
      preview.replaceChildren(shown, ' ', next);
    }
    const ex = s.trace?.example ?? (s.trace ? { x: s.trace.data.x, y: s.trace.data.y } : null);
    const kind = s.trace?.kind;
    const lead = kind === 'forward' || kind === 'backward' ? `this ${kind} pass` : 'this step';
    const thisText = ex?.x && ex?.y ? `${lead}: ${exampleText(ex)}` : '';
    let nextText = '';
    let nextIndex = '';
    if (s.pendingStep && s.example.mode === 'next') {
      nextText = 'next: known after the update';
    } else if (s.session && (s.example.mode !== 'custom' || s.example.x)) {
      const upcoming = currentExampleFrom(s);
      if (upcoming) {
        const newEpoch = kind === 'step' && s.example.mode === 'next' && ex?.epoch !== undefined
          && s.session.epoch > ex.epoch;
        nextText = `next${newEpoch ? ` (epoch ${s.session.epoch} begins)` : ''}: ${exampleText(upcoming)}`;
        nextIndex = upcoming.index !== undefined ? String(upcoming.index) : '';
      }
    }
    if (s.invalid.x || s.invalid.y) nextText = 'next: (fix the example first)';
    set(shown, 'textContent', thisText);
    set(next, 'textContent', nextText);
    set(shown, 'hidden', !thisText);
    if (shown.dataset.index !== String(ex?.index ?? '')) shown.dataset.index = String(ex?.index ?? '');
    if (next.dataset.index !== nextIndex) next.dataset.index = nextIndex;
  }
}

function currentExampleFrom(s) {
  const ex = s.example;
  if (ex.mode === 'custom') return { x: ex.x, y: ex.y };
  if (!s.dataset) return null;
  const index = ex.mode === 'index' ? ex.index : (s.session.dataset?.next_index ?? 0);
  if (index < 0 || index >= s.dataset.X.length) return null;
  return { x: s.dataset.X[index], y: s.dataset.Y[index], index };
}
