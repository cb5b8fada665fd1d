// The teacher's class panel (issue 15): the Class button (key C) opens a class on the page's
// session and shows, large enough for the projector, the join code, the URL, the QR code and the
// number of students. The micro-step the teacher shows is sent as the class's phase, so students
// follow. Questions: a value of the current selection (∂L/∂w, δ, new weight, …) or "click the
// weight with the largest |∂L/∂w|"; the panel shows how many answered and a live histogram (or
// the clicks per weight, also drawn on the network itself: class/heat.js) without the answer;
// Reveal marks the right bin (the right weight) and lists diagnoses.
import { getState, subscribe } from '../state.js';
import { formatNumber, unitLabel, weightLabel, labelUnicode } from '../format.js';
import {
  answeredOf, binsOf, blankOfSelection, classApi, classEvents, clicksOf, diagnosesOf, exampleText, prettyLabel,
} from '../class/client.js';
import { mountHeat } from '../class/heat.js';

// What the teacher can ask about the selection: [value, text, selection kinds it needs]
export const QUESTION_KINDS = [
  ['dL_dW', '∂L/∂w of the selected weight', 'weight'],
  ['W_after', 'the new weight (after the update)', 'weight'],
  ['dL_ds', 'δ = ∂L/∂s of the selected unit', 'unit'],
  ['a', 'the output (activation) of the selected unit', 'unit'],
  ['s', 's = Σ w·a of the selected unit', 'unit'],
  ['loss', 'the loss L on the next example', 'none'],
  ['pick_weight', 'click the weight with the largest |∂L/∂w|', null],
];

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
};

function selectionText(selection, sizes) {
  if (!selection) return 'nothing selected: click a weight or unit on the network';
  try {
    if (selection.kind === 'weight') return labelUnicode(weightLabel(sizes, selection.layer, selection.from, selection.to));
    return labelUnicode(unitLabel(sizes, selection.layer, selection.unit));
  } catch {
    return selection.kind;
  }
}

export function mountClassPanel(button) {
  if (!document.querySelector('link[href$="css/class.css"]')) {
    document.head.append(el('link', { rel: 'stylesheet', href: 'css/class.css' }));
  }
  let cls = null;              // {id, code, teacher_token}
  let source = null;
  let question = null;         // {id, kind, label, open}
  let results = null;
  let students = 0;
  let pollTimer = null;
  let phaseSent = null;
  let phaseBusy = false;
  let heat = null;             // the clicks drawn on the projector's network (pick_weight)

  const panel = el('aside', { id: 'class-panel', class: 'class-panel', 'aria-label': 'Class', 'data-testid': 'class-panel' });
  panel.hidden = true;
  const code = el('div', { class: 'class-code', 'data-testid': 'class-code' });
  const url = el('div', { class: 'class-url', 'data-testid': 'class-url' });
  const qr = el('img', { class: 'class-qr', alt: 'QR code of the join URL', 'data-testid': 'class-qr', width: '160', height: '160' });
  const count = el('div', { class: 'class-students', 'data-testid': 'class-students' });
  const phaseLine = el('div', { class: 'class-phase', 'data-testid': 'class-phase' });
  const hide = el('button', { type: 'button', class: 'class-hide', 'data-testid': 'class-hide', text: 'Hide' });
  const end = el('button', { type: 'button', 'data-testid': 'class-end', text: 'End class' });
  const join = el('section', { class: 'class-join' },
    el('div', { class: 'class-join-text' }, el('div', { class: 'class-join-hint', text: 'Join at' }), url,
      el('div', { class: 'class-join-hint', text: 'with the code' }), code, count, phaseLine),
    qr);

  const kind = el('select', { 'data-testid': 'class-question-kind', 'aria-label': 'what to ask' });
  for (const [value, text] of QUESTION_KINDS) kind.append(el('option', { value, text }));
  const target = el('div', { class: 'class-target', 'data-testid': 'class-target' });
  const ask = el('button', { type: 'button', class: 'primary', 'data-testid': 'class-ask', text: 'Ask' });
  const askRow = el('div', { class: 'class-ask' }, kind, ask, target);

  const qTitle = el('div', { class: 'class-question-title', 'data-testid': 'class-question' });
  const answered = el('div', { class: 'class-answered', 'data-testid': 'class-answered' });
  const histogram = el('div', { class: 'class-histogram', 'data-testid': 'class-histogram' });
  const diagnoses = el('ul', { class: 'class-diagnoses', 'data-testid': 'class-diagnoses' });
  const reveal = el('button', { type: 'button', 'data-testid': 'class-reveal', text: 'Reveal' });
  const again = el('button', { type: 'button', 'data-testid': 'class-again', text: 'Ask again' });
  const csv = el('a', { class: 'button', 'data-testid': 'class-csv', text: 'Download CSV', download: 'class-answers.csv' });
  const message = el('div', { class: 'class-message', role: 'status', 'data-testid': 'class-message' });
  const qBox = el('section', { class: 'class-question-box' }, qTitle, answered, histogram, diagnoses,
    el('div', { class: 'class-buttons' }, reveal, again, csv));
  qBox.hidden = true;

  panel.append(el('header', { class: 'class-head' }, el('h2', { text: 'Live class' }), hide, end), join, askRow, qBox, message);
  document.body.append(panel);

  const say = (text) => { message.textContent = text ?? ''; };
  const failed = (err) => say(err?.message ?? String(err));

  function setOpen(open) {
    panel.hidden = !open;
    document.body.classList.toggle('class-open', open);
    button.setAttribute('aria-pressed', String(open));
  }

  function renderJoin() {
    if (!cls) return;
    code.textContent = cls.code;
    button.replaceChildren(`Class ${cls.code} `, el('kbd', { text: 'C' }));
    const link = new URL(cls.join_url ?? `/class.html?code=${encodeURIComponent(cls.code)}`, window.location.href).href;
    url.textContent = `${window.location.host}/class.html`;
    url.title = link;
    qr.src = classApi.qrUrl(cls.id, cls.teacher_token);
    csv.href = classApi.csvUrl(cls.id, cls.teacher_token);
    renderCount();
  }

  function renderCount() {
    count.textContent = `${students} student${students === 1 ? '' : 's'}`;
    count.dataset.count = String(students);
  }

  function renderTarget() {
    const s = getState();
    const needs = QUESTION_KINDS.find((k) => k[0] === kind.value)?.[2];
    if (needs === 'none') {
      target.textContent = 'on the session’s next example, as the next Step would use';
      ask.disabled = !cls;
      return;
    }
    if (!needs) {
      target.textContent = 'students click a weight on their network';
      ask.disabled = !cls;
      return;
    }
    const sel = s.selection;
    const ok = sel && sel.kind === needs && !(needs === 'unit' && sel.layer === 0);
    target.textContent = ok
      ? `about ${selectionText(sel, s.session.network.layers)}, on the next example at the current weights (what the next Step computes)`
      : `select a ${needs} on the network first`;
    ask.disabled = !cls || !ok;
  }

  function weightName(w) {
    return labelUnicode(weightLabel(getState().session.network.layers, w.layer + 1, w.i + 1, w.j + 1));
  }

  function bar(label, n, max, right) {
    const node = el('div', { class: 'bin', 'data-count': String(n) },
      el('span', { class: 'bin-label', text: label }),
      el('span', { class: 'bin-bar', style: `width:${(100 * n) / max}%` }),
      el('span', { class: 'bin-count', text: String(n) }));
    if (right) {
      node.classList.add('correct');
      node.dataset.right = 'true';
    }
    return node;
  }

  // Anonymous on the projector: counts only. The right bin and the diagnoses once revealed.
  function renderHeat() {
    const box = document.getElementById('network');
    if (!heat && box && question?.kind === 'pick_weight') heat = mountHeat(box);
    if (!heat) return;
    if (question?.kind === 'pick_weight' && cls) heat.show(results, getState().session.network.layers);
    else heat.clear();
  }

  function renderQuestion() {
    qBox.hidden = !question;
    renderHeat();
    if (!question) return;
    const revealed = results?.status === 'revealed' || (results?.expected !== null && results?.expected !== undefined);
    qBox.dataset.status = revealed ? 'revealed' : 'open';
    qTitle.textContent = `Question${question.round > 1 ? ` (round ${question.round})` : ''}: ${prettyLabel(question.label)}${exampleText(question.example)}`;
    const n = answeredOf(results);
    answered.textContent = `${n} answered${students ? ` of ${students}` : ''}`;
    answered.dataset.count = String(n);
    reveal.disabled = revealed;
    again.disabled = false; // vote, discuss, vote again: before or after the reveal
    histogram.replaceChildren();
    histogram.dataset.kind = question.kind;
    if (question.kind === 'pick_weight') {
      const clicks = clicksOf(results);
      const max = Math.max(1, ...clicks.map((c) => c.count));
      for (const c of clicks) histogram.append(bar(weightName(c), c.count, max, revealed && c.right));
    } else {
      const bins = binsOf(results);
      const max = Math.max(1, ...bins.map((b) => b.count));
      for (const b of bins) {
        const label = b.lo === b.hi ? formatNumber(b.lo) : `${formatNumber(b.lo)} … ${formatNumber(b.hi)}`;
        histogram.append(bar(label, b.count, max, revealed && b.right));
      }
    }
    histogram.dataset.total = String([...histogram.children].reduce((t, b) => t + Number(b.dataset.count), 0));
    diagnoses.replaceChildren();
    if (revealed) {
      const expected = results.expected;
      const text = typeof expected === 'number' ? formatNumber(expected) : weightName(expected);
      diagnoses.append(el('li', { class: 'expected', 'data-testid': 'class-expected',
        text: `right answer: ${text} · ${results.correct ?? 0} of ${n} right` }));
      for (const d of diagnosesOf(results)) {
        const value = typeof d.value === 'number' ? ` (gives ${formatNumber(d.value)})` : '';
        diagnoses.append(el('li', { 'data-code': d.code, text: `${d.count} × ${prettyLabel(d.message) || d.code.replaceAll('_', ' ')}${value}` }));
      }
    }
  }

  const current = (d) => question && d && d.question_id === question.id && (d.round ?? question.round) === question.round;

  async function refreshResults() {
    if (!cls || !question) return;
    try {
      const r = await classApi.results(cls.id, cls.teacher_token, question.id);
      if (current(r)) {
        results = r;
        renderQuestion();
      }
    } catch (err) {
      if (err.status !== 404) failed(err);
    }
  }

  function noteStudents(data) {
    const n = data?.students;
    if (typeof n === 'number' && n !== students) {
      students = n;
      renderCount();
      renderQuestion();
    }
  }

  function listen() {
    source?.close();
    source = classEvents(cls.id, cls.teacher_token, {
      students: noteStudents,
      question: (d) => {
        if (!question || d.question_id !== question.id || d.round !== question.round) {
          question = { id: d.question_id, kind: d.kind, label: d.label, round: d.round, example: d.example };
          results = null;
        } else {
          question = { ...question, label: d.label, kind: d.kind, example: d.example };
        }
        renderQuestion();
      },
      results: (d) => {
        if (!current(d)) return;
        results = { ...results, ...d };
        renderQuestion();
      },
      reveal: (d) => {
        if (!current(d)) return;
        results = { ...results, ...d };
        renderQuestion();
      },
      closed: (d) => close(d?.reason === 'idle' ? 'The class ended after a long idle time.' : 'The class has ended.'),
    });
  }

  const STORE = (sid) => `bpx-class-${sid}`;

  function close(text) {
    if (cls) {
      try { sessionStorage.removeItem(STORE(cls.session_id)); } catch { /* storage unavailable */ }
    }
    source?.close();
    source = null;
    clearInterval(pollTimer);
    cls = null;
    question = null;
    results = null;
    students = 0;
    code.textContent = '';
    qBox.hidden = true;
    renderHeat();
    setOpen(false);
    button.textContent = '';
    button.append('Class ', el('kbd', { text: 'C' }));
    document.body.dataset.classId = '';
    if (text) say(text);
  }

  async function openClass() {
    const s = getState();
    if (!s.session) return;
    say('');
    try {
      cls = await classApi.create(s.session.id);
    } catch (err) {
      setOpen(true);
      failed(err);
      return;
    }
    cls.session_id = s.session.id;
    try { sessionStorage.setItem(STORE(cls.session_id), JSON.stringify(cls)); } catch { /* storage unavailable */ }
    run();
  }

  function run() {
    document.body.dataset.classId = cls.id;
    students = 0;
    renderJoin();
    renderTarget();
    setOpen(true);
    listen();            // on connect: students, the current question, its results and reveal
    phaseSent = null;
    sendPhase();
    clearInterval(pollTimer);
    pollTimer = setInterval(() => { if (question) refreshResults(); }, 1500);
  }

  // A reload of the projector page keeps its class (this tab's storage holds the teacher token).
  async function resume(sessionId) {
    let saved;
    try { saved = JSON.parse(sessionStorage.getItem(STORE(sessionId)) ?? 'null'); } catch { saved = null; }
    if (!saved || cls) return;
    try {
      await classApi.get(saved.id, saved.teacher_token);
    } catch {
      try { sessionStorage.removeItem(STORE(sessionId)); } catch { /* storage unavailable */ }
      return;
    }
    if (cls || getState().session?.id !== sessionId) return;
    cls = saved;
    run();
  }

  // the micro-step the teacher shows, as the class's phase (the latest one, one call at a time)
  async function sendPhase() {
    if (!cls || phaseBusy) return;
    const s = getState();
    const phase = s.phases.length ? s.phaseIndex : 0;
    const text = s.phases[s.phaseIndex]?.title ?? 'no step shown';
    phaseLine.textContent = `students see: ${s.phases.length ? `${s.phaseIndex + 1} / ${s.phases.length}` : '—'} · ${text}`;
    const key = `${s.session?.step}:${s.trace?.kind ?? ''}:${phase}`;
    if (key === phaseSent) return;
    phaseBusy = true;
    try {
      await classApi.phase(cls.id, cls.teacher_token, phase);
      phaseSent = key;
      panel.dataset.phase = String(phase);
    } catch (err) {
      failed(err);
      phaseSent = key;
    } finally {
      phaseBusy = false;
    }
    if (cls) {
      const now = getState();
      const nowKey = `${now.session?.step}:${now.trace?.kind ?? ''}:${now.phases.length ? now.phaseIndex : 0}`;
      if (nowKey !== phaseSent) sendPhase();
    }
  }

  async function askQuestion() {
    if (!cls) return;
    const s = getState();
    let body;
    let label;
    if (kind.value === 'pick_weight') {
      body = { kind: 'pick_weight' };
      label = 'click the weight with the largest |∂L/∂w|';
    } else if (kind.value === 'loss') {
      body = { blank: { quantity: 'loss' } };
      label = 'L';
    } else {
      const blank = blankOfSelection(s.selection, kind.value);
      if (!blank) {
        say('Select a weight or unit on the network first.');
        return;
      }
      body = { blank };
      const what = QUESTION_KINDS.find((k) => k[0] === kind.value)[1].replace(/ of the selected (weight|unit)/, '');
      label = `${what} for ${selectionText(s.selection, s.session.network.layers)}`;
    }
    try {
      const made = await classApi.ask(cls.id, cls.teacher_token, body);
      if (!question || question.id !== made.question_id) {
        question = { id: made.question_id, kind: body.kind ?? 'blank', label, round: 1 };
        results = null;
      }
      say('');
      renderQuestion();
      refreshResults();
    } catch (err) {
      failed(err);
    }
  }

  ask.addEventListener('click', askQuestion);
  kind.addEventListener('change', renderTarget);
  reveal.addEventListener('click', async () => {
    if (!cls || !question) return;
    try {
      const r = await classApi.reveal(cls.id, cls.teacher_token, question.id);
      if (current(r)) results = r;
      renderQuestion();
    } catch (err) {
      failed(err);
    }
  });
  again.addEventListener('click', async () => {
    if (!cls || !question) return;
    try {
      const r = await classApi.reopen(cls.id, cls.teacher_token, question.id);
      question = { ...question, id: r.question_id, round: r.round };
      results = null;
      renderQuestion();
      refreshResults();
    } catch (err) {
      failed(err);
    }
  });
  end.addEventListener('click', async () => {
    if (!cls) return;
    try {
      await classApi.end(cls.id, cls.teacher_token);
    } catch (err) {
      if (err.status !== 404) failed(err);
    }
    close('Class ended.');
  });
  hide.addEventListener('click', () => setOpen(false));
  button.addEventListener('click', () => {
    if (!cls) openClass();
    else setOpen(panel.hidden);
  });

  subscribe((s, prev) => {
    if (s.selection !== prev.selection || s.session !== prev.session) renderTarget();
    if (cls && (s.phaseIndex !== prev.phaseIndex || s.phases !== prev.phases)) sendPhase();
    if (!cls && s.session && s.session.id !== prev.session?.id) resume(s.session.id);
    if (cls && prev.session && s.session && s.session.id !== prev.session.id) {
      say('This page now shows another session; the class still follows the one it was opened on.');
    }
  });
  renderTarget();
  if (getState().session) resume(getState().session.id);
}
