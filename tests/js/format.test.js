import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatNumber, parseDisplayed, unitLabel, weightLabel, labelText, labelUnicode, layerName, MINUS,
} from '../../frontend/js/format.js';

test('4 significant digits, trailing zeros stripped', () => {
  assert.equal(formatNumber(0.5), '0.5');
  assert.equal(formatNumber(2), '2');
  assert.equal(formatNumber(0.123456), '0.1235');
  assert.equal(formatNumber(1234.5), '1235');
  assert.equal(formatNumber(0.0012344), '0.001234');
  assert.equal(formatNumber(1), '1');
  assert.equal(formatNumber(10), '10');
  assert.equal(formatNumber(0.1), '0.1');
});

test('negative numbers use the typographic minus', () => {
  assert.equal(formatNumber(-0.25), `${MINUS}0.25`);
  assert.equal(formatNumber(-1.5e-7), `${MINUS}1.5e${MINUS}7`);
});

test('zero, tiny and huge numbers', () => {
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(-0), '0');
  assert.equal(formatNumber(1.5e-5), `1.5e${MINUS}5`);
  assert.equal(formatNumber(0.00099996), `1e${MINUS}3`);
  assert.equal(formatNumber(123456), '1.235e5');
  assert.equal(formatNumber(99996), '1e5');
  assert.equal(formatNumber(9999.7), '1e4');
});

test('missing and non-finite values', () => {
  assert.equal(formatNumber(null), '—');
  assert.equal(formatNumber(undefined), '—');
  assert.equal(formatNumber(NaN), 'NaN');
  assert.equal(formatNumber(Infinity), '∞');
  assert.equal(formatNumber(-Infinity), `${MINUS}∞`);
});

test('displayed numbers parse back within half a unit of the last digit', () => {
  for (const v of [0.5, -0.123456, 3.14159, 2.5e-6, -98765.4321, 0.001]) {
    const back = parseDisplayed(formatNumber(v));
    const exponent = Math.floor(Math.log10(Math.abs(v)));
    assert.ok(Math.abs(back - v) <= 0.5 * 10 ** (exponent - 3) * (1 + 1e-12), `${v} -> ${back}`);
  }
});

test('lecture labels for the 2-2-1 network', () => {
  const sizes = [2, 2, 1];
  assert.equal(labelText(unitLabel(sizes, 0, 1)), 'x1');
  assert.equal(labelText(unitLabel(sizes, 1, 2)), 'z2');
  assert.equal(labelText(unitLabel(sizes, 2, 1)), 'y');
  assert.equal(labelText(weightLabel(sizes, 1, 2, 2)), 'w_22^h');
  assert.equal(labelText(weightLabel(sizes, 2, 0, 1)), 'w_01^o');
  assert.equal(labelUnicode(weightLabel(sizes, 1, 1, 2)), 'w₁₂ʰ');
  assert.equal(layerName(sizes, 1), 'hidden');
  assert.equal(layerName(sizes, 2), 'output');
});

test('deeper nets use layer superscripts', () => {
  const sizes = [2, 4, 4, 3];
  assert.equal(labelText(weightLabel(sizes, 2, 1, 3)), 'w_13^(2)');
  assert.equal(labelText(unitLabel(sizes, 2, 4)), 'z_4^(2)');
  assert.equal(labelText(unitLabel(sizes, 3, 2)), 'y2');
  assert.equal(labelText(weightLabel(sizes, 3, 12, 3)), 'w_12,3^(3)');
  assert.equal(layerName(sizes, 2), 'hidden 2');
});
