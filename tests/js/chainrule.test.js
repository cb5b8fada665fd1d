// node --test tests/js/ — the chain-rule expressions of frontend/js/chainrule.js checked against
// a forward/backward pass computed here by hand (same conventions as the backend's traces).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { buildChainRule, toLatex, toText, factorLines } from '../../frontend/js/chainrule.js';
import { latexNumber } from '../../frontend/js/format.js';
import { notation } from '../../frontend/js/notation.js';
import katex from '../../frontend/vendor/katex/katex.mjs';
import { formatNumber } from '../../frontend/js/format.js';
import { installMeta } from './helpers.js';

installMeta();

// ------------------------------------------------------------ a tiny reference engine

const ACT = {
  sigmoid: [(s) => 1 / (1 + Math.exp(-s)), (s, a) => a * (1 - a)],
  tanh: [(s) => Math.tanh(s), (s, a) => 1 - a * a],
  relu: [(s) => Math.max(0, s), (s) => (s > 0 ? 1 : 0)],
  leaky_relu: [(s) => (s > 0 ? s : 0.01 * s), (s) => (s > 0 ? 1 : 0.01)],
  linear: [(s) => s, () => 1],
};

function softmax(s) {
  const m = Math.max(...s);
  const e = s.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

// returns a step-like trace: {x, y, forward, loss, grads, update: [{W_before, b_before}]}
function trace(network, weights, x, y) {
  const layers = [];
  let a = x;
  network.activations.forEach((act, l) => {
    const { W, b } = weights[l];
    const s = b.map((bj, j) => bj + a.reduce((acc, ai, i) => acc + ai * W[i][j], 0));
    const out = act === 'softmax' ? softmax(s) : s.map((v) => ACT[act][0](v));
    layers.push({ s, a: out });
    a = out;
  });
  const yhat = a;
  let loss;
  let dLda;
  if (network.loss === 'squared') {
    loss = 0.5 * yhat.reduce((acc, v, k) => acc + (v - y[k]) ** 2, 0);
    dLda = yhat.map((v, k) => v - y[k]);
  } else if (network.activations.at(-1) === 'softmax') {
    loss = -y.reduce((acc, t, k) => acc + t * Math.log(yhat[k]), 0);
    dLda = yhat.map((v, k) => -y[k] / v);
  } else {
    loss = -y.reduce((acc, t, k) => acc + t * Math.log(yhat[k]) + (1 - t) * Math.log(1 - yhat[k]), 0);
    dLda = yhat.map((v, k) => -y[k] / v + (1 - y[k]) / (1 - v));
  }
  const grads = [];
  for (let l = network.activations.length - 1; l >= 0; l -= 1) {
    const act = network.activations[l];
    const { s, a: al } = layers[l];
    let dLds;
    let dads = null;
    if (act === 'softmax') {
      const dot = al.reduce((acc, v, m) => acc + v * dLda[m], 0);
      dLds = al.map((v, k) => v * (dLda[k] - dot));
    } else {
      dads = s.map((sv, j) => ACT[act][1](sv, al[j]));
      dLds = s.map((sv, j) => dLda[j] * dads[j]);
    }
    const below = l === 0 ? x : layers[l - 1].a;
    const lambda = network.l2 || 0;
    const dLdW = below.map((ai, i) => dLds.map((d, j) => ai * d + lambda * weights[l].W[i][j]));
    grads[l] = { dL_da: dLda, da_ds: dads, dL_ds: dLds, dL_dW: dLdW, dL_db: [...dLds] };
    dLda = below.map((_, i) => dLds.reduce((acc, d, j) => acc + weights[l].W[i][j] * d, 0));
  }
  return {
    x,
    y,
    forward: { x, y, layers, output: yhat, loss },
    loss,
    grads,
    update: weights.map((w) => ({ W_before: w.W, b_before: w.b })),
  };
}

const close = (a, b, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} != ${b}`);

// the lecture's 2-2-1: sigmoid hidden, linear output, squared loss
const LECTURE = { layers: [2, 2, 1], activations: ['sigmoid', 'linear'], loss: 'squared', l2: 0 };
const LW = [
  { W: [[0.5, -0.4], [0.3, 0.8]], b: [0.1, -0.2] },
  { W: [[0.7], [-0.6]], b: [0.05] },
];
const LX = [1, 0.5];
const LY = [1];

test('lecture: ∂L/∂w_22^h = ∂L/∂y · w_21^o · z2(1 − z2) · x2 equals dL_dW[1][1] of layer 1', () => {
  const t = trace(LECTURE, LW, LX, LY);
  const e = buildChainRule({ network: LECTURE, trace: t, selection: { kind: 'weight', layer: 1, from: 2, to: 2 } });
  assert.equal(e.ok, true);
  assert.equal(e.target.text, '∂L/∂w_22^h');
  assert.deepEqual(e.factors.map((f) => f.symbol.text), ['∂L/∂y', 'w_21^o', 'z2(1 − z2)', 'x2']);
  assert.deepEqual(e.factors.map((f) => f.closed.text), ['(y − y*)', 'w_21^o', 'z2(1 − z2)', 'x2']);
  const y = t.forward.output[0];
  const z2 = t.forward.layers[0].a[1];
  close(e.factors[0].value, y - LY[0]);
  close(e.factors[1].value, LW[1].W[1][0]);
  close(e.factors[2].value, z2 * (1 - z2));
  close(e.factors[3].value, LX[1]);
  close(e.product, (y - LY[0]) * LW[1].W[1][0] * z2 * (1 - z2) * LX[1]);
  close(e.value, t.grads[0].dL_dW[1][1]);
  close(e.traceValue, t.grads[0].dL_dW[1][1]);
  // the cached δ from the layer above is the output's ∂L/∂y
  assert.equal(e.cached.length, 1);
  assert.deepEqual(e.cached[0].unit, { layer: 2, unit: 1 });
  assert.deepEqual(e.cached[0].factorIndices, [0]);
  assert.equal(e.factors[0].cached, true);
  assert.equal(e.factors[1].cached, false);
  // path: x2 → z2 → y through w_22^h and w_21^o
  assert.deepEqual(e.highlight.edges.map(({ layer, from, to }) => [layer, from, to]), [[1, 2, 2], [2, 2, 1]]);
  assert.deepEqual(e.highlight.units.map(({ layer, unit }) => [layer, unit]), [[0, 2], [1, 2], [2, 1]]);
  assert.deepEqual(e.paths, [[{ layer: 0, unit: 2 }, { layer: 1, unit: 2 }, { layer: 2, unit: 1 }]]);
});

test('lecture: output weights ∂L/∂w_11^o = (y − y*)·z1 and ∂L/∂w_01^o = (y − y*)·1', () => {
  const t = trace(LECTURE, LW, LX, LY);
  const y = t.forward.output[0];
  const z1 = t.forward.layers[0].a[0];
  const w11 = buildChainRule({ network: LECTURE, trace: t, selection: { kind: 'weight', layer: 2, from: 1, to: 1 } });
  assert.equal(w11.target.text, '∂L/∂w_11^o');
  assert.deepEqual(w11.factors.map((f) => f.closed.text), ['(y − y*)', 'z1']);
  close(w11.value, (y - 1) * z1);
  close(w11.value, t.grads[1].dL_dW[0][0]);
  const w01 = buildChainRule({ network: LECTURE, trace: t, selection: { kind: 'weight', layer: 2, from: 0, to: 1 } });
  assert.equal(w01.target.text, '∂L/∂w_01^o');
  assert.deepEqual(w01.factors.map((f) => f.closed.text), ['(y − y*)', '1']);
  assert.equal(w01.factors[1].role, 'bias');
  close(w01.value, y - 1);
  close(w01.value, t.grads[1].dL_db[0]);
  // the hidden bias: ∂L/∂w_01^h = ∂L/∂y · w_11^o · z1(1 − z1) · 1
  const h01 = buildChainRule({ network: LECTURE, trace: t, selection: { kind: 'weight', layer: 1, from: 0, to: 1 } });
  assert.deepEqual(h01.factors.map((f) => f.symbol.text), ['∂L/∂y', 'w_11^o', 'z1(1 − z1)', '1']);
  close(h01.value, t.grads[0].dL_db[0]);
});

test('lecture: unit δ and ∂L/∂x', () => {
  const t = trace(LECTURE, LW, LX, LY);
  const d2 = buildChainRule({ network: LECTURE, trace: t, selection: { kind: 'unit', layer: 1, unit: 2 } });
  assert.equal(d2.target.text, 'δ_2^h = ∂L/∂s_2^h');
  assert.deepEqual(d2.factors.map((f) => f.symbol.text), ['∂L/∂y', 'w_21^o', 'z2(1 − z2)']);
  close(d2.value, t.grads[0].dL_ds[1]);
  const dy = buildChainRule({ network: LECTURE, trace: t, selection: { kind: 'unit', layer: 2, unit: 1 } });
  assert.equal(dy.target.text, 'δ^o = ∂L/∂s^o');
  close(dy.value, t.forward.output[0] - 1);
  const dx = buildChainRule({ network: LECTURE, trace: t, selection: { kind: 'unit', layer: 0, unit: 1 } });
  assert.equal(dx.traceValue, null);
  assert.equal(dx.factors[0].role, 'sum');
  close(dx.value, LW[0].W[0][0] * t.grads[0].dL_ds[0] + LW[0].W[0][1] * t.grads[0].dL_ds[1]);
});

test('deeper net: hidden δ is the explicit sum over downstream units, every gradient matches', () => {
  const net = { layers: [2, 3, 2, 2], activations: ['tanh', 'sigmoid', 'sigmoid'], loss: 'squared', l2: 0 };
  const W = [
    { W: [[0.2, -0.5, 0.9], [0.4, 0.1, -0.3]], b: [0.1, 0, -0.1] },
    { W: [[0.3, -0.2], [0.6, 0.5], [-0.7, 0.25]], b: [0.05, -0.05] },
    { W: [[1.1, -0.4], [-0.8, 0.9]], b: [0.2, -0.3] },
  ];
  const t = trace(net, W, [0.7, -1.2], [1, 0]);
  for (let l = 1; l <= 3; l += 1) {
    for (let from = 0; from <= net.layers[l - 1]; from += 1) {
      for (let to = 1; to <= net.layers[l]; to += 1) {
        const e = buildChainRule({ network: net, trace: t, selection: { kind: 'weight', layer: l, from, to } });
        assert.equal(e.ok, true);
        const want = from === 0 ? t.grads[l - 1].dL_db[to - 1] : t.grads[l - 1].dL_dW[from - 1][to - 1];
        close(e.value, want);
      }
    }
    for (let u = 1; u <= net.layers[l]; u += 1) {
      const e = buildChainRule({ network: net, trace: t, selection: { kind: 'unit', layer: l, unit: u } });
      close(e.value, t.grads[l - 1].dL_ds[u - 1]);
    }
  }
  // ∂L/∂w_23^(1) = (Σ_k w_3k^(2) δ_k^(2)) · (1 − (z3^(1))²) · x2
  const e = buildChainRule({ network: net, trace: t, selection: { kind: 'weight', layer: 1, from: 2, to: 3 } });
  assert.equal(e.target.text, '∂L/∂w_23^(1)');
  assert.deepEqual(e.factors.map((f) => f.role), ['sum', 'local', 'input']);
  const sum = e.factors[0];
  assert.equal(sum.terms.length, 2);
  assert.deepEqual(sum.terms.map((tm) => [tm.weight.symbol.text, tm.delta.symbol.text]),
    [['w_31^(2)', 'δ_1^(2)'], ['w_32^(2)', 'δ_2^(2)']]);
  close(sum.terms[0].weight.value, W[1].W[2][0]);
  close(sum.terms[1].delta.value, t.grads[1].dL_ds[1]);
  close(sum.value, W[1].W[2][0] * t.grads[1].dL_ds[0] + W[1].W[2][1] * t.grads[1].dL_ds[1]);
  close(sum.value, t.grads[0].dL_da[2]);
  assert.equal(e.factors[1].symbol.text, '(1 − (z_3^(1))²)');
  assert.equal(e.factors[2].symbol.text, 'x2');
  assert.deepEqual(e.cached.map((c) => c.unit), [{ layer: 2, unit: 1 }, { layer: 2, unit: 2 }]);
  // paths: x2 → z3^(1) → each of 2 units → each of 2 outputs
  assert.equal(e.paths.length, 4);
  assert.equal(e.highlight.edges.length, 1 + 2 + 4);
  // an output weight with a sigmoid output and squared loss: (y1 − y1*) · y1(1 − y1) · z2^(2)
  const o = buildChainRule({ network: net, trace: t, selection: { kind: 'weight', layer: 3, from: 2, to: 1 } });
  assert.deepEqual(o.factors.map((f) => f.closed.text), ['(y1 − y1*)', 'y1(1 − y1)', 'z_2^(2)']);
  const l = notation(net);
  assert.equal(l.unit(2, 1).latex, 'z_{1}^{(2)}');
  assert.equal(l.weight(3, 0, 2).latex, 'w_{02}^{(3)}');
});

test('cross-entropy outputs: δ = y − y* (sigmoid and softmax); relu and leaky_relu locals', () => {
  const sig = { layers: [2, 2, 1], activations: ['relu', 'sigmoid'], loss: 'cross_entropy', l2: 0 };
  const W = [{ W: [[0.5, -0.4], [0.3, 0.8]], b: [0.1, -0.2] }, { W: [[0.7], [-0.6]], b: [0.05] }];
  const t = trace(sig, W, [1, 0.5], [1]);
  const e = buildChainRule({ network: sig, trace: t, selection: { kind: 'weight', layer: 1, from: 1, to: 2 } });
  assert.equal(e.factors[0].role, 'delta');
  assert.equal(e.factors[0].closed.text, '(y − y*)');
  close(e.factors[0].value, t.forward.output[0] - 1);
  assert.equal(e.factors[2].symbol.text, '[s_2^h > 0]');
  close(e.factors[2].value, t.forward.layers[0].s[1] > 0 ? 1 : 0);
  close(e.value, t.grads[0].dL_dW[0][1]);

  const soft = { layers: [2, 3, 3], activations: ['leaky_relu', 'softmax'], loss: 'cross_entropy', l2: 0 };
  const W2 = [
    { W: [[0.5, -0.4, 0.2], [0.3, 0.8, -0.9]], b: [0.1, -0.2, 0] },
    { W: [[0.7, 0.1, -0.2], [-0.6, 0.4, 0.3], [0.2, -0.5, 0.6]], b: [0.05, 0, -0.05] },
  ];
  const t2 = trace(soft, W2, [-1, 0.5], [0, 1, 0]);
  for (let from = 0; from <= 2; from += 1) {
    for (let to = 1; to <= 3; to += 1) {
      const h = buildChainRule({ network: soft, trace: t2, selection: { kind: 'weight', layer: 1, from, to } });
      close(h.value, from === 0 ? t2.grads[0].dL_db[to - 1] : t2.grads[0].dL_dW[from - 1][to - 1]);
    }
  }
  const o = buildChainRule({ network: soft, trace: t2, selection: { kind: 'unit', layer: 2, unit: 2 } });
  assert.equal(o.factors[0].closed.text, '(y2 − y2*)');
  close(o.value, t2.forward.output[1] - 1);
});

test('L2: the gradient adds λ·w to the chain-rule product', () => {
  const net = { ...LECTURE, l2: 0.1 };
  const t = trace(net, LW, LX, LY);
  const e = buildChainRule({ network: net, trace: t, selection: { kind: 'weight', layer: 1, from: 2, to: 2 } });
  close(e.l2.value, 0.1 * LW[0].W[1][1]);
  close(e.value, t.grads[0].dL_dW[1][1]);
  close(e.value, e.product + e.l2.value);
  const b = buildChainRule({ network: net, trace: t, selection: { kind: 'weight', layer: 1, from: 0, to: 2 } });
  assert.equal(b.l2, null);
});

test('a backward trace without update uses the given weights; without them it says why', () => {
  const t = trace(LECTURE, LW, LX, LY);
  delete t.update;
  const sel = { kind: 'weight', layer: 1, from: 2, to: 2 };
  const ok = buildChainRule({ network: LECTURE, trace: { kind: 'backward', data: t }, selection: sel, weights: LW });
  close(ok.value, t.grads[0].dL_dW[1][1]);
  assert.equal(buildChainRule({ network: LECTURE, trace: t, selection: sel }).ok, false);
  // output weights need no other weight
  assert.equal(buildChainRule({ network: LECTURE, trace: t, selection: { kind: 'weight', layer: 2, from: 1, to: 1 } }).ok, true);
  assert.equal(buildChainRule({ network: LECTURE, trace: t, selection: null }).ok, false);
  assert.equal(buildChainRule({ network: LECTURE, trace: { kind: 'forward', data: t.forward }, selection: sel }).ok, false);
  assert.equal(buildChainRule({ network: LECTURE, trace: t, selection: { kind: 'weight', layer: 3, from: 1, to: 1 } }).ok, false);
});

test('LaTeX and text renderings; every string typesets with the vendored KaTeX', () => {
  const t = trace(LECTURE, LW, LX, LY);
  const e = buildChainRule({ network: LECTURE, trace: t, selection: { kind: 'weight', layer: 1, from: 2, to: 2 } });
  const tex = toLatex(e, { wrapFactor: (n) => `\\htmlData{testid=inspector-factor}{${n}}` });
  assert.equal(tex.symbolic,
    '\\frac{\\partial L}{\\partial w_{22}^{h}} = \\frac{\\partial L}{\\partial y} \\cdot w_{21}^{o} \\cdot z_{2}(1 - z_{2}) \\cdot x_{2}');
  assert.equal(tex.closed, '= (y - y^{*}) \\cdot w_{21}^{o} \\cdot z_{2}(1 - z_{2}) \\cdot x_{2}');
  assert.equal((tex.numeric.match(/inspector-factor/g) || []).length, 4);
  const text = toText(e);
  assert.match(text, /^∂L\/∂w_22\^h = ∂L\/∂y · w_21\^o · z2\(1 − z2\) · x2 = \(y − y\*\) · /);
  const deep = { layers: [2, 3, 2, 1], activations: ['tanh', 'relu', 'linear'], loss: 'squared', l2: 0.01 };
  const W = [
    { W: [[0.2, -0.5, 0.9], [0.4, 0.1, -0.3]], b: [0.1, 0, -0.1] },
    { W: [[0.3, -0.2], [0.6, 0.5], [-0.7, 0.25]], b: [0.05, -0.05] },
    { W: [[1.1], [-0.8]], b: [0.2] },
  ];
  const td = trace(deep, W, [0.7, -1.2], [0.5]);
  const opts = { trust: (c) => c.command === '\\htmlData', throwOnError: true };
  for (const sel of [
    { kind: 'weight', layer: 1, from: 1, to: 3 },
    { kind: 'weight', layer: 2, from: 2, to: 1 },
    { kind: 'unit', layer: 1, unit: 2 },
    { kind: 'unit', layer: 0, unit: 1 },
  ]) {
    const ex = buildChainRule({ network: deep, trace: td, selection: sel });
    assert.equal(ex.ok, true);
    const parts = toLatex(ex, {
      wrapFactor: (n) => `\\htmlData{testid=inspector-factor}{${n}}`,
      wrapProduct: (n) => `\\htmlData{testid=inspector-product}{${n}}`,
    });
    for (const s of Object.values(parts)) if (s) katex.renderToString(s, opts);
  }
  for (const s of Object.values(tex)) if (s) katex.renderToString(s, opts);
});

test('numbers typeset by KaTeX read back as format.js text', () => {
  for (const [v, latex, shown] of [
    [0.25, '0.25', '0.25'],
    [-0.123456, '-0.1235', '−0.1235'],
    [1, '1', '1'],
    [0, '0', '0'],
    [-1.5e-5, '-1.5\\mathrm{e}{-5}', '−1.5e−5'],
  ]) {
    assert.equal(latexNumber(v), latex);
    const html = katex.renderToString(latex, { output: 'html' });
    assert.equal(html.replace(/<[^>]*>/g, '').replace(/&#x2212;|−/g, '−'), shown);
  }
});

test('each factor shows its own arithmetic, and the panel says which weights the factors use', () => {
  const t = trace(LECTURE, LW, LX, LY);
  const e = buildChainRule({ network: LECTURE, trace: t, selection: { kind: 'weight', layer: 1, from: 2, to: 2 } });
  const z2 = t.forward.layers[0].a[1];
  const y = t.forward.output[0];
  const local = e.factors[2];
  // z2(1 − z2) with z2's number in place of z2
  assert.equal(local.arithmetic.text, `${formatNumber(z2)}(1 − ${formatNumber(z2)})`);
  assert.equal(local.arithmetic.latex, `${latexNumber(z2)}(1 - ${latexNumber(z2)})`);
  assert.equal(e.factors[0].arithmetic.text, `${formatNumber(y)} − 1`);
  assert.equal(e.factors[1].arithmetic, null, 'a weight is its own number');
  const lines = factorLines(e);
  assert.deepEqual(lines.map((l) => l.text), [
    `∂L/∂y = (y − y*) = ${formatNumber(y)} − 1 = ${formatNumber(y - 1)}`,
    `w₂₁ᵒ = ${formatNumber(LW[1].W[1][0])}`,
    `z₂(1 − z₂) = ${formatNumber(z2)}(1 − ${formatNumber(z2)}) = ${formatNumber(z2 * (1 - z2))}`,
    `x₂ = ${formatNumber(LX[1])}`,
  ]);
  const opts = { throwOnError: true };
  for (const l of lines) katex.renderToString(l.latex, opts);
  assert.match(e.weightsNote, /weights before this step’s update/);
  const b = { ...t };
  delete b.update;
  const eb = buildChainRule({ network: LECTURE, trace: b, selection: { kind: 'weight', layer: 1, from: 2, to: 2 }, weights: LW });
  assert.match(eb.weightsNote, /current weights/);
  // nothing a person reads is a trace path
  for (const str of [e.target.text, e.weightsNote, ...e.notes, ...lines.map((l) => l.text), toText(e)]) {
    assert.doesNotMatch(str, /dL_d[Wbsa]|\[\d+\]/, str);
  }
});

test('the local factor value is the trace’s da_ds, not recomputed here', () => {
  const t = trace(LECTURE, LW, LX, LY);
  t.grads[0].da_ds = [0.125, 0.375]; // a made-up f′: the panel shows what the server sent
  t.grads[0].dL_ds = t.grads[0].dL_da.map((d, j) => d * t.grads[0].da_ds[j]);
  const e = buildChainRule({ network: LECTURE, trace: t, selection: { kind: 'unit', layer: 1, unit: 2 } });
  assert.equal(e.factors.find((f) => f.role === 'local').value, 0.375);
  close(e.value, t.grads[0].dL_ds[1]);
});
