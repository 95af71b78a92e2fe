#!/usr/bin/env python3
"""scripts/leak-check's driver: runs one `herald` under valgrind's memcheck per size, drives the same
workload through it at each size, stops it by SIGTERM and compares what memcheck found lost.

A workload of size N is N rounds of: a request on a fresh connection, three on a keep-alive one
(one an upload, one for client.js), an upstream SSE stream proxied, a WebSocket tunnel with one
echo, a subscriber opened on its own channel that gets one event and is closed, a Last-Event-ID
replay, a JSON publish, the channel deleted, and three refused requests (400, 404, 431); two
subscribers on a shared channel stay open throughout (and through the SIGTERM drain) and must get
every event. Between rounds proxy.conf is reloaded (SIGHUP) `reloads` times, spread evenly.

Leak records whose stack passes through TOMLKit are counted apart, per read of proxy.conf (start
plus each reload): TOMLKit never frees the table it parses nor what its getters return, which is
per read and so may not grow with the workload. Everything else lost, and what is still reachable
at exit (memory held for good, such as a registry never pruned), must not grow between the sizes
by more than SLACK_BYTES. Any other memcheck error (a read after free) fails too.

Usage: leak_check.py HERALD_BINARY (a copy without DWARF, which valgrind 3.19 cannot read)
       [--rounds N] [--factor F] [--suppressions FILE]
Exit 0: no growth; 1: growth or a memcheck error (the records are printed); 2: the run failed.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import httpwire  # noqa: E402
import sse  # noqa: E402
from harness import to_toml  # noqa: E402
from publishing import Publisher  # noqa: E402

# What lost (or still reachable) bytes may differ by between the sizes without counting as growth:
# memcheck's figures move by a few small blocks from run to run (which thread freed what first at
# exit), tens of bytes where the injected leak of 100 bytes per connection showed 28,000.
SLACK_BYTES = 2048
# Everything below is slowed ~30x by memcheck: generous waits, each bounded.
START_TIMEOUT_S = 120
STOP_TIMEOUT_S = 120
IO_TIMEOUT_S = 30
LEAK_KINDS = ("Leak_DefinitelyLost", "Leak_IndirectlyLost", "Leak_PossiblyLost", "Leak_StillReachable")
CONFIG_FRAME = "TOMLKit"  # a leak record through a frame naming this is a read of proxy.conf


def config(upstream_port, heartbeat):
    return {
        "server": {"listen": "127.0.0.1:0", "threads": 2, "header_timeout": "30s", "idle_timeout": "60s",
                   "max_header_bytes": "8KiB", "drain_spread": "0s", "shutdown_grace": "20s"},
        "upstream": {"url": "http://127.0.0.1:%d" % upstream_port, "timeout": "30s", "connect_timeout": "10s"},
        # Reloads alternate the heartbeat so that each is a real change of settings.
        "events": {"history_size": 100, "heartbeat": heartbeat},
        "publish": {"listen": "127.0.0.1:0"},
        "log": {"access": "combined"},  # to stdout, discarded
    }


class Run:
    """One herald under memcheck, its logs in `workdir`."""

    def __init__(self, binary, workdir, upstream_port, suppressions):
        self.workdir = Path(workdir)
        self.upstream_port = upstream_port
        self.conf = self.workdir / "proxy.conf"
        self.conf.write_text(to_toml(config(upstream_port, "15s")))
        self.xml = self.workdir / "memcheck.xml"
        self.log = self.workdir / "memcheck.log"
        self.stderr = self.workdir / "herald.stderr"
        args = ["valgrind", "--tool=memcheck", "--leak-check=full", "--show-leak-kinds=all",
                "--num-callers=40", "--xml=yes", "--xml-file=%s" % self.xml, "--log-file=%s" % self.log]
        if suppressions:
            args.append("--suppressions=%s" % suppressions)
        with open(self.stderr, "wb") as err:
            self.proc = subprocess.Popen(args + [binary, "--config", str(self.conf)], stdout=subprocess.DEVNULL,
                                         stderr=err, cwd=self.workdir)
        self.public, self.publish = self._ports()
        self.reads = 1  # proxy.conf read at start

    def _ports(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            for line in self.stderr.read_text(errors="replace").splitlines():
                if "listening" in line and "public=" in line and "publish=" in line:
                    fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
                    return int(fields["public"].rsplit(":", 1)[1]), int(fields["publish"].rsplit(":", 1)[1])
            if self.proc.poll() is not None:
                fail("herald exited with %s before listening:\n%s" % (self.proc.returncode, self.stderr.read_text()))
            time.sleep(0.1)
        fail("herald did not listen within %ss" % START_TIMEOUT_S)

    def reload(self):
        self.reads += 1
        heartbeat = "16s" if self.reads % 2 == 0 else "15s"
        self.conf.write_text(to_toml(config(self.upstream_port, heartbeat)))
        before = self.stderr.read_text(errors="replace").count("reloaded")
        self.proc.send_signal(signal.SIGHUP)
        wait(lambda: self.stderr.read_text(errors="replace").count("reloaded") > before, "a reload")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("herald did not exit within %ss of SIGTERM" % STOP_TIMEOUT_S)
        if status != 0:
            fail("herald exited with %s after SIGTERM:\n%s" % (status, self.stderr.read_text()[-3000:]))


def wait(condition, what, timeout=IO_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            fail("no %s within %ss" % (what, timeout))
        time.sleep(0.05)


def fail(message):
    print("leak-check: %s" % message, file=sys.stderr)
    sys.exit(2)


def expect(response, status, what):
    if response.status != status:
        fail("%s: expected %d, got %d %r" % (what, status, response.status, response.body[:200]))


def round_of_traffic(run, i, keepalive, publisher, shared_ids):
    port = run.public
    # A request on a fresh connection, three on the keep-alive one (an upload, client.js).
    expect(httpwire.request(port, "GET", "/echo?round=%d" % i, [("Connection", "close")], timeout=IO_TIMEOUT_S),
           200, "GET on a fresh connection")
    expect(keepalive.request("GET", "/echo?keepalive=%d" % i, timeout=IO_TIMEOUT_S), 200, "keep-alive GET")
    expect(keepalive.request("POST", "/upload", body=os.urandom(4096), timeout=IO_TIMEOUT_S), 200, "keep-alive upload")
    expect(keepalive.request("GET", "/events/client.js", timeout=IO_TIMEOUT_S), 200, "client.js")
    # The upstream's own event stream, proxied (chunked).
    response = httpwire.request(port, "GET", "/sse?n=3", timeout=IO_TIMEOUT_S)
    expect(response, 200, "proxied upstream SSE")
    # A WebSocket tunnel: the handshake, one echo, a close frame.
    with httpwire.Connection(port, timeout=IO_TIMEOUT_S) as ws:
        key = httpwire.ws_key()
        ws.send(httpwire.ws_handshake_request("/ws", "127.0.0.1:%d" % port, key))
        head = ws.read_head(IO_TIMEOUT_S)
        if head.status != 101:
            fail("WebSocket handshake: expected 101, got %d" % head.status)
        ws.send(httpwire.ws_frame(0x1, "round %d" % i))
        if httpwire.ws_read_frame(ws, IO_TIMEOUT_S)[2] != b"round %d" % i:
            fail("WebSocket echo differs")
        ws.send(httpwire.ws_frame(0x8, b"\x03\xe8"))
    # A subscriber on a channel of its own gets one event and goes; an event on the shared channel.
    channel = "round-%d" % i
    with sse.subscribe(port, channel, timeout=IO_TIMEOUT_S) as stream:
        publisher.publish(channel, "event of round %d" % i, id="r%d" % i)
        sse.assert_next_is(stream, "event of round %d" % i, timeout=IO_TIMEOUT_S)
    shared_ids.append("s%d" % i)
    publisher.publish("shared", "shared %d" % i, id=shared_ids[-1])
    # A JSON publish to both, then a replay of the shared channel from the event before.
    publisher.publish_json([{"channel": [channel, "shared"], "data": {"round": i}, "id": "j%d" % i}])
    shared_ids.append("j%d" % i)
    with sse.subscribe(port, "shared", header_id=shared_ids[-2], timeout=IO_TIMEOUT_S) as replay:
        got = replay.next_event(IO_TIMEOUT_S)
        if got.id != shared_ids[-1]:
            fail("replay after %s: expected %s, got %r" % (shared_ids[-2], shared_ids[-1], got))
    publisher.delete(channel)
    # Refused: a bad request line, an unknown publish route, a head over max_header_bytes.
    with httpwire.Connection(port, timeout=IO_TIMEOUT_S) as bad:
        bad.send(b"GET /echo HTTP/1.1 extra\r\nHost: x\r\n\r\n")
        expect(bad.read_response(timeout=IO_TIMEOUT_S), 400, "a bad request line")
    expect(publisher.request("GET", "/no-such-route"), 404, "an unknown publish route")
    with httpwire.Connection(port, timeout=IO_TIMEOUT_S) as big:
        big.send(b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 10000 + b"\r\n\r\n")
        expect(big.read_response(timeout=IO_TIMEOUT_S), 431, "a head over max_header_bytes")


def workload(run, rounds, reloads):
    shared = [sse.subscribe(run.public, "shared", timeout=IO_TIMEOUT_S) for _ in range(2)]
    shared_ids = []
    reload_at = {round((k + 1) * rounds / (reloads + 1)) for k in range(reloads)}
    with httpwire.Connection(run.public, timeout=IO_TIMEOUT_S) as keepalive, \
            Publisher(run.publish, timeout=IO_TIMEOUT_S) as publisher:
        for i in range(rounds):
            round_of_traffic(run, i, keepalive, publisher, shared_ids)
            if i in reload_at:
                run.reload()
    for stream in shared:
        got = [stream.next_event(IO_TIMEOUT_S).id for _ in shared_ids]
        if got != shared_ids:
            fail("a shared subscriber got %r, expected %r" % (got[:10], shared_ids[:10]))
    return shared  # still open: the SIGTERM drain ends them


def leak_records(xml_path):
    """memcheck's leak records [(kind, bytes, blocks, [function names])], its other errors, and how
    often each suppression matched."""
    root = ET.parse(xml_path).getroot()
    leaks, errors = [], []
    for error in root.iter("error"):
        kind = error.findtext("kind")
        frames = [f.findtext("fn") or f.findtext("obj") or f.findtext("ip") for f in error.find("stack")]
        if kind in LEAK_KINDS:
            what = error.find("xwhat")
            leaks.append((kind, int(what.findtext("leakedbytes")), int(what.findtext("leakedblocks")), frames))
        else:
            # What memcheck adds: where the address lies and, for a freed block, where it was freed.
            aux = [a.text or "" for a in error.findall("auxwhat")]
            stacks = error.findall("stack")
            freed = [f.findtext("fn") or f.findtext("obj") for f in stacks[1]][:8] if len(stacks) > 1 else []
            errors.append((kind, "; ".join([error.findtext("what") or ""] + aux[:1]), frames, freed))
    counts = root.find("suppcounts")
    pairs = counts.iter("pair") if counts is not None else []
    suppressed = {pair.findtext("name"): int(pair.findtext("count")) for pair in pairs}
    return leaks, errors, suppressed


def totals(leaks, config_reading):
    out = {kind: [0, 0] for kind in LEAK_KINDS}
    for kind, nbytes, blocks, frames in leaks:
        if is_config(frames) == config_reading:
            out[kind][0] += nbytes
            out[kind][1] += blocks
    return out


def is_config(frames):
    return any(CONFIG_FRAME in (f or "") for f in frames)


def demangle(names):
    tool = shutil.which("swift-demangle")
    if not tool or not names:
        return names
    done = subprocess.run([tool, "--simplified"], input="\n".join(names), capture_output=True, text=True)
    lines = done.stdout.splitlines()
    return lines if len(lines) == len(names) else names


def print_records(leaks, limit=15):
    for kind, nbytes, blocks, frames in sorted(leaks, key=lambda r: -r[1])[:limit]:
        print("  %s: %d bytes in %d blocks" % (kind, nbytes, blocks))
        for name in demangle([f or "?" for f in frames[:14]]):
            print("      %s" % name[:160])


def measure(binary, rounds, reloads, suppressions, workdir):
    upstream = subprocess.Popen([sys.executable, str(REPO / "tests" / "e2e" / "upstream.py"), "--port", "0"],
                                stdout=subprocess.PIPE, text=True)
    try:
        line = upstream.stdout.readline()
        if not line.startswith("PORT "):
            fail("the upstream printed %r" % line)
        run = Run(binary, workdir, int(line.split()[1]), suppressions)
        try:
            shared = workload(run, rounds, reloads)
            run.stop()
            for stream in shared:
                stream.close()
        finally:
            if run.proc.poll() is None:
                run.proc.kill()
                run.proc.wait()
    finally:
        upstream.kill()
        upstream.wait()
    return (run.reads,) + leak_records(run.xml)


def describe(label, rounds, reads, leaks):
    other, config_reads = totals(leaks, False), totals(leaks, True)
    print("%s: %d rounds, proxy.conf read %d times" % (label, rounds, reads))
    for kind in LEAK_KINDS:
        print("    %-20s %8d bytes in %5d blocks  (+ %d bytes in %d blocks reading proxy.conf)"
              % (kind.replace("Leak_", ""), other[kind][0], other[kind][1], config_reads[kind][0], config_reads[kind][1]))
    return other, config_reads


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--suppressions", default=str(REPO / "scripts" / "leak-check.supp"))
    parser.add_argument("--keep", action="store_true", help="keep the valgrind logs (their directory is printed)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="leak-check."))
    try:
        sizes = [("small", args.rounds, 1), ("large", args.rounds * args.factor, 4)]
        results = []
        for label, rounds, reloads in sizes:
            started = time.monotonic()
            (workdir / label).mkdir()
            reads, leaks, errors, suppressed = measure(args.binary, rounds, reloads, args.suppressions,
                                                       workdir / label)
            other, config_reads = describe(label, rounds, reads, leaks)
            if suppressed:
                print("    suppressed (leak-check.supp): %s"
                      % ", ".join("%s %d" % pair for pair in sorted(suppressed.items())))
            print("    (%.0f s under memcheck)" % (time.monotonic() - started))
            results.append((label, reads, leaks, errors, other, config_reads))
        status = verdict(results)
        if args.keep:
            print("logs in %s" % workdir)
        return status
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def verdict(results):
    (_, small_reads, small_leaks, _, small, small_cfg), (_, large_reads, large_leaks, _, large, large_cfg) = results
    status = 0
    growth_found = False
    for kind in LEAK_KINDS:
        growth = large[kind][0] - small[kind][0]
        if growth > SLACK_BYTES:
            print("GROWTH: %s grew by %d bytes with the workload (slack %d)" % (kind, growth, SLACK_BYTES))
            status, growth_found = 1, True
        # Per read of proxy.conf, the config's losses must be the same at both sizes.
        per_read = (small_cfg[kind][0] / small_reads, large_cfg[kind][0] / large_reads)
        if abs(per_read[1] - per_read[0]) * large_reads > SLACK_BYTES:
            print("GROWTH: %s reading proxy.conf: %.0f bytes per read at the small size, %.0f at the large"
                  % (kind, per_read[0], per_read[1]))
            status, growth_found = 1, True
    for label, _, _, errors, _, _ in results:
        if errors:
            status = 1
            print("%s: memcheck reported %d errors other than leaks; each distinct one:" % (label, len(errors)))
            seen = set()
            for kind, what, frames, freed in errors:
                if (kind, tuple(frames[:8])) in seen:
                    continue
                seen.add((kind, tuple(frames[:8])))
                print("  %s: %s" % (kind, what))
                for name in demangle([f or "?" for f in frames[:14]]):
                    print("      %s" % name[:160])
                if freed:
                    print("    freed at:")
                    for name in demangle([f or "?" for f in freed]):
                        print("      %s" % name[:160])
    if status and growth_found:
        print("the large run's leak records (largest first):")
        print_records(large_leaks)
    elif not status:
        print("no growth: lost and still-reachable bytes outside proxy.conf's reading differ by at most %d bytes"
              % SLACK_BYTES)
        lost = [record for record in large_leaks if record[0] != "Leak_StillReachable"]
        if lost:
            print("the large run's lost blocks (largest first; the same per read of proxy.conf at both sizes):")
            print_records(lost, limit=6)
    return status


if __name__ == "__main__":
    sys.exit(main())
