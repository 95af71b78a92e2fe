"""Issue 21: an upstream's response whose chunked framing is bad. While no byte of the response head
has been sent, the client gets a whole 502 with a short reason, logged as 502; once the head has
been sent, nothing can be said any more and the client's connection is cut. Either way the
upstream connection is closed, never pooled.
"""

import uuid
from pathlib import Path

import httpwire
from conftest import wait_for


def access_line(herald, target):
    return wait_for(lambda: [l for l in Path(herald.stdout_path).read_text(errors="replace").splitlines()
                             if target in l], 5, message="an access log line for %s" % target)[0]


def wait_upstream_closed(upstream, target, mark):
    upstream.wait_record(lambda r: r.get("target") == target and r.get("error"), since=mark, timeout=5,
                         message="herald closing the upstream connection of %s (not pooling it)" % target)


def test_a_bad_chunk_in_the_upstreams_first_read_gives_a_whole_502_logged_as_502(herald, upstream):
    """The head, a good chunk and a bad chunk size line come in one send: the bad line is in view
    before the head would be written. Before the fix the client got an empty reply (the head was
    only queued when both sides closed) and the access log said `200 0`."""
    mark = upstream.mark()
    target = "/bad-chunk?id=%s" % uuid.uuid4().hex
    with herald.connect() as conn:
        conn.send(httpwire.build_request("GET", target, ["Host: a"]))
        response = conn.read_response(timeout=5)
        assert response.status == 502, response
        assert response.header("content-type", "").startswith("text/plain"), response
        assert b"invalid response body from upstream" in response.body, response.body
        assert len(response.body) < 1024, response
        assert conn.closed_within(3)
    line = access_line(herald, target)
    assert '" 502 0' in line, line
    wait_upstream_closed(upstream, target, mark)
    after = herald.request("GET", "/echo/after-bad-chunk", timeout=5)
    assert after.status == 200, after
    assert after.json()["target"] == "/echo/after-bad-chunk"


def test_a_bad_chunk_after_the_head_was_sent_cuts_the_client_connection(herald, upstream):
    """The head and a good chunk come first and are relayed; the bad line comes ~200 ms later. The
    200 is committed, so the client sees the head, the good chunk and then the connection's end,
    never the body's last chunk."""
    mark = upstream.mark()
    target = "/bad-chunk?later=1&id=%s" % uuid.uuid4().hex
    with herald.connect() as conn:
        conn.send(httpwire.build_request("GET", target, ["Host: a"]))
        response = conn.open_response(timeout=5)
        assert response.status == 200, response
        got = b""
        try:
            while not response.stream.done:
                got += response.stream.read_some(timeout=5)
            raise AssertionError("a body with a bad chunk reached the client as complete: %r" % got)
        except httpwire.ConnectionClosed:
            pass
        assert got == b"good chunk\n"
        assert conn.closed_within(3)
    line = access_line(herald, target)
    assert '" 200 ' in line, line
    wait_upstream_closed(upstream, target, mark)
    assert herald.request("GET", "/echo/after-late-bad-chunk", timeout=5).status == 200
