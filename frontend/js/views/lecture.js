// views/lecture.js — the Lecture mode panel: the backpropagation lecture as a sequence of scenes
// (frontend/lecture/scenes.json), each with a title, a short text, its equation typeset with the
// live numbers of the current session and example (KaTeX), and the units/edges it talks about
// highlighted in the network view.
//
//   mountLecture(container) → Promise<{open, close, toggle, goto} | null> (never rejects: a broken
//   scenes.json is shown in the panel). A button #btn-lecture-mode, if present, toggles the mode.
//
// Keys (a capture listener on window, so it runs before controls.js's document listener and
// only takes the keys it uses): L toggles Lecture mode; in Lecture mode → / ← (and PageDown /
// PageUp, what presentation clickers send) move between scenes, Home / End jump to the first /
// last scene. With micro-step mode on (M), → / ← first walk through the scene's phases in the
// network view, then move to the next / previous scene. Every other key is left to controls.js.
//
// State: state.lecture = {on, index, edge, highlight} (written here only). While Lecture mode is
// on, the example is a typed one (state.example.mode 'custom'), edited in the panel, so F / B / S
// and the toolbar use the same example; the panel asks controls.js for a backward trace whenever
// the example or the weights change, and the last scene's button (or S) applies a real SGD step.
// The highlight is drawn by adding lec-hl / lec-cached classes to the network view's elements
// (by their data-testid), re-applied whenever that view redraws.
//
// Test hooks (data-testid): lecture, lecture-progress, lecture-title, lecture-text,
// lecture-equation, lecture-notes, lecture-scenes, lecture-scene-<id>, lecture-prev, lecture-next,
// lecture-x1 …, lecture-ystar (lecture-ystar1 … with several outputs), lecture-apply-step,
// lecture-value (data-name, data-value), lecture-factor / lecture-term / lecture-product
// (data-chain, data-value, data-role) inside the equation. The container carries data-scene,
// data-index, data-trace-kind and data-step (the trace's step, when it is a step trace).
import katex from '../../vendor/katex/katex.mjs';
import { committedSession, getState, setState, subscribe } from '../state.js';
import { backward, handlesKey, step } from '../controls.js';
import * as player from '../player.js';
import { formatNumber } from '../format.js';
import { notation } from '../notation.js';
import {
  parseScenes, sceneFor, makeContext, resolveTemplate, resolveHighlight, phaseRange, networkNotes,
  prettyText, KATEX_MACROS,
} from '../lecture.js';

const SCENES_URL = new URL('../../lecture/scenes.json', import.meta.url);
const KATEX_OPTIONS = {
  displayMode: true,
  throwOnError: false,
  strict: 'ignore',
  trust: (ctx) => ctx.command === '\\htmlData' || ctx.command === '\\htmlClass',
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function isTyping(target) {
  if (!target || !(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return !['button', 'checkbox', 'radio', 'range', 'file', 'submit', 'reset'].includes(target.type);
  return false;
}

const sameVec = (a, b) => Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => v === b[i]);

function lectureState() {
  return getState().lecture ?? { on: false, index: 0, edge: 'start', highlight: null };
}

function setLecture(patch) {
  setState({ lecture: { ...lectureState(), ...patch } });
}

// The example the lecture starts from: a typed example stays; else the first dataset example
// whose inputs are all non-zero (every factor of the derivation is then non-trivial), else the
// next example, else zeros.
function initialExample(s) {
  const n0 = s.session.network.layers[0];
  const nL = s.session.network.layers.at(-1);
  const ex = s.example;
  if (ex?.mode === 'custom' && ex.x?.length === n0 && ex.y?.length === nL) return null;
  const ds = s.dataset;
  if (ds && ds.X.length) {
    let index = ds.X.findIndex((x) => x.every((v) => v !== 0));
    if (index < 0) index = Math.min(ds.X.length - 1, Math.max(0, s.session.dataset?.next_index ?? 0));
    return { mode: 'custom', index, x: [...ds.X[index]], y: [...ds.Y[index]] };
  }
  return { mode: 'custom', index: 0, x: Array(n0).fill(0), y: Array(nL).fill(0) };
}

export function mountLecture(container) {
  // the scenes load in the background; a broken scenes.json is reported in the panel (and L
  // still opens it, showing the problem) instead of breaking the page
  return loadScenes().then((scenes) => setup(container, scenes), (err) => {
    container.classList.add('lecture-panel', 'lecture-broken');
    container.setAttribute('data-testid', 'lecture');
    container.replaceChildren(el('p', { class: 'lec-text', text: `Lecture mode is unavailable: ${err.message}` }));
    const toggleBroken = () => { container.hidden = !container.hidden; };
    document.getElementById('btn-lecture-mode')?.addEventListener('click', toggleBroken);
    window.addEventListener('keydown', (ev) => {
      if ((ev.key === 'l' || ev.key === 'L') && !isTyping(ev.target) && !ev.ctrlKey && !ev.metaKey && !ev.altKey) toggleBroken();
    }, true);
    return null;
  });
}

async function loadScenes() {
  const response = await fetch(SCENES_URL);
  if (!response.ok) throw new Error(`lecture/scenes.json: HTTP ${response.status}`);
  let json;
  try {
    json = await response.json();
  } catch (err) {
    throw new Error(`lecture/scenes.json is not valid JSON (${err.message})`, { cause: err });
  }
  const { scenes, problems } = parseScenes(json);
  if (problems.length) throw new Error(`lecture/scenes.json: ${problems.join('; ')}`);
  return scenes;
}

function setup(container, scenes) {
  const count = scenes.length;

  // ------------------------------------------------------------ DOM
  container.classList.add('lecture-panel');
  container.setAttribute('data-testid', 'lecture');
  container.setAttribute('aria-label', 'Lecture');
  const progress = el('span', { class: 'lec-progress', 'data-testid': 'lecture-progress', 'aria-live': 'polite' });
  const bar = el('div', { class: 'lec-bar' });
  const barFill = el('div', { class: 'lec-bar-fill' });
  bar.append(barFill);
  const prevBtn = el('button', { type: 'button', class: 'lec-nav', 'data-testid': 'lecture-prev', title: 'Previous scene (← or PageUp)', 'aria-label': 'previous scene', text: '←' });
  const nextBtn = el('button', { type: 'button', class: 'lec-nav', 'data-testid': 'lecture-next', title: 'Next scene (→ or PageDown)', 'aria-label': 'next scene', text: '→' });
  const closeBtn = el('button', { type: 'button', class: 'lec-close', title: 'Leave Lecture mode (L)', 'data-testid': 'lecture-close', 'aria-label': 'leave Lecture mode' }, '✕ ', el('kbd', { text: 'L' }));
  const list = el('ol', { class: 'lec-list' });
  const listBox = el('details', { class: 'lec-scenes', 'data-testid': 'lecture-scenes' }, el('summary', { text: 'Scenes' }), list);
  scenes.forEach((s, i) => {
    const b = el('button', { type: 'button', 'data-testid': `lecture-scene-${s.id}`, 'data-index': i, text: s.title });
    b.addEventListener('click', () => { listBox.open = false; goto(i, 'start'); });
    list.append(el('li', {}, b));
  });
  const head = el('header', { class: 'lec-head' }, el('span', { class: 'lec-kicker', text: 'Lecture' }), progress, prevBtn, nextBtn, listBox, el('span', { class: 'lec-spacer' }), closeBtn);
  const title = el('h2', { class: 'lec-title', 'data-testid': 'lecture-title' });
  const text = el('p', { class: 'lec-text', 'data-testid': 'lecture-text' });
  const notes = el('ul', { class: 'lec-notes', 'data-testid': 'lecture-notes' });
  const equation = el('div', { class: 'lec-equation', 'data-testid': 'lecture-equation' }); // KaTeX adds MathML for screen readers
  const action = el('div', { class: 'lec-action', 'data-testid': 'lecture-action' });
  const exampleRow = el('div', { class: 'lec-example', 'data-testid': 'lecture-example' });
  const body = el('div', { class: 'lec-body' }, title, text, equation, action, notes);
  container.replaceChildren(head, bar, body, exampleRow);
  container.hidden = true;

  document.getElementById('btn-lecture-mode')?.addEventListener('click', (ev) => { ev.currentTarget.blur(); toggle(); });
  prevBtn.addEventListener('click', () => goto(lectureState().index - 1, 'start'));
  nextBtn.addEventListener('click', () => goto(lectureState().index + 1, 'start'));
  closeBtn.addEventListener('click', () => close());

  // ------------------------------------------------------------ example editor
  let exampleShape = null;
  function renderExample(s) {
    const net = s.session?.network;
    const ex = s.example;
    if (!net || ex?.mode !== 'custom' || !ex.x) {
      exampleShape = null;
      exampleRow.replaceChildren();
      return;
    }
    const shape = `${net.layers.join('-')}|${ex.x.length}|${ex.y.length}`;
    if (shape === exampleShape) {
      // same fields: refresh the values, except the one being typed in
      for (const input of exampleRow.querySelectorAll('input')) {
        if (input === document.activeElement) continue;
        const v = (input.dataset.kind === 'x' ? ex.x : ex.y)[Number(input.dataset.i)];
        if (Number(input.value) !== v || input.value.trim() === '') input.value = String(v);
        input.setAttribute('aria-invalid', 'false');
      }
      return;
    }
    exampleShape = shape;
    const sizes = net.layers;
    const nOut = sizes.at(-1);
    const row = [el('span', { class: 'lec-example-label', text: 'Example' })];
    const field = (labelText, testid, value, kind, i) => {
      const input = el('input', { type: 'number', step: 'any', value: String(value), 'data-testid': testid, 'aria-label': labelText, 'data-kind': kind, 'data-i': i });
      input.addEventListener('change', commitExample);
      input.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') {
          commitExample();
          input.blur(); // → / ← move between scenes again
        }
      });
      row.push(el('label', { class: 'lec-field' }, el('span', { text: `${labelText} =` }), input));
    };
    ex.x.forEach((v, i) => {
      if (i < 6) field(notation(sizes).unit(0, i + 1).unicode, `lecture-x${i + 1}`, v, 'x', i);
    });
    ex.y.forEach((v, k) => {
      if (k < 4) field(notation(sizes).target(k + 1).unicode, nOut === 1 ? 'lecture-ystar' : `lecture-ystar${k + 1}`, v, 'y', k);
    });
    row.push(el('span', { class: 'lec-example-hint', text: 'change a value: the derivation follows' }));
    exampleRow.replaceChildren(...row);
  }

  function commitExample() {
    const s = getState();
    if (!s.example || s.example.mode !== 'custom') return;
    const x = [...s.example.x];
    const y = [...s.example.y];
    let ok = true;
    for (const input of exampleRow.querySelectorAll('input')) {
      const v = Number(input.value);
      const valid = input.value.trim() !== '' && Number.isFinite(v);
      input.setAttribute('aria-invalid', String(!valid));
      if (!valid) { ok = false; continue; }
      (input.dataset.kind === 'x' ? x : y)[Number(input.dataset.i)] = v;
    }
    if (!ok || (sameVec(x, s.example.x) && sameVec(y, s.example.y))) return;
    setState({ example: { ...s.example, x, y }, error: null });
  }

  // ------------------------------------------------------------ open / close / navigate
  function sceneIndexFromHash() {
    const m = /^#lecture(?:=([\w-]+))?$/.exec(window.location.hash);
    if (!m) return null;
    if (!m[1]) return 0;
    const i = scenes.findIndex((s) => s.id === m[1]);
    return i >= 0 ? i : (/^\d+$/.test(m[1]) ? Math.min(count - 1, Number(m[1]) - 1) : 0);
  }

  function setHash(on, index) {
    const url = new URL(window.location.href);
    url.hash = on ? `lecture=${scenes[index].id}` : '';
    window.history.replaceState(null, '', url.toString().replace(/#$/, ''));
  }

  function open(index = lectureState().index ?? 0) {
    const i = Math.max(0, Math.min(count - 1, index));
    setLecture({ on: true, index: i, edge: 'start' });
    setHash(true, i);
    queueMicrotask(() => { prepare(getState()); applyPhase('start'); });
  }

  function close() {
    setLecture({ on: false, highlight: null });
    setHash(false, 0);
  }

  function toggle() {
    if (lectureState().on) close();
    else open();
  }

  function goto(index, edge = 'start') {
    if (!lectureState().on) return;
    const i = Math.max(0, Math.min(count - 1, index));
    if (i === lectureState().index) return;
    setLecture({ index: i, edge });
    setHash(true, i);
    applyPhase(edge);
  }

  function currentScene() {
    return scenes[lectureState().index] ?? scenes[0];
  }

  // the phase range of the current scene in the current trace's phases
  function rangeNow(s = getState()) {
    return phaseRange(currentScene().phase ?? 'all', s.phases);
  }

  function applyPhase(edge) {
    const s = getState();
    const range = rangeNow(s);
    if (!range) return;
    player.stop();
    const target = s.settings.microstep ? (edge === 'end' ? range.to : range.from) : range.to;
    if (target !== s.phaseIndex) setState({ phaseIndex: target });
  }

  function forwardKey(sceneOnly) {
    const s = getState();
    const range = rangeNow(s);
    if (!sceneOnly && s.settings.microstep && range && s.phaseIndex < range.to) {
      player.stop();
      setState({ phaseIndex: Math.max(range.from, s.phaseIndex + 1) });
      return;
    }
    goto(lectureState().index + 1, 'start');
  }

  function backKey(sceneOnly) {
    const s = getState();
    const range = rangeNow(s);
    if (!sceneOnly && s.settings.microstep && range && s.phaseIndex > range.from) {
      player.stop();
      setState({ phaseIndex: Math.min(range.to, s.phaseIndex - 1) });
      return;
    }
    goto(lectureState().index - 1, 'end');
  }

  function onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (handlesKey(ev.target, ev.key)) return;
    const s = getState();
    if (s.settings.help) return;
    const key = ev.key;
    let action = null;
    if (key === 'l' || key === 'L') action = toggle;
    else if (lectureState().on) {
      if (key === 'ArrowRight') action = () => forwardKey(false);
      else if (key === 'ArrowLeft') action = () => backKey(false);
      else if (key === 'PageDown') action = () => forwardKey(true);
      else if (key === 'PageUp') action = () => backKey(true);
      else if (key === 'Home') action = () => goto(0, 'start');
      else if (key === 'End') action = () => goto(count - 1, 'start');
    }
    if (!action) return;
    ev.preventDefault();
    ev.stopPropagation();
    if (ev.target instanceof HTMLElement && ev.target.tagName === 'BUTTON') ev.target.blur();
    action();
  }
  window.addEventListener('keydown', onKey, true);

  // ------------------------------------------------------------ keep the trace current
  let traceMark = null; // {trace, session id, step} when a backward/forward trace arrived
  let requested = null;

  function traceIsCurrent(s) {
    const data = s.trace?.data;
    const kind = s.trace?.kind;
    const ex = s.example;
    if (!data || !ex?.x) return false;
    const x = data.x ?? data.forward?.x;
    const y = data.y ?? data.forward?.y;
    if (!sameVec(x, ex.x) || !sameVec(y, ex.y)) return false;
    if (kind === 'step') return data.step === committedSession(s).step;
    const mark = traceMark && traceMark.trace === s.trace && traceMark.id === s.session.id && traceMark.step === s.session.step;
    if (!mark) return false;
    const need = currentScene().requires === 'forward' ? 'forward' : 'backward';
    return need === 'forward' || kind === 'backward';
  }

  // make the example typed (once per session) and ask for a trace when the shown one is stale
  function prepare(s) {
    if (!lectureState().on || !s.session || s.training) return;
    if (s.example?.mode !== 'custom' || !s.example.x) {
      if (s.session.dataset && !s.dataset) return; // the dataset's points are still loading
      const ex = initialExample(s);
      if (ex) setState({ example: ex });
      return;
    }
    if (s.busy || traceIsCurrent(s)) return;
    const key = JSON.stringify([s.session.id, s.session.step, s.example.x, s.example.y, s.trace ? 'stale' : 'none']);
    if (key === requested) return; // one attempt per situation (a failure is shown by controls)
    requested = key;
    backward();
  }

  // ------------------------------------------------------------ highlight overlay
  const networkBox = () => document.getElementById('network');
  let highlight = null;
  let overlayFrame = null;

  let overlaid = false; // whether the network view carries any lec-* class

  function clearOverlay() {
    overlayWatch.disconnect();
    if (!overlaid) return;
    overlaid = false;
    const box = networkBox();
    if (!box) return;
    for (const node of box.querySelectorAll('.lec-hl, .lec-cached')) node.classList.remove('lec-hl', 'lec-cached');
    box.querySelector('svg')?.classList.remove('lec-focus');
  }

  function applyOverlay() {
    overlayFrame = null;
    const box = networkBox();
    if (!box) return;
    // lecture closed and nothing drawn: nothing to search the network for
    if (!(lectureState().on && highlight) && !overlaid) return;
    overlaid = !!(lectureState().on && highlight);
    const svg = box.querySelector('svg');
    const want = new Map(); // element → classes
    const add = (testid, cls) => {
      const node = box.querySelector(`[data-testid="${testid}"]`);
      if (!node) return;
      if (!want.has(node)) want.set(node, new Set());
      want.get(node).add(cls);
    };
    if (lectureState().on && highlight) {
      for (const e of highlight.edges) {
        add(`edge-${e.layer}-${e.from}-${e.to}`, 'lec-hl');
        add(`edge-${e.layer}-${e.from}-${e.to}-label`, 'lec-hl');
      }
      for (const u of highlight.units) {
        if (u.unit === 0) add(`bias-${u.layer}`, 'lec-hl');
        else {
          add(`unit-${u.layer}-${u.unit}`, 'lec-hl');
          add(`unit-${u.layer}-${u.unit}-values`, 'lec-hl');
        }
      }
      for (const u of highlight.cached) add(`unit-${u.layer}-${u.unit}-values`, 'lec-cached');
      if (highlight.loss) add('loss', 'lec-hl');
    }
    for (const node of box.querySelectorAll('.lec-hl, .lec-cached')) {
      const w = want.get(node) ?? new Set();
      for (const cls of ['lec-hl', 'lec-cached']) if (!w.has(cls)) node.classList.remove(cls);
    }
    for (const [node, classes] of want) for (const cls of classes) if (!node.classList.contains(cls)) node.classList.add(cls);
    if (svg) svg.classList.toggle('lec-focus', !!(lectureState().on && highlight));
  }

  // the network view makes nodes (a rebuild, a label shown for the first time):
  // they get the highlight too. Watched only while the lecture is open.
  const overlayWatch = new MutationObserver(() => scheduleOverlay());
  function scheduleOverlay() {
    const box = networkBox();
    if (box && lectureState().on) overlayWatch.observe(box, { childList: true, subtree: true });
    if (overlayFrame === null) overlayFrame = requestAnimationFrame(applyOverlay);
  }

  // ------------------------------------------------------------ render
  function fitEquation() {
    equation.style.fontSize = '';
    const inner = equation.querySelector('.katex-display') ?? equation.firstElementChild;
    if (!inner) return;
    const avail = equation.clientWidth;
    const need = inner.scrollWidth;
    if (avail > 0 && need > avail) {
      const scale = Math.max(0.55, (avail - 4) / need);
      equation.style.fontSize = `${scale.toFixed(3)}em`;
    }
  }

  let renderedKey = null;
  function render(s) {
    const lec = lectureState();
    document.body.classList.toggle('lecture', !!lec.on);
    // written only when they change: a write, even of the same value, is a
    // style invalidation (and a mutation) on every state change
    if (container.hidden !== !lec.on) container.hidden = !lec.on;
    const modeButton = document.getElementById('btn-lecture-mode');
    if (modeButton && modeButton.getAttribute('aria-pressed') !== String(!!lec.on)) modeButton.setAttribute('aria-pressed', String(!!lec.on));
    if (!lec.on) {
      if (renderedKey !== null) {
        renderedKey = null;
        highlight = null;
        clearOverlay();
      }
      return;
    }
    renderExample(s);
    const scene = currentScene();
    const key = [lec.index, s.session, s.trace, s.example, s.learningRate].map((v) => (typeof v === 'object' ? v : String(v)));
    const same = renderedKey && key.every((v, i) => v === renderedKey[i]);
    if (same) return;
    renderedKey = key;

    const index = lec.index;
    progress.textContent = `Scene ${index + 1} of ${count}`;
    barFill.style.width = `${(((index + 1) / count) * 100).toFixed(2)}%`;
    prevBtn.disabled = index <= 0;
    nextBtn.disabled = index >= count - 1;
    for (const b of list.querySelectorAll('button')) {
      const cur = Number(b.dataset.index) === index;
      if (cur) b.setAttribute('aria-current', 'step');
      else b.removeAttribute('aria-current');
    }
    container.dataset.scene = scene.id;
    container.dataset.index = String(index);

    const network = s.session?.network ?? null;
    const ctx = makeContext({ session: s.session, trace: s.trace, example: s.example, learningRate: s.learningRate });
    container.dataset.traceKind = ctx.kind ?? 'none';
    container.dataset.step = ctx.kind === 'step' ? String(ctx.data.step) : '';
    const view = network ? sceneFor(scene, network) : { title: scene.title, text: scene.text, equation: scene.equation, general: false };
    title.textContent = prettyText(view.title ?? scene.title);
    text.textContent = prettyText(network ? resolveTemplate(view.text, ctx, { mode: 'text' }).out : scene.text);

    const noteList = network ? networkNotes(scene, network) : [];
    notes.replaceChildren(...noteList.map((n) => el('li', { text: prettyText(n) })));
    notes.hidden = !noteList.length;

    const resolved = network ? resolveTemplate(view.equation, ctx) : { out: '', missing: [], unknown: [] };
    equation.dataset.missing = resolved.missing.join(' ');
    equation.dataset.unknown = resolved.unknown.join(' ');
    katex.render(`\\begin{aligned}${resolved.out}\\end{aligned}`, equation, { ...KATEX_OPTIONS, macros: { ...KATEX_MACROS } });
    requestAnimationFrame(fitEquation);

    // the action line: what the scene is waiting for
    action.replaceChildren();
    const needsStep = scene.requires === 'step';
    if (needsStep && ctx.kind !== 'step') {
      const btn = el('button', { type: 'button', class: 'primary', 'data-testid': 'lecture-apply-step' }, 'Apply one SGD step on this example ', el('kbd', { text: 'S' }));
      btn.addEventListener('click', () => { btn.blur(); step(); });
      action.append(btn, el('span', { class: 'lec-hint', text: ` γ = ${formatNumber(ctx.learningRate ?? network?.learning_rate)}: POST /step with x = (${(s.example?.x ?? []).map((v) => formatNumber(v)).join(', ')}), y* = ${(s.example?.y ?? []).map((v) => formatNumber(v)).join(', ')}` }));
    } else if (needsStep) {
      const before = ctx.data.loss;
      const after = ctx.data.loss_after;
      const verdict = after < before ? 'the loss went down' : after > before ? 'the loss went up — try a smaller γ' : 'the loss did not change';
      action.append(el('span', { class: 'lec-result', 'data-testid': 'lecture-step-result', 'data-loss': String(before), 'data-loss-after': String(after) },
        `Step ${ctx.data.step} applied: L ${formatNumber(before)} → ${formatNumber(after)} (${verdict}). Press S for another step.`));
    } else if (!ctx.kind) {
      action.append(el('span', { class: 'lec-hint', text: 'Computing the trace for this example…' }));
    }
    action.hidden = !action.childNodes.length;

    highlight = network ? resolveHighlight(scene, network, ctx) : null;
    if (JSON.stringify(lec.highlight ?? null) !== JSON.stringify(highlight)) {
      queueMicrotask(() => setLecture({ highlight }));
    }
    scheduleOverlay();
  }

  // ------------------------------------------------------------ subscriptions
  let pendingPhase = false;
  subscribe((s, prev) => {
    const lec = s.lecture;
    const was = prev.lecture;
    render(s);
    if (!lec?.on) return;
    // a fresh trace arrived: show the scene's phase (after player.present() has started)
    if (s.phases !== prev.phases && s.trace) {
      if (s.trace !== prev.trace && s.trace.kind !== 'step') traceMark = { trace: s.trace, id: s.session?.id, step: s.session?.step };
      if (!pendingPhase) {
        pendingPhase = true;
        queueMicrotask(() => {
          pendingPhase = false;
          const now = getState();
          const range = rangeNow(now);
          if (!range || !now.lecture?.on) return;
          // a range that ends at the trace's last phase may animate there; others are set at once
          if (!now.settings.microstep && range.to === now.phases.length - 1 && !now.settings.instant) return;
          applyPhase('start');
        });
      }
    }
    if (s.trace !== prev.trace && s.trace && s.trace.kind === 'step' && was?.on) traceMark = null;
    queueMicrotask(() => prepare(getState()));
  });
  new ResizeObserver(() => requestAnimationFrame(fitEquation)).observe(equation);
  subscribe((s, prev) => {
    if (s.settings.projector !== prev.settings?.projector) requestAnimationFrame(fitEquation);
  });

  const start = sceneIndexFromHash();
  if (start !== null) open(start);
  render(getState());
  return { open, close, toggle, goto };
}
