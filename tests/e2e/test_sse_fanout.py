"""DESIGN §1.1 under load: thousands of subscribers each get every event of their channels, in order,
once; a subscriber that stops reading is cut at events.max_buffered_bytes while the others keep
receiving everything.

2,000 streams are read by one selectors loop (sse.MassReader) in this process, while publisher
threads post over keep-alive connections; every stream checks each event against what it must be
(by position), so memory stays small and a loss, duplicate or reordering is caught where it happens.
"""

import hashlib
import signal
import threading
import time

import pytest

import metrics_text
import publishing
import sse
import sse_parse
from conftest import wait_for
from sse import assert_next_is

CHANNELS = 4
PER_CHANNEL = 500
EVENTS = 1000
CONNECT_BATCH = 250
DEADLINE_S = 80  # inside the suite's 90 s bound per test


def load_data(channel, i):
    return "load-%d #%04d %s" % (channel, i, "·" * (i % 17))


def test_2000_subscribers_each_receive_all_events_of_their_channel_in_order(start_herald, figure):
    herald = start_herald(limits={"max_subscribers_per_ip": 5000})
    started = time.monotonic()
    total = CHANNELS * PER_CHANNEL
    opened = [False] * total
    counts = [0] * total
    digests = [hashlib.sha256() for _ in range(total)]
    problems = []
    last_at = [0.0]

    def on_item(key, item):
        if isinstance(item, sse_parse.Event):
            channel = key % CHANNELS
            n = counts[key]
            if n >= EVENTS or item.data != load_data(channel, n):
                if len(problems) < 20:
                    problems.append("stream %d (load-%d) event #%d: %r" % (key, channel, n, item))
            counts[key] = n + 1
            digests[key].update(item.id.encode() + b"\n")
            last_at[0] = time.monotonic()
        elif isinstance(item, sse_parse.Comment):
            opened[key] = True

    reader = sse.MassReader(herald.public_port, on_item)
    publishers = [publishing.Publisher(herald.publish_port) for _ in range(CHANNELS)]
    try:
        for start in range(0, total, CONNECT_BATCH):
            batch = range(start, min(total, start + CONNECT_BATCH))
            for key in batch:
                reader.add(key, "/events/load-%d" % (key % CHANNELS))
            reader.run_until(lambda: all(opened[k] for k in batch), 20, "streams %d-%d open" % (batch[0], batch[-1]))
        connected = time.monotonic()
        for c in range(CHANNELS):
            wait_for(lambda: publishers[c].subscribers("load-%d" % c) == PER_CHANNEL, 5,
                     message="load-%d has %d subscribers" % (c, PER_CHANNEL))

        ids = [[] for _ in range(CHANNELS)]
        errors = []

        def publish(c):
            try:
                for i in range(EVENTS):
                    result = publishers[c].publish("load-%d" % c, load_data(c, i))
                    assert result["subscribers"] == PER_CHANNEL, result
                    ids[c].append(result["id"])
            except BaseException as e:  # reported by the main thread
                errors.append("publisher load-%d: %r" % (c, e))

        threads = [threading.Thread(target=publish, args=(c,), daemon=True) for c in range(CHANNELS)]
        publish_started = time.monotonic()
        for t in threads:
            t.start()
        remaining = DEADLINE_S - (time.monotonic() - started)
        reader.run_until(lambda: errors or problems or all(n >= EVENTS for n in counts), remaining,
                         "all %d streams at %d events (lowest %d)" % (total, EVENTS, min(counts)))
        assert not errors, errors
        assert not problems, problems
        for t in threads:
            t.join(max(0.1, DEADLINE_S - (time.monotonic() - started)))
            assert not t.is_alive(), "a publisher did not finish"
        delivered_at = last_at[0]
        # a little longer: a duplicate sent after the last expected event would show up here
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            reader.poll(0.05)
        assert not reader.errors, reader.errors[:5]
        assert not problems, problems
        assert counts == [EVENTS] * total, "counts differ: %r" % sorted(set(counts))
        for key in range(total):
            expected = hashlib.sha256("".join(i + "\n" for i in ids[key % CHANNELS]).encode())
            assert digests[key].digest() == expected.digest(), "stream %d saw other ids than published" % key
        seconds = delivered_at - publish_started
        figure("SSE fan-out: %d subscribers on %d channels, %d events each: %d deliveries in %.1f s "
               "(%.0f deliveries/s, %.0f publishes/s; connect %.1f s); the Python reader is the bottleneck"
               % (total, CHANNELS, EVENTS, total * EVENTS, seconds, total * EVENTS / seconds,
                  CHANNELS * EVENTS / seconds, connected - started))
    finally:
        reader.close()
        for p in publishers:
            p.close()


def kernel_send_buffer_max():
    try:
        with open("/proc/sys/net/ipv4/tcp_wmem") as f:
            return int(f.read().split()[2])
    except (OSError, ValueError, IndexError):
        return 4 << 20


def test_a_subscriber_that_stops_reading_is_cut_while_the_others_get_everything(start_herald):
    herald = start_herald(events={"max_buffered_bytes": "64KiB"})
    size = 16 * 1024
    with publishing.Publisher(herald.publish_port) as pub:
        before = metrics_text.metric(pub.metrics()[0], "herald_slow_subscribers_disconnected_total")
        dropped_before = metrics_text.metric(pub.metrics()[0], "herald_events_dropped_total")
        slow = sse.SSEStream(herald.public_port, "/events/flood", rcvbuf=4096)
        fast = sse.subscribe(herald.public_port, "flood")
        try:
            assert slow.open().status == 200  # the head; after this the slow one never reads
            wait_for(lambda: pub.subscribers("flood") == 2, 1.0, message="both subscribed")
            published = []
            cut_after = None
            # the kernel takes up to about tcp_wmem's maximum before Herald's own buffer grows
            limit = (2 * kernel_send_buffer_max() + (1 << 20)) // size
            for i in range(limit):
                data = ("%06d " % i) + "s" * (size - 7)
                result = pub.publish("flood", data)
                published.append(data)
                assert_next_is(fast, data, id=result["id"])
                if result["subscribers"] == 1:
                    cut_after = i
                    break
            assert cut_after is not None, "the stalled subscriber was never cut (%d bytes published)" % (
                len(published) * size)
            print("slow subscriber cut after %d events of %d KiB" % (cut_after + 1, size >> 10))
            # the others keep receiving everything
            for i in range(20):
                data = "after %d" % i
                assert pub.publish("flood", data)["subscribers"] == 1
                assert_next_is(fast, data)
            wait_for(lambda: metrics_text.metric(pub.metrics()[0], "herald_slow_subscribers_disconnected_total") == before + 1,
                     1.0, message="slow-subscriber counter +1")
            # the events queued for it and never sent are counted as dropped (it replays them)
            assert metrics_text.metric(pub.metrics()[0], "herald_events_dropped_total") > dropped_before
            # what the slow one has in its socket is a prefix of the stream, then the connection ends
            events = slow.wait_closed(timeout=10)
            assert len(events) < len(published), "the slow subscriber got everything: it was not cut"
            assert [e.data for e in events] == published[:len(events)], "not a prefix of the published events"
        finally:
            slow.close()
            fast.close()


def assert_streams_ended_with_every_event(herald, end):
    """1,000 streams on one channel get 20 events, then `end(publisher)` ends them all; each must
    have had all 20 before its connection closed. 1,000 streams take a loop several turns to
    deliver to (it sweeps them a slice per turn), so the end arrives while the last events are still
    on their way to most of them."""
    total, events = 1000, 20
    counts = [0] * total
    opened = [False] * total

    def on_item(key, item):
        if isinstance(item, sse_parse.Event):
            if item.data != "bye #%d" % counts[key]:
                raise AssertionError("stream %d event #%d: %r" % (key, counts[key], item))
            counts[key] += 1
        elif isinstance(item, sse_parse.Comment):
            opened[key] = True

    reader = sse.MassReader(herald.public_port, on_item)
    try:
        with publishing.Publisher(herald.publish_port) as pub:
            for start in range(0, total, CONNECT_BATCH):
                batch = range(start, min(total, start + CONNECT_BATCH))
                for key in batch:
                    reader.add(key, "/events/bye")
                reader.run_until(lambda: all(opened[k] for k in batch), 20, "streams %d-%d open" % (batch[0], batch[-1]))
            wait_for(lambda: pub.subscribers("bye") == total, 5, message="all subscribed")
            for i in range(events):
                pub.publish("bye", "bye #%d" % i)
            end(pub)
        deadline = time.monotonic() + 20
        while len(reader.errors) < total and time.monotonic() < deadline:
            reader.poll(0.2)
        assert len(reader.errors) == total and all(e.endswith(" ended") for e in reader.errors), reader.errors[:5]
        assert counts == [events] * total, "events per stream before its close: %r" % sorted(set(counts))
    finally:
        reader.close()


def test_streams_closed_by_delete_first_get_every_event_published_before_it(start_herald):
    herald = start_herald(limits={"max_subscribers_per_ip": 5000})
    assert_streams_ended_with_every_event(
        herald, lambda pub: pub.delete("bye") == {"channel": "bye", "subscribers": 1000} or pytest.fail("DELETE answer"))


def test_sigterm_ends_streams_after_every_event_published_before_it(start_herald):
    herald = start_herald(limits={"max_subscribers_per_ip": 5000})
    assert_streams_ended_with_every_event(herald, lambda pub: herald.signal(signal.SIGTERM))
    assert herald.wait(10) == 0, "herald exit status after SIGTERM: %s" % herald.proc.poll()
