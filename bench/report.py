"""Render bench/results/*.json as the Markdown of a "Performance" section (stdout).

Run:  .venv/bin/python bench/report.py [--out DIR] > /tmp/perf.md
"""
from __future__ import annotations

import json
import sys

import _common as C


def load(out, name):
    p = out / f"{name}.json"
    return json.loads(p.read_text()) if p.is_file() else None


def ms(v):
    return C.fmt_time(v)


def main(argv=None) -> int:
    p = C.parser(__doc__.split("\n")[0])
    args = p.parse_args(argv)
    out = args.out
    lines = []
    for name in ("engine-threads1-cpuclock", "engine", "engine-threads1"):
        d = load(out, name)
        if not d:
            continue
        e = d["environment"]
        lines += [f"### Engine (`{d['command'].strip()}`)", "",
                  f"{C.env_line(e)}", "",
                  "| case | ours (full trace) | ours, numpy path | Session.sgd_step | bare numpy "
                  "| torch f64 | plain Python | torch ÷ ours | ours ÷ numpy | python ÷ ours "
                  "| torch ÷ numpy |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for c in d["cases"]:
            m = {k: v["median"] for k, v in c["stats"].items()}
            r = c["ratios"]
            lines.append("| " + " | ".join([
                c["case"], ms(m.get("ours")), ms(m.get("ours-numpy")), ms(m.get("session")),
                ms(m.get("floor")),
                ms(m.get("torch")), ms(m.get("python")),
                "—" if r["torch_over_ours"] is None else f"{r['torch_over_ours']:.2f}×",
                f"{r['ours_over_floor']:.2f}×", f"{r['python_over_ours']:.2f}×",
                f"{m['torch'] / m['floor']:.2f}×" if "torch" in m else "—"]) + " |")
        lines.append("")
        for c in d["cases"]:
            for t, ok in c["targets"].items():
                lines.append(f"- {c['case']}: {t}: **{C.met(ok)}**")
        lines.append("")
    d = load(out, "api")
    if d:
        lines += [f"### API (`{d['command'].strip()}`)", "",
                  "| store | endpoint | p50 | p90 | p99 | req/s, 1 connection | req/s, "
                  f"{d['setup']['concurrency']} connections | server CPU per request | response bytes |",
                  "|---|---|---|---|---|---|---|---|---|"]
        stores = d.get("stores") or {"memory": d}
        for store, r in stores.items():
            for k, label in (("health", "GET /api/health"), ("step", "POST /step (2-2-1, `{}`)")):
                s = r["endpoints"][k]
                lines.append(f"| {store} | {label} | {ms(s['p50'])} | {ms(s['p90'])} | "
                             f"{ms(s['p99'])} | {s['single_connection_rps']:,.0f} | "
                             f"{s['throughput_rps_median']:,.0f} | "
                             f"{ms(s.get('server_cpu_per_request'))} | {s['response_bytes']:,} |")
        lines.append("")
        for store, r in stores.items():
            q = r["ratios"]
            cpu_share = q.get("step_server_cpu_share")
            lines.append(f"- {store}: /step ÷ health: p50 {q['step_p50_over_health_p50']:.2f}×, "
                         f"throughput {q['step_throughput_share']:.0%}"
                         + ("" if cpu_share is None else
                            f" (server CPU per request: health's is {cpu_share:.0%} of /step's)")
                         + "; " + "; ".join(
                             f"{t}: **{C.met(ok)}**" for t, ok in r["targets"].items()))
        lines.append("")
    d = load(out, "scaling")
    if d:
        cols = [c for c in ("ours", "session", "floor", "torch") if c in d["by_units"][0]]
        lines += [f"### Scaling (`{d['command'].strip()}`)", "", "![scaling](results/scaling.png)", "",
                  "| 2-h-1, h = | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
        for r in d["by_units"]:
            lines.append(f"| {r['units']} | " + " | ".join(ms(r[c]) for c in cols) + " |")
        lines += ["", "| hidden layers of 16 | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
        for r in d["by_depth"]:
            lines.append(f"| {r['hidden_layers']} | " + " | ".join(ms(r[c]) for c in cols) + " |")
        lines.append("")
    d = load(out, "ui")
    if d:
        lines += [f"### UI (`{d['command'].strip()}`)", "",
                  "| network | Step → last change (p50) | → painted frame (p50) | → next frame "
                  "(p50, on screen at the latest) | fps animating | longest frame | "
                  "UI updates/s training | SGD steps/s training |",
                  "|---|---|---|---|---|---|---|---|"]
        for name, r in d["networks"].items():
            s = r["summary"]
            nxt = s.get("next_frame_p50_ms")
            lines.append(f"| {name} | {s['redraw_p50_ms']:.0f} ms | {s['painted_p50_ms']:.0f} ms | "
                         f"{'—' if nxt is None else format(nxt, '.0f') + ' ms'} | "
                         f"{'—' if s['fps_median'] is None else format(s['fps_median'], '.1f')} | "
                         f"{'—' if s['max_frame_ms'] is None else format(s['max_frame_ms'], '.0f') + ' ms'} | "
                         f"{s['training_updates_per_s']:.1f} | {s['training_steps_per_s']:.0f} |")
        lines.append("")
        for name, t in d["targets"].items():
            lines += [f"- {name}: {k}: **{C.met(ok)}**" for k, ok in t.items()]
        lines.append("")
    d = load(out, "profile_hotpaths")
    if d:
        lines += [f"### Where the time goes (`{d['command'].strip()}`)", ""]
        for section, rows in d["sections"].items():
            lines += [f"**{section}**", "", "| what | median |", "|---|---|"]
            lines += [f"| {k} | {ms(v)} |" for k, v in rows.items()] + [""]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
