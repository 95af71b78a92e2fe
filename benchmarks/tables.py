#!/usr/bin/env python3
"""Turns compare.sh's results.jsonl into the Markdown tables of BENCHMARKS.md: per scenario and
system the median over the runs, and beside Herald's figure its ratio to the best peer's median
(>1 is better for Herald, whichever way the figure is better: rates up, times and bytes down).

A system that lost or duplicated events is marked "lossy": it is shown, but not counted as the best
peer, since a figure bought by dropping events is no figure to beat.

Usage: benchmarks/tables.py results.jsonl > tables.md
"""

import json
import statistics
import sys

FANOUT = [
    ("deliveries_per_second", "deliveries/s", True, "{:,.0f}"),
    ("window_seconds", "first to last delivery (s)", False, "{:,.1f}"),
    ("publishes_per_second", "publishes/s the publisher got", True, "{:,.0f}"),
    ("p50_ms", "p50 ms", False, "{:,.1f}"),
    ("p99_ms", "p99 ms", False, "{:,.1f}"),
    ("p50_from_due_ms", "p50 ms from due", False, "{:,.1f}"),
    ("p99_from_due_ms", "p99 ms from due", False, "{:,.1f}"),
    ("server_cpu_us_per_delivery", "server CPU µs/delivery", False, "{:.2f}"),
    ("lost", "lost", False, "{:,.0f}"),
    ("duplicated", "duplicated", False, "{:,.0f}"),
]
SUBSCRIBERS = [
    ("bytes_per_idle_subscriber", "RSS per idle subscriber (B)", False, "{:,.0f}"),
    ("rss_before_kib", "RSS with 0 subscribers (kB)", False, "{:,.0f}"),
    ("establish_seconds", "time to establish (s)", False, "{:.2f}"),
    ("server_cpu_us_per_subscribe", "server CPU µs/subscribe", False, "{:.1f}"),
    ("load_tool_storm_cores", "load tool's cores busy in the storm", None, "{:.2f}"),
]
PROXY = [
    ("requests_per_second", "req/s", True, "{:,.0f}"),
    ("p50_ms", "p50 ms", False, "{:.2f}"),
    ("p99_ms", "p99 ms", False, "{:.2f}"),
]
TITLES = {
    "fanout-1k-paced": "Fan-out: 1,000 subscribers, 500 events at 50/s",
    "fanout-1k-burst": "Fan-out: 1,000 subscribers, burst of 2,000 events",
    "fanout-10k-paced": "Fan-out: 10,000 subscribers, 500 events at 50/s",
    "fanout-10k-10ps": "Fan-out: 10,000 subscribers, 100 events at 10/s (the rate Nchan's publisher gets)",
    "fanout-10k-burst": "Fan-out: 10,000 subscribers, burst of 2,000 events",
}


def median(rows, key):
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def table(title, by_system, figures, runs):
    systems = list(by_system)
    lossy = {s for s, rows in by_system.items() if any(r.get("lost") or r.get("duplicated") for r in rows)}
    out = ["### " + title, "", "| figure | " + " | ".join(
        s + (" (lossy)" if s in lossy else "") for s in systems) + " | Herald ÷ best peer |",
        "|---|" + "---|" * (len(systems) + 1)]
    for key, label, higher_better, fmt in figures:
        medians = {s: median(rows, key) for s, rows in by_system.items()}
        cells = [fmt.format(medians[s]) if medians[s] is not None else "—" for s in systems]
        peers = [v for s, v in medians.items() if s not in ("herald", "direct") and s not in lossy and v is not None]
        ratio = "—"
        herald = medians.get("herald")
        # Counts and figures about the load tool get no ratio (higher_better None).
        if herald is not None and peers and higher_better is not None and key not in ("lost", "duplicated"):
            best = max(peers) if higher_better else min(peers)
            if best and herald:
                ratio = "%.2f×" % (herald / best if higher_better else best / herald)
        out.append("| %s | %s | %s |" % (label, " | ".join(cells), ratio))
    out.append("")
    out.append("Medians of %d runs." % runs)
    out.append("")
    return out


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    rows = [r for r in rows if not r.get("failed")]
    for r in rows:
        if r.get("deliveries_per_second"):
            r["window_seconds"] = r["deliveries"] / r["deliveries_per_second"]
    runs = max((r["run"] for r in rows), default=0)
    lines = []
    for scenario in TITLES:
        by_system = {}
        for r in rows:
            if r["scenario"] == scenario:
                by_system.setdefault(r["system"], []).append(r)
        if by_system:
            figures = FANOUT + (SUBSCRIBERS if scenario.startswith("fanout-10k") else [])
            lines += table(TITLES[scenario], by_system, figures, runs)
    by_system = {}
    for r in rows:
        if r["scenario"] == "proxy":
            by_system.setdefault(r["system"], []).append(r)
    if by_system:
        lines += table("Proxied requests: wrk -t1 -c64, 12-byte body", by_system, PROXY, runs)
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1])
