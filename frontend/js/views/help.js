// The "?" overlay: every keyboard shortcut (from controls.js's list).
import { SHORTCUTS } from '../controls.js';

export function mountHelp(list) {
  for (const s of SHORTCUTS) {
    const dt = document.createElement('dt');
    dt.dataset.action = s.action;
    s.keys.forEach((k, i) => {
      if (i) dt.append(' ');
      const kbd = document.createElement('kbd');
      kbd.textContent = k;
      dt.append(kbd);
    });
    const dd = document.createElement('dd');
    dd.textContent = s.text;
    list.append(dt, dd);
  }
}
