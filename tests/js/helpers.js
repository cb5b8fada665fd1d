// Shared by the node tests: GET /api/meta's answer as the fixture holds it (tests/api checks the
// fixture against the live endpoint), installed into notation.js.
import { readFileSync } from 'node:fs';
import { setMeta } from '../../frontend/js/notation.js';

export const META = JSON.parse(readFileSync(new URL('./fixtures/meta.json', import.meta.url), 'utf8'));

export function installMeta(meta = META) {
  return setMeta(meta);
}
