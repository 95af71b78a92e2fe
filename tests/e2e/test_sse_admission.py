"""DESIGN §1.1: the routes and channel names a subscribe is refused on (405, 400, or forwarded to the
app), and admission: the per-address and total subscriber limits (429 and 503 with Retry-After),
and a closed subscriber's place freed at once. The stream itself: test_sse_stream.py.

"Nothing was delivered" is proved by publishing a good event afterwards and seeing that it is the
very next event on the stream.
"""

import socket
import struct

import pytest

import publishing
import sse
from conftest import wait_for
from sse import assert_next_is


# ----------------------------------------------------------------------- routes that refuse


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_on_events_routes_are_405(herald, upstream, method):
    mark = upstream.mark()
    for target in ("/events/x", "/events?channel=x"):
        response = herald.request(method, target, body=b"payload" if method in ("POST", "PUT", "PATCH") else b"")
        assert response.status == 405, response
        assert {t.strip() for t in response.header("allow", "").split(",")} == {"GET", "HEAD", "OPTIONS"}, response
    assert upstream.records_since(mark) == [], "an events route reached the upstream"


def test_post_publish_on_the_public_listener_is_forwarded_and_publishes_nothing(herald, upstream):
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "x") as stream:
        mark = upstream.mark()
        response = herald.request("POST", "/publish/x", [("Content-Type", "text/plain")], b"not an event")
        assert response.status == 200, response
        assert response.json()["target"] == "/publish/x"
        records = upstream.requests_for("/publish/x", since=mark)
        assert len(records) == 1 and records[0]["method"] == "POST", records
        response = herald.request("POST", "/publish", [("Content-Type", "application/json")],
                                  b'{"channel":"x","data":"not an event either"}')
        assert response.status == 200 and response.json()["target"] == "/publish", response
        assert pub.channel("x")["events_held"] == 0
        pub.publish("x", "the real one")
        assert_next_is(stream, "the real one")


def test_paths_that_only_start_like_the_events_path_are_forwarded(herald, upstream):
    mark = upstream.mark()
    for target in ("/eventsource.js", "/events-archive/1", "/eventsx?channel=a"):
        response = herald.request("GET", target)
        assert response.status == 200 and response.json()["target"] == target, response
    assert len(upstream.records_since(mark)) == 3


BAD_TARGETS = {
    "no channel": "/events",
    "empty path channel": "/events/",
    "empty query channel": "/events?channel=",
    "query without channel": "/events?lastEventId=1",
    "bang in path": "/events/bad!name",
    "comma in path": "/events/a,b",
    "tilde in path": "/events/a~b",
    "star in path": "/events/a*",
    "percent in path": "/events/sp%20ace",
    "space in query": "/events?channel=sp%20ace",
    "bang in query": "/events?channel=ok&channel=bad%21",
    "non-ASCII in query": "/events?channel=caf%C3%A9",
    "invalid UTF-8 in query": "/events?channel=%FF",
    "NUL in query": "/events?channel=a%00b",
    "201 bytes": "/events/" + "a" * 201,
    "201 bytes in query": "/events?channel=" + "b" * 201,
}


@pytest.mark.parametrize("case", list(BAD_TARGETS))
def test_bad_channel_names_are_400(herald, upstream, case):
    mark = upstream.mark()
    response = herald.request("GET", BAD_TARGETS[case], [("Accept", "text/event-stream")])
    assert response.status == 400, response
    assert response.header("content-type", "").startswith("text/plain"), response
    assert 0 < len(response.body) < 1000, "a short reason: %r" % response.body
    assert upstream.records_since(mark) == [], "a refused subscribe reached the upstream"


def test_every_allowed_character_and_200_bytes_make_a_good_channel(herald):
    names = ["AZaz09-_.:@/x", "c" * 200, "a/b/c", "user@example.com:inbox"]
    with publishing.Publisher(herald.publish_port) as pub:
        for name in names:
            with sse.subscribe(herald.public_port, name) as stream:
                result = pub.publish(name, "hi " + name[:10])
                assert result["channel"] == name and result["subscribers"] == 1, result
                assert_next_is(stream, "hi " + name[:10])
            with sse.subscribe(herald.public_port, [name, "other"]) as stream:
                pub.publish(name, "again")
                assert_next_is(stream, "again", type=name)


def test_more_channels_than_max_channels_per_connection_is_400(start_herald):
    herald = start_herald(limits={"max_channels_per_connection": 3})
    with sse.subscribe(herald.public_port, ["c1", "c2", "c3"]):
        pass
    response = herald.request("GET", sse.events_target(["c1", "c2", "c3", "c4"]))
    assert response.status == 400, response
    assert response.header("content-type", "").startswith("text/plain"), response


# ------------------------------------------------------------------------------- admission


def source_ip_usable(ip):
    try:
        with socket.socket() as s:
            s.bind((ip, 0))
        return True
    except OSError:
        return False


def open_refused(port, target, source_ip=None):
    stream = sse.SSEStream(port, target, source_ip=source_ip)
    with stream:
        return stream.open(timeout=3)


def assert_retry_after(response, status):
    assert response.status == status, response
    retry_after = response.header("retry-after")
    assert retry_after is not None and retry_after.isdigit(), "Retry-After in seconds: %r" % response


def test_per_ip_limit_is_429_with_retry_after(start_herald):
    herald = start_herald(limits={"max_subscribers_per_ip": 2})
    port = herald.public_port
    with publishing.Publisher(herald.publish_port) as pub:
        first = sse.subscribe(port, "ip")
        second = sse.subscribe(port, ["ip", "other"])
        try:
            assert_retry_after(open_refused(port, "/events/ip"), 429)
            assert_retry_after(open_refused(port, "/events/elsewhere"), 429)
            if source_ip_usable("127.0.0.2"):  # the limit is per address: another one is admitted
                with sse.subscribe(port, "ip", source_ip="127.0.0.2") as third:
                    assert pub.publish("ip", "to three")["subscribers"] == 3
                    for stream in (third, first, second):
                        assert_next_is(stream, "to three")
            pub.publish("ip", "still live")
            assert_next_is(first, "still live")
            assert_next_is(second, "still live")
            first.close()
            # the closed stream frees its place at once
            wait_for(lambda: pub.subscribers("ip") == 1, 1.0, message="closed stream gone")
            with sse.subscribe(port, "ip") as again:
                pub.publish("ip", "after")
                assert_next_is(again, "after")
        finally:
            first.close()
            second.close()


def test_total_limit_is_503_with_retry_after(start_herald):
    herald = start_herald(limits={"max_subscribers": 2})
    port = herald.public_port
    with sse.subscribe(port, "t1"), sse.subscribe(port, "t2"):
        assert_retry_after(open_refused(port, "/events/t3"), 503)
        if source_ip_usable("127.0.0.2"):
            assert_retry_after(open_refused(port, "/events/t3", source_ip="127.0.0.2"), 503)
    with publishing.Publisher(herald.publish_port) as pub:
        wait_for(lambda: pub.subscribers("t1") == 0 and pub.subscribers("t2") == 0, 1.0, message="streams gone")
    with sse.subscribe(port, "t3"):
        pass


def test_a_closed_subscriber_is_gone_from_the_channel_at_once(herald):
    with publishing.Publisher(herald.publish_port) as pub:
        a = sse.subscribe(herald.public_port, "gone")
        b = sse.subscribe(herald.public_port, ["gone", "elsewhere"])
        try:
            wait_for(lambda: pub.subscribers("gone") == 2, 1.0, message="two subscribers")
            a.close()
            wait_for(lambda: pub.subscribers("gone") == 1, 1.0, message="first closed stream gone")
            b.conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            b.close()  # a reset rather than a FIN
            wait_for(lambda: pub.subscribers("gone") == 0, 1.0, message="reset stream gone")
            assert pub.subscribers("elsewhere") == 0
            assert pub.publish("gone", "nobody")["subscribers"] == 0
        finally:
            a.close()
            b.close()
