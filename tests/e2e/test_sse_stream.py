"""DESIGN §1.1: an event stream on the public listener — its head and first bytes, every field of an
event read back by a WHATWG parser, channels told apart on multi-channel streams, heartbeats,
HTTP/1.0 and HEAD. The routes and channel names that are refused, and admission:
test_sse_admission.py.

Events are published on the publish listener (publishing.Publisher) and read on raw sockets (sse.SSEStream);
"nothing was delivered" is always proved by publishing a good event afterwards and seeing that it is
the very next event on the stream.
"""

import json
import re
import time

import pytest

import publishing
import sse
import sse_parse
from conftest import wait_for
from sse import assert_next_is

# The opening lines and heartbeats end no block (DESIGN §1.1): no blank line follows them.
COMMENT_LINES = re.compile(rb"(?::[^\r\n]*\n)+")


def read_raw_until(stream, pattern, timeout=3.0):
    """Reads the stream until its raw body matches `pattern` (a compiled bytes regex, matched at the
    start); returns the match."""
    deadline = time.monotonic() + timeout
    while True:
        match = pattern.match(bytes(stream.raw))
        if match:
            return match
        if time.monotonic() >= deadline:
            raise AssertionError("stream body does not match %r within %ss: %r"
                                 % (pattern.pattern, timeout, bytes(stream.raw[:400])))
        try:
            stream._pump(deadline)
        except TimeoutError:
            pass


def assert_event_stream_head(response, http10=False):
    assert response.status == 200 and response.reason == "OK", response
    if http10:
        assert response.version in ("HTTP/1.0", "HTTP/1.1"), response
    else:
        assert response.version == "HTTP/1.1", response
    assert response.header("content-type") == "text/event-stream", response
    assert response.header("cache-control") == "no-cache", response
    assert response.header("x-accel-buffering") == "no", response
    if not http10:
        assert response.tokens("connection") == {"keep-alive"}, response
    assert response.values("content-length") == [], "an event stream has no Content-Length: %r" % response
    # HTTP/1.1: in chunks, so a client reads each event as it comes and tells an end from a cut;
    # HTTP/1.0 knows no chunks: the body ends with the connection
    expected = [] if http10 else ["chunked"]
    assert response.values("transfer-encoding") == expected, "transfer coding: %r" % response


# --------------------------------------------------------------------------- head, first bytes


def test_stream_head_and_first_bytes_are_retry_then_a_comment(herald):
    with sse.SSEStream(herald.public_port, "/events/first") as stream:
        assert_event_stream_head(stream.open(timeout=3))
        # no event is published: these bytes must come by themselves, at once
        retry = read_raw_until(stream, re.compile(rb"retry: 3000\n" + COMMENT_LINES.pattern), timeout=2)
        assert retry.group(0) == b"retry: 3000\n:herald: first\n", bytes(stream.raw)
        assert stream.parser.reconnection_time == 3000
        assert not [i for i in stream.items if isinstance(i, sse_parse.Event)]


def test_retry_comes_from_events_retry(start_herald):
    herald = start_herald(events={"retry": "2500ms"})
    with sse.SSEStream(herald.public_port, "/events/first") as stream:
        assert_event_stream_head(stream.open(timeout=3))
        read_raw_until(stream, re.compile(rb"retry: 2500\n" + COMMENT_LINES.pattern), timeout=2)


def test_padding_comes_first_as_one_comment_of_padding_bytes(start_herald):
    padding = 2048
    herald = start_herald(events={"padding_bytes": padding})
    with sse.SSEStream(herald.public_port, "/events/padded") as stream:
        assert_event_stream_head(stream.open(timeout=3))
        pattern = re.compile(rb"(:[^\r\n]*\n)retry: 3000\n" + COMMENT_LINES.pattern)
        match = read_raw_until(stream, pattern, timeout=2)
        line = match.group(1)
        # "a comment line of exactly that many bytes": counted with its LF, or without it
        assert len(line) in (padding, padding + 1), "padding comment line is %d bytes, not %d" % (len(line), padding)
        assert stream.parser.reconnection_time == 3000


def test_a_stream_ended_on_purpose_ends_with_the_last_chunk_and_a_cut_one_without(start_herald):
    herald = start_herald(events={"max_buffered_bytes": "64KiB"})
    with publishing.Publisher(herald.publish_port) as pub:
        with sse.subscribe(herald.public_port, "ending") as stream:
            pub.publish("ending", "last words")
            pub.delete("ending")
            assert [e.data for e in stream.wait_closed(timeout=5)] == ["last words"]
            assert stream.response.stream.done and not stream.cut, "DELETE /channels ends the body cleanly"
        stuck = sse.SSEStream(herald.public_port, "/events/ending", rcvbuf=4096)
        with stuck:
            assert stuck.open().status == 200
            for n in range(200):  # 3.2 MiB at most; cut after about 200 KiB
                if pub.publish("ending", "%04d" % n + "x" * 16380)["subscribers"] == 0:
                    break
            stuck.wait_closed(timeout=10)
            assert stuck.cut and not stuck.response.stream.done, "a slow subscriber's stream is cut, not ended"


def test_stream_writes_its_events_in_chunks(herald):
    with publishing.Publisher(herald.publish_port) as pub:
        with sse.subscribe(herald.public_port, "raw") as stream:
            assert stream.response.stream.mode == "chunked"
            result = pub.publish("raw", "hello", event="greeting")
            event = assert_next_is(stream, "hello", type="greeting", id=result["id"])
            # the opening's retry line ends no block of its own: it is in the first event's block
            assert sorted(event.raw.split(b"\n")[:-2]) == sorted(
                [b"retry: 3000", b"id: " + result["id"].encode(), b"event: greeting", b"data: hello"]), event.raw
            assert event.raw.endswith(b"\n\n")


# ---------------------------------------------------------------------------- event fields

UNICODE = "héllo wörld ✓ 中文 🎉 👩‍👩‍👧 \u2028 \x0b \x85 end"  # U+2028, VT, NEL: no SSE line breaks
DATA_CASES = {
    "one line": ("hello", "hello"),
    "LF lines": ("a\nb\nc", "a\nb\nc"),
    "CR lines": ("a\rb\rc", "a\nb\nc"),
    "CRLF lines": ("a\r\nb\r\nc", "a\nb\nc"),
    "mixed line ends": ("a\r\nb\rc\nd\n\re", "a\nb\nc\nd\n\ne"),
    "empty lines inside": ("a\n\n\nb\r\n\r\nc", "a\n\n\nb\n\nc"),
    "leading newline": ("\nfirst", "\nfirst"),
    "trailing newline": ("last\n", "last\n"),
    "trailing CRLF": ("last\r\n", "last\n"),
    "newline only": ("\n", "\n"),
    "empty data": ("", ""),
    "leading spaces kept": ("  two spaces", "  two spaces"),
    "colons": ("data: not a field\nid: nor this", "data: not a field\nid: nor this"),
    "comment-like line": (":not a comment", ":not a comment"),
    "unicode and emoji": (UNICODE, UNICODE),
    "long line": ("x" * 100_000, "x" * 100_000),
}


@pytest.mark.parametrize("case", list(DATA_CASES))
def test_data_is_read_back_exactly(herald, case):
    """CR, LF and CRLF each end a line (and become LF for the page); everything else is kept byte
    for byte, including empty lines, a final newline, leading spaces and characters that only
    Unicode (not SSE) calls line breaks."""
    published, expected = DATA_CASES[case]
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "fields") as stream:
        result = pub.publish("fields", published)
        event = assert_next_is(stream, expected, type="message", id=result["id"], event_field=None)
        assert event.data_lines == expected.count("\n") + 1, "one data line per line: %r" % event.raw
        pub.publish("fields", "after")
        assert_next_is(stream, "after")


def test_event_id_and_retry_fields_from_the_query(herald):
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "q") as stream:
        result = pub.publish("q", "typed", event="order.created", id="ord 42/α ✓", retry=1500)
        assert result["id"] == "ord 42/α ✓", result
        event = assert_next_is(stream, "typed", type="order.created", id="ord 42/α ✓",
                               id_field="ord 42/α ✓", retry_field=1500)
        assert stream.parser.reconnection_time == 1500
        # the next event without its own retry leaves the reconnection time alone and has an id of its own
        second = pub.publish("q", "plain")
        assert second["id"] and second["id"] != "ord 42/α ✓"
        assert_next_is(stream, "plain", type="message", id=second["id"], id_field=second["id"], retry_field=None)


def test_event_id_and_retry_fields_from_json(herald):
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "j") as stream:
        results = pub.publish_json({"channel": "j", "event": "e-json", "data": "line 1\nline 2",
                                    "id": "json-1 ✓", "retry": 2000})
        assert results == [{"channel": "j", "id": "json-1 ✓", "subscribers": 1}], results
        assert_next_is(stream, "line 1\nline 2", type="e-json", id="json-1 ✓", retry_field=2000)
        value = {"a": 1, "b": [1, 2, {"c": None}], "s": "x\ny \"q\" ✓", "t": True}
        pub.publish_json({"channel": "j", "data": value})
        event = stream.next_event()
        assert event.data_lines == 1, "a JSON value is sent on one line: %r" % event.raw
        assert json.loads(event.data) == value
        assert ": " not in event.data and ", " not in event.data, "not compact: %r" % event.data
        for value in (42, [1, 2], None, False, "just text"):
            pub.publish_json({"channel": "j", "data": value})
            event = stream.next_event()
            expected = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
            assert event.data == expected, (value, event)


def test_herald_assigned_ids_are_distinct_and_delivered(herald):
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "ids") as stream:
        ids = [pub.publish("ids", "e%d" % i)["id"] for i in range(20)]
        assert all(isinstance(i, str) and i for i in ids) and len(set(ids)) == 20, ids
        for i, event in enumerate(stream.events(20)):
            assert (event.data, event.id_field) == ("e%d" % i, ids[i]), event


# ------------------------------------------------------------------------------- channels


def test_channel_is_the_event_type_on_multi_channel_streams(herald):
    with publishing.Publisher(herald.publish_port) as pub, \
            sse.subscribe(herald.public_port, ["alpha", "beta"]) as both, \
            sse.subscribe(herald.public_port, "alpha") as single:
        pub.publish("alpha", "to alpha")
        pub.publish("beta", "to beta")
        pub.publish("alpha", "typed", event="update")
        assert_next_is(both, "to alpha", type="alpha", event_field="alpha")
        assert_next_is(both, "to beta", type="beta", event_field="beta")
        assert_next_is(both, "typed", type="update")
        assert_next_is(single, "to alpha", type="message", event_field=None)
        assert_next_is(single, "typed", type="update")


def test_every_event_on_a_multi_channel_stream_carries_a_channel_line(herald):
    """EventSource ignores a field it does not know; client.js reads `channel:` to route typed events."""
    with publishing.Publisher(herald.publish_port) as pub, \
            sse.subscribe(herald.public_port, ["alpha", "beta"]) as both, \
            sse.subscribe(herald.public_port, "alpha") as single:
        pub.publish("beta", "typed", event="update")
        pub.publish("alpha", "untyped")
        typed = assert_next_is(both, "typed", type="update")
        untyped = assert_next_is(both, "untyped", type="alpha")
        assert b"\nchannel: beta\n" in typed.raw, typed.raw
        assert b"\nchannel: alpha\n" in untyped.raw, untyped.raw
        alone = assert_next_is(single, "untyped", type="message")
        assert b"channel:" not in alone.raw, "a one-channel stream needs no channel line: %r" % alone.raw


def test_one_publish_to_several_of_a_streams_channels_names_each_of_them(herald):
    """client.js routes by the channel lines: a tab on `news` must see an event published to
    orders and news although the stream (x, news, orders) gets it once; replayed, likewise."""
    def channel_lines(event):
        return [line for line in event.raw.split(b"\n") if line.startswith(b"channel:")]

    with publishing.Publisher(herald.publish_port) as pub:
        with sse.subscribe(herald.public_port, ["x", "news", "orders"]) as stream:
            anchor = pub.publish("orders", "anchor")
            assert_next_is(stream, "anchor", type="orders")
            pub.publish_json({"channel": ["orders", "news"], "data": "both"})
            live = assert_next_is(stream, "both", type="orders")
            assert channel_lines(live) == [b"channel: orders", b"channel: news"], live.raw
            pub.publish("x", "after")
            assert_next_is(stream, "after", type="x")
        with sse.subscribe(herald.public_port, ["news", "orders"], header_id=anchor["id"]) as replay:
            replayed = assert_next_is(replay, "both", type="orders", id=live.id)
            assert channel_lines(replayed) == [b"channel: orders", b"channel: news"], replayed.raw


def test_query_channels_are_percent_decoded(herald):
    with publishing.Publisher(herald.publish_port) as pub:
        stream = sse.SSEStream(herald.public_port, "/events?channel=room%3A1%2Fa&channel=user%40x")
        with stream:
            assert_event_stream_head(stream.open())
            stream.read_preamble()
            pub.publish("user@x", "for user")
            pub.publish("room:1/a", "for room")
            assert_next_is(stream, "for user", type="user@x")
            assert_next_is(stream, "for room", type="room:1/a")


def test_one_publish_to_two_channels_arrives_once_on_a_stream_of_both(herald):
    with publishing.Publisher(herald.publish_port) as pub, \
            sse.subscribe(herald.public_port, ["a", "b"]) as both, \
            sse.subscribe(herald.public_port, "b") as only_b:
        results = pub.publish_json({"channel": ["a", "b"], "event": "both", "data": "once"})
        assert [r["channel"] for r in results] == ["a", "b"], results
        assert [r["subscribers"] for r in results] == [1, 2], results
        event = assert_next_is(both, "once", type="both")
        assert event.id in {r["id"] for r in results}, (event, results)
        assert_next_is(only_b, "once", type="both")
        pub.publish("b", "marker")
        assert_next_is(both, "marker", type="b")  # not a second copy of "once"
        assert_next_is(only_b, "marker")


def test_heartbeat_comments_keep_an_idle_stream_alive(start_herald):
    herald = start_herald(events={"heartbeat": "1s"})
    with sse.subscribe(herald.public_port, "idle") as stream:
        start = len(stream.raw)
        first = time.monotonic()
        stream.next_comment(timeout=3)
        stream.next_comment(timeout=3)
        elapsed = time.monotonic() - first
        assert elapsed >= 0.5, "two heartbeats %.2fs apart at 1s intervals" % elapsed
        tail = bytes(stream.raw[start:])
        tail = tail[:tail.rindex(b"\n") + 1]
        assert COMMENT_LINES.fullmatch(tail), "heartbeats are comment lines and no blank line: %r" % tail
        assert not [i for i in stream.items if isinstance(i, sse_parse.Event)]


# -------------------------------------------------------------------------- HTTP/1.0 and HEAD


def test_http10_subscriber_gets_a_close_delimited_stream(herald):
    with publishing.Publisher(herald.publish_port) as pub:
        stream = sse.SSEStream(herald.public_port, "/events/old", version="HTTP/1.0")
        with stream:
            response = stream.open(timeout=3)
            assert_event_stream_head(response, http10=True)
            assert response.stream.mode == "close"
            stream.read_preamble()
            wait_for(lambda: pub.subscribers("old") == 1, 2, message="HTTP/1.0 stream subscribed")
            result = pub.publish("old", "for 1.0")
            assert_next_is(stream, "for 1.0", id=result["id"])
            assert pub.delete("old")["subscribers"] == 1
            stream.wait_closed(timeout=3)  # the end of the body is the end of the connection
            assert stream.response.stream.done


def test_head_gets_the_headers_only_and_subscribes_nobody(herald):
    with publishing.Publisher(herald.publish_port) as pub:
        stream = sse.SSEStream(herald.public_port, "/events/headed", method="HEAD")
        with stream:
            response = stream.open(timeout=3)
            assert_event_stream_head(response)
            assert pub.publish("headed", "nobody listens")["subscribers"] == 0
            # no body bytes follow the head: the connection closes, or stays silent
            try:
                extra = stream.conn.wait_closed(timeout=0.5)
            except TimeoutError:
                extra = bytes(stream.conn.buf)
            assert extra == b"", "a HEAD response has no body: %r" % extra
            assert pub.subscribers("headed") == 0
