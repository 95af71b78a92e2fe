"""DESIGN §1.1: a browser that reconnects with `Last-Event-ID` (or `?lastEventId=`) gets, in publish
order, exactly the events of its channels that it missed, whoever assigned their ids, and then the
live ones; an id the history no longer holds gets the reset event first and no replay, so nothing is
lost silently. DELETE /channels/<c> closes the streams but keeps the history for their reconnect.
"""

import json

import pytest

import publishing
import sse
from conftest import wait_for
from sse import assert_next_is


def reconnect(herald, channels, last_id, how):
    if how == "header":
        return sse.subscribe(herald.public_port, channels, header_id=last_id)
    return sse.subscribe(herald.public_port, channels, last_event_id=last_id)


def publish_numbered(pub, channel, numbers, own_ids):
    """Publishes events "<channel>-<n>"; with own_ids the publisher names them; returns their ids."""
    ids = []
    for n in numbers:
        own = None
        if own_ids:  # even numbers get a non-ASCII id with a space and a slash
            own = ("%s/evt %d ✓" if n % 2 == 0 else "%s:%d") % (channel, n)
        result = pub.publish(channel, "%s-%d" % (channel, n), id=own)
        if own is not None:
            assert result["id"] == own, result
        ids.append(result["id"])
    return ids


@pytest.mark.parametrize("own_ids", [False, True], ids=["herald-ids", "publisher-ids"])
@pytest.mark.parametrize("how", ["header", "query"])
def test_reconnect_replays_exactly_the_missed_events_then_goes_live(herald, how, own_ids):
    with publishing.Publisher(herald.publish_port) as pub:
        with sse.subscribe(herald.public_port, "r") as first:
            ids = publish_numbered(pub, "r", range(1, 4), own_ids)
            seen = first.events(3)
            assert [e.id for e in seen] == ids
            last_seen = seen[-1].id
        wait_for(lambda: pub.subscribers("r") == 0, 1.0, message="first stream gone")
        missed = publish_numbered(pub, "r", range(4, 8), own_ids)
        with reconnect(herald, "r", last_seen, how) as again:
            for n, event_id in zip(range(4, 8), missed):
                assert_next_is(again, "r-%d" % n, id=event_id, id_field=event_id, type="message")
            live = pub.publish("r", "r-live")
            assert_next_is(again, "r-live", id=live["id"])  # nothing replayed twice, nothing else


@pytest.mark.parametrize("how", ["header", "query"])
def test_reconnect_from_an_older_id_replays_from_there(herald, how):
    with publishing.Publisher(herald.publish_port) as pub:
        ids = publish_numbered(pub, "older", range(1, 11), own_ids=False)
        with reconnect(herald, "older", ids[2], how) as again:
            for n in range(4, 11):
                assert_next_is(again, "older-%d" % n, id=ids[n - 1])
            pub.publish("older", "live")
            assert_next_is(again, "live")


def test_reconnect_with_the_newest_id_replays_nothing(herald):
    with publishing.Publisher(herald.publish_port) as pub:
        ids = publish_numbered(pub, "newest", range(1, 4), own_ids=False)
        with reconnect(herald, "newest", ids[-1], "header") as again:
            again.expect_silence(0.3)
            pub.publish("newest", "live")
            assert_next_is(again, "live", type="message")


@pytest.mark.parametrize("how", ["header", "query"])
def test_a_non_ascii_id_is_found(herald, how):
    """EventSource sends the last id UTF-8 encoded, in the header or (by page code) in the URL."""
    with publishing.Publisher(herald.publish_port) as pub:
        ids = publish_numbered(pub, "utf", range(1, 5), own_ids=True)
        assert ids[1] == "utf/evt 2 ✓"
        with reconnect(herald, "utf", ids[1], how) as again:
            assert_next_is(again, "utf-3", id=ids[2])
            assert_next_is(again, "utf-4", id=ids[3])


def test_header_wins_over_the_query(herald):
    """A browser sends the header itself; a page may also have put lastEventId in the URL."""
    with publishing.Publisher(herald.publish_port) as pub:
        ids = publish_numbered(pub, "both", range(1, 6), own_ids=False)
        stream = sse.SSEStream(herald.public_port, sse.events_target("both", last_event_id=ids[0]),
                               headers=[("Last-Event-ID", ids[3])])
        with stream:
            assert stream.open().status == 200
            stream.read_preamble()
            assert_next_is(stream, "both-5", id=ids[4])


@pytest.mark.parametrize("how", ["header", "query"])
def test_replay_across_two_channels_is_in_publish_order(herald, how):
    with publishing.Publisher(herald.publish_port) as pub:
        order = [("a", "a1"), ("b", "b1"), ("c", "c1"), ("a", "a2"), ("a", "a3"), ("b", "b2"),
                 ("c", "c2"), ("b", "b3"), ("a", "a4")]
        ids = {}
        for i, (channel, data) in enumerate(order):
            ids[data] = pub.publish(channel, data, id=("own-%s" % data) if i % 3 == 0 else None)["id"]
        expected = [(c, d) for c, d in order if c != "c"]
        for start in ("a1", "b1", "a3"):
            after = expected[[d for _, d in expected].index(start) + 1:]
            with reconnect(herald, ["a", "b"], ids[start], how) as again:
                for channel, data in after:
                    assert_next_is(again, data, type=channel, id=ids[data])
                ids["live-" + start] = pub.publish("b", "live-" + start)["id"]
                assert_next_is(again, "live-" + start, type="b", id=ids["live-" + start])
            expected.append(("b", "live-" + start))  # later reconnects replay it too


@pytest.mark.parametrize("how", ["header", "query"])
def test_an_id_older_than_the_history_gets_the_reset_event_then_live_only(start_herald, how):
    herald = start_herald(events={"history_size": 5})
    with publishing.Publisher(herald.publish_port) as pub:
        ids = publish_numbered(pub, "short", range(1, 21), own_ids=False)
        info = pub.channel("short")
        assert (info["events_held"], info["last_event_id"]) == (5, ids[-1]), info
        with reconnect(herald, "short", ids[2], how) as again:
            reset = again.next_event()
            assert reset.type == "herald-reset", reset
            assert json.loads(reset.data) == {"lastEventId": ids[2]}, reset
            assert reset.id_field == ids[-1], "the reset carries the newest held id: %r" % reset.raw
            live = pub.publish("short", "live")
            assert_next_is(again, "live", id=live["id"])  # no replay of the held five
        ids.append(live["id"])
        # the oldest id still held is found: what follows it is replayed, no reset
        held = ids[-5:]
        with reconnect(herald, "short", held[0], how) as again:
            for event_id in held[1:]:
                event = again.next_event()
                assert event.type != "herald-reset" and event.id == event_id, event


@pytest.mark.parametrize("how", ["header", "query"])
def test_an_unknown_id_gets_the_configured_reset_event(start_herald, how):
    herald = start_herald(events={"reset_event": "resync"})
    strange = 'no-such-id "quoted" \\ back'
    with publishing.Publisher(herald.publish_port) as pub:
        ids = publish_numbered(pub, "u1", range(1, 3), own_ids=False)
        ids += publish_numbered(pub, "u2", range(1, 3), own_ids=False)
        with reconnect(herald, ["u1", "u2"], strange, how) as again:
            reset = again.next_event()
            assert reset.type == "resync", reset
            assert json.loads(reset.data) == {"lastEventId": strange}, reset
            assert reset.id_field == ids[-1], reset
            pub.publish("u1", "live")
            assert_next_is(again, "live", type="u1")
        # a channel with no history at all: the reset's empty id clears the client's stale one
        with reconnect(herald, "empty", "ghost", how) as again:
            reset = again.next_event()
            assert reset.type == "resync" and json.loads(reset.data) == {"lastEventId": "ghost"}, reset
            assert reset.id_field == "" and b"id: \n" in reset.raw, reset.raw
            pub.publish("empty", "first ever")
            assert_next_is(again, "first ever")


def test_an_id_of_another_channel_does_not_replay_this_one(herald):
    """Only the history of the subscribed channels is searched."""
    with publishing.Publisher(herald.publish_port) as pub:
        mine = publish_numbered(pub, "mine", range(1, 4), own_ids=True)
        publish_numbered(pub, "theirs", range(1, 4), own_ids=True)
        with reconnect(herald, "mine", "theirs:2", "header") as again:
            reset = again.next_event()
            assert reset.type == "herald-reset" and json.loads(reset.data) == {"lastEventId": "theirs:2"}, reset
            assert reset.id_field == mine[-1]
            pub.publish("mine", "live")
            assert_next_is(again, "live")


def test_delete_closes_the_streams_and_reconnect_gets_what_was_published_meanwhile(herald):
    with publishing.Publisher(herald.publish_port) as pub:
        first = sse.subscribe(herald.public_port, "del")
        multi = sse.subscribe(herald.public_port, ["del", "kept"])
        bystander = sse.subscribe(herald.public_port, "kept")
        try:
            e1 = pub.publish("del", "before")
            assert_next_is(first, "before")
            assert_next_is(multi, "before", type="del")
            answer = pub.delete("del")
            assert answer == {"channel": "del", "subscribers": 2}, answer
            first.wait_closed(timeout=3)
            multi.wait_closed(timeout=3)
            wait_for(lambda: pub.subscribers("del") == 0, 1.0, message="deleted channel has no subscribers")
            # the other channel's stream is untouched
            pub.publish("kept", "still here")
            assert_next_is(bystander, "still here")
            meanwhile = publish_numbered(pub, "del", range(1, 4), own_ids=False)
            info = pub.channel("del")
            assert info["subscribers"] == 0 and info["last_event_id"] == meanwhile[-1], info
            assert info["events_held"] == 4, "history kept across DELETE: %r" % info
            with reconnect(herald, "del", e1["id"], "header") as again:
                for n, event_id in zip(range(1, 4), meanwhile):
                    assert_next_is(again, "del-%d" % n, id=event_id)
                pub.publish("del", "live")
                assert_next_is(again, "live")
        finally:
            for stream in (first, multi, bystander):
                stream.close()
