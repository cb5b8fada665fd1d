// views/readout.js — "epoch k · train L 0.2514 / 90 % · test L 0.4012 / 70 %" (loss / accuracy).
//
//   mountReadout(container) → unmount()
//
// The whole training part's and the test part's loss L and accuracy for the weights shown
// (state.metrics: GET /metrics, or what a step or /train answered), with the epoch counter (an
// epoch = one pass over the training part). Accuracy is left out for regression (the API gives
// null), the test part when the dataset has none. Each number's element carries the full value.
//
// Test hooks: data-testid="readout", "readout-epoch", "readout-train-loss", "readout-train-acc",
// "readout-test-loss", "readout-test-acc" (data-value: the API's number).
import { getState, subscribe } from '../state.js';
import { formatNumber } from '../format.js';
import { LOSS_SYMBOL } from '../notation.js';

function number(testid, value, text) {
  const span = document.createElement('b');
  span.dataset.testid = testid;
  span.dataset.value = String(value);
  span.textContent = text;
  return span;
}

const percent = (v) => `${formatNumber(Math.round(v * 1000) / 10)} %`;

export function mountReadout(container) {
  container.dataset.testid = 'readout';
  // the line wraps between its parts (epoch, train, test), never inside one: no number is cut
  container.style.cssText = 'font-size:.9em;margin:0 0 .2em;font-variant-numeric:tabular-nums';
  container.setAttribute('aria-live', 'off');
  let shown = null;

  function render(s) {
    const m = s.metrics;
    const epoch = s.session?.epoch ?? m?.epoch ?? 0;
    const key = `${epoch}|${JSON.stringify(m)}|${s.session?.dataset ? 1 : 0}`;
    if (key === shown) return;
    shown = key;
    const parts = [];
    const sep = () => parts.push(' · ');
    const head = document.createElement('span');
    head.style.whiteSpace = 'nowrap';
    head.append('epoch ', number('readout-epoch', epoch, String(epoch)));
    parts.push(head);
    if (m && m.train_loss !== null && m.train_loss !== undefined) {
      const L = LOSS_SYMBOL.unicode;
      const part = (name, loss, acc) => {
        sep();
        const group = document.createElement('span');
        group.style.whiteSpace = 'nowrap';
        group.append(`${name} ${L} `, number(`readout-${name}-loss`, loss, formatNumber(loss)));
        if (acc !== null && acc !== undefined) group.append(' / ', number(`readout-${name}-acc`, acc, percent(acc)));
        parts.push(group);
      };
      part('train', m.train_loss, m.train_accuracy);
      if (m.test_loss !== null && m.test_loss !== undefined) part('test', m.test_loss, m.test_accuracy);
      container.title = m.n_train !== undefined
        ? `loss ${L} / accuracy over the ${m.n_train} training and ${m.n_test} test points, with the current weights` : '';
    } else if (s.session && !s.session.dataset) {
      parts.push(' · no dataset');
    }
    container.replaceChildren(...parts);
  }

  const unsubscribe = subscribe((s, prev) => {
    if (s.metrics !== prev.metrics || s.session !== prev.session) render(s);
  });
  render(getState());
  return () => {
    unsubscribe();
    container.replaceChildren();
  };
}
