// Pure display formatting of numbers (text and LaTeX). No DOM.
//
// Numbers (formatNumber):
//   * null / undefined            -> "—"
//   * NaN, ±Infinity              -> "NaN", "∞", "−∞"
//   * zero (either sign)          -> "0"
//   * 1e-3 <= |v| < 1e4           -> v.toPrecision(4) with trailing zeros (and a
//                                    bare ".") removed: 0.5 -> "0.5", 2 -> "2",
//                                    0.123456 -> "0.1235", 1234.5 -> "1235"
//   * otherwise                   -> 4 significant digits in scientific form,
//                                    mantissa zeros stripped: 1.5e-5 -> "1.5e-5",
//                                    123456 -> "1.235e5"
//   * negative numbers use the typographic minus "−" (U+2212).
// Rounding is JavaScript's toPrecision/toExponential (the exact binary value,
// ties away from zero); tests/e2e mirrors these rules in Python.
//
// Labels: notation.js (re-exported below for the views that import them from here).

export const MINUS = '\u2212';
export const SIGNIFICANT = 4;

function stripZeros(mantissa) {
  if (!mantissa.includes('.')) return mantissa;
  return mantissa.replace(/0+$/, '').replace(/\.$/, '');
}

export function formatNumber(value, digits = SIGNIFICANT) {
  if (value === null || value === undefined) return '—';
  const v = Number(value);
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return `${MINUS}∞`;
  if (v === 0) return '0';
  const abs = Math.abs(v);
  const sign = v < 0 ? MINUS : '';
  let text;
  if (abs >= 1e-3 && abs < 10 ** digits) {
    text = abs.toPrecision(digits);
    if (text.includes('e')) {
      // rounding carried to 10^digits (e.g. 9999.7): fall through to scientific
      text = null;
    } else {
      text = stripZeros(text);
    }
  }
  if (!text) {
    const [mantissa, exponent] = abs.toExponential(digits - 1).split('e');
    const exp = Number(exponent);
    text = `${stripZeros(mantissa)}e${exp < 0 ? MINUS : ''}${Math.abs(exp)}`;
  }
  return sign + text;
}

/** Parse a number displayed by formatNumber back (for tests and inputs). */
export function parseDisplayed(text) {
  return Number(String(text).replaceAll(MINUS, '-').replace('∞', 'Infinity'));
}

// LaTeX of formatNumber's text whose typeset glyphs read back as that same text
// (KaTeX draws "-" as "−"): "−1.5e−5" → "-1.5\\mathrm{e}{-5}"
export function latexNumber(v, digits = SIGNIFICANT) {
  const text = formatNumber(v, digits).replaceAll(MINUS, '-');
  if (text === '—') return '\\text{—}';
  if (text === 'NaN') return '\\text{NaN}';
  if (text.endsWith('∞')) return text.replace('∞', '\\infty');
  const match = /^(-?[\d.]+)e(-?\d+)$/.exec(text);
  return match ? `${match[1]}\\mathrm{e}{${match[2]}}` : text;
}

// The lecture's labels live in notation.js; re-exported for the views that import them from here.
export {
  unitLabel, weightLabel, weightSuperscript, labelText, labelUnicode, layerName,
} from './notation.js';

/** "2-2-1" */
export function architectureText(layerSizes) {
  return layerSizes.join('-');
}
