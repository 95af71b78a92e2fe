"""Issue 4: cross-origin event streams (events.allow_origins) and the client script
(events.client_script), on raw sockets against the real binary.

A listed origin is answered with its own name and Access-Control-Allow-Credentials, so a page there
can use `new EventSource(url, {withCredentials: true})`; an origin not listed gets 403 and no stream;
a same-origin page (no Origin, or Origin naming the Host) is served as before. Nothing of an events
route ever reaches the upstream.
"""

import pytest

import publishing
import sse

ALLOWED = "http://app.example:3000"


@pytest.fixture
def cors_herald(start_herald):
    return start_herald(events={"allow_origins": [ALLOWED, "https://other.example"]})


def test_an_allowed_origin_gets_its_own_name_with_credentials_and_events(cors_herald, upstream):
    mark = upstream.mark()
    with publishing.Publisher(cors_herald.publish_port) as pub, \
            sse.SSEStream(cors_herald.public_port, "/events/orders", headers=[("Origin", ALLOWED)]) as stream:
        response = stream.open(timeout=3)
        assert response.status == 200, response
        assert response.header("access-control-allow-origin") == ALLOWED, response
        assert response.header("access-control-allow-credentials") == "true", response
        assert "origin" in response.tokens("vary"), response
        assert response.header("content-type") == "text/event-stream", response
        stream.read_preamble()
        result = pub.publish("orders", "shipped")
        sse.assert_next_is(stream, "shipped", id=result["id"])
    assert upstream.records_since(mark) == []


@pytest.mark.parametrize("origin", ["http://evil.example", "http://app.example:3001", "https://app.example:3000", "null"])
def test_an_origin_not_listed_gets_403_and_no_stream(cors_herald, upstream, origin):
    mark = upstream.mark()
    with publishing.Publisher(cors_herald.publish_port) as pub:
        response = cors_herald.request("GET", "/events/orders", [("Origin", origin)])
        assert response.status == 403, response
        assert b"events.allow_origins" in response.body, response.body
        assert response.header("access-control-allow-origin") is None, response
        assert pub.subscribers("orders") == 0
    assert upstream.records_since(mark) == []


def test_same_origin_pages_need_no_listing(cors_herald):
    host = "127.0.0.1:%d" % cors_herald.public_port
    for headers in ([], [("Origin", "http://" + host)]):
        with sse.SSEStream(cors_herald.public_port, "/events/orders", headers=headers) as stream:
            response = stream.open(timeout=3)
            assert response.status == 200, (headers, response)
            assert response.header("access-control-allow-origin") is None, response


def test_without_allow_origins_every_cross_origin_subscribe_is_refused(herald):
    response = herald.request("GET", "/events/orders", [("Origin", ALLOWED)])
    assert response.status == 403, response


def test_the_wildcard_allows_any_origin_by_name(start_herald):
    herald = start_herald(events={"allow_origins": ["*"]})
    with sse.SSEStream(herald.public_port, "/events/any", headers=[("Origin", "https://anyone.example")]) as stream:
        response = stream.open(timeout=3)
        assert response.status == 200, response
        assert response.header("access-control-allow-origin") == "https://anyone.example", response
        assert response.header("access-control-allow-credentials") == "true", response


def test_a_preflight_from_an_allowed_origin_is_answered_and_the_connection_kept(cors_herald, upstream):
    mark = upstream.mark()
    with cors_herald.connect() as conn:
        response = conn.request("OPTIONS", "/events/orders", [
            ("Origin", ALLOWED), ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "last-event-id"),
        ])
        assert response.status == 204, response
        assert response.header("access-control-allow-origin") == ALLOWED, response
        assert response.header("access-control-allow-credentials") == "true", response
        assert {m.strip() for m in response.header("access-control-allow-methods").split(",")} == {"GET", "HEAD"}
        assert response.header("access-control-allow-headers") == "last-event-id", response
        assert int(response.header("access-control-max-age")) > 0, response
        assert response.body == b""
        # keep-alive: the same connection serves the next request
        again = conn.request("GET", "/", [])
        assert again.status == 200, again
    assert [r["target"] for r in upstream.records_since(mark)] == ["/"]


def test_a_preflight_from_an_origin_not_listed_is_403(cors_herald):
    response = cors_herald.request("OPTIONS", "/events/orders", [
        ("Origin", "http://evil.example"), ("Access-Control-Request-Method", "GET")])
    assert response.status == 403, response
    assert response.header("access-control-allow-origin") is None, response


# ----------------------------------------------------------------------------- client.js


def test_client_js_is_served_with_the_configured_path_and_revalidates(start_herald, upstream):
    herald = start_herald(events={"path": "/live", "reset_event": "refetch", "heartbeat": "2s"})
    mark = upstream.mark()
    with herald.connect() as conn:
        response = conn.request("GET", "/live/client.js", [("Origin", "http://evil.example")])
        assert response.status == 200, response
        assert response.header("content-type") == "text/javascript; charset=utf-8", response
        assert int(response.header("content-length")) == len(response.body) > 0
        first_line = response.body.split(b"\n", 1)[0]
        assert first_line == b'const HERALD_CONFIG = {"heartbeatMs":2000,"path":"/live","resetEvent":"refetch"};', first_line
        etag = response.header("etag")
        assert etag and etag.startswith('"'), response
        # keep-alive, and a browser holding this version gets 304 without the body
        cached = conn.request("GET", "/live/client.js", [("If-None-Match", etag)])
        assert cached.status == 304, cached
        assert cached.body == b""
        head = conn.request("HEAD", "/live/client.js", [])
        assert head.status == 200 and head.body == b"", head
        assert head.header("content-length") == response.header("content-length")
    assert upstream.records_since(mark) == []


def test_client_js_turned_off_is_an_ordinary_channel(start_herald):
    herald = start_herald(events={"client_script": False})
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "client.js") as stream:
        result = pub.publish("client.js", "a channel like any other")
        sse.assert_next_is(stream, "a channel like any other", id=result["id"])


def test_client_js_refuses_other_methods(herald):
    response = herald.request("POST", "/events/client.js", [("Content-Type", "text/plain")], b"x")
    assert response.status == 405, response
