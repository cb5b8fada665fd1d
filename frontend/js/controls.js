// Buttons and keys -> api.js calls -> state.js. The only module (with
// player.js) that changes the store.
import { api } from './api.js';
import { getState, setState, subscribe } from './state.js';
import { buildPhases, clampPhase } from './timeline.js';
import { formatNumber } from './format.js';
import { parseCsv } from './csv.js';
import * as player from './player.js';

export const SHORTCUTS = [
  { keys: ['f'], action: 'forward', text: 'Forward pass on the current example' },
  { keys: ['b'], action: 'backward', text: 'Forward + backward (gradients, cached δ)' },
  { keys: ['s', 'Space'], action: 'step', text: 'One SGD step: forward, backward, update' },
  { keys: ['t'], action: 'train', text: 'Train continuously / pause' },
  { keys: ['u'], action: 'undo', text: 'Undo the last update' },
  { keys: ['r'], action: 'reset', text: 'Reset: same network, fresh weights from the init' },
  { keys: ['n'], action: 'nextExample', text: 'Use the next dataset example / pick the following index' },
  { keys: ['m'], action: 'micro', text: 'Micro-step mode on/off (narrate one phase per key)' },
  { keys: ['→'], action: 'nextPhase', text: 'Next phase (forward layer, loss, backward layer, update)' },
  { keys: ['←'], action: 'prevPhase', text: 'Previous phase' },
  { keys: ['i'], action: 'instant', text: 'Instant mode on/off (no animation)' },
  { keys: ['+', '−'], action: 'speed', text: 'Animation faster / slower' },
  { keys: ['a'], action: 'setup', text: 'Setup panel: architecture, loss, init, dataset, CSV' },
  { keys: ['l'], action: 'lecture', text: 'Lecture mode on/off (→ / ← or PageDown / PageUp: next / previous scene)' },
  { keys: ['p'], action: 'projector', text: 'Projector mode on/off' },
  { keys: ['e'], action: 'export', text: 'Export the session as a .json file' },
  { keys: ['c'], action: 'class', text: 'Class: open a live class on this session (join code, questions)' },
  { keys: ['?'], action: 'help', text: 'Show / hide this list' },
  { keys: ['Esc'], action: 'escape', text: 'Close this list, clear the selection' },
];

const TRAIN_CHUNK = 10;
// the lecture preset's dataset (backend sessions/presets.py): XOR on ±1 inputs
const LECTURE_XOR = { X: [[-1, -1], [-1, 1], [1, -1], [1, 1]], Y: [[0], [1], [1], [0]] };
const ORIGIN_KEY = (id) => `bpx-origin-${id}`;

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- status

function fail(err) {
  const message = err?.message ?? String(err);
  setState({ error: { message, field: err?.field ?? null, status: err?.status ?? null }, busy: false });
}

let noticeTimer = null;

async function guarded(fn) {
  if (getState().busy) return;
  setState({ busy: true, error: null });
  try {
    await fn();
  } catch (err) {
    fail(err);
    return;
  }
  setState({ busy: false });
}

// ---------------------------------------------------------------- sessions

function setUrl(id) {
  const url = new URL(window.location.href);
  url.searchParams.set('session', id);
  window.history.replaceState(null, '', url);
}

async function loadSession(session, notice = null) {
  player.stop();
  const current = getState();
  setState({
    session,
    trace: null,
    phases: [],
    phaseIndex: 0,
    selection: null,
    lossHistory: current.session?.id === session.id ? current.lossHistory : [],
    learningRate: session.network.learning_rate,
    dataset: null,
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
    setState({ dataset: ds });
  }
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

function showTrace(kind, data) {
  const s = getState();
  const phases = buildPhases(data, s.session.network);
  setState({ trace: { kind, data }, phases, phaseIndex: 0 });
  player.present();
}

export function forward() {
  return guarded(async () => {
    const { x, y } = currentExample();
    const data = await api.forward(getState().session.id, { x, y });
    showTrace('forward', data);
  });
}

export function backward() {
  return guarded(async () => {
    const { x, y } = currentExample();
    const data = await api.backward(getState().session.id, { x, y });
    showTrace('backward', data);
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

export function step() {
  return guarded(async () => {
    const s = getState();
    const body = stepBody();
    // the heatmap's grid goes along: the answer carries the updated network's
    // outputs on it (grid_Y), so the heatmap needs no /predict of its own
    const heatmap = s.heatmapGrid;
    if (heatmap) body.grid = heatmap.grid;
    const data = await api.step(s.session.id, body);
    const session = sessionAfterStep(getState().session, data);
    setState({
      session,
      lossHistory: [...getState().lossHistory, { step: data.step, epoch: data.epoch, loss: data.loss }],
      prediction: heatmap && Array.isArray(data.grid_Y) ? { key: heatmap.key, session, Y: data.grid_Y } : null,
    });
    showTrace('step', data);
  });
}

export function undo() {
  if (getState().session && !(getState().session.history > 0) && !getState().training) {
    fail(new Error('nothing to undo: no update has been made since this session started'));
    return Promise.resolve();
  }
  return guarded(async () => {
    stopTraining();
    const session = await api.undo(getState().session.id);
    player.stop();
    setState({
      session,
      trace: null,
      phases: [],
      phaseIndex: 0,
      lossHistory: getState().lossHistory.filter((h) => h.step <= session.step),
    });
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
    stopTraining();
    const s = getState();
    const body = originOf(s.session.id) ?? specFromSession();
    await createSession(body, 'Reset: a new session with the same network and fresh initial weights.');
  });
}

// ---------------------------------------------------------------- training

let trainRun = 0;

export function stopTraining() {
  trainRun += 1;
  if (getState().training) setState({ training: false });
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
  player.stop();
  const run = ++trainRun;
  setState({ training: true, trace: null, phases: [], phaseIndex: 0, error: null });
  const loop = async () => {
    while (run === trainRun) {
      const st = getState();
      const body = { steps: Math.max(1, Math.round(TRAIN_CHUNK * st.settings.speed)) };
      if (st.learningRate !== null) body.learning_rate = st.learningRate;
      try {
        const result = await api.train(st.session.id, body);
        const session = await api.getSession(st.session.id);
        if (run !== trainRun) {
          setState({ session });
          break;
        }
        const first = result.step - result.updates + 1;
        const added = result.loss.map((loss, i) => ({ step: first + i, epoch: result.epoch, loss }));
        setState({ session, lossHistory: [...getState().lossHistory, ...added].slice(-5000) });
      } catch (err) {
        stopTraining();
        fail(err);
        break;
      }
      // Next chunk right away: the views coalesce their redraws (the network
      // view draws at most once a frame while training), so waiting for a
      // frame here would only slow the requests down.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  };
  loop();
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
  if (getState().settings.help) toggleHelp(false);
  else setState({ selection: null, notice: null, error: null });
}

// ---------------------------------------------------------------- export / import / setup

export function exportSession() {
  return guarded(async () => {
    const s = getState();
    const doc = await api.exportSession(s.session.id);
    const blob = new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `backprop-session-${s.session.id}.json`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
}

export function importSession(file) {
  return guarded(async () => {
    stopTraining();
    let doc;
    try {
      doc = JSON.parse(await file.text());
    } catch (err) {
      throw new Error(`${file.name} is not JSON: ${err.message}`);
    }
    const session = await api.importSession(doc);
    await loadSession(session, `Imported ${file.name} as a new session.`);
  });
}

const ACTIVATIONS = ['sigmoid', 'tanh', 'relu', 'leaky_relu', 'linear', 'softmax'];

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
    for (const a of ACTIVATIONS) {
      const opt = document.createElement('option');
      opt.value = a;
      opt.textContent = a;
      sel.append(opt);
    }
    sel.value = current[l - 1] ?? old[l - 1] ?? (l === sizes.length - 1 ? 'linear' : 'sigmoid');
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
  if (dsName === 'xor4') body.dataset = LECTURE_XOR;
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
  return body;
}

let uploaded = null;

export function createFromSetup() {
  return guarded(async () => {
    stopTraining();
    const body = setupBody();
    await createSession(body, `New session: ${body.layers.join('-')} network.`);
  });
}

export function lecturePreset() {
  return guarded(async () => {
    stopTraining();
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
    stopTraining();
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
  if (!ds) sel.value = 'none';
  else if (ds.name === 'custom') sel.value = ds.n === 4 && !uploaded ? 'xor4' : (uploaded ? 'csv' : 'xor4');
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
    const opt = document.createElement('option');
    opt.value = d.name;
    opt.dataset.builtin = 'true';
    opt.textContent = `${d.name} (${d.task})`;
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
    throw Object.assign(new Error(`${name}: give ${n} number${n > 1 ? 's' : ''}, separated by commas`), { field: name });
  }
  return parts;
}

function readExampleInputs() {
  const s = getState();
  const mode = $('example-mode').value;
  const example = { ...s.example, mode };
  if (mode === 'index') {
    const max = s.dataset ? s.dataset.X.length - 1 : 0;
    example.index = Math.max(0, Math.min(max, Math.trunc(Number($('example-index').value) || 0)));
  } else if (mode === 'custom') {
    if (!$('example-x').value.trim()) {
      // Start from the example that was about to be used (or zeros).
      const from = currentExampleFrom({ ...s, example: { ...s.example, mode: s.example.mode === 'custom' ? 'next' : s.example.mode } });
      const net = s.session.network.layers;
      $('example-x').value = (from?.x ?? zeros(net[0])).join(', ');
      $('example-y').value = (from?.y ?? zeros(net.at(-1))).join(', ');
    }
    try {
      example.x = parseVector($('example-x').value, s.session.network.layers[0], 'x');
      example.y = parseVector($('example-y').value, s.session.network.layers.at(-1), 'y*');
    } catch (err) {
      fail(err);
      return;
    }
  }
  setState({ example, error: null });
}

// ---------------------------------------------------------------- keyboard

function isTyping(target) {
  if (!target || !(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = target.type;
    return !['button', 'checkbox', 'radio', 'range', 'file', 'submit', 'reset'].includes(type);
  }
  return false;
}

export function handleKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (isTyping(event.target) && event.key !== 'Escape') return;
  const actions = {
    f: forward,
    b: backward,
    s: step,
    ' ': step,
    t: toggleTrain,
    u: undo,
    r: reset,
    n: nextExample,
    m: toggleMicro,
    ArrowRight: nextPhase,
    ArrowLeft: prevPhase,
    i: toggleInstant,
    '+': () => changeSpeed(1),
    '=': () => changeSpeed(1),
    '-': () => changeSpeed(-1),
    p: toggleProjector,
    a: () => toggleSetup(),
    e: exportSession,
    c: () => $('btn-class')?.click(),
    '?': () => toggleHelp(),
    Escape: escape,
  };
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const action = actions[event.key === '?' ? '?' : key];
  if (!action) return;
  event.preventDefault();
  if (event.target instanceof HTMLElement && event.target.tagName === 'BUTTON') event.target.blur();
  action();
}

// ---------------------------------------------------------------- binding

function on(id, event, fn) {
  const node = $(id);
  if (node) node.addEventListener(event, fn);
}

export function initControls() {
  document.addEventListener('keydown', handleKey);
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
  on('btn-import', 'click', () => $('import-file').click());
  on('import-file', 'change', (ev) => {
    const file = ev.target.files[0];
    if (file) importSession(file);
    ev.target.value = '';
  });
  on('btn-create', 'click', createFromSetup);
  on('btn-lecture', 'click', lecturePreset);
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
  on('learning-rate', 'change', (ev) => {
    const v = Number(ev.target.value);
    if (Number.isFinite(v) && v > 0) {
      setState({ learningRate: v, error: null });
      // keep γ with the session, so a reload (or another tab) uses it too
      const id = getState().session?.id;
      if (id) api.updateSettings(id, { learning_rate: v }).then((session) => setState({ session })).catch(fail);
    } else fail(Object.assign(new Error('learning rate γ must be a positive number'), { field: 'learning_rate' }));
  });
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
  disable($('btn-undo'), !s.session || !(s.session.history > 0));
  disable($('btn-prev'), !s.phases.length || s.phaseIndex <= 0);
  disable($('btn-next'), !s.phases.length || s.phaseIndex >= s.phases.length - 1);

  if (s.settings !== prev.settings) {
    if ($('speed') && Number($('speed').value) !== s.settings.speed) $('speed').value = String(s.settings.speed);
    if ($('speed-value')) $('speed-value').textContent = `${s.settings.speed}×`;
    if ($('instant')) $('instant').checked = s.settings.instant;
    const help = $('help');
    if (help) {
      help.hidden = !s.settings.help;
      if (s.settings.help) $('btn-help-close')?.focus();
    }
  }
  if (s.learningRate !== prev.learningRate && $('learning-rate') && s.learningRate !== null) {
    if (Number($('learning-rate').value) !== s.learningRate) $('learning-rate').value = String(s.learningRate);
  }
  if (s.session && s.session !== prev.session && s.session.id !== prev.session?.id) fillSetup(s.session);
  if (s.datasets !== prev.datasets && s.datasets.length) {
    fillDatasetOptions(s.datasets);
    if (s.session) fillSetup(s.session);
  }
  if (s.example !== prev.example || s.dataset !== prev.dataset || s.session !== prev.session) syncExample(s);

  const info = $('session-info');
  if (info && s.session) {
    const ds = s.session.dataset;
    text(info, `${s.session.network.layers.join('-')} · step ${s.session.step} · epoch ${s.session.epoch}${ds ? ` · ${ds.name} (${ds.n})` : ''}`);
    if (info.title !== `session ${s.session.id}`) info.title = `session ${s.session.id}`;
    if (info.dataset.step !== String(s.session.step)) info.dataset.step = String(s.session.step);
  }
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
  if (s.example.mode === 'custom' && s.example.x && document.activeElement !== $('example-x')) {
    $('example-x').value = s.example.x.join(', ');
    $('example-y').value = s.example.y.join(', ');
  }
  const preview = $('example-preview');
  if (preview) {
    let text = '';
    try {
      if (s.session && (s.example.mode !== 'custom' || s.example.x)) {
        const ex = currentExampleFrom(s);
        if (ex) text = `${ex.index !== undefined ? `#${ex.index}: ` : ''}x = (${ex.x.map((v) => formatNumber(v)).join(', ')}), y* = ${ex.y.map((v) => formatNumber(v)).join(', ')}`;
      }
    } catch {
      text = '';
    }
    if (preview.textContent !== text) preview.textContent = text;
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
