"""DESIGN §1.1: a blank line ends only an event that carries data. The opening bytes (retry, comment,
padding) and heartbeats end no block, so clients that dispatch an event at every blank line once
they have seen a `retry` or an `id` (many non-browser ones do) see exactly the events published, and
nothing between them.
"""

import re

import pytest

import publishing
import sse
import sse_parse
from sse import assert_next_is

LINE_END = re.compile(rb"\r\n|\r|\n")


def lines_of(raw):
    """The complete lines of `raw` (a final line without its end is left out)."""
    lines = LINE_END.split(bytes(raw))
    lines.pop()
    return lines


def blocks_without_data(raw):
    """The blocks ended by a blank line that carry no `data` field: what such a client would
    report as an empty event."""
    bad, block = [], []
    for line in lines_of(raw):
        if line:
            block.append(line)
            continue
        if not any(l == b"data" or l.startswith(b"data:") for l in block):
            bad.append(block)
        block = []
    return bad


class NaiveParser:
    """Models those clients: WHATWG fields, but once a `retry` or an `id` was seen, every blank line
    dispatches an event, with data or not. Events are (type, data, id)."""

    def __init__(self, last_event_id=""):
        self.events = []
        self.last_event_id = last_event_id
        self.seen_retry_or_id = False
        self.data, self.type, self.has_data = [], "", False

    def feed_all(self, raw):
        for line in lines_of(raw):
            text = line.decode("utf-8")
            if not text:
                if self.has_data or self.seen_retry_or_id:
                    self.events.append((self.type or "message", "\n".join(self.data), self.last_event_id))
                self.data, self.type, self.has_data = [], "", False
                continue
            if text.startswith(":"):
                continue
            name, colon, value = text.partition(":")
            if colon and value.startswith(" "):
                value = value[1:]
            if name == "data":
                self.data.append(value)
                self.has_data = True
            elif name == "event":
                self.type = value
            elif name == "id":
                self.last_event_id = value
                self.seen_retry_or_id = True
            elif name == "retry":
                self.seen_retry_or_id = True
        return self.events


def publish_across_heartbeats(pub, stream, channels):
    """Publishes events on `channels` between heartbeats (events.heartbeat = 1s): some back to back,
    one with empty data, one with several lines; returns them as (type, data, id) as published."""
    multi = len(channels) > 1
    published = []

    def send(channel, data, **kw):
        result = pub.publish(channel, data, **kw)
        published.append((kw.get("event") or (channel if multi else "message"), data.replace("\r\n", "\n"),
                          result["id"]))

    for _ in range(2):
        stream.next_comment(timeout=3)  # heartbeats before any event
    send(channels[0], "first")
    stream.next_event()
    stream.next_comment(timeout=3)
    send(channels[-1], "second", event="typed")
    send(channels[0], "")
    send(channels[-1], "three\r\nlines\r\nhere", id="own-id")
    stream.events(3)
    for _ in range(2):
        stream.next_comment(timeout=3)
    send(channels[0], "last")
    assert_next_is(stream, "last")
    stream.next_comment(timeout=3)  # a heartbeat after the last event too
    return published


CASES = {
    "one channel": ({}, ["blocks"]),
    "two channels, padding": ({"padding_bytes": 2048}, ["blocks-a", "blocks-b"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_no_blank_line_ends_a_block_without_data(start_herald, case):
    events, channels = CASES[case]
    herald = start_herald(events=dict(heartbeat="1s", **events))
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, channels) as stream:
        published = publish_across_heartbeats(pub, stream, channels)
        raw = bytes(stream.raw)
        assert not raw.startswith((b"\n", b"\r")), raw[:100]
        assert blocks_without_data(raw) == [], "blank lines that end no event: %r" % raw
        assert len(re.findall(rb"\n\n", raw)) == len(published), raw


@pytest.mark.parametrize("case", list(CASES))
def test_a_client_that_dispatches_at_every_blank_line_sees_exactly_the_published_events(start_herald, case):
    events, channels = CASES[case]
    herald = start_herald(events=dict(heartbeat="1s", **events))
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, channels) as stream:
        published = publish_across_heartbeats(pub, stream, channels)
        raw = bytes(stream.raw)
    assert NaiveParser().feed_all(raw) == published, raw
    # and a WHATWG parser (a browser) reads the very same events, the retry applied
    parser = sse_parse.SSEParser()
    seen = [(e.type, e.data, e.id) for e in parser.feed(raw) if isinstance(e, sse_parse.Event)]
    assert seen == published and parser.reconnection_time == 3000, raw


def test_a_naive_client_resuming_after_a_reset_sees_the_reset_then_the_events(start_herald):
    herald = start_herald(events={"heartbeat": "1s"})
    with publishing.Publisher(herald.publish_port) as pub:
        newest = pub.publish("naive", "before")["id"]
        with sse.subscribe(herald.public_port, "naive", header_id="gone-1") as stream:
            reset = stream.next_event()
            stream.next_comment(timeout=3)
            live = pub.publish("naive", "live")["id"]
            assert_next_is(stream, "live")
            stream.next_comment(timeout=3)
            raw = bytes(stream.raw)
    got = NaiveParser(last_event_id="gone-1").feed_all(raw)
    assert got == [("herald-reset", reset.data, newest), ("message", "live", live)], raw
