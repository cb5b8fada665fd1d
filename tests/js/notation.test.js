// node --test tests/js/ — frontend/js/notation.js: every symbol kind in text, unicode and LaTeX,
// the formulas from the server's table (tests/js/fixtures/meta.json = GET /api/meta), a FAKE
// activation that reaches the chain rule, the phase titles and Lecture mode without a code change,
// and a scan that keeps activation names and formulas out of every other frontend file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  notation, symbol, partial, GAMMA, LOSS_SYMBOL, GENERIC, activationNames, lossNames, activationInfo,
  activationValue, activationDerivative, derivativeArithmetic, activationFunction, lossFormula,
  lossGradient, lossGradientArithmetic, derivativeIsOne, fillActivation, fillLoss, prettyText, setMeta,
  simplifiesToResidual, unitLabel, weightLabel, labelText, labelUnicode, layerName,
} from '../../frontend/js/notation.js';
import { buildChainRule, toLatex, toText, factorLines } from '../../frontend/js/chainrule.js';
import { buildPhases } from '../../frontend/js/timeline.js';
import { resolveSymbol, resolveTemplate, makeContext, networkNotes } from '../../frontend/js/lecture.js';
import { formatNumber, latexNumber } from '../../frontend/js/format.js';
import katex from '../../frontend/vendor/katex/katex.mjs';
import { META, installMeta } from './helpers.js';

installMeta();

const KATEX = { throwOnError: true, strict: 'ignore' };
const typesets = (latex) => katex.renderToString(latex, KATEX);

// ------------------------------------------------------------ symbols

test('2-2-1: x_i, z_j, y, y*, s, δ, ∂L/∂a, w_ij^h / w_ij^o, biases w_0j, ∂L/∂w, γ, L', () => {
  const n = notation([2, 2, 1]);
  const cases = [
    [n.unit(0, 1), 'x1', 'x₁', 'x_{1}'],
    [n.unit(1, 2), 'z2', 'z₂', 'z_{2}'],
    [n.unit(2, 1), 'y', 'y', 'y'],
    [n.unit(1, 0), '1', '1', '1'],
    [n.target(1), 'y*', 'y*', 'y^{*}'],
    [n.pre(1, 2), 's_2^h', 's₂ʰ', 's_{2}^{h}'],
    [n.pre(2, 1), 's^o', 'sᵒ', 's^{o}'],
    [n.delta(1, 1), 'δ_1^h', 'δ₁ʰ', '\\delta_{1}^{h}'],
    [n.delta(2, 1), 'δ^o', 'δᵒ', '\\delta^{o}'],
    [n.dL_da(1, 2), '∂L/∂z2', '∂L/∂z₂', '\\frac{\\partial L}{\\partial z_{2}}'],
    [n.dL_da(2, 1), '∂L/∂y', '∂L/∂y', '\\frac{\\partial L}{\\partial y}'],
    [n.weight(1, 2, 2), 'w_22^h', 'w₂₂ʰ', 'w_{22}^{h}'],
    [n.weight(2, 1, 1), 'w_11^o', 'w₁₁ᵒ', 'w_{11}^{o}'],
    [n.weight(1, 0, 2), 'w_02^h', 'w₀₂ʰ', 'w_{02}^{h}'],
    [n.weight(2, 0, 1), 'w_01^o', 'w₀₁ᵒ', 'w_{01}^{o}'],
    [n.dL_dw(1, 2, 2), '∂L/∂w_22^h', '∂L/∂w₂₂ʰ', '\\frac{\\partial L}{\\partial w_{22}^{h}}'],
    [GAMMA, 'γ', 'γ', '\\gamma'],
    [LOSS_SYMBOL, 'L', 'L', 'L'],
  ];
  for (const [sym, text, unicode, latex] of cases) {
    assert.equal(sym.text, text);
    assert.equal(sym.unicode, unicode, text);
    assert.equal(sym.latex, latex, text);
    typesets(sym.latex);
  }
  assert.deepEqual([0, 1, 2].map((l) => n.layerName(l)), ['input', 'hidden', 'output']);
  assert.equal(n.deltaSum(2, 1).text, 'Σ_k w_1k^o δ_k^o');
  typesets(n.deltaSum(2, 1).latex);
});

test('deeper nets: layer superscripts on weights, s, δ and hidden units; several outputs y_k', () => {
  const n = notation([2, 3, 3, 2]);
  assert.equal(n.unit(2, 3).text, 'z_3^(2)');
  assert.equal(n.unit(2, 3).unicode, 'z₃⁽²⁾');
  assert.equal(n.unit(2, 3).latex, 'z_{3}^{(2)}');
  assert.equal(n.unit(3, 2).text, 'y2');
  assert.equal(n.target(2).text, 'y2*');
  assert.equal(n.target(2).latex, 'y_{2}^{*}');
  assert.equal(n.weight(3, 1, 2).text, 'w_12^(3)');
  assert.equal(n.weight(1, 0, 3).latex, 'w_{03}^{(1)}');
  assert.equal(n.pre(3, 1).text, 's_1^(3)');
  assert.equal(n.delta(2, 2).latex, '\\delta_{2}^{(2)}');
  assert.equal(n.layerName(2), 'hidden 2');
  assert.equal(notation([20, 12, 1]).weight(1, 12, 3).text, 'w_12,3^h');
  assert.equal(notation([3, 1]).weight(1, 2, 1).text, 'w_21^o', 'no hidden layer: o');
  // the same rules through format.js's label API
  assert.equal(labelText(unitLabel([2, 3, 3, 2], 2, 3)), 'z_3^(2)');
  assert.equal(labelUnicode(weightLabel([2, 2, 1], 1, 1, 2)), 'w₁₂ʰ');
  assert.equal(labelText({ base: 'w', sub: '12', sup: 'h' }), 'w_12^h');
  assert.equal(layerName([2, 2, 1], 1), 'hidden');
  assert.equal(symbol('x', 12).text, 'x_12');
  assert.equal(partial(symbol('z', 1), symbol('s', 1, 'h')).text, '∂z1/∂s_1^h');
});

test('prettyText turns typed names into sub/superscripts', () => {
  assert.equal(prettyText('w_22^h, w_0j, z2, x1, z_1^(2), δ_2^h, s^o'), 'w₂₂ʰ, w₀ⱼ, z₂, x₁, z₁⁽²⁾, δ₂ʰ, sᵒ');
});

// ------------------------------------------------------------ formulas from the meta

test('the activation list and formulas are the fixture’s (GET /api/meta)', () => {
  assert.deepEqual(activationNames(), META.activations.map((a) => a.name));
  assert.deepEqual(activationNames({ hidden: true }), META.activations.filter((a) => !a.output_only).map((a) => a.name));
  assert.deepEqual(lossNames(), META.losses.map((l) => l.name));
  const n = notation([2, 2, 1]);
  for (const a of META.activations) {
    const v = activationValue(a.name, GENERIC.s);
    assert.equal(v.text, a.value.text.replaceAll('{s}', 's'), a.name);
    typesets(v.latex);
    const d = activationDerivative(a.name, n.unit(1, 2), n.pre(1, 2));
    assert.equal(d.text, a.derivative.text.replaceAll('{a}', 'z2').replaceAll('{s}', 's_2^h').replaceAll('s_2^h²', '(s_2^h)²'), a.name);
    typesets(d.latex);
    typesets(`${activationFunction(a.name).latex}(s)`);
  }
  for (const l of META.losses) {
    assert.equal(lossFormula(l.name).text, `L = ${l.value.text}`);
    typesets(lossFormula(l.name).latex);
    typesets(lossGradient(l.name, n.unit(2, 1), n.target(1)).latex);
  }
  assert.equal(activationFunction('sigmoid').latex, '\\sigma');
  assert.equal(activationFunction('tanh').latex, '\\tanh');
  assert.equal(derivativeIsOne('linear'), true);
  assert.equal(derivativeIsOne('sigmoid'), false);
  assert.equal(simplifiesToResidual('cross_entropy', 'sigmoid'), true);
  assert.equal(simplifiesToResidual('squared', 'sigmoid'), false);
});

test('formulas filled with symbols and with numbers (their own arithmetic)', () => {
  const n = notation([2, 2, 1]);
  const sig = activationInfo('sigmoid').derivative;
  assert.equal(fillActivation(sig, n.unit(1, 2), n.pre(1, 2)).text, 'z2(1 − z2)');
  assert.equal(fillActivation(sig, n.unit(1, 2), n.pre(1, 2)).unicode, 'z₂(1 − z₂)');
  assert.equal(fillActivation(sig, n.unit(1, 2), n.pre(1, 2)).latex, 'z_{2}(1 - z_{2})');
  // the example: z2(1 − z2) at z2 = 0.1978
  assert.equal(derivativeArithmetic('sigmoid', 0.1978, -1.4).text, '0.1978(1 − 0.1978)');
  assert.equal(derivativeArithmetic('tanh', -0.5, -0.55).text, '(1 − (−0.5)²)');
  assert.equal(derivativeArithmetic('relu', 0, -0.25).text, '[(−0.25) > 0]');
  assert.equal(derivativeArithmetic('linear', 1, 1), null, 'nothing to compute');
  // deeper nets: a symbol with a superscript is parenthesised before a power
  const d = notation([2, 3, 3, 1]);
  assert.equal(activationDerivative('tanh', d.unit(1, 3), d.pre(1, 3)).text, '(1 − (z_3^(1))²)');
  assert.equal(activationDerivative('tanh', d.unit(1, 3), d.pre(1, 3)).latex, '(1 - \\left(z_{3}^{(1)}\\right)^{2})');
  // the losses' ∂L/∂y
  assert.equal(lossGradient('squared', n.unit(2, 1), n.target(1)).text, '(y − y*)');
  assert.equal(lossGradient('cross_entropy', n.unit(2, 1), n.target(1)).text, '(−y*/y + (1 − y*)/(1 − y))');
  const multi = notation([2, 3]);
  assert.equal(lossGradient('squared', multi.unit(1, 2), multi.target(2)).latex, '(y_{2} - y_{2}^{*})');
  assert.equal(lossGradientArithmetic('squared', 0.4053, 1).text, '0.4053 − 1');
  assert.equal(lossGradientArithmetic('squared', 0.25, -1).text, '0.25 − (−1)');
  assert.equal(lossGradientArithmetic('cross_entropy', 0.8, 1).text, '−1/0.8 + (1 − 1)/(1 − 0.8)');
  assert.equal(fillLoss({ text: 'log y', latex: '\\log y' }, 0.5, 1).latex, '\\log 0.5');
  typesets(lossGradientArithmetic('cross_entropy', 0.8, 1).latex);
});

// ------------------------------------------------------------ a fake activation

// a 2-2-1 trace with the given hidden activation (value f, derivative df), linear output, squared loss
function fakeTrace(f, df, W, x, y) {
  const s1 = [0, 1].map((j) => W[0].b[j] + x[0] * W[0].W[0][j] + x[1] * W[0].W[1][j]);
  const a1 = s1.map(f);
  const s2 = [W[1].b[0] + a1[0] * W[1].W[0][0] + a1[1] * W[1].W[1][0]];
  const out = s2;
  const d2 = [out[0] - y[0]];
  const da1 = [0, 1].map((j) => W[1].W[j][0] * d2[0]);
  const dads = s1.map(df);
  const d1 = da1.map((v, j) => v * dads[j]);
  const fwd = { x, y, layers: [{ s: s1, a: a1 }, { s: s2, a: out }], output: out, loss: 0.5 * d2[0] ** 2 };
  return {
    x, y, forward: fwd, loss: fwd.loss,
    grads: [
      { dL_da: da1, da_ds: dads, dL_ds: d1, dL_dW: x.map((xi) => d1.map((d) => xi * d)), dL_db: d1 },
      { dL_da: d2, da_ds: [1], dL_ds: d2, dL_dW: a1.map((ai) => [ai * d2[0]]), dL_db: d2 },
    ],
    update: W.map((w) => ({ W_before: w.W, b_before: w.b })),
    learning_rate: 0.5,
  };
}

test('a fake activation in the meta reaches the chain rule, the phase titles and Lecture mode', () => {
  const cube = {
    name: 'cube', description: 'cube (a test double)', output_only: false, compiled: false,
    value: { text: '{s}³', latex: '{s}^{3}' }, derivative: { text: '3{s}²', latex: '3{s}^{2}' },
  };
  setMeta({ ...META, activations: [...META.activations, cube] });
  try {
    assert.ok(activationNames({ hidden: true }).includes('cube'), 'the setup form offers it');
    const network = { layers: [2, 2, 1], activations: ['cube', 'linear'], loss: 'squared', l2: 0 };
    const W = [{ W: [[0.5, -0.4], [0.3, 0.8]], b: [0.1, -0.2] }, { W: [[0.7], [-0.6]], b: [0.05] }];
    const t = fakeTrace((s) => s ** 3, (s) => 3 * s * s, W, [1, 0.5], [1]);

    // chain rule: the local factor is 3(s_2^h)², its value the trace's da_ds, with its arithmetic
    const e = buildChainRule({ network, trace: t, selection: { kind: 'weight', layer: 1, from: 2, to: 2 } });
    assert.equal(e.ok, true);
    const local = e.factors.find((f) => f.role === 'local');
    assert.equal(local.symbol.text, '3(s_2^h)²');
    assert.equal(local.symbol.latex, '3\\left(s_{2}^{h}\\right)^{2}');
    assert.equal(local.value, t.grads[0].da_ds[1]);
    const s2 = t.forward.layers[0].s[1];
    assert.equal(local.arithmetic.text, `3(${formatNumber(s2)})²`);
    assert.equal(local.arithmetic.latex, `3\\left(${latexNumber(s2)}\\right)^{2}`);
    assert.ok(Math.abs(e.value - t.grads[0].dL_dW[1][1]) < 1e-12);
    assert.match(toText(e), /3\(s_2\^h\)²/);
    for (const s of Object.values(toLatex(e))) if (s) typesets(s);
    assert.ok(factorLines(e).some((l) => l.text === `3(s₂ʰ)² = 3(${formatNumber(s2)})² = ${formatNumber(3 * s2 * s2)}`));

    // timeline: forward and backward titles use its formulas
    const titles = buildPhases(t, network).map((p) => p.title);
    assert.ok(titles.includes('Forward · hidden layer: s = Σ w·a, z = s³'), titles.join(' | '));
    assert.ok(titles.includes('Backward · hidden layer: reuse cached δ, δ = 3s²·Σ w·δ'), titles.join(' | '));

    // Lecture mode: the symbols, a template, and the note about the local derivative
    assert.equal(resolveSymbol('local[1][1]', network).latex, '3\\left(s_{2}^{h}\\right)^{2}');
    assert.equal(resolveSymbol('act[1]', network).latex, '\\operatorname{cube}');
    const ctx = makeContext({ session: { network, weights: W }, trace: t });
    const r = resolveTemplate('{{sym:local[1][1]}} = {{local[1][1]}}', ctx);
    assert.equal(r.out.startsWith('3\\left(s_{2}^{h}\\right)^{2} = '), true, r.out);
    assert.ok(r.out.includes(`value=${t.grads[0].da_ds[1]}`), r.out);
    const notes = networkNotes({ id: 'x', title: 't', text: 't', equation: '{{sym:local[1][1]}}', highlight: { units: [], edges: [], cached: [] } }, network);
    assert.ok(notes.some((n) => n.includes('cube hidden units') && n.includes('∂z/∂s = 3s²')), notes.join(' | '));
  } finally {
    installMeta();
  }
});

// ------------------------------------------------------------ one place: no names elsewhere

const FRONTEND = fileURLToPath(new URL('../../frontend/js/', import.meta.url));

function jsFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return jsFiles(p);
    return name.endsWith('.js') ? [p] : [];
  });
}

function stripComments(src) {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

test('no frontend file but notation.js names an activation or loss in a string literal, case or list', () => {
  const names = [...META.activations.map((a) => a.name), ...META.losses.map((l) => l.name)];
  const literal = new RegExp(`(['"\`])(${names.join('|')})\\1`);
  const files = jsFiles(FRONTEND).filter((p) => relative(FRONTEND, p) !== 'notation.js');
  assert.ok(files.length > 10, 'the scan sees the frontend');
  const offenders = [];
  for (const p of files) {
    stripComments(readFileSync(p, 'utf8')).split('\n').forEach((line, i) => {
      const m = literal.exec(line);
      if (m) offenders.push(`${relative(FRONTEND, p)}:${i + 1}: '${m[2]}'`);
    });
  }
  assert.deepEqual(offenders, [], 'adding an activation must stay a change to the server’s table');
  // the check itself catches what it is for
  assert.ok(literal.test("switch (act) { case 'sigmoid': return a * (1 - a); }"));
  assert.ok(literal.test('const ACTIVATIONS = ["tanh", "relu"];'));
});

test('no frontend file but notation.js writes an activation formula or computes a derivative', () => {
  const formulas = META.activations.flatMap((a) => [a.value.text, a.derivative.text])
    .map((t) => t.replaceAll('{a}', 'z').replaceAll('{s}', 's'))
    .filter((t) => t.length >= 4 && /[()σ²]/.test(t));
  assert.ok(formulas.includes('z(1 − z)') && formulas.includes('σ(s)'));
  const derivativeCode = /\b(\w+)\s*\*\s*\(\s*1\s*-\s*\1\s*\)|\b1\s*-\s*(\w+)\s*\*\s*\2\b/;
  const offenders = [];
  for (const p of jsFiles(FRONTEND).filter((f) => relative(FRONTEND, f) !== 'notation.js')) {
    const src = stripComments(readFileSync(p, 'utf8'));
    for (const f of formulas) if (src.includes(f)) offenders.push(`${relative(FRONTEND, p)}: "${f}"`);
    if (derivativeCode.test(src)) offenders.push(`${relative(FRONTEND, p)}: ${derivativeCode.exec(src)[0]}`);
  }
  assert.deepEqual(offenders, []);
  assert.ok(derivativeCode.test('return a * (1 - a);') && derivativeCode.test('1 - a * a'));
});
