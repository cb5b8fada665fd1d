// Pure: a typed answer -> a number (the server grades it). No DOM.

/** "−0,25" / "-0.25" / "2.5e-3" -> {value} or {error}. */
export function parseAnswer(text) {
  let t = String(text ?? '').trim().replace(/[\u2212\u2013]/g, '-').replace(/\s+/g, '');
  if (!t.includes('.') && /^-?\d*,\d+(e-?\d+)?$/i.test(t)) t = t.replace(',', '.');
  if (!t) return { error: 'Type a number first.' };
  const value = Number(t);
  if (!Number.isFinite(value)) return { error: `“${text}” is not a number.` };
  return { value };
}
