"""DESIGN §1.3: responses are never buffered (an upstream's own text/event-stream passes through
live) and WebSocket upgrades are tunnelled byte for byte after 101.

Liveness is proved, not timed: the upstream sends SSE event i+1 only after the test, having read
event i through Herald, acknowledges it straight to the upstream. A Herald that buffered would
starve the stream and the read of event i would time out.
"""

import uuid

import pytest

import httpwire
import payload


@pytest.mark.parametrize("framing", ["chunked", "close"])
def test_upstream_sse_events_reach_the_client_one_at_a_time(herald, upstream, framing):
    sid = uuid.uuid4().hex
    n = 5
    target = "/sse?n=%d&id=%s&framing=%s" % (n, sid, framing)
    mark = upstream.mark()
    with herald.connect() as conn:
        conn.send(httpwire.build_request("GET", target, ["Host: a", "Accept: text/event-stream"]))
        response = conn.open_response(timeout=5)
        assert response.status == 200, response
        assert response.header("content-type") == "text/event-stream"
        assert response.header("content-length") is None
        for i in range(n):
            got = response.stream.read_until(b"data: %d\n\n" % i, timeout=5)
            assert b"data: %d\n" % (i + 1) not in got, "event %d before its ack: the upstream broke the protocol" % (i + 1)
            upstream.ack(sid, i)
        assert response.stream.read_all(timeout=5) == b""
    record = upstream.requests_for(target, since=mark)[0]
    assert record["events_sent"] == n and record["error"] is None


def websocket_open(herald, key, early_bytes=b""):
    conn = herald.connect()
    conn.send(httpwire.ws_handshake_request("/ws", "app.example", key) + early_bytes)
    response = conn.open_response(timeout=5)
    assert response.status == 101, response
    assert response.header("sec-websocket-accept") == httpwire.ws_accept(key)
    assert "websocket" in response.tokens("upgrade")
    return conn


def test_websocket_echo_through_the_tunnel(herald, upstream):
    mark = upstream.mark()
    key = httpwire.ws_key()
    with websocket_open(herald, key) as conn:
        conn.send(httpwire.ws_frame(0x1, "hello through herald ✓".encode()))
        assert httpwire.ws_read_frame(conn) == (True, 0x1, "hello through herald ✓".encode())

        big = payload.payload_bytes(100 * 1024, seed=9)
        conn.send(httpwire.ws_frame(0x2, big))
        assert httpwire.ws_read_frame(conn, timeout=10) == (True, 0x2, big)

        conn.send(httpwire.ws_frame(0x1, b"frag-", fin=False) + httpwire.ws_frame(0x0, b"mented"))
        assert httpwire.ws_read_frame(conn) == (False, 0x1, b"frag-")
        assert httpwire.ws_read_frame(conn) == (True, 0x0, b"mented")

        conn.send(httpwire.ws_frame(0x9, b"ping"))
        assert httpwire.ws_read_frame(conn) == (True, 0xA, b"ping")

        conn.send(httpwire.ws_frame(0x8, b"\x03\xe8bye"))
        assert httpwire.ws_read_frame(conn) == (True, 0x8, b"\x03\xe8bye")
        conn.wait_closed(3)  # the upstream closed; Herald closes the client side too
    record = upstream.requests_for("/ws", since=mark)[0]
    upgrade = [v for n, v in record["headers"] if n.lower() == "upgrade"]
    connection = {t.strip().lower() for n, v in record["headers"] if n.lower() == "connection" for t in v.split(",")}
    assert upgrade == ["websocket"] and "upgrade" in connection, "the upgrade did not reach the app: %r" % record
    assert [v for n, v in record["headers"] if n.lower() == "sec-websocket-key"] == [key]


def test_websocket_frame_sent_right_behind_the_handshake_is_tunnelled(herald, upstream):
    """Bytes after the upgrade request's head belong to the tunnel, not to a next HTTP request."""
    key = httpwire.ws_key()
    with websocket_open(herald, key, early_bytes=httpwire.ws_frame(0x1, b"early")) as conn:
        assert httpwire.ws_read_frame(conn) == (True, 0x1, b"early")


def test_client_closing_a_websocket_tunnel_leaves_herald_serving(herald, upstream):
    conn = websocket_open(herald, httpwire.ws_key())
    conn.send(httpwire.ws_frame(0x1, b"x"))
    assert httpwire.ws_read_frame(conn) == (True, 0x1, b"x")
    conn.close()  # abruptly, no close frame
    assert herald.request("GET", "/echo/after-ws").status == 200
