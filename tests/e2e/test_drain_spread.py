"""`server.drain_spread`: streams Herald ends together (SIGTERM, `DELETE /channels/<channel>`) each
first get a `retry:` drawn at random over the window, so their browsers reconnect spread over it
instead of in one storm."""

import re
import selectors
import signal
import socket
import time

import httpwire

RETRY = re.compile(rb"\nretry: (\d+)\n")


def open_streams(port, channel, count):
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(b"GET /events/%s HTTP/1.1\r\nHost: a\r\n\r\n" % channel.encode())
        socks.append(sock)
    return socks


def read_to_end(socks, timeout):
    """Every socket's bytes until it closes (all within `timeout`)."""
    selector = selectors.DefaultSelector()
    got = {}
    for sock in socks:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        got[sock] = bytearray()
    deadline = time.monotonic() + timeout
    while selector.get_map():
        assert time.monotonic() < deadline, "%d streams still open" % len(selector.get_map())
        for key, _ in selector.select(0.5):
            chunk = key.fileobj.recv(65536)
            if chunk:
                got[key.fileobj] += chunk
            else:
                selector.unregister(key.fileobj)
                key.fileobj.close()
    return [bytes(data) for data in got.values()]


def last_retry(data):
    """The last `retry:` a stream wrote, after its opening one."""
    values = [int(v) for v in RETRY.findall(data)]
    return values[-1] if len(values) > 1 else None


def test_a_drain_of_2000_streams_spreads_their_reconnects_over_the_window(start_herald, figure):
    herald = start_herald(server={"drain_spread": "10s", "shutdown_grace": "15s"},
                          events={"retry": "3s"}, limits={"max_subscribers_per_ip": 5000})
    socks = open_streams(herald.public_port, "drain", 2000)
    # every stream is open (its head read) before the drain
    time.sleep(1.0)
    herald.signal(signal.SIGTERM)
    retries = [last_retry(data) for data in read_to_end(socks, timeout=30)]
    assert herald.wait(15) == 0
    assert None not in retries, "%d streams ended without a retry" % retries.count(None)
    assert all(0 <= r <= 10_000 for r in retries)
    buckets = [0] * 10
    for r in retries:
        buckets[min(r // 1000, 9)] += 1
    figure("drain of 2,000 streams, drain_spread 10 s: retry per second of the window %s" % buckets)
    # Uniform over the window: every second of it gets a share, none most of them.
    assert min(buckets) >= 100 and max(buckets) <= 300, buckets


def test_a_closed_channel_spreads_its_reconnects_and_zero_turns_it_off(start_herald):
    herald = start_herald(server={"drain_spread": "4s"})
    socks = open_streams(herald.public_port, "closing", 50)
    time.sleep(0.5)
    assert httpwire.request(herald.publish_port, "DELETE", "/channels/closing").status == 202
    retries = [last_retry(data) for data in read_to_end(socks, timeout=10)]
    assert None not in retries and all(0 <= r <= 4000 for r in retries)
    assert len(set(retries)) > 10, "not spread: %r" % sorted(set(retries))

    quiet = start_herald(server={"drain_spread": "0s"})
    socks = open_streams(quiet.public_port, "closing", 5)
    time.sleep(0.5)
    assert httpwire.request(quiet.publish_port, "DELETE", "/channels/closing").status == 202
    assert [last_retry(data) for data in read_to_end(socks, timeout=10)] == [None] * 5
