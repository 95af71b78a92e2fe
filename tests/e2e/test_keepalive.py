"""DESIGN §1.3: keep-alive to clients, pooled keep-alive connections to the upstream, pipelined
requests answered in order. Upstream connections are counted by the upstream's own connection ids.
"""

import time
import uuid

import httpwire
from conftest import wait_for


def test_a_thousand_sequential_requests_on_one_client_connection_use_a_handful_of_upstream_connections(
        herald, upstream, figure):
    run = uuid.uuid4().hex[:8]
    upstream_connections = set()
    started = time.monotonic()
    with herald.connect() as conn:
        for i in range(1000):
            target = "/echo/seq/%s/%d" % (run, i)
            response = conn.request("GET", target, timeout=5)
            assert response.status == 200, response
            reply = response.json()
            assert reply["target"] == target
            upstream_connections.add(reply["conn_id"])
        assert not conn.eof, "herald closed the client connection"
    elapsed = time.monotonic() - started
    figure("1,000 sequential keep-alive requests: %.2f s (%.2f ms each; ~40 ms each means Nagle meets delayed ACK), "
           "%d upstream connection(s)" % (elapsed, elapsed, len(upstream_connections)))
    assert len(upstream_connections) <= 4, "1,000 requests used %d upstream connections" % len(upstream_connections)


def test_pipelined_requests_are_answered_in_order(herald, upstream):
    run = uuid.uuid4().hex[:8]
    requests = []
    for i in range(10):
        target = "/echo/pipe/%s/%d" % (run, i)
        if i == 3:
            requests.append(("POST", target, ["Host: a", "Content-Length: 5"], b"hello"))
        elif i == 5:
            requests.append(("POST", target, ["Host: a", "Transfer-Encoding: chunked"],
                             httpwire.encode_chunked([b"chunked ", b"body"])))
        elif i == 7:
            requests.append(("HEAD", target, ["Host: a"], b""))
        else:
            requests.append(("GET", target, ["Host: a"], b""))
    mark = upstream.mark()
    with herald.connect() as conn:
        conn.send(b"".join(httpwire.build_request(m, t, h, b) for m, t, h, b in requests))  # one send
        for method, target, _, _ in requests:
            response = conn.read_response(method, timeout=5)
            assert response.status == 200, response
            if method != "HEAD":
                assert response.json()["target"] == target
        assert conn.request("GET", "/echo/pipe/%s/after" % run).status == 200
    arrived = [(r["method"], r["target"]) for r in upstream.records_since(mark)]
    assert arrived[:10] == [(m, t) for m, t, _, _ in requests]


def test_connection_close_from_the_client_is_honoured_after_the_response(herald, upstream):
    with herald.connect() as conn:
        conn.send(httpwire.build_request("GET", "/echo/close", ["Host: a", "Connection: close"]))
        response = conn.read_response(timeout=5)
        assert response.status == 200 and response.json()["target"] == "/echo/close"
        assert conn.wait_closed(3) == b""


def test_an_http_1_0_request_without_keep_alive_is_answered_then_closed(herald, upstream):
    with herald.connect() as conn:
        conn.send(httpwire.build_request("GET", "/echo/one-oh", ["Host: a"], version="HTTP/1.0"))
        response = conn.read_response(timeout=5)
        assert response.status == 200 and response.json()["target"] == "/echo/one-oh"
        assert conn.wait_closed(3) == b""


def test_an_idle_client_connection_is_closed_after_idle_timeout(start_herald, upstream):
    herald = start_herald(server={"idle_timeout": "500ms", "header_timeout": "10s"})
    with herald.connect() as conn:
        assert conn.request("GET", "/echo/before-idle").status == 200
        started = time.monotonic()
        conn.wait_closed(4)  # any bytes first (a 408) are allowed; the close is what matters
        elapsed = time.monotonic() - started
    assert 0.3 <= elapsed <= 4, "idle connection closed after %.2fs with idle_timeout 500ms" % elapsed


def test_a_connection_that_never_sends_a_byte_is_still_closed(start_herald, upstream):
    """Herald's listeners defer accept until the client speaks (TCP_DEFER_ACCEPT): a client that
    never does must not be held by the kernel for ever. It is handed over after about a second
    (the kernel's first SYN-ACK retransmit), and the idle timeout ends it without an answer. Until
    then it costs Herald nothing: a request sent before that, past the idle timeout, is served."""
    herald = start_herald(server={"idle_timeout": "400ms", "header_timeout": "10s"})
    with herald.connect() as conn:
        started = time.monotonic()
        assert conn.wait_closed(8) == b""
        elapsed = time.monotonic() - started
    assert elapsed >= 0.3, "a silent connection closed after %.2fs with idle_timeout 400ms" % elapsed
    with herald.connect() as conn:
        time.sleep(0.7)  # past the idle timeout, before the kernel's hand-over at about 1 s
        assert conn.request("GET", "/echo/late-first-byte").status == 200


def test_each_request_pushes_the_idle_timeout_back(start_herald, upstream):
    """Requests 250 ms apart for over twice idle_timeout, all on the one connection; then, idle, it
    closes."""
    herald = start_herald(server={"idle_timeout": "1s", "header_timeout": "10s"})
    with herald.connect() as conn:
        for i in range(10):
            assert conn.request("GET", "/echo/busy/%d" % i, timeout=5).status == 200
            time.sleep(0.25)
        started = time.monotonic()
        conn.wait_closed(5)
        elapsed = time.monotonic() - started
    assert 0.4 <= elapsed <= 5, "idle connection closed after %.2fs with idle_timeout 1s" % elapsed


def test_several_client_connections_at_once_are_each_answered(herald, upstream):
    conns = [herald.connect() for _ in range(20)]
    try:
        for i, conn in enumerate(conns):
            conn.send(httpwire.build_request("GET", "/echo/many/%d" % i, ["Host: a"]))
        for i, conn in enumerate(conns):
            assert conn.read_response(timeout=5).json()["target"] == "/echo/many/%d" % i
    finally:
        for conn in conns:
            conn.close()


def test_a_pooled_upstream_connection_the_app_closed_while_idle_is_not_used_for_the_next_request(herald, upstream):
    """Apps close idle keep-alive connections whenever they like; the next request must not get a 502
    for it (Herald notices the close of a pooled connection, or retries on a fresh one)."""
    with herald.connect() as conn:
        first = conn.request("GET", "/echo/then-close?upstream_close=1", timeout=5)
        assert first.status == 200
        closed_id = first.json()["conn_id"]
        wait_for(lambda: closed_id not in open_ids(upstream), 5,
                 message="the upstream closing its side")
        for i in range(3):
            response = conn.request("GET", "/echo/after-upstream-close/%d" % i, timeout=5)
            assert response.status == 200, response
            assert response.json()["conn_id"] != closed_id


def open_ids(upstream):
    return set(upstream.connections()["open_ids"])


def test_a_long_run_of_pipelined_requests_answered_by_herald_itself_is_served_in_full(herald, upstream):
    """A request Herald answers at once (an events preflight) with the next pipelined behind it:
    each is read by one loop, not by a call nested in the last one's, so a run of them cannot
    grow the stack until the process dies."""
    count = 20000
    preflight = b"OPTIONS /events/run HTTP/1.1\r\nHost: x\r\n\r\n"
    after = ("GET /echo/after-the-run HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % herald.public_port).encode()
    with herald.connect() as conn:
        conn.send(preflight * count + after)  # one send
        for _ in range(count):
            assert conn.read_response("OPTIONS", timeout=10).status == 204
        response = conn.read_response(timeout=10)
        assert response.status == 200 and response.json()["target"] == "/echo/after-the-run", response
