"""DESIGN §1.3, strict HTTP/1.1 parsing: every bad input is refused with the right status, nothing of
it reaches the app, the connection is closed after a framing error, and Herald then serves a normal
request on a new connection.

"Nothing reaches the app" is checked on the upstream's own log: between a mark taken before the bad
request and the end of the test, the only request the upstream saw is the normal follow-up one
(a partial head, a malformed head or a request would all appear in the log).
"""

import select
import time
import uuid

import pytest

import httpwire

HEAD_TIMEOUT_S = 1.0  # server.header_timeout in the default test config


def send_tolerantly(conn, raw):
    """Sends `raw`; a peer that answers and closes before reading it all may reset the connection.

    Herald should read (or linger over) the rest so its answer is not lost to a reset; if it does
    not, the answer may never arrive and the test fails on the read, which is the right outcome.
    """
    try:
        conn.send(raw)
    except (BrokenPipeError, ConnectionResetError):
        pass


def assert_short_plain_text(response):
    assert response.header("content-type", "").startswith("text/plain"), response
    assert 0 < len(response.body) < 1024, response


def assert_herald_still_serves(herald, upstream, mark, allowed_targets=()):
    """A normal request on a new connection works, and it is all the upstream saw since `mark`."""
    target = "/echo/after-bad-%s" % uuid.uuid4().hex
    response = herald.request("GET", target)
    assert response.status == 200, response
    seen = upstream.records_since(mark)
    assert [r.get("target") for r in seen if r.get("target") not in allowed_targets] == [target], (
        "the upstream received something of the refused request: %r" % seen)
    return response.json()


def refuse(herald, upstream, raw, status, closes=True):
    mark = upstream.mark()
    with herald.connect() as conn:
        send_tolerantly(conn, raw)
        response = conn.read_response(timeout=5)
        assert response.status == status, response
        assert_short_plain_text(response)
        if closes:
            assert conn.wait_closed(3) == b"", "bytes after the error response"
    assert_herald_still_serves(herald, upstream, mark)
    return response


def req(head_lines, body=b"", method="POST", target="/echo/bad", version="HTTP/1.1"):
    return httpwire.build_request(method, target, head_lines, body, version)


HOST = "Host: app.example"
SMUGGLED = b"GET /echo/smuggled HTTP/1.1\r\nHost: app.example\r\n\r\n"

BAD_400 = {
    "content-length and transfer-encoding": req(
        [HOST, "Content-Length: %d" % (5 + len(SMUGGLED)), "Transfer-Encoding: chunked"], b"0\r\n\r\n" + SMUGGLED),
    "transfer-encoding then content-length": req(
        [HOST, "Transfer-Encoding: chunked", "Content-Length: 4"], b"%x\r\n%s\r\n0\r\n\r\n" % (len(SMUGGLED), SMUGGLED)),
    "differing content-lengths": req([HOST, "Content-Length: 5", "Content-Length: 6"], b"hello!"),
    "differing content-lengths in one field": req([HOST, "Content-Length: 5, 6"], b"hello!"),
    "content-length not a number": req([HOST, "Content-Length: abc"], b"abc"),
    "negative content-length": req([HOST, "Content-Length: -1"]),
    "content-length with a plus sign": req([HOST, "Content-Length: +5"], b"hello"),
    "transfer-encoding final coding gzip": req([HOST, "Transfer-Encoding: gzip"], b"hello"),
    "transfer-encoding chunked then gzip": req([HOST, "Transfer-Encoding: chunked, gzip"], b"0\r\n\r\n"),
    "obs-fold with spaces": req([HOST, "X-Folded: first", "   continued"], method="GET"),
    "obs-fold with a tab": req([HOST, "X-Folded: first", "\tcontinued"], method="GET"),
    "space before colon": req([HOST, "X-Spaced : value"], method="GET"),
    "tab before colon": req([HOST, "X-Spaced\t: value"], method="GET"),
    "space before colon of content-length": req([HOST, "Content-Length : 5"], b"hello"),
    "space before colon of transfer-encoding": req(
        [HOST, "Content-Length: 5", "Transfer-Encoding : chunked"], b"0\r\n\r\n"),
    "bare CR inside a header value": req([HOST, "X-Bare: a\rb"], method="GET"),
    "bare CR ending a header line": req([HOST, "X-Bare: a\rX-Next: b"], method="GET"),
    "NUL in a header value": req([HOST, "X-Nul: a\x00b"], method="GET"),
    "control byte 0x01 in a header value": req([HOST, "X-Ctl: a\x01b"], method="GET"),
    "DEL in a header value": req([HOST, "X-Del: a\x7fb"], method="GET"),
    "NUL in a header name": req([HOST, "X-N\x00ame: a"], method="GET"),
    "control byte in the request target": req([HOST], method="GET", target="/echo/a\x01b"),
    "space inside the request target": req([HOST], method="GET", target="/echo/a b"),
    "invalid method token": req([HOST], method="GE(T", target="/echo/m"),
    "malformed version": req([HOST], method="GET", version="HTTX/1.1"),
    "missing host on HTTP/1.1": req([], method="GET", target="/echo/no-host"),
    "two host headers": req([HOST, "Host: other.example"], method="GET"),
    "header line without colon": req([HOST, "X-No-Colon"], method="GET"),
}


@pytest.mark.parametrize("raw", BAD_400.values(), ids=BAD_400.keys())
def test_malformed_request_gets_400_and_close_and_never_reaches_the_app(herald, upstream, raw):
    refuse(herald, upstream, raw, 400)


@pytest.mark.parametrize("version", ["HTTP/2.0", "HTTP/3.0"])
def test_unsupported_http_version_gets_505(herald, upstream, version):
    refuse(herald, upstream, req([HOST], method="GET", version=version), 505)


def test_oversize_request_line_gets_414(herald, upstream):
    refuse(herald, upstream, req([HOST], method="GET", target="/echo/" + "a" * 9000), 414)


def test_oversize_header_block_of_many_fields_gets_431(herald, upstream):
    fields = [HOST] + ["X-Filler-%03d: %s" % (i, "f" * 1000) for i in range(70)]
    refuse(herald, upstream, req(fields, method="GET"), 431)


def test_one_oversize_header_field_gets_431(herald, upstream):
    refuse(herald, upstream, req([HOST, "X-Huge: " + "h" * 70000], method="GET"), 431)


def test_content_length_over_max_body_bytes_gets_413(herald, upstream):
    refuse(herald, upstream, req([HOST, "Content-Length: %d" % (3 << 30)], b"x" * 1000, target="/upload"), 413)


def test_content_length_over_a_small_max_body_bytes_gets_413(start_herald, upstream):
    herald = start_herald(server={"max_body_bytes": "1KiB"})
    refuse(herald, upstream, req([HOST, "Content-Length: 1025"], b"x" * 1025, target="/upload"), 413)
    mark = upstream.mark()
    ok = herald.request("POST", "/echo/at-limit", body=b"y" * 1024)  # the limit itself is allowed
    assert ok.status == 200 and ok.json()["body_len"] == 1024
    assert [r["target"] for r in upstream.records_since(mark)] == ["/echo/at-limit"]


# A body error found after the head was accepted. Herald streams bodies, so the upstream may already
# have the head and the first chunks when the bad chunk line arrives; what must hold is that the
# upstream never gets a *complete* request (no terminating chunk, no response used), that Herald
# closes that upstream connection rather than pooling it (the next request would be read as chunk
# data: request smuggling), and that the client gets 400 (or, if Herald already started a
# response, which it cannot have here, a close).
BAD_CHUNKS = {
    "first chunk size not hex": b"zz\r\nhello\r\n0\r\n\r\n",
    "negative chunk size mid-body": b"5\r\nhello\r\n-1\r\nx\r\n0\r\n\r\n",
    "chunk size overflowing 64 bits": b"5\r\nhello\r\nfffffffffffffffffffff\r\nx\r\n0\r\n\r\n",
    "chunk size with 0x prefix": b"0x5\r\nhello\r\n0\r\n\r\n",
    "chunk data longer than its size": b"5\r\nhelloEXTRA\r\n0\r\n\r\n",
    "empty chunk size line": b"\r\nhello\r\n0\r\n\r\n",
}


def refuse_mid_body(herald, upstream, raw, target, statuses=(400,)):
    mark = upstream.mark()
    with herald.connect() as conn:
        send_tolerantly(conn, raw)
        try:
            response = conn.read_response(timeout=5)
        except httpwire.ConnectionClosed:
            response = None  # closed without an answer: acceptable once the body is known bad
        if response is not None:
            assert response.status in statuses, response
            assert conn.wait_closed(3) == b"", "bytes after the error response"
    seen = [r for r in upstream.records_since(mark) if r.get("target") == target]
    assert all(r["state"] != "complete" for r in seen), "the upstream got a complete request: %r" % seen
    if seen:  # Herald must drop that upstream connection, not keep it half-written
        upstream.wait_record(lambda r: r.get("target") == target and r["state"] == "aborted", since=mark,
                             timeout=5, message="upstream connection of the refused request closed")
    after = assert_herald_still_serves(herald, upstream, mark, allowed_targets={target})
    assert after["conn_id"] not in {r["conn_id"] for r in seen}, "the half-written upstream connection was reused"


@pytest.mark.parametrize("body", BAD_CHUNKS.values(), ids=BAD_CHUNKS.keys())
def test_bad_chunk_gets_400_and_the_upstream_never_gets_a_complete_request(herald, upstream, body):
    target = "/echo/bad-chunk-%s" % uuid.uuid4().hex
    refuse_mid_body(herald, upstream, req([HOST, "Transfer-Encoding: chunked"], body, target=target), target)


def test_chunked_body_over_max_body_bytes_gets_413_and_the_upstream_never_gets_it_complete(start_herald, upstream):
    herald = start_herald(server={"max_body_bytes": "1KiB"})
    target = "/echo/chunked-too-big-%s" % uuid.uuid4().hex
    body = httpwire.encode_chunked([b"a" * 600, b"b" * 600, b"c" * 600])
    refuse_mid_body(herald, upstream, req([HOST, "Transfer-Encoding: chunked"], body, target=target), target,
                    statuses=(413,))


def test_head_not_completed_within_header_timeout_gets_408_and_close(herald, upstream):
    mark = upstream.mark()
    with herald.connect() as conn:
        conn.send(b"GET /echo/slow-head HTTP/1.1\r\nHost: app.example\r\n")
        started = time.monotonic()
        response = conn.read_response(timeout=6)
        elapsed = time.monotonic() - started
        assert response.status == 408, response
        assert HEAD_TIMEOUT_S * 0.5 <= elapsed <= 5, "408 after %.2fs with header_timeout 1s" % elapsed
        assert_short_plain_text(response)
        assert conn.wait_closed(3) == b""
    assert_herald_still_serves(herald, upstream, mark)


def test_a_head_trickled_byte_by_byte_still_gets_408_at_header_timeout(herald, upstream):
    """header_timeout bounds the whole head, so a client sending a byte every 100 ms cannot hold it."""
    mark = upstream.mark()
    head = b"GET /echo/trickle HTTP/1.1\r\nHost: app.example\r\n" + b"X-Slow: " + b"s" * 200
    with herald.connect() as conn:
        started = time.monotonic()
        for i in range(len(head)):  # bounded: at most ~25 s; Herald answers after ~1 s
            if select.select([conn.sock], [], [], 0.1)[0]:
                break
            try:
                conn.sock.send(head[i:i + 1])
            except OSError:
                break
        response = conn.read_response(timeout=5)
        elapsed = time.monotonic() - started
        assert response.status == 408, response
        assert elapsed <= 5, "408 only after %.2fs of trickling with header_timeout 1s" % elapsed
        assert conn.wait_closed(3) == b""
    assert_herald_still_serves(herald, upstream, mark)


@pytest.mark.parametrize("raw", [
    b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
    b"GET http://example.com/echo/x HTTP/1.1\r\nHost: app.example\r\n\r\n",
    b"GET http://127.0.0.2:9/echo/x HTTP/1.1\r\nHost: 127.0.0.2:9\r\n\r\n",
], ids=["host-matches-target", "host-differs-from-target", "another-loopback-address"])
def test_absolute_form_target_naming_another_host_is_refused(herald, upstream, raw):
    """Herald is not an open proxy: 4xx (README: 403), and the upstream gets nothing."""
    mark = upstream.mark()
    with herald.connect() as conn:
        conn.send(raw)
        response = conn.read_response(timeout=5)
    assert 400 <= response.status < 500, response
    assert_herald_still_serves(herald, upstream, mark)


def test_connect_is_refused(herald, upstream):
    mark = upstream.mark()
    with herald.connect() as conn:
        conn.send(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        response = conn.read_response(timeout=5)
    assert 400 <= response.status < 500 or response.status == 501, response
    assert_herald_still_serves(herald, upstream, mark)


def test_a_bad_request_after_a_good_one_on_the_same_connection_refuses_only_the_bad_one(herald, upstream):
    mark = upstream.mark()
    good = "/echo/good-%s" % uuid.uuid4().hex
    with herald.connect() as conn:
        conn.send(req([HOST], method="GET", target=good) + BAD_400["content-length and transfer-encoding"])
        assert conn.read_response(timeout=5).status == 200
        assert conn.read_response(timeout=5).status == 400
        assert conn.wait_closed(3) == b""
    assert_herald_still_serves(herald, upstream, mark, allowed_targets={good})
    assert [r["target"] for r in upstream.records_since(mark)][0] == good
