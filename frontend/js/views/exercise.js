// Exercise mode (key x, toolbar "Exercise"): the values of one step on the current network
// and example as blanks, graded by the server as each is typed (Enter = one POST answers).
// Green when right; red with the server's diagnosis and a hint when not; the value is shown
// on request ("show") or after max_tries. Settled values stay on screen: a δ once found is
// what the next blanks reuse. The blank being worked on is marked in the network view with
// the class `exercise-current` on the element views/network.js names by data-testid.
import { api } from '../api.js';
import { getState, subscribe } from '../state.js';
import { toggleExercise } from '../controls.js';
import {
  MODES, DEFAULT_RTOL, DEFAULT_ATOL, requestBody, weightOf, parseAnswer, parseSeed,
  parseTolerance, signValue, blankView, applyResult, currentBlank, scoreText, highlightIds,
  problemView, exactText, randomSeed, worksheetUrl, keyBody,
} from '../exercise.js';
import { formatNumber, labelText, weightLabel } from '../format.js';

const MARK = 'exercise-current';

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export function mountExercise(container) {
  const ui = {
    open: false,
    exercise: null,
    body: null,           // the request body that made it
    source: 'current',    // 'current' (explorer's network and example) or 'seed'
    seed: null,
    results: new Map(),   // blank → last result (diagnosis lives only here)
    pending: 0,
    made: 0,              // request counter: a stale response is dropped
    marked: [],
  };

  // ---------------------------------------------------------------- markup
  const modeInputs = MODES.map((m, n) => {
    const input = h('input', { type: 'radio', name: 'exercise-mode', value: m.id, id: `ex-mode-${m.id}`,
      'data-testid': `exercise-mode-${m.id}` });
    if (n === 0) input.checked = true;
    return { m, input, label: h('label', { for: input.id, title: m.text }, input, ` ${m.name}`) };
  });
  const weightNote = h('span', { class: 'ex-weight', 'data-testid': 'exercise-weight' });
  const modes = h('fieldset', { class: 'ex-modes' }, h('legend', { text: 'Mode' }),
    ...modeInputs.map((x) => x.label), weightNote);
  const rtol = h('input', { id: 'ex-rtol', type: 'text', inputmode: 'decimal', size: 4,
    value: String(DEFAULT_RTOL * 100), 'data-testid': 'exercise-rtol' });
  const atol = h('input', { id: 'ex-atol', type: 'text', inputmode: 'decimal', size: 6,
    value: String(DEFAULT_ATOL), 'data-testid': 'exercise-atol' });
  const settings = h('div', { class: 'ex-row ex-settings' },
    h('label', { for: 'ex-rtol', text: 'tolerance ' }), rtol, h('span', { text: ' %' }),
    h('label', { for: 'ex-atol', text: ' absolute floor ' }), atol);
  const seed = h('input', { id: 'ex-seed', type: 'number', min: 0, step: 1, value: String(randomSeed()),
    'data-testid': 'exercise-seed', 'aria-label': 'seed' });
  const btnNew = h('button', { type: 'button', 'data-testid': 'exercise-new',
    title: 'Round-number weights and an example from the seed (the same seed gives the same problem)' },
  'New problem');
  const btnRoll = h('button', { type: 'button', 'data-testid': 'exercise-roll', title: 'another random seed',
    'aria-label': 'random seed' }, '⟳');
  const btnCurrent = h('button', { type: 'button', 'data-testid': 'exercise-current-example',
    title: 'The explorer’s network, weights and example' }, 'This network');
  const btnSheet = h('button', { type: 'button', 'data-testid': 'exercise-worksheet',
    title: 'A printable worksheet of this problem, with its answer key on its own page' }, 'Worksheet');
  const problemRow = h('div', { class: 'ex-row' }, h('label', { for: 'ex-seed', text: 'seed ' }), seed,
    btnRoll, btnNew, btnCurrent, btnSheet);
  const close = h('button', { type: 'button', class: 'ex-close', 'aria-label': 'close the exercise (Esc)',
    'data-testid': 'exercise-close' }, '×');
  const score = h('span', { class: 'ex-score', 'data-testid': 'exercise-score', 'aria-live': 'polite' });
  const problem = h('div', { class: 'ex-problem', 'data-testid': 'exercise-problem' });
  const error = h('div', { class: 'ex-error', role: 'alert', 'data-testid': 'exercise-error', hidden: true });
  const list = h('ol', { class: 'ex-blanks', 'data-testid': 'exercise-blanks' });
  const keys = h('p', { class: 'ex-keys' },
    '↑ ↓ mode · Enter: to the first blank · type a number, Enter · Tab to the next · Esc closes');
  container.append(h('header', { class: 'ex-head' }, h('h2', { id: 'ex-title', text: 'Exercise' }), score, close),
    modes, settings, problemRow, keys, problem, error, list);
  container.setAttribute('role', 'dialog');
  container.setAttribute('aria-labelledby', 'ex-title');
  container.dataset.busy = 'false';
  const rows = new Map();   // blank → {li, input, buttons, show, value, message, hint}

  // ---------------------------------------------------------------- helpers
  const mode = () => modeInputs.find((x) => x.input.checked).m.id;

  function busy(delta) {
    ui.pending += delta;
    container.dataset.busy = String(ui.pending > 0);
  }

  function showError(message) {
    error.textContent = message ?? '';
    error.hidden = !message;
  }

  function updateWeightNote() {
    const s = getState();
    const layers = ui.exercise?.network.layers ?? s.session?.network.layers;
    const w = weightOf(s.selection, layers);
    const label = layers ? labelText(weightLabel(layers, w.layer + 1, w.i + 1, w.j + 1)) : '';
    weightNote.textContent = mode() === 'weight' ? `∂L/∂${label}` : '';
    return w;
  }

  // ---------------------------------------------------------------- requests
  async function create(source = ui.source) {
    const s = getState();
    if (!s.session) return;
    let seedValue = null;
    if (source === 'seed') {
      const p = parseSeed(seed.value);
      if (p.error) { showError(p.error); seed.focus(); return; }
      seedValue = p.seed;
    }
    const tol = parseTolerance(rtol.value, atol.value);
    if (tol.error) { showError(tol.error); (tol.field === 'rtol' ? rtol : atol).focus(); return; }
    const weight = updateWeightNote();
    const body = requestBody({ mode: mode(), example: s.example, seed: seedValue, weight,
      rtol: tol.rtol, atol: tol.atol });
    const ticket = ++ui.made;
    busy(1);
    try {
      const ex = await api.createExercise(s.session.id, body);
      if (ticket !== ui.made) return;
      ui.exercise = ex;
      ui.body = body;
      ui.source = source;
      ui.results = new Map();
      showError(null);
      renderAll();
      const active = document.activeElement;
      if (!container.contains(active) || active === btnNew || active === btnCurrent || list.contains(active)) {
        focusBlank(currentBlank(ex)?.blank ?? null);
      }
    } catch (err) {
      if (ticket === ui.made) showError(err.message);
    } finally {
      busy(-1);
    }
  }

  async function submit(k, value) {
    const ex = ui.exercise;
    const row = rows.get(k);
    if (!ex || !row || row.sending) return;
    row.sending = true;
    busy(1);
    try {
      const out = await api.answerExercise(ex.id, [{ blank: k, value }]);
      if (ui.exercise !== ex && ui.exercise?.id !== ex.id) return;
      const result = out.results[0];
      ui.exercise = { ...applyResult(ui.exercise, result, value), score: out.score };
      ui.results.set(k, result);
      showError(null);
      renderRow(k);
      renderScore();
      const view = blankView(ui.exercise, ui.exercise.blanks[k], result);
      if (view.settled) focusBlank(nextOpen(k));
      else if (row.input) row.input.select();
    } catch (err) {
      showError(err.message);
    } finally {
      row.sending = false;
      busy(-1);
    }
  }

  async function reveal(k) {
    const ex = ui.exercise;
    if (!ex) return;
    busy(1);
    try {
      const out = await api.revealBlank(ex.id, k);
      if (ui.exercise?.id !== ex.id) return;
      const result = out.results[0];
      ui.exercise = { ...applyResult(ui.exercise, result, null, true), score: out.score };
      ui.results.set(k, { ...result, diagnosis: null });
      showError(null);
      renderRow(k);
      renderScore();
      focusBlank(nextOpen(k));
    } catch (err) {
      showError(err.message);
    } finally {
      busy(-1);
    }
  }

  function nextOpen(k) {
    const blanks = ui.exercise.blanks;
    const settled = (b) => b.correct || (b.expected !== null && b.expected !== undefined);
    return (blanks.slice(k + 1).find((b) => !settled(b)) ?? blanks.find((b) => !settled(b)))?.blank ?? null;
  }

  function focusBlank(k) {
    if (k === null || k === undefined) {
      if (list.contains(document.activeElement) || !container.contains(document.activeElement)) close.focus();
      markNetwork();
      return;
    }
    const row = rows.get(k);
    const target = row?.input ?? row?.buttons?.[0];
    if (target) {
      target.focus();
      if (row.input) row.input.select();
    }
    markNetwork();
  }

  // ---------------------------------------------------------------- rendering
  function renderAll() {
    const ex = ui.exercise;
    rows.clear();
    list.replaceChildren();
    renderProblem();
    renderScore();
    if (!ex) return;
    for (const b of ex.blanks) {
      const id = `ex-blank-${b.blank}`;
      const label = h('label', { class: 'ex-label', for: ex.kind === 'sign' ? null : id, text: b.label });
      const row = { li: null, input: null, buttons: null };
      let field;
      if (ex.kind === 'sign') {
        row.buttons = ['+', '-'].map((sgn) => {
          const btn = h('button', { type: 'button', class: 'ex-sign', 'data-sign': sgn,
            'data-testid': `blank-${b.blank}-${sgn === '+' ? 'plus' : 'minus'}`,
            'aria-label': `${b.label} is ${sgn === '+' ? 'positive' : 'negative'}` }, sgn === '+' ? '+' : '−');
          btn.addEventListener('click', () => submit(b.blank, signValue(sgn)));
          btn.addEventListener('focus', markNetwork);
          return btn;
        });
        field = h('span', { class: 'ex-signs', role: 'group', 'aria-label': `sign of ${b.label}` }, ...row.buttons);
      } else {
        row.input = h('input', { id, type: 'text', inputmode: 'decimal', autocomplete: 'off', spellcheck: 'false',
          class: 'ex-input', 'data-testid': `blank-${b.blank}-input`, 'aria-describedby': `ex-fb-${b.blank}` });
        row.input.addEventListener('focus', markNetwork);
        field = row.input;
      }
      row.show = h('button', { type: 'button', class: 'ex-show', 'data-testid': `blank-${b.blank}-show`,
        title: 'Show the value (counts as not answered)' }, 'show');
      row.show.addEventListener('click', () => reveal(b.blank));
      row.value = h('span', { class: 'ex-value', 'data-testid': `blank-${b.blank}-value` });
      row.message = h('span', { class: 'ex-message', 'data-testid': `blank-${b.blank}-message` });
      row.hint = h('span', { class: 'ex-hint', 'data-testid': `blank-${b.blank}-hint` });
      row.li = h('li', { class: 'ex-blank', 'data-blank': b.blank, 'data-testid': `blank-${b.blank}`,
        'data-quantity': b.quantity },
      h('span', { class: 'ex-line' }, label, h('span', { class: 'op', text: ' = ' }), field, row.show, row.value),
      h('div', { class: 'ex-feedback', id: `ex-fb-${b.blank}`, 'aria-live': 'polite' }, row.message, row.hint));
      rows.set(b.blank, row);
      list.append(row.li);
      renderRow(b.blank);
    }
    markNetwork();
  }

  function renderRow(k) {
    const ex = ui.exercise;
    const row = rows.get(k);
    if (!ex || !row) return;
    const v = blankView(ex, ex.blanks[k], ui.results.get(k) ?? null);
    row.li.dataset.status = v.status;
    row.li.dataset.tries = String(v.tries);
    for (const s of ['open', 'correct', 'wrong', 'revealed', 'settled']) row.li.classList.toggle(s, v.status === s);
    const done = v.settled;
    if (row.input) {
      row.input.readOnly = done;
      row.input.tabIndex = done ? -1 : 0;
      row.input.setAttribute('aria-invalid', String(v.status === 'wrong'));
      if (done && v.status !== 'correct' && !row.input.value) row.input.value = '';
      if (v.status === 'correct' && v.lastAnswer !== null && !row.input.value) row.input.value = formatNumber(v.lastAnswer, 6);
    }
    if (row.buttons) {
      for (const btn of row.buttons) {
        btn.disabled = done;
        const chosen = v.lastAnswer !== null && Math.sign(v.lastAnswer) === (btn.dataset.sign === '+' ? 1 : -1);
        btn.classList.toggle('chosen', chosen);
      }
    }
    row.show.hidden = done;
    row.value.textContent = done ? `${v.status === 'correct' ? '✓ ' : ''}${v.expectedText}` : '';
    row.message.textContent = v.message;
    row.hint.textContent = v.hint ? `Hint: ${v.hint}` : '';
  }

  function renderScore() {
    score.textContent = ui.exercise ? scoreText(ui.exercise.score) : '';
    if (ui.exercise) {
      score.dataset.correct = String(ui.exercise.score.correct);
      score.dataset.total = String(ui.exercise.score.total);
    }
  }

  function renderProblem() {
    const ex = ui.exercise;
    problem.replaceChildren();
    if (!ex) return;
    const p = problemView(ex);
    const acts = p.activations.map((a) => `${a.layer} ${a.activation}`).join(', ');
    const line = (text) => h('div', { text });
    const nums = (items) => items.map((r) => `${r.label} = ${exactText(r.value)}`).join(', ');
    problem.append(
      line(`${p.architecture} · ${acts} · loss ${p.loss} · γ = ${exactText(p.learningRate)}`
        + `${p.seed !== null && p.seed !== undefined ? ` · seed ${p.seed}` : ''}`),
      line(`example: ${nums(p.x)}; ${nums(p.y)}`),
      ...p.weights.map((w) => line(`${w.layer}: ${nums(w.rows)}`)),
      line(`right within ${p.tolerance}; ${ex.max_tries} tries a blank`),
    );
    problem.dataset.seed = p.seed ?? '';
  }

  // ---------------------------------------------------------------- the network view
  function markNetwork() {
    for (const node of ui.marked) node.classList.remove(MARK);
    ui.marked = [];
    if (!ui.open || !ui.exercise) return;
    const active = document.activeElement;
    const focused = active?.closest?.('.ex-blank');
    const blank = focused ? ui.exercise.blanks[Number(focused.dataset.blank)] : currentBlank(ui.exercise);
    const net = document.getElementById('network');
    if (!net || !blank) return;
    for (const id of highlightIds(blank)) {
      const node = net.querySelector(`[data-testid="${id}"]`);
      if (node) {
        node.classList.add(MARK);
        ui.marked.push(node);
      }
    }
  }

  // ---------------------------------------------------------------- events
  list.addEventListener('keydown', (ev) => {
    const li = ev.target.closest('.ex-blank');
    if (!li || ev.key !== 'Enter' || ev.target !== rows.get(Number(li.dataset.blank))?.input) return;
    ev.preventDefault();
    const k = Number(li.dataset.blank);
    const row = rows.get(k);
    if (row.input.readOnly) {
      focusBlank(nextOpen(k));
      return;
    }
    const parsed = parseAnswer(row.input.value);
    if (parsed.error) {
      row.message.textContent = parsed.error;
      row.li.dataset.status = 'invalid';
      return;
    }
    submit(k, parsed.value);
  });

  container.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      ev.stopPropagation();
      toggleExercise(false);
      return;
    }
    if (ev.key === 'Enter' && ev.target.name === 'exercise-mode') {
      ev.preventDefault();
      focusBlank(currentBlank(ui.exercise)?.blank ?? null);
    }
    // no explorer shortcut fires from inside the panel (typing, arrows on the mode radios)
    ev.stopPropagation();
  });

  for (const { input } of modeInputs) {
    input.addEventListener('change', () => {
      updateWeightNote();
      create();
    });
  }
  const retune = () => {
    if (!ui.exercise || ui.exercise.score.answered === 0) create();
    else showError('The new tolerance applies to the next problem (New problem or This network).');
  };
  rtol.addEventListener('change', retune);
  atol.addEventListener('change', retune);
  btnNew.addEventListener('click', () => create('seed'));
  btnRoll.addEventListener('click', () => { seed.value = String(randomSeed()); });
  btnCurrent.addEventListener('click', () => create('current'));
  seed.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      create('seed');
    }
  });
  btnSheet.addEventListener('click', () => {
    if (!ui.exercise) return;
    window.open(worksheetUrl(ui.exercise.id, keyBody(ui.exercise, ui.body)), '_blank', 'noopener');
  });
  close.addEventListener('click', () => toggleExercise(false));

  // ---------------------------------------------------------------- open / close
  function setOpen(on) {
    if (on === ui.open) return;
    ui.open = on;
    container.hidden = !on;
    document.body.dataset.exercise = String(on);
    const button = document.getElementById('btn-exercise');
    if (button) button.setAttribute('aria-pressed', String(on));
    if (on) {
      const s = getState();
      const checked = modeInputs.find((x) => x.input.checked).input;
      checked.focus();
      updateWeightNote();
      if (!ui.exercise || ui.exercise.session_id !== s.session?.id) create('current');
      else markNetwork();
    } else {
      markNetwork();
      if (container.contains(document.activeElement)) document.activeElement.blur();
    }
  }

  container.hidden = true;
  subscribe((s, prev) => {
    setOpen(!!s.settings.exercise);
    if (ui.open && (s.selection !== prev.selection)) updateWeightNote();
    // another session (setup, import, lecture preset): exercise on it instead
    if (ui.open && s.session && prev.session && s.session.id !== prev.session.id
        && ui.exercise?.session_id !== s.session.id) create('current');
    // the network view may have redrawn its elements: mark the current blank again
    if (ui.open) requestAnimationFrame(markNetwork);
  });
  setOpen(!!getState().settings.exercise);
}
