"""`GET /metrics` for operators: every family with its `# HELP` line; the process figures (CPU, RSS,
descriptors against their limit, start time); connections open; forwarded requests by status class
and the upstream's latency; upstream errors by kind; refusals by reason; reloads, drains and the
build's version. Each figure is checked against what the test did to a fresh Herald."""

import os
import re
import signal
import socket
import time
from pathlib import Path

import httpwire
import metrics_text
import publishing
import sse
from conftest import refusing_port, wait_for

NEW_FAMILIES = {
    "process_cpu_seconds_total": "counter",
    "process_resident_memory_bytes": "gauge",
    "process_open_fds": "gauge",
    "process_max_fds": "gauge",
    "process_start_time_seconds": "gauge",
    "herald_connections_open": "gauge",
    "herald_proxied_requests_total": "counter",
    "herald_upstream_response_seconds": "histogram",
    "herald_upstream_errors_total": "counter",
    "herald_requests_refused_total": "counter",
    "herald_reloads_total": "counter",
    "herald_drains_total": "counter",
    "herald_build_info": "gauge",
}


def scrape(herald):
    response = httpwire.request(herald.publish_port, "GET", "/metrics")
    assert response.status == 200, response
    return metrics_text.parse_metrics(response.text), response.text


def value(herald, name, **labels):
    return metrics_text.metric(scrape(herald)[0], name, **labels)


def test_every_family_has_a_help_line_right_before_its_type(herald):
    metrics, text = scrape(herald)
    lines = text.splitlines()
    typed = [i for i, line in enumerate(lines) if line.startswith("# TYPE ")]
    assert len(typed) >= 20, text
    for i in typed:
        name = lines[i].split()[2]
        assert i > 0 and re.match(r"# HELP %s \S" % re.escape(name), lines[i - 1]), \
            "no # HELP line before %r in\n%s" % (lines[i], text)
    for name, kind in NEW_FAMILIES.items():
        assert metrics["types"].get(name) == kind, "%s: TYPE %s expected in\n%s" % (name, kind, text)
    version = re.search(r'number = "([^"]+)"', (Path(__file__).parents[2] / "Sources/HeraldServer/HeraldVersion.swift")
                        .read_text()).group(1)
    assert metrics_text.metric(metrics, "herald_build_info", version=version) == 1, text
    # Every labelled series exists from the start, at 0, so rate() works from the first scrape.
    for kind in ("connect", "timeout", "reset", "bad_response"):
        assert metrics_text.metric(metrics, "herald_upstream_errors_total", kind=kind) == 0, text
    for result in ("ok", "failed"):
        assert metrics_text.metric(metrics, "herald_reloads_total", result=result) == 0, text
    for digit in "2345":
        assert metrics_text.metric(metrics, "herald_proxied_requests_total", **{"class": digit + "xx"}) == 0, text
    assert metrics_text.metric(metrics, "herald_drains_total") == 0, text


def test_process_figures_describe_the_herald_process(herald):
    metrics, text = scrape(herald)
    open_fds, max_fds = metrics_text.metric(metrics, "process_open_fds"), metrics_text.metric(metrics, "process_max_fds")
    assert 0 < open_fds <= max_fds, text
    # The same process as /proc shows the test (a few descriptors may come and go meanwhile).
    assert abs(open_fds - len(os.listdir("/proc/%d/fd" % herald.pid))) <= 8, text
    rss = metrics_text.metric(metrics, "process_resident_memory_bytes")
    with open("/proc/%d/status" % herald.pid) as f:
        vm_rss = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
    assert 0 < rss and vm_rss / 2 < rss < vm_rss * 2, (rss, vm_rss)
    started = metrics_text.metric(metrics, "process_start_time_seconds")
    assert time.time() - 600 < started <= time.time() + 1, started
    cpu = metrics_text.metric(metrics, "process_cpu_seconds_total")
    assert cpu >= 0, text


def test_connections_open_counts_a_keep_alive_connection(herald):
    assert value(herald, "herald_connections_open") == 0
    with herald.connect() as conn:
        assert conn.request("GET", "/echo/keep").status == 200
        assert value(herald, "herald_connections_open") == 1
        with sse.subscribe(herald.public_port, "open-count"):
            assert value(herald, "herald_connections_open") == 2
        wait_for(lambda: value(herald, "herald_connections_open") == 1, 5, message="the stream's connection closed")
    wait_for(lambda: value(herald, "herald_connections_open") == 0, 5, message="every connection closed")


def test_forwarded_requests_count_by_status_class_with_the_upstream_latency(herald):
    for target in ("/echo/ok", "/status/404", "/status/404", "/status/302", "/status/503"):
        herald.request("GET", target)
    metrics, text = scrape(herald)
    counts = {digit: metrics_text.metric(metrics, "herald_proxied_requests_total", **{"class": digit + "xx"}) for digit in "2345"}
    assert counts == {"2": 1, "3": 1, "4": 2, "5": 1}, text
    assert metrics_text.metric(metrics, "herald_upstream_response_seconds_count") == 5, text
    assert metrics_text.metric(metrics, "herald_upstream_response_seconds_sum") > 0, text
    inf = metrics_text.metric(metrics, "herald_upstream_response_seconds_bucket", le="+Inf")
    assert inf == 5, text
    # Answered by Herald itself, not forwarded: counts nowhere here.
    herald.request("GET", "/events/bad%zz")
    assert value(herald, "herald_proxied_requests_total") == 5


def test_upstream_errors_count_by_kind(start_herald):
    herald = start_herald()
    assert herald.request("GET", "/drop").status == 502              # closed before a response
    assert herald.request("GET", "/bad-chunk").status == 502         # unreadable body framing
    assert herald.request("GET", "/silent", timeout=8).status == 504  # no head within upstream.timeout
    with herald.connect() as conn:                                    # cut in the middle of the body
        conn.send(httpwire.build_request("GET", "/truncate", ["Host: a"]))
        head = conn.read_head()
        assert head.status == 200, head
        conn.wait_closed(5)
    metrics, text = scrape(herald)
    kinds = {kind: metrics_text.metric(metrics, "herald_upstream_errors_total", kind=kind)
             for kind in ("connect", "timeout", "reset", "bad_response")}
    assert kinds == {"connect": 0, "timeout": 1, "reset": 2, "bad_response": 1}, text
    # 502, 502, 504 went to the client; the truncated one had sent its 200.
    assert metrics_text.metric(metrics, "herald_proxied_requests_total", **{"class": "5xx"}) == 3, text
    assert metrics_text.metric(metrics, "herald_proxied_requests_total", **{"class": "2xx"}) == 1, text

    holder, port = refusing_port()  # an upstream that is down: every connect refused
    try:
        down = start_herald(name="down", upstream={"url": "http://127.0.0.1:%d" % port})
        for _ in range(2):
            assert down.request("GET", "/echo/down").status == 502
        assert value(down, "herald_upstream_errors_total", kind="connect") == 2
        assert value(down, "herald_upstream_errors_total") == 2
        assert value(down, "herald_proxied_requests_total", **{"class": "5xx"}) == 2
    finally:
        holder.close()


def open_stream(port, target):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GET %s HTTP/1.1\r\nHost: a\r\n\r\n" % target.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return sock, head


def test_refusals_count_by_reason(start_herald):
    herald = start_herald(server={"threads": 1, "max_connections": 6, "max_body_bytes": "1KiB"},
                          limits={"max_subscribers_per_ip": 1, "stream_opens_per_second": 2})

    def refused(reason):
        return value(herald, "herald_requests_refused_total", reason=reason)

    assert herald.request("GET", "/events/bad%zz").status == 400
    with herald.connect() as conn:
        conn.send(b"NOT HTTP AT ALL\r\n\r\n")
        assert conn.read_response().status == 400
    assert herald.request("POST", "/echo/big", body=b"x" * 5000).status == 413
    assert herald.request("GET", "http://elsewhere.example/").status == 403
    with herald.connect() as conn:  # a head never finished: 408 after server.header_timeout
        conn.send(b"GET /echo/slow HTTP/1.1\r\nHost: a\r\n")
        assert conn.read_response(timeout=5).status == 408
    assert refused("bad_request") == 2
    assert refused("payload_too_large") == 1
    assert refused("forbidden") == 1
    assert refused("header_timeout") == 1

    # Streams: the first opens; the second from the same address is over the per-address limit;
    # the third is over the rate (two a second, a second's worth passing at once).
    first, head = open_stream(herald.public_port, "/events/r1")
    assert head.startswith(b"HTTP/1.1 200"), head
    second, head = open_stream(herald.public_port, "/events/r2")
    assert head.startswith(b"HTTP/1.1 429"), head
    third, head = open_stream(herald.public_port, "/events/r3")
    assert head.startswith(b"HTTP/1.1 503"), head
    for sock in (second, third):
        sock.close()
    assert refused("subscribers_per_ip") == 1
    assert refused("stream_opens") == 1
    assert value(herald, "herald_stream_opens_refused_total") == 1  # the older name counts them too

    # server.max_connections (6 on the one loop): the stream holds one, five more fill it, the
    # seventh is closed at once.
    held = [herald.connect() for _ in range(5)]
    for conn in held:
        assert conn.request("GET", "/echo/hold").status == 200
    extra = socket.create_connection(("127.0.0.1", herald.public_port), timeout=5)
    try:
        assert extra.recv(1) == b"", "the connection beyond server.max_connections was not closed"
    except ConnectionResetError:
        pass
    extra.close()
    assert refused("max_connections") == 1
    for conn in held:
        conn.close()
    first.close()


def test_a_drain_counts_once(start_herald):
    herald = start_herald(server={"shutdown_grace": "5s"})
    with publishing.Publisher(herald.publish_port) as pub:
        assert metrics_text.metric(pub.metrics()[0], "herald_drains_total") == 0
        # A request in flight keeps the server draining (not stopped) while the kept-alive publish
        # connection asks again; the publish listener no longer accepts new ones.
        slow = herald.connect()
        slow.send(httpwire.build_request("GET", "/silent", ["Host: a"]))
        wait_for(lambda: metrics_text.metric(pub.metrics()[0], "herald_connections_open") == 1, 5, message="the request in flight")
        herald.signal(signal.SIGTERM)
        wait_for(lambda: metrics_text.metric(pub.metrics()[0], "herald_drains_total") == 1, 5, message="the drain counted")
        slow.close()
    assert herald.wait(10) == 0
