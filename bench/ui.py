"""UI benchmark: Playwright (Debian's Chromium, headless) against a real server.

For the lecture's 2-2-1 network and for 6 hidden layers × 16 units (2-16×6-1, xor):
  redraw   instant mode: time from the Step key press (keydown, captured in the page) to the
           last change drawn in the page (last DOM mutation, then the frame that paints it:
           the start of that frame, its requestAnimationFrame); for information also the start
           of the frame after it, which Chromium begins only once the compositor has rastered
           the one before (software raster here), so it bounds when the pixels are on screen;
  fps      animation mode: requestAnimationFrame callbacks per second while the step's
           phases play (body[data-playing=true]), and the longest frame;
  training continuous training (T): UI updates per second = animation frames in which the
           page changed, over a fixed window; also /train responses per second.
Targets: redraw ≤ 50 ms, ≥ 55 fps animating, ≥ 20 updates/s training.
Issue 13 (appended):
  unit hover  2-8-8-1 (xor): pointer over a hidden unit → the frame after the heatmap shows its
              map (its activations come from the unit maps' cached predict {units: true});
  loss chart  redraw of the loss chart for 100 000 updates (and 100, for comparison): setState
              of a new history → the chart's draw done and the frame work before the next task,
              median of runs after 3 warm-up draws.
Targets: hover ≤ 50 ms, chart redraw ≤ 16 ms at 100 000 updates.

Run:  .venv/bin/python bench/ui.py      (needs Debian's chromium: `make chromium`)
"""
from __future__ import annotations

import json
import signal
import statistics
import sys
import urllib.request

import _common as C

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TARGET_REDRAW_MS = 50
TARGET_FPS = 55
TARGET_UPDATES = 20
TARGET_HOVER_MS = 50
TARGET_CHART_MS = 16
HOVER_NET = {"layers": [2, 8, 8, 1], "learning_rate": 0.1, "dataset": {"name": "xor", "n": 200, "seed": 0}}

NETWORKS = {
    "2-2-1 (lecture)": {"preset": "lecture"},
    "2-16x6-1": {"layers": [2] + [16] * 6 + [1], "learning_rate": 0.1,
                 "dataset": {"name": "xor", "n": 200, "seed": 0}},
}

# Injected once per page: a mutation clock, a frame counter and a fetch counter.
PROBE = """
(() => {
  if (window.__bench) return;
  const b = window.__bench = {lastMutation: 0, lastMutationFrame: 0, nextFrame: 0, awaitNext: false,
                              mutations: 0, frames: 0,
                              dirtyFrames: 0, keydown: 0, frameTimes: [], recordFrames: false,
                              fetches: {}, inflight: 0, fetchLog: []};
  let dirty = false;
  new MutationObserver((list) => {
    b.lastMutation = performance.now(); b.mutations += list.length; dirty = true;
  }).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  const tick = (now) => {
    b.frames += 1;
    if (b.recordFrames) b.frameTimes.push(now);
    if (dirty) { dirty = false; b.dirtyFrames += 1; b.lastMutationFrame = performance.now(); b.awaitNext = true; }
    else if (b.awaitNext) { b.awaitNext = false; b.nextFrame = performance.now(); }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  window.addEventListener('keydown', () => { b.keydown = performance.now(); }, true);
  const realFetch = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const url = String(input && input.url ? input.url : input);
    const key = url.replace(/^https?:\\/\\/[^/]+/, '').replace(/[0-9a-f]{32}/, '{id}').split('?')[0]
                + ' ' + ((init && init.method) || 'GET');
    b.inflight += 1;
    const start = performance.now();
    try { const r = await realFetch(input, init); await r.clone().arrayBuffer(); return r; }
    finally {
      b.inflight -= 1; b.fetches[key] = (b.fetches[key] || 0) + 1;
      b.fetchLog.push({key, start, end: performance.now()});
      if (b.fetchLog.length > 200) b.fetchLog.shift();
    }
  };
})();
"""


def api_post(base: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def wait_quiet(page, quiet_ms: float, timeout_s: float = 10) -> None:
    """Until no fetch is in flight, the app is not busy, and nothing changed for quiet_ms."""
    page.wait_for_function(
        """(q) => window.__bench.inflight === 0 && document.body.dataset.busy !== 'true'
              && document.body.dataset.playing !== 'true'
              && performance.now() - window.__bench.lastMutation > q""",
        arg=quiet_ms, timeout=timeout_s * 1000, polling=20)


def open_session(page, base: str, spec: dict) -> str:
    sid = api_post(base, "/api/sessions", spec)["id"]
    page.goto(f"{base}/?session={sid}")
    page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=20000)
    page.evaluate(PROBE)
    wait_quiet(page, 300)
    return sid


def set_instant(page, on: bool) -> None:
    box = page.locator("#instant")
    if box.is_checked() != on:
        page.keyboard.press("i")
        page.wait_for_timeout(50)
        if box.is_checked() != on:          # key not wired: click the checkbox itself
            box.click()
    page.wait_for_timeout(100)


def measure_redraw(page, n: int) -> list[float]:
    """Instant mode: Step key → last DOM change (ms), and → the frame after it."""
    set_instant(page, True)
    out = []
    for _ in range(n):
        step = page.evaluate("document.body.dataset.step")
        page.keyboard.press("s")
        page.wait_for_function("(s) => document.body.dataset.step !== s", arg=step, timeout=10000)
        wait_quiet(page, 250)
        r = page.evaluate("({k: __bench.keydown, m: __bench.lastMutation, f: __bench.lastMutationFrame,"
                          " n: __bench.nextFrame,"
                          " log: __bench.fetchLog.filter((e) => e.start >= __bench.keydown)})")
        out.append({"to_last_mutation_ms": r["m"] - r["k"], "to_painted_frame_ms": r["f"] - r["k"],
                    "to_next_frame_ms": r["n"] - r["k"] if r["n"] > r["f"] else None,
                    "requests": [{"request": e["key"], "start_ms": round(e["start"] - r["k"], 1),
                                  "end_ms": round(e["end"] - r["k"], 1)} for e in r["log"]]})
    return out


PHASE_SWEEP = """async () => {
  // each phase of the last trace shown in turn: setState, then two frames (so the change is
  // styled, laid out and painted); the same two frames with no change give the idle cost
  const st = await import('/js/state.js');
  const raf = () => new Promise((r) => requestAnimationFrame(() => r()));
  const n = st.getState().phases.length, change = [], idle = [];
  await raf(); await raf();
  for (let k = 0; k < n; k++) {
    await raf();
    const t = performance.now(); st.setState({phaseIndex: k}); await raf(); await raf();
    change.push(performance.now() - t);
  }
  for (let k = 0; k < 5; k++) { const t = performance.now(); await raf(); await raf(); idle.push(performance.now() - t); }
  return {phases: n, change_ms: change, idle_ms: idle,
          svg_nodes: document.querySelectorAll('#network *').length};
}"""


def measure_phase_render(page) -> dict:
    """Cost of drawing one phase change (after a step in instant mode), beyond idle frames."""
    try:
        r = page.evaluate(PHASE_SWEEP)
    except Exception as err:        # the module layout changed: report, don't fail the run
        return {"error": str(err)}
    r["median_change_ms"] = statistics.median(r["change_ms"]) if r["change_ms"] else None
    r["median_idle_ms"] = statistics.median(r["idle_ms"])
    return r


def measure_animation(page, runs: int) -> list[dict]:
    set_instant(page, False)
    out = []
    for _ in range(runs):
        page.evaluate("__bench.frameTimes = []; __bench.recordFrames = false")
        page.keyboard.press("s")
        page.wait_for_function("() => document.body.dataset.playing === 'true'", timeout=10000, polling=10)
        page.evaluate("__bench.frameTimes = []; __bench.recordFrames = true")
        page.wait_for_function("() => document.body.dataset.playing !== 'true'", timeout=60000, polling=50)
        ts = page.evaluate("__bench.recordFrames = false; __bench.frameTimes")
        wait_quiet(page, 200)
        if len(ts) < 2:
            continue
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        out.append({"fps": (len(ts) - 1) / ((ts[-1] - ts[0]) / 1000), "frames": len(ts),
                    "seconds": (ts[-1] - ts[0]) / 1000, "max_frame_ms": max(gaps),
                    "frames_over_20ms": sum(g > 20 for g in gaps)})
    return out


def measure_training(page, seconds: float) -> dict:
    page.keyboard.press("t")
    page.wait_for_function("() => document.body.dataset.training === 'true'", timeout=10000)
    page.wait_for_timeout(500)   # let it settle
    a = page.evaluate("({d: __bench.dirtyFrames, f: __bench.frames, t: performance.now(),"
                      " s: Number(document.body.dataset.step), c: {...__bench.fetches}})")
    page.wait_for_timeout(seconds * 1000)
    b = page.evaluate("({d: __bench.dirtyFrames, f: __bench.frames, t: performance.now(),"
                      " s: Number(document.body.dataset.step), c: {...__bench.fetches}})")
    page.keyboard.press("t")
    page.wait_for_function("() => document.body.dataset.training !== 'true'", timeout=10000)
    wait_quiet(page, 300, timeout_s=20)
    dt = (b["t"] - a["t"]) / 1000
    calls = {k: (b["c"].get(k, 0) - a["c"].get(k, 0)) / dt for k in b["c"]
             if b["c"].get(k, 0) - a["c"].get(k, 0) > 0}
    return {"updates_per_s": (b["d"] - a["d"]) / dt, "fps": (b["f"] - a["f"]) / dt,
            "sgd_steps_per_s": (b["s"] - a["s"]) / dt, "requests_per_s": calls, "seconds": dt}


HOVER_PROBE = """
(() => {
  const h = window.__hover = {over: 0, shown: 0, painted: 0, target: null};
  document.addEventListener('pointerover', (e) => {
    if (h.target && e.target.closest?.(`[data-testid="${h.target}"]`) && !h.over) h.over = performance.now();
  }, true);
  const canvas = document.querySelector('[data-testid=heatmap-canvas]');
  new MutationObserver(() => {
    if (h.target && canvas.dataset.shows === h.target && h.over && !h.shown) {
      h.shown = performance.now();
      requestAnimationFrame(() => { h.painted = performance.now(); });
    }
  }).observe(canvas, {attributes: true});
})();
"""


def measure_unit_hover(page, n: int) -> list[float]:
    """Pointer over a hidden unit → the frame after the heatmap switched to its map (ms)."""
    page.evaluate(HOVER_PROBE)
    out = []
    units = ["unit-1-3", "unit-2-5"]
    for i in range(n):
        target = units[i % 2]
        page.mouse.move(5, 5)
        page.wait_for_function("() => document.querySelector('[data-testid=heatmap-canvas]').dataset.shows === 'output'")
        page.evaluate("(t) => Object.assign(window.__hover, {over: 0, shown: 0, painted: 0, target: t})", target)
        page.hover(f"[data-testid={target}]")
        page.wait_for_function("() => window.__hover.painted > 0", timeout=10000)
        out.append(page.evaluate("() => window.__hover.painted - window.__hover.over"))
    return out


CHART_PROBE = """async ({n, runs}) => {
  const { setState } = await import('/js/state.js');
  const make = (k) => {
    const h = new Array(n);
    for (let i = 0; i < n; i += 1) h[i] = {step: i + 1, epoch: Math.floor(i / 200), loss: 0.3 + 0.2 * Math.sin(i / 50 + k) + (i % 97 === 0 ? 2 : 0)};
    const m = [];
    for (let i = 10; i <= n; i += 10) m.push({step: i, epoch: Math.floor(i / 200), train_loss: 0.3 + 0.1 * Math.cos(i / 900 + k), test_loss: 0.45, train_accuracy: 0.9, test_accuracy: 0.8});
    return [h, m];
  };
  const next = () => new Promise((resolve) => { const ch = new MessageChannel(); ch.port1.onmessage = () => resolve(); ch.port2.postMessage(0); });
  const times = [];
  // as in the page: a new array each time, the same entries (a /train chunk appends to them)
  const [h, m] = make(0);
  // (the first 3 draws warm the JIT up and are not counted: while training the chart draws
  // once a frame)
  for (let r = -3; r < runs; r += 1) {
    const hr = h.slice();
    const mr = m.slice();
    await next();
    const t0 = performance.now();
    setState({lossHistory: hr, metricsHistory: mr});
    await next();                // the chart draws in a microtask of setState's task
    if (r >= 0) times.push(performance.now() - t0);
  }
  setState({lossHistory: [], metricsHistory: []});
  times.sort((a, b) => a - b);
  return {median_ms: times[Math.floor(times.length / 2)], max_ms: times.at(-1), runs, updates: n,
          path_points: Math.max(...[...document.querySelectorAll('[data-testid=loss-chart-svg] path')].map((p) => (p.getAttribute('d').match(/[ML]/g) || []).length))};
}"""


def measure_chart(page, n: int, runs: int) -> dict:
    return page.evaluate(CHART_PROBE, {"n": n, "runs": runs})


def main(argv=None) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # run the finally: stop the server
    p = C.parser(__doc__.split("\n")[0])
    args = p.parse_args(argv)
    if not (C.REPO / "frontend" / "index.html").is_file():
        print("frontend/index.html is not there yet: nothing to measure")
        return 1
    from playwright.sync_api import sync_playwright
    if args.quick:
        n_redraw, n_anim, train_s, nets = 2, 1, 1.0, ["2-2-1 (lecture)"]
    else:
        n_redraw, n_anim, train_s, nets = 25, 3, 8.0, list(NETWORKS)
    env = C.environment()
    env["chromium"] = CHROMIUM
    print(C.env_line(env))
    server = C.Server().start()
    base = f"http://127.0.0.1:{server.port}"
    results = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            env["chromium_version"] = browser.version
            for name in nets:
                # the page's CSP has no 'unsafe-eval'; Playwright's wait_for_function polls
                # with eval, so the probe context bypasses CSP (the page's own code is unchanged)
                context = browser.new_context(viewport={"width": 1600, "height": 1000},
                                              bypass_csp=True)
                page = context.new_page()
                page.on("pageerror", lambda e, name=name: print(f"[{name}] page error: {e}"))
                open_session(page, base, NETWORKS[name])
                if args.quick:     # shorter animation: fastest speed
                    for _ in range(6):
                        page.keyboard.press("+")
                redraw = measure_redraw(page, n_redraw)
                phase_render = measure_phase_render(page)
                anim = measure_animation(page, n_anim)
                train = measure_training(page, train_s)
                context.close()
                results[name] = {"redraw": redraw, "phase_render": phase_render, "animation": anim,
                                 "training": train}
            # issue 13: hover on a hidden unit (2-8-8-1), the loss chart at 100 000 updates
            context = browser.new_context(viewport={"width": 1280, "height": 720}, bypass_csp=True)
            page = context.new_page()
            page.on("pageerror", lambda e: print(f"[playground] page error: {e}"))
            open_session(page, base, HOVER_NET)
            page.wait_for_function("() => document.querySelectorAll('[data-testid^=unit-map-]').length >= 17",
                                   timeout=20000)
            playground = {"hover_ms": measure_unit_hover(page, 4 if args.quick else 20),
                          "chart_100": measure_chart(page, 100, 5 if args.quick else 15),
                          "chart_100000": measure_chart(page, 100000, 5 if args.quick else 15)}
            context.close()
            browser.close()
    finally:
        server.stop()

    rows, targets = [], {}
    for name, r in results.items():
        last = [x["to_last_mutation_ms"] for x in r["redraw"]]
        painted = [x["to_painted_frame_ms"] for x in r["redraw"]]
        after = [x["to_next_frame_ms"] for x in r["redraw"] if x.get("to_next_frame_ms") is not None]
        fps = [a["fps"] for a in r["animation"]]
        maxf = max((a["max_frame_ms"] for a in r["animation"]), default=None)
        r["summary"] = {"redraw_p50_ms": statistics.median(last),
                        "redraw_p90_ms": sorted(last)[int(0.9 * (len(last) - 1))],
                        "painted_p50_ms": statistics.median(painted),
                        "next_frame_p50_ms": statistics.median(after) if after else None,
                        "fps_median": statistics.median(fps) if fps else None,
                        "max_frame_ms": maxf,
                        "training_updates_per_s": r["training"]["updates_per_s"],
                        "training_steps_per_s": r["training"]["sgd_steps_per_s"]}
        s = r["summary"]
        targets[name] = {
            f"redraw <= {TARGET_REDRAW_MS} ms": s["painted_p50_ms"] <= TARGET_REDRAW_MS,
            f">= {TARGET_FPS} fps animating": None if s["fps_median"] is None else s["fps_median"] >= TARGET_FPS,
            f">= {TARGET_UPDATES} updates/s training": s["training_updates_per_s"] >= TARGET_UPDATES}
        rows.append([name, f"{s['redraw_p50_ms']:.1f} ms", f"{s['painted_p50_ms']:.1f} ms",
                     "—" if s["next_frame_p50_ms"] is None else f"{s['next_frame_p50_ms']:.1f} ms",
                     f"{s['redraw_p90_ms']:.1f} ms",
                     "—" if s["fps_median"] is None else f"{s['fps_median']:.1f}",
                     "—" if maxf is None else f"{maxf:.0f} ms",
                     f"{s['training_updates_per_s']:.1f}", f"{s['training_steps_per_s']:.0f}"])
    print()
    print("Headless Chromium, real server; redraw = Step key → last DOM change (instant mode)")
    print(C.table(["network", "redraw p50", "→ painted frame p50", "→ next frame p50", "redraw p90",
                   "fps animating", "longest frame", "UI updates/s training", "SGD steps/s training"], rows))
    print("  → next frame: the frame after the painted one, which Chromium begins only once that one "
          "is rastered (software raster here): when the pixels are on screen, at the latest")
    for name, r in results.items():
        print(f"  {name}: requests/s while training: " + ", ".join(
            f"{k} {v:.1f}" for k, v in r["training"]["requests_per_s"].items()))
    for name, r in results.items():
        runs = sorted(r["redraw"], key=lambda x: x["to_last_mutation_ms"])
        mid = runs[len(runs) // 2]
        print(f"  {name}: a median instant-mode step: " + "; ".join(
            f"{e['request']} {e['start_ms']:.0f}→{e['end_ms']:.0f} ms" for e in mid["requests"])
            + f"; last change at {mid['to_last_mutation_ms']:.0f} ms")
    for name, r in results.items():
        pr = r["phase_render"]
        if pr.get("median_change_ms") is not None:
            print(f"  {name}: one phase change drawn (setState + 2 frames): median "
                  f"{pr['median_change_ms']:.1f} ms vs {pr['median_idle_ms']:.1f} ms for 2 idle frames; "
                  f"{pr['svg_nodes']:,} SVG nodes in the network view")
    hover = playground["hover_ms"]
    c100, c100k = playground["chart_100"], playground["chart_100000"]
    playground["summary"] = {"hover_p50_ms": statistics.median(hover), "hover_max_ms": max(hover),
                             "chart_100_ms": c100["median_ms"], "chart_100000_ms": c100k["median_ms"]}
    targets["playground"] = {
        f"hover on a hidden unit → its map painted <= {TARGET_HOVER_MS} ms (2-8-8-1)":
            playground["summary"]["hover_p50_ms"] <= TARGET_HOVER_MS,
        f"loss chart redraw <= {TARGET_CHART_MS} ms at 100 000 updates": c100k["median_ms"] <= TARGET_CHART_MS}
    print(f"  2-8-8-1: hover on a hidden unit → its heatmap painted: median {statistics.median(hover):.1f} ms, "
          f"max {max(hover):.1f} ms ({len(hover)} hovers)")
    print(f"  loss chart redraw: {c100['median_ms']:.2f} ms for 100 updates, {c100k['median_ms']:.2f} ms "
          f"for 100 000 (max {c100k['max_ms']:.2f} ms; {c100k['path_points']} points in its longest path)")
    print("Targets")
    for name, t in targets.items():
        for k, ok in t.items():
            print(f"  {name}: {k}: {C.met(ok)}")
    path = C.write_json(args.out, "ui", {
        "benchmark": "ui", "quick": args.quick, "environment": env,
        "command": C.command("ui.py", blas_env=False), "networks": results, "playground": playground,
        "targets": targets})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
