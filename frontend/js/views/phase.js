// The phase banner: names the phase being shown and lists the whole sequence; an aria-live
// region says each phase in words with its numbers (narrate.js) for a screen reader.
import { getState, subscribe } from '../state.js';
import { narratePhase, weightsOfTrace } from '../narrate.js';

// visually hidden, still read out
const HIDDEN = 'position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:normal;border:0';

export function mountPhase(container) {
  const name = document.createElement('div');
  name.className = 'phase-name';
  name.setAttribute('data-testid', 'phase-name');
  const detail = document.createElement('div');
  detail.className = 'phase-detail';
  detail.setAttribute('data-testid', 'phase-detail');
  const chips = document.createElement('ol');
  chips.className = 'phase-chips';
  chips.setAttribute('data-testid', 'phase-chips');
  const text = document.createElement('div');
  text.className = 'phase-text';
  text.append(name, detail);
  const live = document.createElement('div');
  live.setAttribute('data-testid', 'phase-narration');
  live.setAttribute('role', 'status');
  live.setAttribute('aria-live', 'polite');
  live.setAttribute('aria-atomic', 'true');
  live.style.cssText = HIDDEN;
  container.append(text, chips, live);

  let shownPhases = null;
  const render = (s) => {
    const phase = s.phases[s.phaseIndex] ?? null;
    if (!phase) {
      name.textContent = s.training
        ? 'Training… (T pauses)'
        : 'Ready: press S for one SGD step (F forward only, B forward + backward)';
      detail.textContent = s.training
        ? 'Weights and loss update live; press S afterwards to watch a single step again.'
        : 'The lecture’s recipe for each example: forward, loss, backward (caching δ), update.';
      container.dataset.phase = 'none';
    } else {
      name.textContent = phase.title;
      name.title = phase.title;
      detail.textContent = `${s.phaseIndex + 1} / ${s.phases.length} · ${phase.detail}${s.settings.microstep ? '  (micro-step: → next, ← back)' : ''}`;
      container.dataset.phase = phase.id;
    }
    if (shownPhases !== s.phases) {
      shownPhases = s.phases;
      chips.classList.toggle('compact', s.phases.length > 8);
      chips.replaceChildren(...s.phases.map((p) => {
        const li = document.createElement('li');
        li.dataset.phase = p.id;
        li.textContent = chipText(p);
        return li;
      }));
    }
    [...chips.children].forEach((li, i) => {
      li.classList.toggle('done', i < s.phaseIndex);
      li.classList.toggle('current', i === s.phaseIndex);
    });
    narrate(s, phase);
  };

  let said = null;
  function narrate(s, phase) {
    let words = '';
    if (phase && s.trace && s.session) {
      try {
        words = narratePhase(phase, s.trace.data, s.session.network, weightsOfTrace(s.trace.data, s.session.weights));
      } catch {
        words = phase.title;
      }
    } else if (s.training) {
      words = 'Training continuously; press T to pause.';
    }
    if (words !== said) {
      said = words;
      live.textContent = words;
    }
  }
  subscribe((s, prev) => {
    if (s.phases !== prev.phases || s.phaseIndex !== prev.phaseIndex || s.training !== prev.training
        || s.settings.microstep !== prev.settings.microstep) render(s);
  });
  render(getState());
}

function chipText(phase) {
  if (phase.kind === 'forward') return `→ ${phase.layer}`;
  if (phase.kind === 'backward') return `← ${phase.layer}`;
  if (phase.kind === 'loss') return 'L';
  return 'update';
}
