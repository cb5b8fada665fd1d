// node --test tests/js/ — Lecture mode: frontend/lecture/scenes.json is well-formed and every
// placeholder it names resolves against real API traces (tests/js/fixtures/lecture-traces.json,
// made by make_lecture_traces.py from a running server: the lecture's 2-2-1 and a few others).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import {
  parseScenes, sceneProblems, placeholders, makeContext, resolveTemplate, resolveValue, resolveSymbol,
  resolveHighlight, unmatchedNames, networkNames, phaseRange, lectureShaped, sceneFor, networkNotes,
  traceSatisfies, symbolTable, KATEX_MACROS,
} from '../../frontend/js/lecture.js';
import { buildPhases } from '../../frontend/js/timeline.js';
import { formatNumber } from '../../frontend/js/format.js';
import katex from '../../frontend/vendor/katex/katex.mjs';
import { installMeta } from './helpers.js';

installMeta();

const SCENES = JSON.parse(readFileSync(new URL('../../frontend/lecture/scenes.json', import.meta.url), 'utf8'));
const FIX = JSON.parse(readFileSync(new URL('./fixtures/lecture-traces.json', import.meta.url), 'utf8'));
const KATEX = { throwOnError: true, strict: 'ignore', trust: (c) => ['\\htmlData', '\\htmlClass'].includes(c.command), macros: { ...KATEX_MACROS } };

function ctxOf(name, kind) {
  const c = FIX[name];
  return makeContext({ session: c.session, trace: { kind, data: c[kind] }, example: c.example });
}

const close = (a, b, what) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

// ------------------------------------------------------------ the data file

test('scenes.json: a list of well-formed scenes with unique ids', () => {
  const { scenes, problems } = parseScenes(SCENES);
  assert.deepEqual(problems, []);
  assert.ok(scenes.length >= 9);
  const ids = scenes.map((s) => s.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const s of scenes) {
    assert.ok(s.title.trim() && s.text.trim() && s.equation.trim(), s.id);
    const sentences = s.text.split(/[.!?](\s|$)/).filter((x) => x && x.trim()).length;
    assert.ok(sentences <= 4, `${s.id}: text is short (${sentences} sentences)`);
  }
});

test('scenes.json covers the lecture: forward, loss, SGD, chain rule, output bias and w_11^o, hidden w_22^h, algorithm, a real step', () => {
  const ids = SCENES.map((s) => s.id);
  for (const id of ['predict', 'loss', 'sgd', 'chain-rule', 'output-bias', 'output-w11', 'hidden-w22', 'algorithm', 'sgd-step']) {
    assert.ok(ids.includes(id), id);
  }
  assert.equal(ids.at(-1), 'sgd-step', 'the real SGD step comes last');
  const last = SCENES.at(-1);
  assert.equal(last.requires, 'step');
  assert.ok(placeholders(last.equation).includes('loss_after'));
  assert.ok(placeholders(last.equation).includes('loss'));
  const w11 = SCENES.find((s) => s.id === 'output-w11');
  assert.match(w11.text, /cache/i);
  assert.deepEqual(w11.highlight.cached, ['y']);
  const w22 = SCENES.find((s) => s.id === 'hidden-w22');
  assert.ok(placeholders(w22.equation).includes('chain.closed:W[1][1][1]'));
  assert.match(w22.equation, /\\partial s/);
  assert.match(w22.text, /\bs\b/);
});

test('every highlight names units and edges that exist in the lecture network', () => {
  const net = FIX.lecture.session.network;
  const { units, edges } = networkNames(net);
  assert.deepEqual(units.map((u) => u.name).sort(), ['bias0', 'bias1', 'loss', 'x1', 'x2', 'y', 'z1', 'z2']);
  assert.equal(edges.length, 9);
  assert.ok(edges.some((e) => e.name === 'w_22^h' && e.layer === 1 && e.from === 2 && e.to === 2));
  for (const s of SCENES) {
    assert.deepEqual(unmatchedNames(s.highlight, net), [], s.id);
    if (s.general?.highlight) assert.deepEqual(unmatchedNames(s.general.highlight, FIX.deep.session.network), [], `${s.id} (general)`);
  }
});

test('every placeholder of every scene resolves against the lecture trace (step scene: step trace)', () => {
  for (const s of SCENES) {
    const kinds = s.requires === 'step' ? ['step'] : ['backward', 'step'];
    for (const kind of kinds) {
      const ctx = ctxOf('lecture', kind);
      assert.ok(traceSatisfies(s, ctx).ok, `${s.id} with a ${kind} trace`);
      for (const field of ['text', 'equation']) {
        const r = resolveTemplate(s[field], ctx, { mode: field === 'text' ? 'text' : 'latex' });
        assert.deepEqual(r.unknown, [], `${s.id}.${field} (${kind}): unknown names`);
        assert.deepEqual(r.missing, [], `${s.id}.${field} (${kind}): no value`);
        assert.ok(!r.out.includes('{{'), `${s.id}.${field}: unresolved braces`);
      }
      const tex = resolveTemplate(s.equation, ctx).out;
      assert.doesNotThrow(() => katex.renderToString(`\\begin{aligned}${tex}\\end{aligned}`, KATEX), s.id);
    }
  }
});

test('the general variants resolve on other networks (deeper, tanh, relu, cross-entropy)', () => {
  for (const name of ['deep', 'tanh', 'relu', 'xent']) {
    for (const s of SCENES) {
      const kind = s.requires === 'step' ? 'step' : 'backward';
      const ctx = ctxOf(name, kind);
      const view = sceneFor(s, ctx.network);
      for (const [field, mode] of [['text', 'text'], ['equation', 'latex']]) {
        const r = resolveTemplate(view[field], ctx, { mode });
        assert.deepEqual(r.unknown, [], `${name}/${s.id}.${field}`);
        assert.deepEqual(r.missing, [], `${name}/${s.id}.${field}`);
      }
      const tex = resolveTemplate(view.equation, ctx).out;
      assert.doesNotThrow(() => katex.renderToString(`\\begin{aligned}${tex}\\end{aligned}`, KATEX), `${name}/${s.id}`);
      const h = resolveHighlight(s, ctx.network, ctx);
      assert.ok(h.units.length + h.edges.length + (h.loss ? 1 : 0) > 0, `${name}/${s.id} highlights something`);
    }
  }
});

// ------------------------------------------------------------ values

test('lecture names map to the trace: x, z, y, y*, weights, s, δ, L', () => {
  const ctx = ctxOf('lecture', 'backward');
  const b = FIX.lecture.backward;
  const w = FIX.lecture.session.weights;
  close(resolveValue('x1', ctx), b.x[0], 'x1');
  close(resolveValue('x2', ctx), b.x[1], 'x2');
  close(resolveValue('z2', ctx), b.forward.layers[0].a[1], 'z2');
  close(resolveValue('y', ctx), b.forward.output[0], 'y');
  close(resolveValue('ystar', ctx), b.y[0], 'y*');
  close(resolveValue('w_22^h', ctx), w[0].W[1][1], 'w_22^h');
  close(resolveValue('w_21^o', ctx), w[1].W[1][0], 'w_21^o');
  close(resolveValue('w_01^o', ctx), w[1].b[0], 'w_01^o');
  close(resolveValue('s_2^h', ctx), b.forward.layers[0].s[1], 's_2^h');
  close(resolveValue('delta^o', ctx), b.grads[1].dL_ds[0], 'δ^o');
  close(resolveValue('δ_1^h', ctx), b.grads[0].dL_ds[0], 'δ_1^h');
  close(resolveValue('L', ctx), b.loss, 'L');
  close(resolveValue('dL_dW[1][1][1]', ctx), b.grads[0].dL_dW[1][1], 'dL_dW');
  close(resolveValue('local[1][1]', ctx), b.forward.layers[0].a[1] * (1 - b.forward.layers[0].a[1]), 'σ′');
  assert.equal(resolveValue('gamma', ctx), FIX.lecture.session.network.learning_rate);
  assert.equal(resolveValue('L_after', ctx), undefined, 'no loss_after in a backward trace');
  assert.equal(resolveValue('w_33^h', ctx), undefined);
  assert.equal(resolveValue('W[1][2][0]', ctx), undefined);
  const table = symbolTable(FIX.lecture.session.network);
  assert.equal(table.get('w_22^h'), 'W[1][1][1]');
  assert.equal(table.get('w_01^o'), 'b[2][0]');
});

test('a step trace resolves weights before the update, W_after after it, and loss_after', () => {
  const ctx = ctxOf('lecture', 'step');
  const st = FIX.lecture.step;
  close(resolveValue('W[1][1][1]', ctx), st.update[0].W_before[1][1], 'before');
  close(resolveValue('W_after[1][1][1]', ctx), st.update[0].W_after[1][1], 'after');
  close(resolveValue('loss_after', ctx), st.loss_after, 'loss_after');
  close(resolveValue('gamma', ctx), st.learning_rate, 'γ');
  close(st.update[0].W_before[1][1] - st.learning_rate * st.grads[0].dL_dW[1][1], st.update[0].W_after[1][1], 'w − γ∂L/∂w');
});

test('the w_22^h scene shows (y − y*), w_21^o, z2(1 − z2), x2 and their product equals dL_dW[1][1][1]', () => {
  for (const name of ['lecture', 'lecture_x05']) {
    const ctx = ctxOf(name, 'backward');
    const b = FIX[name].backward;
    const scene = SCENES.find((s) => s.id === 'hidden-w22');
    const r = resolveTemplate(scene.equation, ctx);
    assert.equal(r.chains.length, 1);
    const { expr } = r.chains[0];
    assert.deepEqual(expr.factors.map((f) => f.role), ['dL_dy', 'weight', 'local', 'input']);
    const z2 = b.forward.layers[0].a[1];
    const expected = [b.forward.output[0] - b.y[0], FIX[name].session.weights[1].W[1][0], z2 * (1 - z2), b.x[1]];
    expr.factors.forEach((f, i) => close(f.value, expected[i], `${name} factor ${i}`));
    close(expr.value, b.grads[0].dL_dW[1][1], `${name} product`);
    // the numbers are typeset with test hooks and format.js's text
    for (const f of expr.factors) assert.ok(r.out.includes(`value=${String(f.value).replace(/[,=]/g, '')}`));
    assert.ok(r.out.includes('testid=lecture-product'));
    const html = katex.renderToString(`\\begin{aligned}${r.out}\\end{aligned}`, KATEX);
    assert.ok(html.includes('data-testid="lecture-factor"'));
    assert.ok(html.includes('lec-cached'), 'the cached ∂L/∂y is marked');
  }
});

test('numbers are format.js text; |p parenthesises negatives; text mode gives plain numbers', () => {
  const ctx = ctxOf('lecture', 'backward');
  const w21 = FIX.lecture.session.weights[1].W[1][0];
  assert.ok(w21 < 0);
  const r = resolveTemplate('{{w_21^o|p}} / {{w_21^o}}', ctx);
  assert.match(r.out, /^\(\\htmlData\{[^}]*\}\{-0\.6\}\) \/ \\htmlData\{[^}]*\}\{-0\.6\}$/);
  const t = resolveTemplate('w = {{w_21^o}}, label {{sym:W[2][1][0]}}, L = {{L}}', ctx, { mode: 'text' });
  assert.equal(t.out, `w = −0.6, label w_21^o, L = ${formatNumber(FIX.lecture.backward.loss)}`);
  const m = resolveTemplate('{{nonsense}} {{loss_after}}', ctx);
  assert.deepEqual(m.unknown, ['nonsense']);
  assert.deepEqual(m.missing, ['loss_after']);
  assert.match(m.out, /\\text\{\?\} \\text\{\?\}/);
});

// ------------------------------------------------------------ generalisation

test('other activations change the local derivative, and the notes say so', () => {
  const scene = SCENES.find((s) => s.id === 'hidden-w22');
  const expectations = { lecture: ['z_{2}(1 - z_{2})', /^$/], tanh: ['(1 - z_{2}^{2})', /tanh.*1 − z²/], relu: ['[s_{2}^{h} > 0]', /relu hidden units.*∂z\/∂s = \[s > 0\]/] };
  for (const [name, [latex, note]] of Object.entries(expectations)) {
    const ctx = ctxOf(name, 'backward');
    assert.equal(resolveSymbol('local[1][1]', ctx.network).latex, latex, name);
    assert.ok(lectureShaped(ctx.network), name);
    const notes = networkNotes(scene, ctx.network).join(' ');
    assert.match(notes, note, name);
    const r = resolveTemplate(scene.equation, ctx);
    const local = r.chains[0].expr.factors.find((f) => f.role === 'local');
    const b = FIX[name].backward;
    const z = b.forward.layers[0].a[1];
    const s = b.forward.layers[0].s[1];
    const want = name === 'tanh' ? 1 - z * z : name === 'relu' ? (s > 0 ? 1 : 0) : z * (1 - z);
    close(local.value, want, `${name} local`);
    close(r.chains[0].expr.value, b.grads[0].dL_dW[1][1], `${name} product`);
    const text = resolveTemplate(scene.text, ctx, { mode: 'text' }).out;
    assert.ok(text.includes(resolveSymbol('local[1][1]', ctx.network).text), `${name}: the text names the local derivative`);
  }
});

test('on a deeper network the hidden-weight scene sums over the units above (general variant)', () => {
  const ctx = ctxOf('deep', 'backward');
  assert.equal(lectureShaped(ctx.network), false);
  const scene = SCENES.find((s) => s.id === 'hidden-w22');
  const view = sceneFor(scene, ctx.network);
  assert.equal(view.general, true);
  const r = resolveTemplate(view.equation, ctx);
  const { expr } = r.chains[0];
  const sum = expr.factors.find((f) => f.role === 'sum');
  assert.ok(sum, 'a sum factor');
  assert.equal(sum.terms.length, 3);
  assert.match(r.out, /\\sum_\{k=1\}\^\{3\}/);
  close(expr.value, FIX.deep.backward.grads[0].dL_dW[1][1], 'product');
  assert.match(networkNotes(scene, ctx.network).join(' '), /sums w·δ/);
  assert.match(networkNotes(scene, ctx.network).join(' '), /not shaped like the lecture/);
  assert.equal(view.title, 'Hidden layer: a weight, factor by factor');
  assert.deepEqual(networkNotes(SCENES[0], FIX.tanh.session.network), [], 'no derivative notes where no derivative is shown');
  const h = resolveHighlight(scene, ctx.network, ctx);
  assert.ok(h.edges.some((e) => e.layer === 1 && e.from === 2 && e.to === 2));
  assert.equal(h.edges.filter((e) => e.layer === 2).length, 3, 'the three edges out of z_2');
  assert.ok(h.cached.length >= 3, 'the cached δ of the layer above');
});

// ------------------------------------------------------------ highlight and phases

test('resolveHighlight: names and wildcards become units, edges, cached units and the loss box', () => {
  const net = FIX.lecture.session.network;
  const scene = SCENES.find((s) => s.id === 'hidden-w22');
  const h = resolveHighlight(scene, net);
  assert.deepEqual(h.edges.map((e) => [e.layer, e.from, e.to]).sort(), [[1, 2, 2], [2, 2, 1]]);
  assert.deepEqual(h.units.map((u) => [u.layer, u.unit]).sort(), [[0, 2], [1, 2], [2, 1]]);
  assert.deepEqual(h.cached, [{ layer: 2, unit: 1 }]);
  assert.equal(h.loss, true);
  const all = resolveHighlight({ ...scene, highlight: { units: ['z*'], edges: ['w_0*^h'], cached: [] } }, net);
  assert.deepEqual(all.units.map((u) => u.unit), [1, 2]);
  assert.deepEqual(all.edges.map((e) => [e.from, e.to]), [[0, 1], [0, 2]]);
});

test('phaseRange maps the scene phases onto a trace\'s phases', () => {
  const net = FIX.lecture.session.network;
  const back = buildPhases(FIX.lecture.backward, net);
  const step = buildPhases(FIX.lecture.step, net);
  const ids = (r, ph) => [ph[r.from].id, ph[r.to].id];
  assert.deepEqual(ids(phaseRange('forward', back), back), ['forward-1', 'forward-2']);
  assert.deepEqual(ids(phaseRange('loss', back), back), ['loss', 'loss']);
  assert.deepEqual(ids(phaseRange('backward-output', back), back), ['backward-2', 'backward-2']);
  assert.deepEqual(ids(phaseRange('backward', back), back), ['backward-2', 'backward-1']);
  assert.deepEqual(ids(phaseRange('all', step), step), ['forward-1', 'update']);
  assert.deepEqual(ids(phaseRange('update', step), step), ['update', 'update']);
  assert.deepEqual(ids(phaseRange('update', back), back), ['backward-1', 'backward-1'], 'no update phase: the last one');
  assert.deepEqual(ids(phaseRange('backward-1', back), back), ['backward-1', 'backward-1']);
  assert.equal(phaseRange('forward', []), null);
});

test('sceneProblems / parseScenes report what is wrong', () => {
  assert.deepEqual(sceneProblems({ id: 'ok', title: 't', text: 'x', equation: 'y', highlight: { units: [], edges: [], cached: [] } }), []);
  const bad = sceneProblems({ id: 'Bad Id', title: '', equation: 'y', highlight: { units: 'x1' }, phase: 'sideways', requires: 'magic' });
  assert.ok(bad.some((p) => /id must be/.test(p)));
  assert.ok(bad.some((p) => /title/.test(p)));
  assert.ok(bad.some((p) => /text/.test(p)));
  assert.ok(bad.some((p) => /highlight.units/.test(p)));
  assert.ok(bad.some((p) => /phase/.test(p)));
  assert.ok(bad.some((p) => /requires/.test(p)));
  const dup = parseScenes([SCENES[0], SCENES[0]]);
  assert.ok(dup.problems.some((p) => /used twice/.test(p)));
  assert.ok(parseScenes({}).problems.length);
});
