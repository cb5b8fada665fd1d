// The student page (class.html): join with the code, follow the teacher's network and phase
// live (views/network.js and views/phase.js as read-only views of this page's own state.js),
// answer the teacher's questions, see after the reveal whether the answer was right, explore a
// private copy in the explorer and come back. Nothing here changes the teacher's session.
import { getState, setState, subscribe } from '../state.js';
import { buildPhases, clampPhase } from '../timeline.js';
import { formatNumber, labelUnicode, weightLabel } from '../format.js';
import { mountNetwork } from '../views/network.js';
import { mountPhase } from '../views/phase.js';
import { classApi, classEvents, exampleText, prettyLabel, selectionOfWeight, weightOfSelection } from './client.js';
import { parseAnswer } from './answer.js';
import { keepInView } from './viewport.js';
import { loadMeta } from '../notation.js';

const $ = (id) => document.getElementById(id);
const STORE = 'bpx-class-student';

let me = null;               // {class_id, student_id, student_token, code, name}
let source = null;
let latest = null;           // the teacher's latest {session, phase}
let question = null;         // the open question's event data
let exploring = false;
let exploreWindow = null;
let mounted = false;

function info(text) {
  $('class-info').textContent = text;
}

function showJoin(error = '') {
  $('join').hidden = false;
  $('follow').hidden = true;
  $('join-error').textContent = error;
  document.body.dataset.joined = 'false';
}

function showFollow() {
  $('join').hidden = true;
  $('follow').hidden = false;
  document.body.dataset.joined = 'true';
  if (!mounted) {
    mounted = true;
    mountPhase($('phase'));
    mountNetwork($('network'));
    subscribe(onSelection);
  }
  info(`code ${me.code}${me.name ? ` · ${me.name}` : ''}`);
}

// ---------------------------------------------------------------- following

// The class's `state` event: {phase, resync, state: <the teacher's session state without its
// id>, last_step: null | the /step answer that led to it}.
function onState(data) {
  const st = data?.state;
  if (!st || !st.network || !st.weights) return;
  // the student never learns the teacher's session id: a local name for this page's store
  latest = { session: { ...st, id: `class-${me.class_id}` }, phase: data.phase ?? 0, step: data.last_step ?? null };
  follow();
}

function follow() {
  if (!latest || exploring) return;
  const s = getState();
  const { session, step } = latest;
  const patch = { session };
  if (step !== (s.trace?.data ?? null)) {
    // The teacher's micro-step is an index into the step's phases (forward, loss, backward,
    // update); before the first step (or after an undo) there is none to follow.
    patch.trace = step ? { kind: 'step', data: step } : null;
    patch.phases = step ? buildPhases(step, session.network) : [];
  }
  patch.phaseIndex = clampPhase(patch.phases ?? s.phases, latest.phase);
  setState(patch);
  document.body.dataset.step = String(session.step);
  document.body.dataset.phaseIndex = String(getState().phaseIndex);
  $('mode').textContent = `following the teacher · step ${session.step}`;
  $('waiting').hidden = !!step;
}

// ---------------------------------------------------------------- questions

function questionId(d) {
  return d?.question_id ?? d?.id ?? null;
}

function onQuestion(data) {
  if (question && questionId(data) === questionId(question) && data.round === question.round) {
    question = data;             // the same round again (a reconnect): keep what was typed
    if (data.status === 'revealed') onReveal(data);
    return;
  }
  question = data;
  $('answered').textContent = '';
  const box = $('question');
  box.hidden = false;
  box.dataset.kind = data.kind ?? 'value';
  box.dataset.state = 'open';
  const pick = data.kind === 'pick_weight';
  $('question-title').textContent = data.label ? `${pick ? '' : 'What is '}${prettyLabel(data.label)}${pick ? '' : `${exampleText(data.example)}?`}` : (pick ? 'Click the weight with the largest |∂L/∂w|' : 'Your answer?');
  $('answer-form').hidden = pick;
  $('pick-hint').hidden = !pick;
  $('answer-status').textContent = pick ? '' : 'Type a number and press Send (you can change it until the reveal).';
  $('answer-result').textContent = '';
  $('answer-result').className = 'answer-result';
  $('answer-value').value = '';
  $('answer-value').disabled = false;
  $('answer-go').disabled = false;
  if (pick) setState({ selection: null });
  box.scrollIntoView({ block: 'nearest' });
  document.body.dataset.question = String(questionId(data));
}

async function send(body) {
  if (!question) return;
  const qid = questionId(question);
  try {
    await classApi.answer(me.class_id, me.student_token, qid, body);
    $('answer-status').textContent = body.weight
      ? `You picked ${weightText(body.weight)} (tap another to change it until the reveal).`
      : `Sent: ${formatNumber(body.value)} (you can change it until the reveal).`;
    $('question').dataset.state = 'answered';
  } catch (err) {
    $('answer-status').textContent = `Not sent: ${err.message}`;
  }
}

function weightText(w) {
  try {
    return labelUnicode(weightLabel(getState().session.network.layers, w.layer + 1, w.i + 1, w.j + 1));
  } catch {
    return `w(${w.layer}, ${w.i}, ${w.j})`;
  }
}

function onSelection(s, prev) {
  if (s.selection === prev.selection || !question || question.kind !== 'pick_weight') return;
  if ($('question').dataset.state === 'revealed') return;
  const w = weightOfSelection(s.selection);
  if (w) send({ weight: w });
}

async function onReveal(data) {
  if (!question || questionId(data) !== questionId(question) || (data.round ?? question.round) !== question.round) return;
  const box = $('question');
  box.dataset.state = 'revealed';
  $('answer-value').disabled = true;
  $('answer-go').disabled = true;
  const expected = data.expected ?? null;
  const shown = expected === null ? '?' : (typeof expected === 'number' ? formatNumber(expected) : weightText(expected));
  const out = $('answer-result');
  out.textContent = `The right answer: ${shown}.`;
  if (question.kind === 'pick_weight' && expected && typeof expected === 'object') {
    setState({ selection: selectionOfWeight(expected) });
  }
  // the server's verdict on this student's own answer (never sent before the reveal)
  let mine;
  try {
    mine = (await classApi.get(me.class_id, me.student_token)).my_answer;
  } catch {
    mine = null;
  }
  if (box.dataset.state !== 'revealed' || questionId(question) !== questionId(data)) return;
  if (!mine || (mine.value === null && !mine.weight)) {
    out.textContent = `You did not answer. The right answer: ${shown}.`;
    out.className = 'answer-result';
    out.dataset.right = 'none';
    return;
  }
  const right = mine.correct === true;
  const why = !right && mine.diagnosis ? ` ${prettyLabel(mine.diagnosis.message)}` : '';
  out.textContent = `${right ? 'Right!' : 'Not quite.'} The right answer: ${shown}.${why}`;
  out.className = `answer-result ${right ? 'right' : 'wrong'}`;
  out.dataset.right = String(right);
}

// ---------------------------------------------------------------- explore

async function explore() {
  // a tab opened now, before the request (a tab opened after an await is a blocked popup)
  const tab = window.open('', '_blank');
  try {
    const fork = await classApi.fork(me.class_id, me.student_token);
    const url = `/?session=${encodeURIComponent(fork.session_id)}`;
    exploring = true;
    $('explore').hidden = true;
    $('back').hidden = false;
    $('mode').textContent = 'exploring on your own (your copy, in the other tab); the class goes on here';
    document.body.dataset.mode = 'exploring';
    if (tab) {
      tab.location.href = url;
      exploreWindow = tab;
    } else {
      window.location.href = url;
    }
  } catch (err) {
    tab?.close();
    $('mode').textContent = `Cannot make a copy: ${err.message}`;
  }
}

function back() {
  exploring = false;
  $('explore').hidden = false;
  $('back').hidden = true;
  document.body.dataset.mode = 'following';
  if (exploreWindow && !exploreWindow.closed) exploreWindow.close();
  exploreWindow = null;
  follow();
}

// ---------------------------------------------------------------- join

function listen() {
  source?.close();
  source = classEvents(me.class_id, me.student_token, {
    state: onState,
    question: onQuestion,
    reveal: onReveal,
    results: (d) => {
      if (question && d.question_id === questionId(question) && d.round === question.round) {
        $('answered').textContent = `${d.answered} answered so far`;
      }
    },
    closed: () => {
      source?.close();
      source = null;
      sessionStorage.removeItem(STORE);
      $('mode').textContent = 'The class has ended.';
      document.body.dataset.closed = 'true';
      $('question').hidden = true;
    },
    error: () => {
      // an EventSource retries by itself; a 403/404 (the class is gone) closes it for good
      if (source && source.readyState === EventSource.CLOSED) showJoin('The class is no longer available.');
    },
  });
}

async function join(event) {
  event.preventDefault();
  const code = $('join-code').value.trim().toUpperCase();
  const name = $('join-name').value.trim();
  $('join-error').textContent = '';
  try {
    const r = await classApi.join(code, name || null);
    me = { ...r, code, name };
    try { sessionStorage.setItem(STORE, JSON.stringify(me)); } catch { /* private mode */ }
    showFollow();
    listen();
  } catch (err) {
    $('join-error').textContent = err.status === 404 ? `No class has the code ${code}.` : err.message;
  }
}

function start() {
  $('join').addEventListener('submit', join);
  $('answer-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const parsed = parseAnswer($('answer-value').value);
    if (parsed.error) {
      $('answer-status').textContent = parsed.error;
      return;
    }
    send({ value: parsed.value });
  });
  $('explore').addEventListener('click', explore);
  $('back').addEventListener('click', back);
  keepInView($('answer-value'));
  keepInView($('join-code'));
  const params = new URL(window.location.href).searchParams;
  if (params.get('code')) $('join-code').value = params.get('code').toUpperCase();
  let saved;
  try { saved = JSON.parse(sessionStorage.getItem(STORE) ?? 'null'); } catch { saved = null; }
  if (saved && (!params.get('code') || params.get('code').toUpperCase() === saved.code)) {
    me = saved;
    showFollow();
    listen();
  } else {
    showJoin();
  }
  document.body.dataset.ready = 'true';
}

// the server's activation and loss formulas (GET /api/meta) before anything is drawn
loadMeta().catch(() => {}).finally(start);
