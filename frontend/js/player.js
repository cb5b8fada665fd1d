// Plays a trace's phases one after another (requestAnimationFrame clock).
// Part of the controller side: it only changes state.phaseIndex.
import { getState, setState } from './state.js';
import { clampPhase } from './timeline.js';

export const PHASE_MS = 700;

let frame = null;

export function isPlaying() {
  return frame !== null;
}

export function stop() {
  if (frame !== null) cancelAnimationFrame(frame);
  frame = null;
  document.body.dataset.playing = 'false';
}

/** Show phases from `from` to the last one, one per PHASE_MS / speed. */
export function play(from = 0) {
  stop();
  const { phases } = getState();
  if (!phases.length) return;
  setState({ phaseIndex: clampPhase(phases, from) });
  document.body.dataset.playing = 'true';
  let last = performance.now();
  const tick = (now) => {
    const s = getState();
    const duration = PHASE_MS / Math.max(0.1, s.settings.speed);
    if (s.settings.instant || s.settings.microstep) {
      if (s.settings.instant) setState({ phaseIndex: s.phases.length - 1 });
      stop();
      return;
    }
    if (now - last >= duration) {
      last = now;
      if (s.phaseIndex >= s.phases.length - 1) {
        stop();
        return;
      }
      setState({ phaseIndex: s.phaseIndex + 1 });
      if (s.phaseIndex + 1 >= s.phases.length - 1) {
        stop();
        return;
      }
    }
    frame = requestAnimationFrame(tick);
  };
  frame = requestAnimationFrame(tick);
}

/** Show a freshly received trace according to the settings. */
export function present() {
  const s = getState();
  if (!s.phases.length) {
    stop();
    return;
  }
  if (s.settings.microstep) {
    stop();
    setState({ phaseIndex: 0 });
  } else if (s.settings.instant) {
    stop();
    setState({ phaseIndex: s.phases.length - 1 });
  } else {
    play(0);
  }
}
