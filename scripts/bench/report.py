#!/usr/bin/env python3
"""Markdown tables of scripts/bench-tiles from its raw figures.

  report.py RAW_TSV CPU_TSV CHECK_TSV CACHE_FLAG "median PATH BYTES"

RAW_TSV lines (cycle.lua): scale, connections, mode, line, server, requests, seconds,
tiles/s, p50, p90, p99, max (ms), socket errors, non-2xx/3xx answers.
CPU_TSV lines (bench-tiles): the same five keys, the server's CPU seconds during the run
(Martin: with its PostgreSQL backends), the 1-minute load average at the end.
"""

import os
import sys
from datetime import datetime, timezone

LINES = ["admin", "grids", "cameras", "patrols", "incidents_raw", "incidents",
         "incidents_filtered_raw", "incidents_filtered", "heatmap", "mixed_raw", "mixed"]
# Martin has no incident policy: its raw tiles stand for the policy lines.
MARTIN_LINE = {"incidents": "incidents_raw", "incidents_filtered": "incidents_filtered_raw",
               "mixed": "mixed_raw"}
LABEL = {
    "incidents_raw": "incidents, raw=1",
    "incidents": "incidents, onemap policy (Martin raw)",
    "incidents_filtered_raw": "incidents filtered, raw=1",
    "incidents_filtered": "incidents filtered, onemap policy (Martin raw)",
    "heatmap": "heatmap (half filtered)",
    "mixed_raw": "**mixed, incidents raw**",
    "mixed": "**mixed, onemap incident policy**",
}


def load(path, cpu_path):
    cpu = {}
    with open(cpu_path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) >= 7:
                cpu[(int(p[1]), p[2], p[3], p[4])] = (float(p[5]), float(p[6]))
    runs = {}
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 14:
                continue
            scale, conc, mode, name, server = p[:5]
            key = (int(conc), mode, name, server)
            cpu_s, load_avg = cpu.get(key, (0.0, 0.0))
            runs[key] = {
                "scale": scale, "n": int(p[5]), "rps": float(p[7]), "p50": float(p[8]),
                "p99": float(p[10]), "max": float(p[11]), "err": int(p[12]) + int(p[13]),
                "per_cpu": int(p[5]) / cpu_s if cpu_s > 0 else 0.0, "load": load_avg}
    return runs


def fmt_ms(v):
    return f"{v:.2f}" if v < 10 else f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def cell(r):
    if r is None:
        return "-", "-", "-", "-"
    per_cpu = f"{r['per_cpu']:.0f}" if r["per_cpu"] else "-"
    if r["err"]:
        return (f"{r['rps']:.0f} ({r['err']} errors)", fmt_ms(r["p50"]), fmt_ms(r["p99"]),
                per_cpu)
    return f"{r['rps']:.0f}", fmt_ms(r["p50"]), fmt_ms(r["p99"]), per_cpu


def ratio(a, b, key):
    """a/b on `key` as "12.3x", or "-" when either side is missing or failed."""
    if not a or not b or a["err"] or b["err"] or not a[key] or not b[key]:
        return "-"
    return f"{a[key] / b[key]:.1f}x"


def compact(runs):
    """Both concurrencies side by side per cache mode: the tables of BENCHMARKS.md."""
    def pair(r):
        return f"{r['rps']:.0f} / {fmt_ms(r['p99'])}" if r and not r["err"] else "-"

    for mode in ("uncached", "cached"):
        print(f"## Compact, {mode}: tiles/s / p99 ms; ratio onemap / Martin in tiles/s "
              "and per CPU-s\n")
        print("| line | c1 onemap | c1 Martin | c1 ratio | c16 onemap | c16 Martin "
              "| c16 ratio |")
        print("|---|---|---|---|---|---|---|")
        for line in LINES:
            cells = []
            for conc in (1, 16):
                o = runs.get((conc, mode, line, "onemap"))
                m = runs.get((conc, mode, MARTIN_LINE.get(line, line), "martin"))
                cells += [pair(o), pair(m),
                          f"{ratio(o, m, 'rps')}, {ratio(o, m, 'per_cpu')}"]
            print(f"| {LABEL.get(line, line)} | " + " | ".join(cells) + " |")
        print()


def main():
    raw, cpu_path, check, median = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[5]
    cache_flag = sys.argv[4] == "1"
    runs = load(raw, cpu_path)
    if not runs:
        sys.exit("report: no figures")
    scale = next(iter(runs.values()))["scale"]
    martin = any(k[3] == "martin" for k in runs)
    loads = [r["load"] for r in runs.values() if r["load"]]
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"# Tiles side by side: {scale} demo, {now}\n")
    if loads:
        print(f"1-minute load average over the runs: {min(loads):.1f} to {max(loads):.1f} "
              f"(median {sorted(loads)[len(loads) // 2]:.1f}) on 2 cores.\n")
    if not cache_flag:
        print("onemap had no tile cache in this build (`--tile-cache-mb` missing): its "
              "'cached' figures are the uncached server again.\n")
    if martin:
        print("Per line: tiles/s, p50 and p99 latency in ms as wrk measured them, and tiles "
              "per CPU-second of the server (Martin: Martin plus its PostgreSQL backends), "
              "the steadier figure when other work shares the cores. Ratios are onemap / "
              "Martin, on tiles/s and on tiles per CPU-s. Martin serves raw incident points "
              "at every zoom, so its raw figure stands on the onemap-policy lines too.\n")
    else:
        print("onemap only (Martin is not run at this scale). Per line: tiles/s, p50 and p99 "
              "latency in ms as wrk measured them, tiles per CPU-second of the server, and "
              "the requests measured.\n")

    for conc in sorted({k[0] for k in runs}):
        for mode in ("uncached", "cached"):
            if not any(k[0] == conc and k[1] == mode for k in runs):
                continue
            print(f"## {conc} connection{'s' if conc > 1 else ''}, {mode}\n")
            if martin:
                print("| line | onemap tiles/s | p50 | p99 | per CPU-s "
                      "| Martin tiles/s | p50 | p99 | per CPU-s | ratio | ratio per CPU-s |")
                print("|---|---|---|---|---|---|---|---|---|---|---|")
            else:
                print("| line | onemap tiles/s | p50 | p99 | per CPU-s | requests |")
                print("|---|---|---|---|---|---|")
            for line in LINES:
                o = runs.get((conc, mode, line, "onemap"))
                if o is None:
                    continue
                label = LABEL.get(line, line)
                if not martin:
                    label = label.replace(" (Martin raw)", "")
                if martin:
                    m = runs.get((conc, mode, MARTIN_LINE.get(line, line), "martin"))
                    print(f"| {label} | " + " | ".join(cell(o)) + " | "
                          + " | ".join(cell(m))
                          + f" | {ratio(o, m, 'rps')} | {ratio(o, m, 'per_cpu')} |")
                else:
                    print(f"| {label} | " + " | ".join(cell(o)) + f" | {o['n']} |")
            print()

    bare = {k[0]: r for k, r in runs.items() if k[3] == "bare"}
    if bare:
        parts = median.split()
        print("## onemap cached against a bare axum handler\n")
        if len(parts) == 3:
            print(f"One tile, `{parts[1]}` ({parts[2]} bytes: the median non-empty onemap "
                  "tile of the default-policy kinds), requested over and over from onemap's "
                  "cached server and from `tile-server/examples/bare_tile.rs` serving the "
                  "same bytes from memory: bare (no middleware), and inside onemap's "
                  "middleware (compression and CORS layers). Target: onemap >= 80% of bare."
                  "\n")
        print("| connections | server | tiles/s | p50 | p99 | per CPU-s | share of bare "
              "| share per CPU-s |")
        print("|---|---|---|---|---|---|---|---|")
        for conc, b in sorted(bare.items()):
            for server, name in (("onemap", "onemap cached"),
                                 ("bare_mw", "bare + onemap's middleware"),
                                 ("bare", "bare axum")):
                r = runs.get((conc, "cached", "one_tile", server))
                if not r:
                    continue
                share = (f"{100 * r['per_cpu'] / b['per_cpu']:.0f}%"
                         if r["per_cpu"] and b["per_cpu"] else "-")
                print(f"| {conc} | {name} | {r['rps']:.0f} | {fmt_ms(r['p50'])} | "
                      f"{fmt_ms(r['p99'])} | {r['per_cpu']:.0f} | "
                      f"{100 * r['rps'] / b['rps']:.0f}% | {share} |")
        print()

    print("## Against SPEC 12\n")
    for conc in sorted({k[0] for k in runs}):
        un = {k[2]: r for k, r in runs.items()
              if k[0] == conc and k[1] == "uncached" and k[3] == "onemap"}
        worst = max(((r["p99"], n) for n, r in un.items() if not r["err"]), default=None)
        over = [f"{LABEL.get(n, n).strip('*')} {fmt_ms(r['p99'])}" for n, r in un.items()
                if r["p99"] > 10 and not r["err"]]
        if worst:
            print(f"- c{conc}, uncached p99 <= 10 ms: worst line {fmt_ms(worst[0])} ms "
                  f"({LABEL.get(worst[1], worst[1]).strip('*')}): "
                  + ("**met**" if not over else "**missed** on " + "; ".join(over)))
        if "heatmap" in un and not un["heatmap"]["err"]:
            h = un["heatmap"]["p99"]
            print(f"- c{conc}, heatmap p99 ({scale}): {fmt_ms(h)} ms "
                  + ("(target 30 ms at province scale: "
                     + ("**met**" if h <= 30 else "**missed**") + ")"
                     if scale == "province" else "(the 30 ms target is for province data)"))
        if martin:
            for line in ("mixed_raw", "mixed"):
                o = un.get(line)
                m = runs.get((conc, "uncached", "mixed_raw", "martin"))
                if o and m and m["rps"] > 0 and not o["err"]:
                    r = o["rps"] / m["rps"]
                    print(f"- c{conc}, uncached {LABEL[line].strip('*')}: {r:.1f}x Martin "
                          f"in tiles/s, {ratio(o, m, 'per_cpu')} per CPU-s: "
                          + ("**met**" if r >= 10 else "**missed**") + " (target >= 10x)")
        b = bare.get(conc)
        o = runs.get((conc, "cached", "one_tile", "onemap"))
        if b and o:
            r = o["rps"] / b["rps"]
            per = (f", {100 * o['per_cpu'] / b['per_cpu']:.0f}% per CPU-s"
                   if o["per_cpu"] and b["per_cpu"] else "")
            print(f"- c{conc}, cached {100 * r:.0f}% of bare axum in tiles/s{per}: "
                  + ("**met**" if r >= 0.8 else "**missed**") + " (target >= 80%)")
    print()

    if martin:
        compact(runs)

    if os.path.exists(check):
        print("## Answers (every tile fetched once before measuring)\n")
        print("| server | kind | tiles | 200 | 204 | other | mean bytes (200) | slowest ms |")
        print("|---|---|---|---|---|---|---|---|")
        with open(check) as f:
            next(f)
            for line in f:
                print("| " + " | ".join(line.rstrip("\n").split("\t")) + " |")
        print()


if __name__ == "__main__":
    main()
