"""Geometry of the network view read back from the page in one evaluate: the boxes and texts
of every visible label, the units, and (on request) every drawn edge's midpoint (client
pixels); the pairwise checks run in the page (thousands of pairs), their failures come back
as lists."""
from __future__ import annotations

from playwright.sync_api import Page

# geometry(page, phase=i) first waits (in the page) until phase chip i is the current one.
# Returns {phase, labels: [{id, x, y, w, h, text, roles: {role: text}}], units: [...],
#          edges: [{id, x, y}] (with edges=True), net: {x, y, w, h}, overlaps, covered, outside}.
SCRIPT = """async ({phase, withEdges}) => {
  const chips = () => [...document.querySelectorAll('.phase-chips li')];
  for (let i = 0; phase !== null && i < 200; i++) {
    const at = chips().findIndex((li) => li.classList.contains('current'));
    if (at === phase) break;
    await new Promise((r) => requestAnimationFrame(r));
  }
  const svg = document.querySelector('svg.network');
  const net = svg.getBoundingClientRect();
  const box = (n) => {
    const r = n.getBoundingClientRect();
    return {x: r.x, y: r.y, w: r.width, h: r.height};
  };
  const labels = [];
  for (const n of svg.querySelectorAll('.label, .loss')) {
    if (n.closest('[display=none]') || getComputedStyle(n).display === 'none') continue;
    const b = box(n);
    if (b.w === 0 || b.h === 0) continue;
    const roles = {};
    for (const s of n.querySelectorAll('[data-role]')) {
      if (!s.closest('[display=none]')) roles[s.dataset.role] = s.textContent;
    }
    labels.push({id: n.dataset.testid, ...b, text: n.textContent, roles});
  }
  const units = [...svg.querySelectorAll('.unit-circle, .bias circle')].map((c) => ({
    id: c.closest('[data-testid]').dataset.testid, ...box(c)}));
  const m = svg.getScreenCTM();
  const edges = !withEdges ? [] : [...svg.querySelectorAll('.edge')].map((g) => {
    const l = g.querySelector('.edge-line');
    const p = new DOMPoint((+l.getAttribute('x1') + +l.getAttribute('x2')) / 2,
                           (+l.getAttribute('y1') + +l.getAttribute('y2')) / 2).matrixTransform(m);
    return {id: g.dataset.testid, x: p.x, y: p.y};
  });
  const area = (a, b) => {
    const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
    const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
    return w > 0 && h > 0 ? w * h : 0;
  };
  const overlaps = [];
  for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) {
    const a = area(labels[i], labels[j]);
    if (a > 0) overlaps.push([labels[i].id, labels[j].id, a]);
  }
  const covered = [];
  for (const l of labels) for (const u of units) {
    const a = area(l, u);
    if (a > 0) covered.push([l.id, u.id, a]);
  }
  const outside = labels.filter((l) => l.x < net.x - 0.5 || l.y < net.y - 0.5
    || l.x + l.w > net.x + net.width + 0.5 || l.y + l.h > net.y + net.height + 0.5).map((l) => l.id);
  const current = chips().findIndex((li) => li.classList.contains('current'));
  return {phase: current, phaseId: document.querySelector('[data-testid=phase]').dataset.phase,
          labels, units, edges, net: {x: net.x, y: net.y, w: net.width, h: net.height},
          overlaps, covered, outside};
}"""


def geometry(page: Page, phase: int | None = None, edges: bool = False) -> dict:
    return page.evaluate(SCRIPT, {"phase": phase, "withEdges": edges})
