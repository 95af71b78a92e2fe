"""Reads what benchmarks/soak.sh left in its folder, prints the soak's figures (totals, a row per
minute, memory and descriptors), draws soak.png, and exits 1 when the soak failed: an event lost or
repeated, a subscribe or a reconnect that failed, a stream the server ended, or Herald's open
descriptors drifting.

Usage: python3 benchmarks/soak_report.py FOLDER"""

import csv
import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from histograms import merge_hist  # noqa: E402

# Descriptors may differ between samples by the streams being reconnected and wrk's and the
# upstream's connections being replaced at that moment; more than this is a leak.
FD_DRIFT_ALLOWED = 100


def progress_lines(folder):
    """Every PROGRESS line of every subscriber process, as dicts, in time order."""
    lines = []
    for path in sorted(glob.glob(f"{folder}/subscribe-*.out")):
        with open(path) as file:
            lines += [json.loads(line[len("PROGRESS "):]) for line in file if line.startswith("PROGRESS ")]
    return sorted(lines, key=lambda line: line["at_ns"])


def per_minute(progress):
    """Latency and deliveries per minute of the run, merged over processes."""
    if not progress:
        return []
    start = min(line["at_ns"] - line["interval_seconds"] * 1e9 for line in progress)
    minutes = {}
    for line in progress:
        minute = int((line["at_ns"] - start - 1) // 60e9)
        minutes.setdefault(minute, []).append(line)
    return [(minute + 1, merge_hist(line["latency"] for line in lines)) for minute, lines in sorted(minutes.items())]


def wrk_minutes(folder):
    """(requests/s, p99 ms, errors) of each minute's wrk run that reported."""
    rows = []
    for m in range(1, 100000):
        path = f"{folder}/wrk-{m}.txt"
        if not os.path.exists(path):
            break
        text = open(path).read()
        rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
        if not rate:
            continue  # the last run, stopped with the load before it reported
        p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", text, re.M)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
        scale = {"us": 1e-3, "ms": 1, "s": 1e3}
        rows.append((float(rate.group(1)),
                     float(p99.group(1)) * scale[p99.group(2)] if p99 else 0.0,
                     (int(errors.group(1)) if errors else 0)
                     + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0)))
    return rows


def samples(folder):
    with open(f"{folder}/samples.csv") as file:
        return [(int(r["seconds"]), int(r["rss_kib"]), int(r["fds"])) for r in csv.DictReader(file)]


def plot(folder, points, minutes, wrk):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (memory, latency) = plt.subplots(2, 1, figsize=(8, 6), sharex=False)
    times = [s / 60 for s, _, _ in points]
    memory.plot(times, [kib / 1024 for _, kib, _ in points], color="tab:blue", label="RSS (MiB)")
    memory.set_ylabel("Herald RSS (MiB)", color="tab:blue")
    memory.set_ylim(0, max(kib for _, kib, _ in points) / 1024 * 1.3)
    fds = memory.twinx()
    fds.plot(times, [fd for _, _, fd in points], color="tab:orange", label="open descriptors")
    fds.set_ylabel("open descriptors", color="tab:orange")
    fds.set_ylim(0, max(fd for _, _, fd in points) * 1.3)
    memory.set_title("Herald under soak: RSS and descriptors every 10 s")
    memory.set_xlabel("minutes")
    latency.plot([m for m, _ in minutes], [h["p99_ms"] for _, h in minutes], marker="o", label="SSE delivery p99")
    latency.plot([m for m, _ in minutes], [h["p50_ms"] for _, h in minutes], marker=".", label="SSE delivery p50")
    if wrk:
        latency.plot(range(1, len(wrk) + 1), [p99 for _, p99, _ in wrk], marker="s", label="proxied request p99 (wrk)")
    latency.set_ylabel("ms")
    latency.set_xlabel("minute")
    latency.set_ylim(bottom=0)
    latency.legend()
    figure.tight_layout()
    figure.savefig(f"{folder}/soak.png", dpi=80)


def main(folder):
    subscribers = [json.load(open(path)) for path in sorted(glob.glob(f"{folder}/subscribe-*.json"))]
    publish = json.load(open(f"{folder}/publish.json"))
    minutes = per_minute(progress_lines(folder))
    wrk = wrk_minutes(folder)
    points = samples(folder)
    total = lambda key: sum(s["subscribers"][key] for s in subscribers)  # noqa: E731
    reconnects = lambda key: sum(s["reconnects"][key] for s in subscribers)  # noqa: E731
    established = sum(s["established"] for s in subscribers)
    failed = sum(s["failed"] for s in subscribers)
    deliveries = sum(s["events"]["total"] for s in subscribers)
    lost, duplicated, dropped = total("lost_total"), total("duplicates_total"), total("dropped")
    latency = merge_hist(s["latency"] for s in subscribers)

    print(f"soak: {established} subscribers ({failed} failed), {publish['answered']}/{publish['count']} events "
          f"published ({publish['non2xx']} not 2xx), {deliveries} deliveries")
    print(f"  lost {lost}, duplicated {duplicated}, streams ended by the server {dropped}; "
          f"reconnects {reconnects('resumed')}/{reconnects('started')} resumed "
          f"({reconnects('without_id')} without an id)")
    print(f"  SSE delivery latency over the run: p50 {latency['p50_ms']} / p99 {latency['p99_ms']} / "
          f"max {latency['max_ms']} ms")
    print("  minute  deliveries  SSE p50 ms  SSE p99 ms  SSE max ms  proxy req/s  proxy p99 ms")
    for index, (minute, histogram) in enumerate(minutes):
        rate, p99, _ = wrk[index] if index < len(wrk) else (0.0, 0.0, 0)
        print(f"  {minute:6}  {histogram['count']:10}  {histogram['p50_ms']:10}  {histogram['p99_ms']:10}  "
              f"{histogram['max_ms']:10}  {rate:11.0f}  {p99:12.2f}")
    loaded = points[:-1] if len(points) > 2 else points  # the last sample is taken with the load gone
    rss = [kib for _, kib, _ in loaded]
    fds = [fd for _, _, fd in loaded]
    print(f"  Herald RSS (MiB): first {rss[0] / 1024:.1f}, min {min(rss) / 1024:.1f}, max {max(rss) / 1024:.1f}, "
          f"last {rss[-1] / 1024:.1f}; after the load {points[-1][1] / 1024:.1f}")
    print(f"  Herald open descriptors: first {fds[0]}, min {min(fds)}, max {max(fds)}, last {fds[-1]}; "
          f"after the load {points[-1][2]}")
    proxy_errors = sum(errors for _, _, errors in wrk)
    print(f"  proxied requests: {sum(rate * 60 for rate, _, _ in wrk):.0f} in {len(wrk)} min, {proxy_errors} errors")
    plot(folder, points, minutes, wrk)
    print(f"  plot: {folder}/soak.png")

    problems = []
    if lost or duplicated:
        problems.append(f"{lost} lost and {duplicated} duplicated events")
    if failed or dropped:
        problems.append(f"{failed} subscribes failed, {dropped} streams ended")
    if reconnects("resumed") != reconnects("started"):
        problems.append("reconnects that did not resume")
    if publish["answered"] != publish["count"] or publish["non2xx"]:
        problems.append("publishes not accepted")
    if proxy_errors:
        problems.append(f"{proxy_errors} proxied requests failed")
    if max(fds) - min(fds) > FD_DRIFT_ALLOWED:
        problems.append(f"descriptors drifted by {max(fds) - min(fds)}")
    for problem in problems:
        print(f"soak FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
