// The class REST API (issue 15 item 5) for the teacher panel and the student page: same-origin
// /api/classes…, the role's token as `Authorization: Bearer`, through api.js's request (its
// errors: ApiError with the server's message).
import { request } from '../api.js';
import { formatNumber, labelUnicode } from '../format.js';

export function call(method, path, { token = null, body } = {}) {
  return request(method, path, body, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
}

const cls = (id, rest = '') => `/classes/${encodeURIComponent(id)}${rest}`;
const q = (id, qid, rest = '') => cls(id, `/questions/${encodeURIComponent(qid)}${rest}`);

export const classApi = {
  create: (sessionId) => call('POST', '/classes', { body: { session_id: sessionId } }),
  join: (code, name) => call('POST', '/classes/join', { body: name ? { code, name } : { code } }),
  phase: (id, token, phase) => call('POST', cls(id, '/phase'), { token, body: { phase } }),
  ask: (id, token, body) => call('POST', cls(id, '/questions'), { token, body }),
  answer: (id, token, qid, body) => call('POST', q(id, qid, '/answers'), { token, body }),
  results: (id, token, qid) => call('GET', q(id, qid, '/results'), { token }),
  reveal: (id, token, qid) => call('POST', q(id, qid, '/reveal'), { token }),
  reopen: (id, token, qid) => call('POST', q(id, qid, '/reopen'), { token }),
  end: (id, token) => call('DELETE', cls(id), { token }),
  fork: (id, token) => call('POST', cls(id, '/fork'), { token }),
  csvUrl: (id, token) => `/api${cls(id, '/answers.csv')}?token=${encodeURIComponent(token)}`,
  qrUrl: (id, token) => `/api${cls(id, '/qr.svg')}?token=${encodeURIComponent(token)}`,
  get: (id, token) => call('GET', cls(id), { token }),
};

/** The class's event stream (EventSource cannot send headers: the token goes in the query).
 * handlers: {state, question, results, reveal, closed, …}: each gets the parsed data. */
export function classEvents(id, token, handlers) {
  const source = new EventSource(`/api${cls(id, '/events')}?token=${encodeURIComponent(token)}`);
  for (const [name, fn] of Object.entries(handlers)) {
    if (name === 'open' || name === 'error') {
      source.addEventListener(name, fn);
      continue;
    }
    source.addEventListener(name, (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        data = event.data;
      }
      fn(data);
    });
  }
  return source;
}

// ---------------------------------------------------------------- shapes the views share

/** A blank question's bins: [{lo, hi, count, right}] (lo = hi: one value's bar). */
export function binsOf(results) {
  const h = results?.histogram;
  if (!Array.isArray(h)) return [];
  return h.map((b) => ({ lo: b.lo ?? null, hi: b.hi ?? null, count: b.count ?? 0, right: !!b.right }));
}

const sameWeight = (a, b) => !!a && !!b && a.layer === b.layer && a.i === b.i && a.j === b.j;

/** Clicks per weight of a pick-the-weight question: [{layer, i, j, count, right}]. */
export function clicksOf(results) {
  const c = results?.clicks;
  if (!Array.isArray(c)) return [];
  const expected = results?.expected && typeof results.expected === 'object' ? results.expected : null;
  return c.map((w) => ({ layer: w.layer, i: w.i, j: w.j, count: w.count ?? 0, right: sameWeight(w, expected) }));
}

export function answeredOf(results) {
  return results?.answered ?? 0;
}

/** The diagnoses with counts, most frequent first: [{code, count, value, message}]. */
export function diagnosesOf(results) {
  const d = results?.diagnoses;
  return Array.isArray(d) ? d : [];
}

export { sameWeight };

/** A UI selection (state.js) as an exercise blank / answer weight (0-based, i = -1 for the bias). */
export function blankOfSelection(selection, quantity) {
  if (!selection) return null;
  if (selection.kind === 'weight') {
    const layer = selection.layer - 1;
    const j = selection.to - 1;
    if (selection.from === 0) {
      const q = { dL_dW: 'dL_db', W_after: 'b_after' }[quantity] ?? quantity;
      return { quantity: q, layer, unit: j };
    }
    return { quantity, layer, i: selection.from - 1, j };
  }
  if (selection.kind === 'unit' && selection.layer > 0) {
    return { quantity, layer: selection.layer - 1, unit: selection.unit - 1 };
  }
  return null;
}

export function weightOfSelection(selection) {
  if (!selection || selection.kind !== 'weight') return null;
  return { layer: selection.layer - 1, i: selection.from - 1, j: selection.to - 1 };
}

export function selectionOfWeight(w) {
  return { kind: 'weight', layer: w.layer + 1, from: w.i + 1, to: w.j + 1 };
}

/** The server's plain-text labels ("δ_2^h", "∂L/∂w_12^o") in Unicode sub/superscripts, as
 * format.js's labelUnicode writes the page's own labels ("δ₂ʰ", "∂L/∂w₁₂ᵒ"). */
export function prettyLabel(text) {
  return String(text ?? '')
    .replace(/_(\(\d+\)|[\d,]+)/g, (_, sub) => labelUnicode({ base: '', sub, sup: '' }))
    .replace(/\^(\(\d+\)|[ho\d]+)/g, (_, sup) => labelUnicode({ base: '', sub: '', sup }));
}

/** " for x = (1, −1), y* = 1" of a question's frozen example. */
export function exampleText(example) {
  if (!example || !Array.isArray(example.x)) return '';
  const v = (a) => a.map((x) => formatNumber(x)).join(', ');
  return ` for x = (${v(example.x)}), y* = ${v(example.y ?? [])}`;
}

