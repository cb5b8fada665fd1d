// Projector mode's teaching overlays (CSS in explorer.css, "projector mode"):
// marks the page with body.has-selection while a weight or unit is selected,
// so that the chain-rule card (views/inspector.js, rendered as always) is shown
// as a large overlay, and wires the overlay's close button. The loss chart and
// the heatmap strip appear while training from body.training alone (controls.js).
import { getState, subscribe } from '../state.js';
import { select } from '../controls.js';

function sync(state) {
  document.body.classList.toggle('has-selection', !!state.selection);
}

subscribe((s, prev) => { if (s.selection !== prev.selection) sync(s); });
sync(getState());
document.getElementById('btn-overlay-close')?.addEventListener('click', () => select(null));
