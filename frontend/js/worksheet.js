// The printable worksheet of an exercise (worksheet.html?exercise=ID[&body=JSON]): the problem
// (network, activations, loss, γ, weights, example), the blanks with empty boxes, and the
// answer key on its own page. The key's values come from a COPY of the exercise made with
// the same body (and checked to be the same problem), every blank of the copy revealed: the
// student's own exercise is never revealed by printing it.
import { api } from './api.js';
import { copyBody, problemView, exactText, valueText } from './exercise.js';

const $ = (id) => document.getElementById(id);

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

function fail(message) {
  $('ws-error').textContent = message;
  $('ws-error').hidden = false;
  document.body.dataset.ready = 'error';
}

function sameProblem(a, b) {
  return JSON.stringify(a.weights) === JSON.stringify(b.weights)
    && JSON.stringify(a.example) === JSON.stringify(b.example)
    && a.network.learning_rate === b.network.learning_rate
    && a.blanks.length === b.blanks.length
    && a.blanks.every((x, k) => x.label === b.blanks[k].label && x.quantity === b.blanks[k].quantity);
}

function renderProblem(ex) {
  const p = problemView(ex);
  const facts = $('ws-facts');
  const fact = (term, value) => facts.append(h('dt', { text: term }), h('dd', { text: value }));
  fact('network', `${p.architecture} (input first)`);
  fact('activations', p.activations.map((a) => `${a.layer}: ${a.activation}`).join(', '));
  fact('loss', p.loss);
  fact('learning rate', `γ = ${exactText(p.learningRate)}`);
  if (p.l2) fact('L2', `λ = ${exactText(p.l2)}`);
  fact('example', [...p.x, ...p.y].map((r) => `${r.label} = ${exactText(r.value)}`).join(', '));
  if (p.seed !== null && p.seed !== undefined) fact('seed', String(p.seed));
  const box = $('ws-weights');
  for (const layer of p.weights) {
    const table = h('table', { class: 'ws-weight-table' },
      h('caption', { text: `${layer.layer} layer weights (w_0j: bias)` }));
    const row = h('tr');
    for (const r of layer.rows) row.append(h('td', {}, h('span', { class: 'ws-sym', text: r.label }), ` = ${exactText(r.value)}`));
    table.append(row);
    box.append(table);
  }
  $('ws-instructions').textContent = ex.kind === 'sign'
    ? 'Write the sign (+ or −) of each value, in this order (each uses the ones before).'
    : `Compute each value of one gradient-descent step in this order (each uses the ones before). `
      + `An answer counts as right within ${p.tolerance}.`;
}

function renderBlanks(ex) {
  const rows = $('ws-blank-rows');
  for (const b of ex.blanks) {
    rows.append(h('tr', { 'data-blank': String(b.blank) },
      h('td', { text: String(b.blank + 1) }),
      h('td', { class: 'ws-sym', text: b.label }),
      h('td', { class: 'ws-box' })));
  }
}

function renderKey(ex, expected) {
  const p = problemView(ex);
  $('ws-key-problem').textContent = `${p.architecture}, γ = ${exactText(p.learningRate)}, `
    + `${[...p.x, ...p.y].map((r) => `${r.label} = ${exactText(r.value)}`).join(', ')}`
    + `${p.seed !== null && p.seed !== undefined ? `, seed ${p.seed}` : ''}`;
  const rows = $('ws-key-rows');
  ex.blanks.forEach((b, k) => {
    rows.append(h('tr', { 'data-blank': String(b.blank) },
      h('td', { text: String(b.blank + 1) }),
      h('td', { class: 'ws-sym', text: b.label }),
      h('td', { class: 'ws-answer', text: valueText(expected[k], ex.kind) })));
  });
}

async function main() {
  const params = new URLSearchParams(window.location.search);
  const id = params.get('exercise');
  if (!id) {
    fail('No exercise: open the worksheet from the explorer’s Exercise panel (worksheet.html?exercise=ID).');
    return;
  }
  let given = null;
  if (params.get('body')) {
    try {
      given = JSON.parse(params.get('body'));
    } catch {
      given = null;
    }
  }
  $('ws-paper').addEventListener('change', (ev) => {
    $('page-size').textContent = `@page { size: ${ev.target.value}; margin: 16mm 15mm; }`;
  });
  $('ws-print').addEventListener('click', () => window.print());
  try {
    const ex = await api.getExercise(id);
    const copy = await api.createExercise(ex.session_id, copyBody(ex, given));
    if (!sameProblem(ex, copy)) {
      fail('The answer key could not be made: the session’s weights have changed since this exercise was '
        + 'made. Make the worksheet again from the explorer (or use a seed).');
      return;
    }
    const expected = [];
    for (const b of copy.blanks) {
      const out = await api.revealBlank(copy.id, b.blank);
      expected.push(out.results[0].expected);
    }
    document.title = `Backprop worksheet${ex.seed !== null && ex.seed !== undefined ? ` — seed ${ex.seed}` : ''}`;
    renderProblem(ex);
    renderBlanks(ex);
    renderKey(ex, expected);
    $('ws-sheet').hidden = false;
    document.body.dataset.ready = 'true';
    document.body.dataset.key = copy.id;
  } catch (err) {
    fail(`The worksheet could not be made: ${err.message}`);
  }
}

main();
