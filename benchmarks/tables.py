#!/usr/bin/env python3
"""Turns compare.sh's results.jsonl into the Markdown tables of BENCHMARKS.md: per scenario and
system the median over the runs, and beside Herald's figure its ratio to the best peer's median
(>1 is better for Herald, whichever way the figure is better: rates up, times and bytes down).
"direct" (no proxy) and "floor" (the minimal C server of benchmarks/floor) are references, never the
best peer; when the floor ran, a second column gives Herald's figure as a ratio to the floor's.

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
    ("proxy_cpu_us_per_request", "proxy CPU µs/request", False, "{:.2f}"),
    ("proxy_user_cpu_us_per_request", "of which user time", False, "{:.2f}"),
    ("upstream_cpu_us_per_request", "upstream CPU µs/request", False, "{:.2f}"),
    ("core_cpu_us_per_request", "proxy + upstream CPU µs/request", False, "{:.2f}"),
]
# Systems shown beside the peers but never counted as one.
REFERENCES = ("direct", "floor")
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


def ratio(herald, other, higher_better):
    """Herald's figure over another's, turned so that above 1 is better for Herald; "—" when either is missing or zero."""
    if not herald or not other:
        return "—"
    return "%.2f×" % (herald / other if higher_better else other / herald)


def table(title, by_system, figures, runs):
    systems = list(by_system)
    lossy = {s for s, rows in by_system.items() if any(r.get("lost") or r.get("duplicated") for r in rows)}
    with_floor = "floor" in by_system
    out = ["### " + title, "", "| figure | " + " | ".join(
        s + (" (lossy)" if s in lossy else "") for s in systems) + " | Herald ÷ best peer |"
        + (" Herald ÷ floor |" if with_floor else ""),
        "|---|" + "---|" * (len(systems) + 1 + with_floor)]
    for key, label, higher_better, fmt in figures:
        medians = {s: median(rows, key) for s, rows in by_system.items()}
        cells = [fmt.format(medians[s]) if medians[s] is not None else "—" for s in systems]
        peers = [v for s, v in medians.items() if s != "herald" and s not in REFERENCES and s not in lossy and v is not None]
        herald = medians.get("herald")
        # Counts and figures about the load tool get no ratio (higher_better None).
        rated = herald is not None and higher_better is not None and key not in ("lost", "duplicated")
        best = (max(peers) if higher_better else min(peers)) if rated and peers else None
        ratios = [ratio(herald, best, higher_better)]
        if with_floor:
            ratios.append(ratio(herald, medians["floor"] if rated and "floor" not in lossy else None, higher_better))
        out.append("| %s | %s | %s |" % (label, " | ".join(cells), " | ".join(ratios)))
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
