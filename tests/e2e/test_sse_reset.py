"""DESIGN §1.1: the reset event carries the id from which the stream continues (the newest of the
history of the stream's channels, or an empty `id:` when there is none), so a client's stale id is
replaced and one reset never becomes a loop of them; a malformed `?lastEventId=` or Last-Event-ID
(bad escape, ill-formed UTF-8, a line break or NUL) is an unknown id: it gets the reset too.

Reconnects are made as a WHATWG EventSource makes them: it keeps the last id it was given (an empty
one included) and sends it only when it is not empty.
"""

import json

import pytest

import publishing
import sse
from conftest import wait_for
from sse import assert_next_is


class Client:
    """What a WHATWG EventSource keeps across reconnects: its last event ID string."""

    def __init__(self, last_event_id):
        self.last_event_id = last_event_id

    def connect(self, herald, channels, how):
        sent = self.last_event_id or None  # an empty id is not sent
        if sent is None:
            return sse.subscribe(herald.public_port, channels)
        if how == "header":
            return sse.subscribe(herald.public_port, channels, header_id=sent)
        return sse.subscribe(herald.public_port, channels, last_event_id=sent)

    def read(self, stream):
        """The next event, its id field kept as the client keeps it."""
        event = stream.next_event()
        if event.id_field is not None:
            self.last_event_id = event.id_field
        return event


@pytest.mark.parametrize("how", ["header", "query"])
def test_a_reset_is_followed_by_no_second_reset(start_herald, how):
    herald = start_herald(events={"history_size": 3})
    with publishing.Publisher(herald.publish_port) as pub:
        # a restart: the client's id is unknown to this fresh Herald, and its channel has no history
        client = Client("mx0ld-42")
        with client.connect(herald, "fresh", how) as stream:
            reset = client.read(stream)
            assert reset.type == "herald-reset" and json.loads(reset.data) == {"lastEventId": "mx0ld-42"}, reset
            assert reset.id_field == "" and client.last_event_id == "", reset.raw
        with client.connect(herald, "fresh", how) as stream:  # sends no id now
            wait_for(lambda: pub.subscribers("fresh") == 1, 3, message="reconnected")
            live = pub.publish("fresh", "first live")
            assert_next_is(stream, "first live", id=live["id"])  # no second reset

        # with a history: the reset carries its newest id; what is published after it comes once
        ids = [pub.publish("held", "h%d" % n)["id"] for n in range(5)]
        client = Client("evicted-or-unknown")
        with client.connect(herald, "held", how) as stream:
            reset = client.read(stream)
            assert reset.type == "herald-reset" and reset.id_field == ids[-1], reset.raw
            during = pub.publish("held", "during")
            assert client.read(stream).data == "during"
        missed = [pub.publish("held", "missed %d" % n)["id"] for n in range(2)]
        with client.connect(herald, "held", how) as stream:
            assert [(e.type, e.id) for e in (client.read(stream), client.read(stream))] \
                == [("message", missed[0]), ("message", missed[1])]
            live = pub.publish("held", "live")
            assert_next_is(stream, "live", id=live["id"])  # nothing twice
        assert during["id"] not in missed


# The raw query value, and the value the reset shows (decoded leniently).
MALFORMED_QUERY = {
    "bad escape": ("a%zz", "a%zz"),
    "truncated escape": ("5%", "5%"),
    "ill-formed UTF-8": ("%FF1", "\ufffd1"),
    "truncated UTF-8": ("x%C3", "x\ufffd"),
    "LF": ("a%0Ab", "a\nb"),
    "NUL": ("a%00b", "a\x00b"),
}


@pytest.mark.parametrize("case", list(MALFORMED_QUERY))
def test_a_malformed_query_id_gets_the_reset(herald, case):
    raw, shown = MALFORMED_QUERY[case]
    with publishing.Publisher(herald.publish_port) as pub:
        newest = pub.publish("bad-q", "held")["id"]
        stream = sse.SSEStream(herald.public_port, "/events/bad-q?lastEventId=" + raw)
        with stream:
            assert stream.open(timeout=5).status == 200, stream.response
            reset = stream.next_event()
            assert reset.type == "herald-reset", reset
            assert json.loads(reset.data) == {"lastEventId": shown}, reset.raw
            assert reset.id_field == newest, reset.raw
            live = pub.publish("bad-q", "live")
            assert_next_is(stream, "live", id=live["id"])


def test_a_header_id_that_is_not_utf8_gets_the_reset_as_the_query_does(herald):
    with publishing.Publisher(herald.publish_port) as pub:
        newest = pub.publish("bad-h", "held")["id"]
        # a good query id is not used when the header has a value: the header decides alone
        stream = sse.SSEStream(herald.public_port, "/events/bad-h?lastEventId=" + newest,
                               headers=[b"Last-Event-ID: \xffid-\xc3"])
        with stream:
            assert stream.open(timeout=5).status == 200, stream.response
            reset = stream.next_event()
            assert reset.type == "herald-reset", reset
            assert json.loads(reset.data) == {"lastEventId": "\ufffdid-\ufffd"}, reset.raw
            assert reset.id_field == newest, reset.raw
            live = pub.publish("bad-h", "live")
            assert_next_is(stream, "live", id=live["id"])
