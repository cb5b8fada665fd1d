// Pure: a trace -> the ordered phases in which it is shown. No DOM.
//
// Phases: forward layer 1 … N, loss (when the trace has one), backward layer
// N … 1 (backward and step traces), update (step traces). Each phase is
//   {id, kind: 'forward'|'loss'|'backward'|'update', layer, title, detail}
// where layer is the 1-based non-input layer (null for loss and update).
import { layerName } from './format.js';

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

function activationFormula(activation, a) {
  switch (activation) {
    case 'sigmoid': return `${a} = σ(s)`;
    case 'tanh': return `${a} = tanh(s)`;
    case 'relu': return `${a} = max(0, s)`;
    case 'leaky_relu': return `${a} = max(0.01·s, s)`;
    case 'softmax': return `${a} = softmax(s)`;
    default: return `${a} = s`;
  }
}

function derivative(activation) {
  switch (activation) {
    case 'sigmoid': return 'z(1 − z)';
    case 'tanh': return '(1 − z²)';
    case 'relu': return '[s > 0]';
    case 'leaky_relu': return '(s > 0 ? 1 : 0.01)';
    case 'linear': return '1';
    default: return 'a′(s)';
  }
}

function lossFormula(loss, outputActivation) {
  if (loss === 'cross_entropy') {
    return outputActivation === 'softmax' ? 'L = −Σ y* log y' : 'L = −Σ [y* log y + (1 − y*) log(1 − y)]';
  }
  return 'L = ½ Σ (y − y*)²';
}

/**
 * phases(data, network) -> phase list.
 * data: an API forward/backward/step trace; network: session.network
 * ({layers, activations, loss}). Returns [] for no trace.
 */
export function buildPhases(data, network) {
  const kind = traceKind(data);
  if (!kind) return [];
  const sizes = network.layers;
  const n = sizes.length - 1;
  const activations = network.activations ?? [];
  const phases = [];
  for (let l = 1; l <= n; l += 1) {
    const name = layerName(sizes, l);
    const a = l === n ? 'y' : 'z';
    phases.push({
      id: `forward-${l}`,
      kind: 'forward',
      layer: l,
      title: `Forward · ${name} layer: s = Σ w·a, ${activationFormula(activations[l - 1], a)}`,
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
      title: `Loss: ${lossFormula(network.loss, activations[n - 1])}`,
      detail: 'Compare the output y with the target y*.',
    });
  }
  if (kind === 'backward' || kind === 'step') {
    for (let l = n; l >= 1; l -= 1) {
      const name = layerName(sizes, l);
      phases.push({
        id: `backward-${l}`,
        kind: 'backward',
        layer: l,
        title: l === n
          ? `Backward · ${name} layer: δ = ∂L/∂s cached`
          : `Backward · ${name} layer: reuse cached δ, δ = ${derivative(activations[l - 1])}·Σ w·δ`,
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
      title: 'Update: w ← w − γ·∂L/∂w',
      detail: 'Every weight takes one step against its gradient.',
    });
  }
  return phases;
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
