"""What a subscriber can cost (DESIGN §1.1, events.max_buffered_bytes): a replay is read from the
shared history as the socket takes it, never queued whole, so a client resuming from an old id holds
no more than a live stream may; one that stops reading is cut at the bound whatever its channel
does, and the kernel's send buffer of a stream is small, so a stuck subscriber is cut after about
the bound, not after the megabytes the kernel would otherwise take first.
"""

import socket

import metrics_text
import publishing
import sse
import sse_parse
from conftest import read_status_kib, wait_for
from herald_process import MEMORY_FACTOR
from sse import assert_next_is

KIB = 1024
EVENT_BYTES = 32 * KIB


def publish_big(pub, channel, count, size=EVENT_BYTES):
    """Publishes `count` events of about `size` bytes; returns [(id, data)]."""
    published = []
    for n in range(count):
        data = ("%06d " % n) + "x" * (size - 7)
        published.append((pub.publish(channel, data)["id"], data))
    return published


def resume_without_reading(port, channel, last_id):
    """A raw subscriber that sends its request with Last-Event-ID and never reads a byte."""
    sock = sse.open_socket(port, rcvbuf=4096)
    sock.sendall(sse.subscribe_request("/events/" + channel, port, [("Last-Event-ID", last_id)]))
    return sock


def dechunk(body):
    """The data of a chunked body's whole chunks (a body cut inside a chunk loses that chunk)."""
    data = bytearray()
    while True:
        line_end = body.find(b"\r\n")
        if line_end < 0:
            return bytes(data)
        size = int(body[:line_end], 16)
        chunk = body[line_end + 2:line_end + 2 + size]
        if size == 0 or len(chunk) < size:
            return bytes(data)
        data += chunk
        body = body[line_end + 2 + size + 2:]


def test_a_replay_of_a_large_history_reaches_a_reader_whole_in_order_then_live(start_herald):
    herald = start_herald(events={"history_size": 300, "max_buffered_bytes": "256KiB"})
    with publishing.Publisher(herald.publish_port) as pub:
        published = publish_big(pub, "whole", 300)
        with sse.subscribe(herald.public_port, "whole", header_id=published[0][0]) as stream:
            for event_id, data in published[1:]:
                assert_next_is(stream, data, id=event_id)
            live = pub.publish("whole", "live after the replay")
            assert_next_is(stream, "live after the replay", id=live["id"])


def test_events_published_during_a_replay_follow_it_in_order_and_once(start_herald):
    herald = start_herald(events={"history_size": 400, "max_buffered_bytes": "64KiB"})
    with publishing.Publisher(herald.publish_port) as pub:
        published = publish_big(pub, "during", 200)
        with sse.subscribe(herald.public_port, "during", header_id=published[0][0]) as stream:
            expected = published[1:]
            # read a little of the replay, publish more while most of it is still to come
            for event_id, data in expected[:10]:
                assert_next_is(stream, data, id=event_id)
            for n in range(20):
                result = pub.publish("during", "live %d" % n)
                expected.append((result["id"], "live %d" % n))
            for event_id, data in expected[10:]:
                assert_next_is(stream, data, id=event_id)
            stream.expect_silence(0.3)


def test_resumers_that_never_read_hold_no_more_than_the_bound_and_are_cut(start_herald):
    # 100 clients resume from the oldest id of 300 events of 32 KiB (9.4 MiB) and never read.
    # Queued whole, each would hold its own 9.4 MiB copy; read as the socket takes it, each holds
    # at most max_buffered_bytes (256 KiB) of the shared history, and is cut once it has sat at
    # the bound for a heartbeat interval, though nothing is published meanwhile.
    bound = 256 * KIB
    herald = start_herald(events={"history_size": 300, "max_buffered_bytes": "256KiB", "heartbeat": "1s"})
    with publishing.Publisher(herald.publish_port) as pub:
        published = publish_big(pub, "stuck", 300)
        before = metrics_text.metric(pub.metrics()[0], "herald_slow_subscribers_disconnected_total")
        rss_before = read_status_kib(herald.pid, "VmRSS") * KIB
        sockets = []
        try:
            for _ in range(100):
                sockets.append(resume_without_reading(herald.public_port, "stuck", published[0][0]))
            wait_for(lambda: pub.subscribers("stuck") == 100, 10, message="100 resumers admitted")
            grown = read_status_kib(herald.pid, "VmRSS") * KIB - rss_before
            print("RSS grew by %.1f MiB for 100 stuck resumers" % (grown / (1 << 20)))
            assert grown < (100 * bound + (16 << 20)) * MEMORY_FACTOR, "RSS grew by %d bytes" % grown
            # cut at the bound though the channel is quiet: within a few heartbeats
            wait_for(lambda: pub.subscribers("stuck") == 0, 10, message="every stuck resumer cut")
            after = metrics_text.metric(pub.metrics()[0], "herald_slow_subscribers_disconnected_total")
            assert after - before == 100
            # what each got before the cut is a prefix of the replay: read one whole
            sockets[0].settimeout(5)
            received = bytearray()
            while True:
                try:
                    chunk = sockets[0].recv(1 << 16)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                received += chunk
            events = [e for e in sse_parse.parse_all(dechunk(bytes(received).split(b"\r\n\r\n", 1)[1]))
                      if isinstance(e, sse_parse.Event)]
            assert [(e.id, e.data) for e in events] == published[1:1 + len(events)]
        finally:
            for sock in sockets:
                sock.close()


def test_a_subscriber_that_never_reads_is_cut_after_about_the_bound_not_the_kernels_megabytes(start_herald):
    # The kernel's send buffer of a stream is capped (64 KiB, which Linux doubles): a stalled
    # subscriber is cut once about max_buffered_bytes + that are waiting, not after the ~4 MiB an
    # autotuned buffer takes first.
    bound = 64 * KIB
    herald = start_herald(events={"max_buffered_bytes": "64KiB"})
    size = 16 * KIB
    with publishing.Publisher(herald.publish_port) as pub:
        stalled = sse.open_socket(herald.public_port, rcvbuf=4096)
        try:
            stalled.sendall(sse.subscribe_request("/events/kernel", herald.public_port))
            wait_for(lambda: pub.subscribers("kernel") == 1, 5, message="subscribed")
            client_buffer = stalled.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
            sent = 0
            for i in range(400):  # 6.4 MiB at most
                result = pub.publish("kernel", ("%06d " % i) + "k" * (size - 7))
                sent += size
                if result["subscribers"] == 0:
                    break
            assert result["subscribers"] == 0, "never cut after %d bytes" % sent
            print("stalled subscriber cut after %d KiB (bound %d KiB)" % (sent // KIB, bound // KIB))
            # Publishes are answered before the loop delivers them, so on a loaded machine a few
            # more are counted after the cut was due (seen: 19 of 16 KiB): 8 are allowed for it,
            # still far below the megabytes an autotuned kernel buffer would take.
            assert sent <= bound + 2 * 64 * KIB + client_buffer + 8 * size, "cut after %d bytes" % sent
        finally:
            stalled.close()
