"""GRIP compatibility (events.grip = true), the migration path for Pushpin users: a forwarded request
whose app response carries `Grip-Hold: stream` and `Grip-Channel` becomes a stream Herald holds on
those channels (the response's status and fields without Grip-* and Content-Length, its body, then
what is published), and the publish listener takes Pushpin's publish format. With GRIP off, Grip-*
fields are ordinary fields of an ordinary response.

The app is tests/e2e/session_app.py (`GET /stream/<channel>` answers with GRIP instructions).
"""

import base64
import json
import re
import urllib.parse

import pytest

import httpwire
import publishing
import sse
from conftest import wait_for
from sse import assert_next_is

WELCOME = b": welcome to %s\n\n"


def start(start_herald, session_app, **events):
    config = {"grip": True}
    config.update(events)
    return start_herald(upstream={"url": session_app.url}, events=config)


def pushpin_publish(pub, items, expect=202, path="/publish/"):
    response = pub.request("POST", path, json.dumps({"items": items}).encode(),
                           headers=[("Content-Type", "application/json")])
    assert response.status == expect, response
    return response


def item(channel, content, id=None, prev_id=None):
    entry = {"channel": channel, "formats": {"http-stream": {"content": content}}}
    if id is not None:
        entry["id"] = id
    if prev_id is not None:
        entry["prev-id"] = prev_id
    return entry


class Held:
    """A client of a GRIP route: the response head, then the raw body as it arrives."""

    def __init__(self, herald, target):
        self.conn = herald.connect()
        self.conn.send(httpwire.build_request("GET", target, [("Host", "127.0.0.1:%d" % herald.public_port)]))
        self.response = self.conn.open_response(timeout=5)
        self.body = bytearray()

    def read_until(self, marker, timeout=5.0):
        self.body += self.response.stream.read_until(marker, timeout)
        return bytes(self.body)

    def close(self):
        self.conn.close()


def test_a_grip_response_holds_the_stream_and_a_pushpin_publish_reaches_it(start_herald, session_app):
    herald = start(start_herald, session_app)
    held = Held(herald, "/stream/orders")
    try:
        response = held.response
        assert response.status == 200, response
        assert response.header("content-type") == "text/event-stream", response
        assert response.header("x-app") == "grip", response  # the app's own fields go on
        assert not [n for n, _ in response.headers if n.lower().startswith("grip-")], response
        assert response.values("content-length") == [] and response.values("transfer-encoding") == [], response
        assert held.read_until(WELCOME % b"orders") == WELCOME % b"orders"
        with publishing.Publisher(herald.publish_port) as pub:
            wait_for(lambda: pub.subscribers("orders") == 1, 3, message="held stream registered")
            result = pushpin_publish(pub, [item("orders", "event: update\ndata: {\"id\": 1}\n\n", id="p1")]).json()
            assert result == [{"channel": "orders", "id": "p1", "subscribers": 1}], result
            body = held.read_until(b'data: {"id": 1}\n\n')
            assert body == WELCOME % b"orders" + b'event: update\ndata: {"id": 1}\n\n', body
            # content-bin is decoded; bytes are written as they are
            pushpin_publish(pub, [{"channel": "orders", "formats": {"http-stream": {
                "content-bin": base64.b64encode(b"data: \xc3\xa9\n\n").decode()}}}])
            assert held.read_until(b"data: \xc3\xa9\n\n").endswith(b"data: \xc3\xa9\n\n")
            # Herald's own publish reaches a held stream as its SSE encoding
            pub.publish("orders", "native", id="n1")
            assert held.read_until(b"data: native\n\n").endswith(b"id: n1\ndata: native\n\n")
    finally:
        held.close()


def test_pushpin_items_never_reach_herald_s_own_event_streams(start_herald, session_app):
    herald = start(start_herald, session_app)
    with sse.subscribe(herald.public_port, "mixed") as stream, publishing.Publisher(herald.publish_port) as pub:
        wait_for(lambda: pub.subscribers("mixed") == 1, 3, message="stream registered")
        pushpin_publish(pub, [item("mixed", "raw bytes\n\n", id="raw1")])
        pub.publish("mixed", "an event")
        assert_next_is(stream, "an event")


def test_prev_id_replays_what_the_history_holds_after_it(start_herald, session_app):
    herald = start(start_herald, session_app)
    with publishing.Publisher(herald.publish_port) as pub:
        pushpin_publish(pub, [item("feed", "one\n", id="1"), item("feed", "two\n", id="2"), item("feed", "three\n", id="3")])
        held = Held(herald, "/stream/feed?prev=1")
        try:
            assert held.read_until(b"three\n") == WELCOME % b"feed" + b"two\nthree\n"
            wait_for(lambda: pub.subscribers("feed") == 1, 3, message="held stream registered")
            pushpin_publish(pub, [item("feed", "four\n", id="4", prev_id="3")])
            assert held.read_until(b"four\n") == WELCOME % b"feed" + b"two\nthree\nfour\n"
        finally:
            held.close()


def test_grip_keep_alive_is_written_to_an_idle_held_stream(start_herald, session_app):
    herald = start(start_herald, session_app, heartbeat="1s")
    held = Held(herald, "/stream/quiet?keepalive=1")
    try:
        assert held.read_until(WELCOME % b"quiet" + b":\n\n", timeout=5).startswith(WELCOME % b"quiet")
    finally:
        held.close()


@pytest.mark.parametrize("content_type", ["text/event-stream", "Text/Event-Stream; charset=utf-8"])
def test_an_idle_held_event_stream_gets_the_heartbeat_comment_and_another_type_nothing(start_herald, session_app,
                                                                                       content_type):
    """Without Grip-Keep-Alive, a held `text/event-stream` gets Herald's own heartbeat (one comment
    line, ending no block); nothing Herald could write is safe in a body of another format."""
    herald = start(start_herald, session_app, heartbeat="1s")
    held = Held(herald, "/stream/calm?type=" + urllib.parse.quote(content_type))
    plain = Held(herald, "/stream/plainheld?type=text/plain")
    try:
        assert held.response.header("content-type") == content_type, held.response
        assert plain.read_until(WELCOME % b"plainheld") == WELCOME % b"plainheld"
        heartbeats = WELCOME % b"calm" + b":\n" * 3
        assert held.read_until(heartbeats, timeout=6) == heartbeats
        with publishing.Publisher(herald.publish_port) as pub:
            pushpin_publish(pub, [item("calm", "data: after\n\n", id="c1"), item("plainheld", "next\n", id="t1")])
            body = held.read_until(b"data: after\n\n")
            # the plain stream, open as long, had two ticks of its loop's heartbeat and got nothing
            assert plain.read_until(b"next\n") == WELCOME % b"plainheld" + b"next\n"
        assert re.fullmatch(rb": welcome to calm\n\n(?::\n)+data: after\n\n", body), body
    finally:
        held.close()
        plain.close()


def test_grip_status_replaces_the_status(start_herald, session_app):
    herald = start(start_herald, session_app)
    held = Held(herald, "/stream/s?status=201")
    try:
        assert held.response.status == 201, held.response
    finally:
        held.close()


def test_a_hold_herald_cannot_do_is_a_502(start_herald, session_app):
    herald = start(start_herald, session_app)
    response = herald.request("GET", "/stream/x?hold=response")
    assert response.status == 502, response
    assert b"long-polling" in response.body, response
    assert not [n for n, _ in response.headers if n.lower().startswith("grip-")], response


def test_with_grip_off_grip_fields_pass_through_as_ordinary_fields(start_herald, session_app):
    herald = start_herald(upstream={"url": session_app.url})
    response = herald.request("GET", "/stream/plain")
    assert response.status == 200, response
    assert response.header("grip-hold") == "stream" and response.header("grip-channel") == "plain", response
    assert response.body == WELCOME % b"plain", response
    with publishing.Publisher(herald.publish_port) as pub:
        assert pub.subscribers("plain") == 0


def test_with_grip_on_a_response_without_grip_hold_is_forwarded_without_its_grip_fields(start_herald, session_app):
    herald = start(start_herald, session_app)
    response = herald.request("HEAD", "/stream/head")  # HEAD is never held
    assert response.status == 200, response
    assert not [n for n, _ in response.headers if n.lower().startswith("grip-")], response


REFUSED_PUSHPIN = {
    "empty items": {"items": []},
    "items not an array": {"items": "x"},
    "unknown top-level key": {"items": [item("c", "x")], "extra": 1},
    "no http-stream format": {"items": [{"channel": "c", "formats": {"ws-message": {"content": "x"}}}]},
    "close action": {"items": [{"channel": "c", "formats": {"http-stream": {"action": "close"}}}]},
    "bad channel": {"items": [item("bad channel", "x")]},
    "id with LF": {"items": [item("c", "x", id="a\nb")]},
    "bad base64": {"items": [{"channel": "c", "formats": {"http-stream": {"content-bin": "!!"}}}]},
    "content and content-bin": {"items": [{"channel": "c", "formats": {"http-stream": {"content": "a", "content-bin": "YQ=="}}}]},
    "one bad item of two": {"items": [item("c", "x"), item("c", 5)]},
}


def test_bad_pushpin_publishes_are_refused_with_a_reason_and_publish_nothing(start_herald, session_app):
    herald = start(start_herald, session_app)
    with publishing.Publisher(herald.publish_port) as pub:
        for name, body in REFUSED_PUSHPIN.items():
            response = pub.request("POST", "/publish/", json.dumps(body).encode(), headers=[("Content-Type", "application/json")])
            assert response.status == 400, (name, response)
            assert response.text.strip(), (name, response)
        assert pub.channel("c", expect=200)["events_held"] == 0


def test_the_pushpin_format_is_also_taken_on_publish_without_the_slash(start_herald, session_app):
    herald = start(start_herald, session_app)
    with publishing.Publisher(herald.publish_port) as pub:
        result = pushpin_publish(pub, [item("c2", "x", id="a")], path="/publish").json()
        assert result == [{"channel": "c2", "id": "a", "subscribers": 0}], result
        assert pub.channel("c2")["last_event_id"] == "a"
