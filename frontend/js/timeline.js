// Pure: a trace -> the ordered phases in which it is shown. No DOM. The formulas in the titles
// come from notation.js (the server's activation and loss table).
//
// Phases: forward layer 1 … N, loss (when the trace has one), backward layer
// N … 1 (backward and step traces), update (step traces). Each phase is
//   {id, kind: 'forward'|'loss'|'backward'|'update', layer, title, detail}
// where layer is the 1-based non-input layer (null for loss and update).
import {
  notation, activationOf, lossOf, activationValue, activationDerivative, lossFormula, GENERIC, scheduleArithmetic,
} from './notation.js';

/** Kind of an API trace object from its keys. */
export function traceKind(data) {
  if (!data) return null;
  if (data.update) return 'step';
  if (data.grads) return 'backward';
  if (data.layers) return 'forward';
  return null;
}

/** The forward part of any trace. */
export function forwardOf(data) {
  return data && (data.forward ?? data);
}

/**
 * phases(data, network) -> phase list.
 * data: an API forward/backward/step trace; network: session.network
 * ({layers, activations, loss}). Returns [] for no trace.
 */
export function buildPhases(data, network) {
  const kind = traceKind(data);
  if (!kind) return [];
  const lab = notation(network);
  const n = lab.L;
  const phases = [];
  for (let l = 1; l <= n; l += 1) {
    const name = lab.layerName(l);
    const a = l === n ? GENERIC.y : GENERIC.z;
    phases.push({
      id: `forward-${l}`,
      kind: 'forward',
      layer: l,
      title: `Forward · ${name} layer: s = Σ w·a, ${a.unicode} = ${activationValue(activationOf(network, l), GENERIC.s).unicode}`,
      detail: l === 1
        ? 'Each unit sums its weighted inputs (w_0j is the bias, its input is 1) and applies its activation.'
        : 'The layer below is done; its activations are the inputs here.',
    });
  }
  const fwd = forwardOf(data);
  const hasLoss = kind !== 'forward' || (fwd.loss !== null && fwd.loss !== undefined);
  if (hasLoss) {
    phases.push({
      id: 'loss',
      kind: 'loss',
      layer: null,
      title: `Loss: ${lossFormula(lossOf(network)).unicode}`,
      detail: 'Compare the output y with the target y*.',
    });
  }
  if (kind === 'backward' || kind === 'step') {
    for (let l = n; l >= 1; l -= 1) {
      const name = lab.layerName(l);
      phases.push({
        id: `backward-${l}`,
        kind: 'backward',
        layer: l,
        title: l === n
          ? `Backward · ${name} layer: δ = ∂L/∂s cached`
          : `Backward · ${name} layer: reuse cached δ, δ = ${activationDerivative(activationOf(network, l), GENERIC.z, GENERIC.s).unicode}·Σ w·δ`,
        detail: l === n
          ? '∂L/∂y from the loss, then δ = ∂L/∂s; ∂L/∂w = (input of the edge) · δ.'
          : 'Cache to speed up: ∂L/∂a sums w · δ over the units above, using the δ values already stored.',
      });
    }
  }
  if (kind === 'step') {
    phases.push({
      id: 'update',
      kind: 'update',
      layer: null,
      ...updateTitle(data, network),
    });
  }
  return phases;
}

// The update phase's words: with a decaying schedule γ_t, its value for this update with
// the arithmetic (the server's γ_t is the trace's learning_rate, t its t).
function updateTitle(data, network) {
  const gamma = scheduleArithmetic(network?.schedule, network?.learning_rate, data?.t, data?.learning_rate);
  if (!gamma || data?.t === undefined) {
    return { title: 'Update: w ← w − γ·∂L/∂w', detail: 'Every weight takes one step against its gradient.' };
  }
  return { title: 'Update: w ← w − γ_t·∂L/∂w', detail: `Every weight takes one step against its gradient, with ${gamma.text} (t = ${data.t}).` };
}

/**
 * What is visible when phases[0..index] have been shown:
 * {forward: Set(layers), loss: bool, backward: Set(layers), update: bool,
 *  current: phase|null, reuse: layer whose cached δ is being reused (or null)}.
 */
export function visibility(phases, index) {
  const seen = {
    forward: new Set(), loss: false, backward: new Set(), update: false, current: null, reuse: null,
  };
  const last = Math.min(index, phases.length - 1);
  for (let i = 0; i <= last; i += 1) {
    const phase = phases[i];
    if (phase.kind === 'forward') seen.forward.add(phase.layer);
    else if (phase.kind === 'loss') seen.loss = true;
    else if (phase.kind === 'backward') seen.backward.add(phase.layer);
    else if (phase.kind === 'update') seen.update = true;
  }
  seen.current = last >= 0 ? phases[last] : null;
  if (seen.current && seen.current.kind === 'backward' && seen.backward.has(seen.current.layer + 1)) {
    seen.reuse = seen.current.layer + 1;
  }
  return seen;
}

/** Clamp a phase index into [0, phases.length - 1] (0 for no phases). */
export function clampPhase(phases, index) {
  if (!phases.length) return 0;
  return Math.max(0, Math.min(phases.length - 1, index));
}
