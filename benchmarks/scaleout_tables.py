#!/usr/bin/env python3
"""The scale-out table of compare.sh's results (issue 18): per fan-out scenario, the medians of
`herald` (one instance, no Redis), `herald-redis` (two instances on one Redis) and `nchan-redis`
(two Nchan instances on one Redis), whichever ran, with herald-redis's figure as a ratio to
nchan-redis's and to herald's (>1 is better for herald-redis, whichever way the figure is better).
The issue's targets: herald-redis at least nchan-redis on deliveries/s and latency, ≥ 0.9× herald,
and a p50 at most 1 ms above herald's.

Usage: benchmarks/scaleout_tables.py results.jsonl >> tables.md
"""

import json
import sys

from tables import FANOUT, TITLES, median, ratio

SYSTEMS = ("herald", "herald-redis", "nchan-redis")
FIGURES = FANOUT + [
    ("publish_p50_ms", "publish → answer p50 ms", False, "{:,.2f}"),
    ("publish_p99_ms", "publish → answer p99 ms", False, "{:,.2f}"),
    ("server_cpu_us_per_subscribe", "server CPU µs/subscribe", False, "{:.1f}"),
    ("establish_seconds", "time to establish (s)", False, "{:.2f}"),
    ("bytes_per_idle_subscriber", "RSS per idle subscriber (B)", False, "{:,.0f}"),
]


def lost_by_server(row):
    """Events lost beyond those the publisher never sent (each unsent one is lost once per subscriber)."""
    unsent = (row.get("publish_count") or 0) - (row.get("published") or 0)
    return max(0, (row.get("lost") or 0) - unsent * (row.get("established") or 0))


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    rows = [r for r in rows if not r.get("failed") and r["system"] in SYSTEMS]
    for r in rows:
        if r.get("deliveries_per_second"):
            r["window_seconds"] = r["deliveries"] / r["deliveries_per_second"]
    runs = max((r["run"] for r in rows), default=0)
    lines = []
    for scenario, title in TITLES.items():
        by_system = {s: [r for r in rows if r["scenario"] == scenario and r["system"] == s] for s in SYSTEMS}
        by_system = {s: rs for s, rs in by_system.items() if rs}
        if "herald-redis" not in by_system:
            continue
        systems = list(by_system)
        lossy = {s for s, rs in by_system.items() if any(lost_by_server(r) or r.get("duplicated") for r in rs)}
        # A publisher held back past its time limit (Nchan answers a publish after delivering it)
        # leaves events unpublished: counted as lost by the subscribers, but not the server's loss.
        cut = {s for s, rs in by_system.items() if s not in lossy and any(r.get("lost") for r in rs)}
        lines += ["### Scale-out: " + title, "",
                  "| figure | " + " | ".join(s + (" (lossy)" if s in lossy else " (publisher cut short)" if s in cut else "")
                                             for s in systems)
                  + " | herald-redis ÷ nchan-redis | herald-redis ÷ herald |",
                  "|---|" + "---|" * (len(systems) + 2)]
        for key, label, higher_better, fmt in FIGURES:
            medians = {s: median(rs, key) for s, rs in by_system.items()}
            cells = [fmt.format(medians[s]) if medians[s] is not None else "—" for s in systems]
            rated = higher_better is not None and key not in ("lost", "duplicated")
            subject = medians.get("herald-redis") if rated else None
            ratios = [ratio(subject, medians.get(other) if other not in lossy else None, higher_better)
                      for other in ("nchan-redis", "herald")]
            lines.append("| %s | %s | %s |" % (label, " | ".join(cells), " | ".join(ratios)))
        lines += ["", "Medians of %d runs." % runs, ""]
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1])
