#!/usr/bin/env python3
"""Prints criterion results of one `cargo bench` run as Markdown tables.

Reads target/criterion/<group>/<function>/new/estimates.json (mean time per
iteration) and each group's throughput, and shows for every group its rate
and the ratio of the reference implementation to every other one ("per second"
counts frames for the parser benches, commands for the client benches).
Usage: benches/report.py PREFIX REFERENCE   e.g.  benches/report.py decode- redwire-borrowed
"""
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"
prefix, reference = sys.argv[1], sys.argv[2]

groups = sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith(prefix))
for group in groups:
    rows = {}
    for function in sorted(p for p in group.iterdir() if (p / "new" / "estimates.json").exists()):
        estimates = json.loads((function / "new" / "estimates.json").read_text())
        bench = json.loads((function / "new" / "benchmark.json").read_text())
        elements = (bench.get("throughput") or {}).get("Elements", 1)
        rows[function.name] = (estimates["mean"]["point_estimate"], elements)
    if reference not in rows:
        continue
    ref_ns, _ = rows[reference]
    print(f"\n**{group.name[len(prefix):]}**\n")
    print(f"| implementation | time per iteration | per second | {reference} is faster by |")
    print("|---|---:|---:|---:|")
    for name, (ns, elements) in sorted(rows.items(), key=lambda r: r[1][0]):
        time = f"{ns / 1e3:.2f} µs" if ns >= 1e3 else f"{ns:.1f} ns"
        rate = elements / (ns / 1e9)
        print(f"| {name} | {time} | {rate:,.0f} | {ns / ref_ns:.2f}× |")
