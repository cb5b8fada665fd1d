// Entry point: mount the views, wire the controls, load or create the session.
import { initControls, start } from './controls.js';
import { mountNetwork } from './views/network.js';
import { mountPhase } from './views/phase.js';
import { mountHelp } from './views/help.js';
import { loadMeta } from './notation.js';
import { mountLive } from './live.js';
import { mountWeightEditor } from './views/weight-editor.js';

const byId = (id) => document.getElementById(id);

// Panels written as separate modules; a missing one leaves a note, not a broken page.
async function mountOptional(path, name, id) {
  const container = byId(id);
  if (!container) return;
  try {
    const module = await import(path);
    module[name](container);
  } catch (err) {
    container.textContent = `(${id} unavailable: ${err.message})`;
    container.classList.add('unavailable');
  }
}

await loadMeta(); // the server's activation/loss table (GET /api/meta), before the setup form
initControls();
mountLive(); // issue 15: follow the session's events (two tabs stay in step)
mountHelp(byId('help-list'));
mountPhase(byId('phase'));
mountNetwork(byId('network'));
mountWeightEditor(byId('network'));
await Promise.all([
  mountOptional('./views/inspector.js', 'mountInspector', 'inspector'),
  mountOptional('./views/charts.js', 'mountLossChart', 'loss-chart'),
  mountOptional('./views/readout.js', 'mountReadout', 'readout'),
  mountOptional('./views/heatmap.js', 'mountHeatmap', 'heatmap'),
  import('./views/unit-maps.js').then((m) => m.mountUnitMaps(byId('network'))).catch((err) => console.warn(`unit maps unavailable: ${err.message}`)),
  mountOptional('./views/lecture.js', 'mountLecture', 'lecture'),
  mountOptional('./views/exercise.js', 'mountExercise', 'exercise'),
  mountOptional('./views/class-panel.js', 'mountClassPanel', 'btn-class'),
]);
await start();
