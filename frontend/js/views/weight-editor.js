// views/weight-editor.js — type a weight's value in place.
//
//   mountWeightEditor(networkContainer) → unmount()
//
// Double-clicking a weight in the network view (its first click selects it), or W on a focused
// or selected weight (controls.js openWeightEditor), sets state.editing = {layer, from, to};
// this view then opens a small field over the weight's midpoint holding its exact value (the
// shortest decimal that is the same double). Enter sets it (controls.js setWeight: one
// PUT /weights, undoable with U), Esc or leaving the field closes it unchanged. Text that is not
// a finite number, or a value the server refuses, is never sent / changes nothing: the field
// stays open, marked aria-invalid, with the message under it.
//
// Test hooks: data-testid="weight-editor", "weight-editor-input", "weight-editor-error".
import { getState, subscribe } from '../state.js';
import { closeWeightEditor, openWeightEditor, setWeight, weightValue } from '../controls.js';
import { labelUnicode, weightLabel } from '../notation.js';

const STYLE = 'position:fixed;z-index:30;background:#fff;border:1px solid #333;border-radius:6px;'
  + 'padding:6px 8px;box-shadow:0 2px 10px rgba(0,0,0,.25);font-size:14px;display:flex;flex-direction:column;gap:4px';

export function mountWeightEditor(container) {
  const box = document.createElement('form');
  box.dataset.testid = 'weight-editor';
  box.hidden = true;
  box.style.cssText = STYLE;
  box.setAttribute('role', 'dialog');
  const label = document.createElement('label');
  label.style.cssText = 'display:flex;gap:6px;align-items:center;white-space:nowrap';
  const name = document.createElement('span');
  const input = document.createElement('input');
  input.type = 'text';
  input.inputMode = 'decimal';
  input.size = 12;
  input.dataset.testid = 'weight-editor-input';
  input.setAttribute('aria-errormessage', 'weight-editor-error');
  label.append(name, input);
  const hint = document.createElement('small');
  hint.textContent = 'Enter sets it (one undoable change, U) · Esc cancels';
  hint.style.opacity = '0.75';
  const error = document.createElement('small');
  error.id = 'weight-editor-error';
  error.dataset.testid = 'weight-editor-error';
  error.setAttribute('role', 'alert');
  error.style.cssText = 'color:#b00020;max-width:22em';
  box.append(label, hint, error);
  document.body.append(box);

  let open = null; // the {layer, from, to} shown
  let sending = false;

  function place(target) {
    const line = container.querySelector(`[data-testid="edge-${target.layer}-${target.from}-${target.to}"] .edge-line`);
    const r = (line ?? container).getBoundingClientRect();
    const x = r.left + r.width / 2;
    const y = r.top + r.height / 2;
    const w = box.offsetWidth || 240;
    const h = box.offsetHeight || 70;
    box.style.left = `${Math.round(Math.max(4, Math.min(window.innerWidth - w - 4, x - w / 2)))}px`;
    box.style.top = `${Math.round(Math.max(4, Math.min(window.innerHeight - h - 4, y + 12)))}px`;
  }

  function show(target) {
    const s = getState();
    open = target;
    const sizes = s.session.network.layers;
    name.textContent = `${labelUnicode(weightLabel(sizes, target.layer, target.from, target.to))} =`;
    input.setAttribute('aria-label', `new value of ${name.textContent.slice(0, -2)}`);
    const v = weightValue(s.session.weights, target);
    input.value = v === null ? '' : String(v); // JS's shortest round-trip text: the exact double
    input.removeAttribute('aria-invalid');
    error.textContent = '';
    box.hidden = false;
    place(target);
    input.focus();
    input.select();
  }

  function hide() {
    if (!open) return;
    open = null;
    box.hidden = true;
    const edge = document.activeElement === input || document.activeElement === document.body
      ? container.querySelector('.edge.selected, [data-testid^="edge-"][aria-pressed="true"]') : null;
    if (edge && typeof edge.focus === 'function') edge.focus();
  }

  box.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!open || sending) return;
    sending = true;
    const target = open;
    const ok = await setWeight(target, input.value);
    sending = false;
    if (!ok && open === target) {
      input.setAttribute('aria-invalid', 'true');
      error.textContent = getState().error?.message ?? 'refused';
      input.focus();
    }
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      ev.stopPropagation();
      closeWeightEditor();
    }
  });
  input.addEventListener('blur', () => {
    // leaving the field (not to send it) closes it unchanged
    setTimeout(() => { if (open && !sending && document.activeElement !== input) closeWeightEditor(); }, 0);
  });
  const onDblClick = () => {
    const sel = getState().selection;
    if (sel?.kind === 'weight') openWeightEditor({ layer: sel.layer, from: sel.from, to: sel.to });
  };
  container.addEventListener('dblclick', onDblClick);

  const unsubscribe = subscribe((s, prev) => {
    if (s.editing === prev.editing && s.session?.id === prev.session?.id) return;
    if (s.editing && s.session && s.session.id === (prev.session?.id ?? s.session.id)) {
      if (!open || open.layer !== s.editing.layer || open.from !== s.editing.from || open.to !== s.editing.to) show(s.editing);
    } else {
      hide();
      if (s.editing) closeWeightEditor();
    }
  });
  return () => {
    unsubscribe();
    container.removeEventListener('dblclick', onDblClick);
    box.remove();
  };
}
