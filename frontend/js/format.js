// Pure display formatting: numbers and the lecture's labels. No DOM.
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
// Labels (lecture notation): input units x1, x2, …; hidden units z1, z2, …;
// output y (one output unit) or y1, y2, …. Weights w_ij with i = 0 for the
// bias; a 2-layer net (one hidden layer) uses the superscripts h and o, deeper
// nets the layer number, e.g. w_12^(3). Deeper nets also tag hidden units with
// their layer: z_1^(2).

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

/** Sizes -> number of non-input layers. */
function depth(layerSizes) {
  return layerSizes.length - 1;
}

/**
 * Label of a unit. layer: 0 = input, 1..N non-input (N = output); unit 1-based.
 * Returns {base, sub, sup} (sup '' when none).
 */
export function unitLabel(layerSizes, layer, unit) {
  const n = depth(layerSizes);
  if (layer === 0) return { base: 'x', sub: String(unit), sup: '' };
  if (layer === n) {
    return layerSizes[n] === 1 ? { base: 'y', sub: '', sup: '' } : { base: 'y', sub: String(unit), sup: '' };
  }
  return { base: 'z', sub: String(unit), sup: n > 2 ? `(${layer})` : '' };
}

/** Superscript used for the weights of non-input layer `layer`. */
export function weightSuperscript(layerSizes, layer) {
  const n = depth(layerSizes);
  if (n === 2) return layer === 1 ? 'h' : 'o';
  if (n === 1) return 'o';
  return `(${layer})`;
}

/**
 * Label of the weight from unit `from` of the layer below (0 = bias) to unit
 * `to` (1-based) of non-input layer `layer`: {base: 'w', sub: '12', sup: 'h'}.
 */
export function weightLabel(layerSizes, layer, from, to) {
  const sub = from > 9 || to > 9 ? `${from},${to}` : `${from}${to}`;
  return { base: 'w', sub, sup: weightSuperscript(layerSizes, layer) };
}

/** Plain-text form of a label: "w_12^h", "z_1^(2)", "x1", "y". */
export function labelText(label) {
  let text = label.base;
  if (label.sub) text += label.sup || label.sub.length > 1 ? `_${label.sub}` : label.sub;
  if (label.sup) text += `^${label.sup}`;
  return text;
}

const SUB_DIGITS = { 0: '₀', 1: '₁', 2: '₂', 3: '₃', 4: '₄', 5: '₅', 6: '₆', 7: '₇', 8: '₈', 9: '₉', ',': ',', '(': '₍', ')': '₎' };
const SUP_CHARS = { 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹', h: 'ʰ', o: 'ᵒ', '(': '⁽', ')': '⁾' };

/** Unicode form of a label for plain text places: "w₁₂ʰ", "z₁⁽²⁾". */
export function labelUnicode(label) {
  const sub = [...label.sub].map((c) => SUB_DIGITS[c] ?? c).join('');
  const sup = [...label.sup].map((c) => SUP_CHARS[c] ?? c).join('');
  return label.base + sub + sup;
}

/** Human name of a layer: "input", "hidden", "hidden 2", "output". */
export function layerName(layerSizes, layer) {
  const n = depth(layerSizes);
  if (layer === 0) return 'input';
  if (layer === n) return 'output';
  return n > 2 ? `hidden ${layer}` : 'hidden';
}

/** "2-2-1" */
export function architectureText(layerSizes) {
  return layerSizes.join('-');
}
