"""herald-bench's latency histograms (LatencyHistogram's `[lower, width, count]` buckets), merged
over processes or intervals exactly, with the figures computed as herald-bench computes them.
Used by sse.sh and soak_report.py."""

import math


def merge_hist(hists):
    """Sums bucket counts (same layout in every process) and recomputes the figures like LatencyHistogram."""
    buckets, total, lo, hi, total_sum = {}, 0, None, 0, 0.0
    for h in hists:
        for lower, width, count in h["buckets_ns"]:
            key = (lower, width)
            buckets[key] = buckets.get(key, 0) + count
        if h["count"]:
            total += h["count"]
            lo = h["min_ms"] if lo is None else min(lo, h["min_ms"])
            hi = max(hi, h["max_ms"])
            total_sum += h["mean_ms"] * h["count"]
    ordered = sorted(buckets.items())
    def quantile(q):
        if not total:
            return 0.0
        rank, seen = max(1, math.ceil(q * total)), 0
        for (lower, width), count in ordered:
            seen += count
            if seen >= rank:
                return min(round((lower + (width - 1) // 2) / 1e3) / 1e3, hi)
        return hi
    return {"count": total, "min_ms": lo or 0.0, "p50_ms": quantile(0.5), "p90_ms": quantile(0.9),
            "p99_ms": quantile(0.99), "p999_ms": quantile(0.999), "max_ms": hi,
            "mean_ms": total_sum / total if total else 0.0,
            "buckets_ns": [[l, w, c] for (l, w), c in ordered]}
