"""DESIGN §1.3: the upstream refusing or dropping the connection → 502 quickly; no response head
within upstream.timeout → 504; each with a short plain-text reason. Bounds are "not a hang", not
timing benchmarks.
"""

import time

import httpwire
from conftest import refusing_port, wait_for


def assert_short_plain_text(response):
    assert response.header("content-type", "").startswith("text/plain"), response
    assert 0 < len(response.body) < 1024, response


def test_an_upstream_refusing_connections_gives_502_quickly(start_herald):
    holder, port = refusing_port()  # bound, not listening: every connect is refused, no one can take it
    try:
        herald = start_herald(upstream={"url": "http://127.0.0.1:%d" % port})
        for attempt in range(2):  # and again: a refused upstream does not wedge anything
            started = time.monotonic()
            response = herald.request("GET", "/echo/refused", timeout=5)
            elapsed = time.monotonic() - started
            assert response.status == 502, response
            assert_short_plain_text(response)
            assert elapsed < 1.5, "502 took %.2fs" % elapsed
    finally:
        holder.close()


def test_502_and_504_bodies_name_no_internal_address(start_herald, upstream):
    """The upstream's address is for the diagnostic log, not for whoever asks through Herald."""
    holder, port = refusing_port()
    try:
        refused = start_herald(name="refused", upstream={"url": "http://127.0.0.1:%d" % port})
        response = refused.request("GET", "/echo/refused", timeout=5)
        assert response.status == 502, response
        assert str(port).encode() not in response.raw_head + response.body, response
        assert b"127.0.0.1" not in response.body, response
        wait_for(lambda: str(port) in refused.stderr_path.read_text(), 5, message="the address in the diagnostic log")
    finally:
        holder.close()
    silent = start_herald(name="silent")
    response = silent.request("GET", "/silent", timeout=8)
    assert response.status == 504, response
    upstream_port = upstream.url.rsplit(":", 1)[1]
    assert upstream_port.encode() not in response.raw_head + response.body, response
    assert b"127.0.0.1" not in response.body, response


def test_a_silent_upstream_gives_504_after_upstream_timeout(herald, upstream):
    mark = upstream.mark()
    with herald.connect() as conn:
        started = time.monotonic()
        conn.send(httpwire.build_request("GET", "/silent", ["Host: a"]))
        response = conn.read_response(timeout=8)
        elapsed = time.monotonic() - started
    assert response.status == 504, response
    assert_short_plain_text(response)
    assert 1.5 <= elapsed <= 5, "504 after %.2fs with upstream.timeout 2s" % elapsed
    assert [r["target"] for r in upstream.records_since(mark)] == ["/silent"]
    upstream.wait_record(lambda r: r.get("target") == "/silent" and r.get("error"), since=mark, timeout=5,
                         message="herald closing the silent upstream connection")
    assert herald.request("GET", "/echo/after-504").status == 200


def test_a_silent_upstream_after_answered_requests_on_the_same_connection_still_gives_504(herald, upstream):
    """The response timeout is disarmed by each response head and armed again by each request: the
    timeouts of the requests answered before must neither fire nor hide the one that is due."""
    with herald.connect() as conn:
        for i in range(3):
            assert conn.request("GET", "/echo/answered/%d" % i, timeout=5).status == 200
            time.sleep(0.5)
        started = time.monotonic()
        conn.send(httpwire.build_request("GET", "/silent", ["Host: a"]))
        response = conn.read_response(timeout=8)
        elapsed = time.monotonic() - started
    assert response.status == 504, response
    assert 1.5 <= elapsed <= 5, "504 after %.2fs with upstream.timeout 2s" % elapsed


def test_an_upstream_dropping_the_connection_without_answering_gives_502(herald, upstream):
    started = time.monotonic()
    response = herald.request("GET", "/drop", timeout=5)
    assert response.status == 502, response
    assert_short_plain_text(response)
    assert time.monotonic() - started < 2
    assert herald.request("GET", "/echo/after-drop").status == 200


def test_an_upstream_dropping_mid_body_makes_herald_close_the_client_connection(herald, upstream):
    """The 200 head is committed, so there is no 502 to give: the client must never see the cut body as
    complete. Herald may forward the head and the bytes it has and then close (what nginx does), or
    close at once with nothing sent; either way the connection ends before the announced length."""
    with herald.connect() as conn:
        conn.send(httpwire.build_request("GET", "/truncate", ["Host: a"]))
        try:
            response = conn.open_response(timeout=5)
        except httpwire.ConnectionClosed:
            response = None  # closed before the head: acceptable
        if response is not None:
            assert response.status == 200
            got = b""
            try:
                while not response.stream.done:
                    got += response.stream.read_some(timeout=5)
                raise AssertionError("a truncated upstream body reached the client as complete: %r" % got)
            except httpwire.WireError:
                pass  # ConnectionClosed before Content-Length was reached, or a chunked body without its end
            assert got == b"0123456789"[:len(got)]
        assert conn.closed_within(3)
    assert herald.request("GET", "/echo/after-truncate").status == 200
