// The REST client: same-origin relative URLs under /api only.
// Every call resolves to the parsed JSON body, or throws an ApiError carrying
// the HTTP status, the server's message and (for 422) the field it names.
import { formatNumber } from './format.js';

export class ApiError extends Error {
  constructor(status, message, field = null, body = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.field = field;
    this.body = body;
  }
}

// The lecture's names of the request fields a person types.
const FIELD_NAMES = {
  learning_rate: 'γ', x: 'x', y: 'y*', index: 'example index', X: 'X', Y: 'Y*', batch_size: 'batch size', schedule: 'γ_t',
};
const ELEMENT_NAMES = { x: (i) => `x${i + 1}`, y: (i) => `y*${i + 1}` };
const MAX_MESSAGE = 120; // at most two lines of the status toast

/** The name a person knows a request field by: 'learning_rate' → 'γ', 'y' → 'y*'. */
export function fieldName(field) {
  return FIELD_NAMES[field] ?? field;
}

/** A message fit for the status toast: long numbers shortened (4 significant digits, as the
 * views show them), at most MAX_MESSAGE characters. */
export function tidyMessage(text) {
  const short = String(text).replace(/[-+]?\d[\d.]*(?:e[-+]?\d+)?/gi, (num) => {
    const digits = num.replace(/[^\d]/g, '').length;
    const v = Number(num);
    return digits > 6 && Number.isFinite(v) ? formatNumber(v) : num;
  });
  return short.length > MAX_MESSAGE ? `${short.slice(0, MAX_MESSAGE - 1)}…` : short;
}

function plainMessage(msg) {
  return String(msg)
    .replace(/^Input should be less than or equal to /, 'must be ≤ ')
    .replace(/^Input should be greater than or equal to /, 'must be ≥ ')
    .replace(/^Input should be less than /, 'must be < ')
    .replace(/^Input should be greater than /, 'must be > ')
    .replace(/^Input should be a finite number/, 'must be a finite number')
    .replace(/^Input should be a valid number.*/, 'must be a number')
    .replace(/^Value error, /, '');
}

/** {message, field} of a failed response: the field named once, in the lecture's notation. */
export function describe(status, body) {
  const detail = body && body.detail;
  if (Array.isArray(detail) && detail.length) {
    const first = detail[0];
    const loc = Array.isArray(first.loc) ? first.loc.filter((p) => p !== 'body') : [];
    const field = loc.length ? String(loc[0]) : null;
    let msg = plainMessage(first.msg);
    if (field) {
      const name = fieldName(field);
      for (const prefix of [`${field}: `, `${name}: `]) if (msg.startsWith(prefix)) msg = msg.slice(prefix.length);
      const element = typeof loc[1] === 'number' && ELEMENT_NAMES[field] ? `${ELEMENT_NAMES[field](loc[1])} ` : '';
      return { message: tidyMessage(`${name}: ${element}${msg}`), field };
    }
    return { message: tidyMessage(msg), field: null };
  }
  if (typeof detail === 'string') return { message: tidyMessage(detail), field: null };
  return { message: `HTTP ${status}`, field: null };
}

/** A call to /api`path`: the parsed JSON body (the text with `text: true`), or an ApiError.
 * `headers` are added to the request (class/client.js adds its token). */
export async function request(method, path, body, { text: asText = false, headers = {} } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api${path}`, init);
  } catch (err) {
    throw new ApiError(0, `cannot reach the server (${err.message})`);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  if (asText && response.ok) return text;
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const { message, field } = describe(response.status, parsed);
    throw new ApiError(response.status, message, field, parsed);
  }
  return parsed;
}

const sessionPath = (id, rest = '') => `/sessions/${encodeURIComponent(id)}${rest}`;

export const api = {
  health: () => request('GET', '/health'),
  datasets: () => request('GET', '/datasets'),
  createSession: (spec) => request('POST', '/sessions', spec ?? {}),
  getSession: (id) => request('GET', sessionPath(id)),
  deleteSession: (id) => request('DELETE', sessionPath(id)),
  updateSettings: (id, settings) => request('PATCH', sessionPath(id), settings),
  setWeights: (id, weights) => request('PUT', sessionPath(id, '/weights'), { weights }),
  dataset: (id) => request('GET', sessionPath(id, '/dataset')),
  forward: (id, body) => request('POST', sessionPath(id, '/forward'), body),
  backward: (id, body) => request('POST', sessionPath(id, '/backward'), body),
  step: (id, body = {}) => request('POST', sessionPath(id, '/step'), body),
  train: (id, body) => request('POST', sessionPath(id, '/train'), body),
  undo: (id) => request('POST', sessionPath(id, '/undo')),
  predict: (id, X) => request('POST', sessionPath(id, '/predict'), { X }),
  // a heatmap grid computed on the server: {x1: [lo, hi], x2: [lo, hi], n}
  predictGrid: (id, grid) => request('POST', sessionPath(id, '/predict'), { grid }),
  // every layer's activations on that grid as well: {Y, units: [layer][unit][point]}
  predictUnits: (id, grid) => request('POST', sessionPath(id, '/predict'), { grid, units: true }),
  // the whole training / test part's loss and accuracy of the current weights
  metrics: (id) => request('GET', sessionPath(id, '/metrics')),
  // a runnable script (format 'numpy' | 'torch') that does the session's next step: its text
  exportScript: (id, format) => request('GET', sessionPath(id, `/export?format=${encodeURIComponent(format)}`), undefined, { text: true }),
  gradcheck: (id, body) => request('POST', sessionPath(id, '/gradcheck'), body),
  exportSession: (id) => request('GET', sessionPath(id, '/export')),
  importSession: (doc) => request('POST', '/sessions/import', doc),
  // exercises (issue 14): views/exercise.js, worksheet.js
  createExercise: (id, body) => request('POST', sessionPath(id, '/exercises'), body ?? {}),
  getExercise: (id) => request('GET', `/exercises/${encodeURIComponent(id)}`),
  answerExercise: (id, answers) => request('POST', `/exercises/${encodeURIComponent(id)}/answers`, { answers }),
  revealBlank: (id, blank) => request('POST', `/exercises/${encodeURIComponent(id)}/reveal`, { blank }),
};

export default api;

// Named exports of the same calls, for `import { predict } from './api.js'`.
export const {
  health, datasets, createSession, getSession, deleteSession, updateSettings, setWeights, dataset,
  forward, backward, step, train, undo, predict, predictGrid, predictUnits, metrics, exportScript, gradcheck,
  exportSession, importSession,
} = api;
