"""HEAD on an events route (RFC 9110 §9.3.2): the head a GET would get, no body, the same refusals
as GET (bad channel, limits, the app's answer to an auth request), CORS fields alike; and the
connection stays usable: a request pipelined behind the HEAD, or sent after it on the kept-alive
connection, is served (forwarded to the upstream, or another events route).
"""

import httpwire
import publishing
import sse
import sse_parse
from conftest import wait_for
from sse import assert_next_is


def head_request(port, target, headers=()):
    return httpwire.build_request("HEAD", target, [("Host", "127.0.0.1:%d" % port)] + list(headers))


def get_request(port, target, headers=()):
    return httpwire.build_request("GET", target, [("Host", "127.0.0.1:%d" % port)] + list(headers))


def assert_stream_head(response):
    assert response.status == 200, response
    assert response.header("content-type") == "text/event-stream", response
    assert response.header("cache-control") == "no-cache", response
    assert response.tokens("connection") == {"keep-alive"}, response
    assert response.values("content-length") == [], response
    assert response.values("transfer-encoding") == ["chunked"], "the fields a GET gets: %r" % response


def test_a_request_pipelined_behind_a_head_is_forwarded(herald, upstream):
    mark = upstream.mark()
    with herald.connect() as conn, publishing.Publisher(herald.publish_port) as pub:
        conn.send(head_request(herald.public_port, "/events/headed")
                  + get_request(herald.public_port, "/echo/after-head"))  # one send
        assert_stream_head(conn.read_response("HEAD", timeout=5))
        response = conn.read_response(timeout=5)
        assert response.status == 200 and response.json()["target"] == "/echo/after-head", response
        assert conn.request("GET", "/echo/and-then").json()["target"] == "/echo/and-then"
        assert pub.subscribers("headed") == 0, "a HEAD subscribes nobody"
    assert [r["target"] for r in upstream.records_since(mark)] == ["/echo/after-head", "/echo/and-then"]


def test_a_long_run_of_pipelined_heads_is_answered_in_full(herald, upstream):
    """Each HEAD gives the connection back before the next is read: a run of them does not nest."""
    count = 5000
    with herald.connect() as conn:
        conn.send(head_request(herald.public_port, "/events/run") * count
                  + get_request(herald.public_port, "/echo/after-the-run"))  # one send
        for _ in range(count):
            assert conn.read_response("HEAD", timeout=10).status == 200
        response = conn.read_response(timeout=10)
        assert response.status == 200 and response.json()["target"] == "/echo/after-the-run", response


def test_a_keep_alive_request_after_a_head_is_forwarded(herald, upstream):
    with herald.connect() as conn:
        assert_stream_head(conn.request("HEAD", "/events?channel=a&channel=b"))
        response = conn.request("GET", "/echo/kept")
        assert response.status == 200 and response.json()["target"] == "/echo/kept", response


def test_an_events_route_after_a_head_on_the_same_connection_streams(herald):
    with herald.connect() as conn, publishing.Publisher(herald.publish_port) as pub:
        conn.send(head_request(herald.public_port, "/events/both")
                  + get_request(herald.public_port, "/events/both", [("Accept", "text/event-stream")]))
        assert_stream_head(conn.read_response("HEAD", timeout=5))
        response = conn.open_response(timeout=5)
        assert_stream_head(response)
        wait_for(lambda: pub.subscribers("both") == 1, 3, message="the GET behind the HEAD subscribed")
        result = pub.publish("both", "after a HEAD")
        parser = sse_parse.SSEParser()
        body = response.stream.read_until(b"data: after a HEAD\n\n", 5)
        events = [e for e in parser.feed(body) if isinstance(e, sse_parse.Event)]
        assert [(e.data, e.id) for e in events] == [("after a HEAD", result["id"])], body


def test_head_gets_the_cors_fields_and_the_refusals_of_a_get(start_herald, upstream):
    origin = "https://app.example"
    herald = start_herald(events={"allow_origins": [origin]}, limits={"max_subscribers_per_ip": 1})
    with herald.connect() as conn:
        response = conn.request("HEAD", "/events/cors", [("Origin", origin)])
        assert_stream_head(response)
        assert response.header("access-control-allow-origin") == origin, response
        assert response.header("access-control-allow-credentials") == "true", response
        assert conn.request("GET", "/echo/cors-after").status == 200
    assert herald.request("HEAD", "/events/bad!name").status == 400
    with sse.subscribe(herald.public_port, "full"):
        response = herald.request("HEAD", "/events/full", [("Origin", origin)])
        assert response.status == 429 and response.header("retry-after") == "10", response
        assert response.header("access-control-allow-origin") == origin, response


def test_head_asks_the_app_like_get_and_keeps_the_pipelined_request(start_herald, session_app):
    herald = start_herald(upstream={"url": session_app.url}, events={"authorize": "upstream"})
    user = session_app.new_user()
    login = herald.request("POST", "/login?user=" + user, headers=[("Content-Length", "0")])
    cookie = ("Cookie", login.header("set-cookie").split(";")[0])
    mark = session_app.mark()
    with herald.connect() as conn:
        conn.send(head_request(herald.public_port, "/events/me", [cookie])
                  + get_request(herald.public_port, "/page-after-head", [cookie]))
        assert_stream_head(conn.read_response("HEAD", timeout=5))
        response = conn.read_response(timeout=5)
        assert response.status == 200 and response.body == b"a page of the app\n", response
    methods_and_targets = [(r["method"], r["target"]) for r in session_app.records_since(mark)]
    # the auth request, then the page
    assert methods_and_targets == [("GET", "/events/me"), ("GET", "/page-after-head")], methods_and_targets
    # without a session the app's refusal reaches the client, as for a GET
    response = herald.request("HEAD", "/events/me")
    assert response.status == 401, response
