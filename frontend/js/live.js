// Live session updates: every open page on a session follows GET /api/sessions/{id}/events,
// so two tabs (or a class's projector and a teacher's laptop) stay in step. A `state` event
// this page did not cause replaces the page's session and says "updated elsewhere"; the echo of
// the page's own change is recognised and dropped. Nothing is applied while a local call,
// animation or training run is in progress: the latest foreign state waits until it ends.
import { committedSession, getState, setState, subscribe } from './state.js';
import * as player from './player.js';

const MINE_KEEP = 32;        // own states remembered until their echo arrives
const MINE_MS = 15000;       // … or for this long
const DRAIN_MS = 100;        // how often a waiting state checks whether the page is idle

/** What makes two session states the same for a reader: counters, undo depth, network, weights. */
export function fingerprint(session) {
  if (!session) return '';
  return JSON.stringify([session.step, session.epoch, session.history, session.network, session.weights]);
}

let source = null;
let sourceId = null;
let mine = [];               // [{print, at}] states this page made, oldest first
let pending = null;          // the latest foreign state waiting for an idle page
let drainTimer = null;
let applying = false;

function remember(session) {
  const print = fingerprint(session);
  const now = Date.now();
  mine = mine.filter((m) => now - m.at < MINE_MS && m.print !== print).slice(-(MINE_KEEP - 1));
  mine.push({ print, at: now });
}

function isOwnEcho(print) {
  const i = mine.findIndex((m) => m.print === print);
  if (i < 0) return false;
  mine.splice(i, 1);         // each change of ours is published once
  return true;
}

function idle() {
  const s = getState();
  // trainInFlight: after Stop, the chunk in flight is still to be shown (its echo is ours)
  return !s.busy && !s.training && !s.trainInFlight && !s.pendingStep && !player.isPlaying();
}

function apply(remote) {
  const s = getState();
  if (!s.session || s.session.id !== remote.id) return;
  if (fingerprint(remote) === fingerprint(committedSession(s))) return;
  applying = true;
  try {
    setState({
      session: remote,
      trace: null,
      phases: [],
      phaseIndex: 0,
      learningRate: remote.network.learning_rate,
      lossHistory: s.lossHistory.filter((h) => h.step <= remote.step),
      notice: `Updated elsewhere: this session is now at step ${remote.step} (another tab or device changed it).`,
    });
  } finally {
    applying = false;
  }
  document.body.dataset.liveUpdates = String(Number(document.body.dataset.liveUpdates || 0) + 1);
}

function drain() {
  drainTimer = null;
  if (!pending) return;
  if (!idle()) {
    drainTimer = setTimeout(drain, DRAIN_MS);
    return;
  }
  const remote = pending;
  pending = null;
  // the page may have made this very state meanwhile (its own step answered after the event)
  if (isOwnEcho(fingerprint(remote))) return;
  apply(remote);
}

function onState(event) {
  let data;
  try {
    data = JSON.parse(event.data);
  } catch {
    return;
  }
  const remote = data.state;
  const s = getState();
  if (!remote || !s.session || remote.id !== s.session.id) return;
  const print = fingerprint(remote);
  // a step being animated is already the server's state (state.js's pendingStep)
  if (print === fingerprint(committedSession(s))) {
    isOwnEcho(print);
    pending = null;
    return;
  }
  if (isOwnEcho(print)) return;
  pending = remote;          // only the newest foreign state matters
  if (!drainTimer) drain();
}

function open(id) {
  close();
  if (!id || typeof EventSource === 'undefined') return;
  sourceId = id;
  source = new EventSource(`/api/sessions/${encodeURIComponent(id)}/events`);
  source.addEventListener('state', onState);
  source.addEventListener('deleted', () => {
    close();
    setState({ notice: 'This session was deleted elsewhere; changes here are no longer saved.' });
  });
  source.addEventListener('open', () => { document.body.dataset.live = 'open'; });
  source.addEventListener('error', () => { document.body.dataset.live = 'reconnecting'; });
}

function close() {
  if (source) source.close();
  source = null;
  sourceId = null;
  pending = null;
  document.body.dataset.live = 'closed';
}

/** Follow the page's session (resubscribing when it changes). */
export function mountLive() {
  subscribe((s, prev) => {
    const mineNow = committedSession(s);
    if (mineNow && mineNow !== committedSession(prev) && !applying) remember(mineNow);
    if (s.session === prev.session) return;
    const id = s.session?.id ?? null;
    if (id !== sourceId) open(id);
  });
  const s = getState();
  if (s.session) {
    remember(s.session);
    open(s.session.id);
  }
}
