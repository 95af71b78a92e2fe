"""Idempotent publishing (README "Publishing events"): a publish whose id the channel's history
already holds is answered 202 with "duplicate": true, and is neither stored nor delivered again;
judged per channel, and per item of an array. Each test ends by publishing a marker and reading it
as the stream's next event, which proves the duplicate was not delivered in between.
"""

import metrics_text
import publishing
import sse
from sse import assert_next_is


def test_a_repeated_id_is_answered_duplicate_and_delivered_once(herald):
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "orders") as stream:
        duplicates_before = metrics_text.metric(pub.metrics()[0], "herald_duplicate_publishes_total")
        first = pub.publish("orders", "paid", id="order-42-paid")
        assert first == {"channel": "orders", "id": "order-42-paid", "subscribers": 1}, first
        again = pub.publish("orders", "paid (retry)", id="order-42-paid")
        assert again == {"channel": "orders", "duplicate": True, "id": "order-42-paid", "subscribers": 1}, again
        # Ids Herald assigns are never duplicates: the same data twice without an id is two events.
        assigned = [pub.publish("orders", "no id") for _ in range(2)]
        assert all("duplicate" not in r for r in assigned) and assigned[0]["id"] != assigned[1]["id"], assigned
        pub.publish("orders", "marker", id="marker")
        assert_next_is(stream, "paid", id="order-42-paid")
        assert_next_is(stream, "no id", id=assigned[0]["id"])
        assert_next_is(stream, "no id", id=assigned[1]["id"])
        assert_next_is(stream, "marker", id="marker")
        assert pub.channel("orders")["events_held"] == 4
        assert metrics_text.metric(pub.metrics()[0], "herald_duplicate_publishes_total") == duplicates_before + 1


def test_json_duplicates_are_judged_per_item(herald):
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "batch") as stream:
        pub.publish_json({"channel": "batch", "data": "one", "id": "b-1"})
        results = pub.publish_json([
            {"channel": "batch", "data": "one again", "id": "b-1"},
            {"channel": "batch", "data": "two", "id": "b-2"},
            {"channel": "batch", "data": "two again", "id": "b-2"},
        ])
        assert [r.get("duplicate", False) for r in results] == [True, False, True], results
        assert [r["id"] for r in results] == ["b-1", "b-2", "b-2"], results
        pub.publish("batch", "marker", id="marker")
        assert [e.data for e in stream.events(3)] == ["one", "two", "marker"]


def test_a_multi_channel_publish_lands_only_where_its_id_is_new(herald):
    with publishing.Publisher(herald.publish_port) as pub, \
            sse.subscribe(herald.public_port, "ma") as on_a, \
            sse.subscribe(herald.public_port, "mb") as on_b, \
            sse.subscribe(herald.public_port, ["ma", "mb"]) as on_both:
        pub.publish("ma", "first on a", id="shared")
        results = pub.publish_json({"channel": ["ma", "mb"], "data": "to both", "id": "shared"})
        assert [(r["channel"], r.get("duplicate", False)) for r in results] == [("ma", True), ("mb", False)], results
        again = pub.publish_json({"channel": ["ma", "mb"], "data": "to both again", "id": "shared"})
        assert [r.get("duplicate", False) for r in again] == [True, True], again
        pub.publish_json({"channel": ["ma", "mb"], "data": "marker", "id": "marker"})
        assert_next_is(on_a, "first on a", id="shared")
        assert_next_is(on_a, "marker")
        assert_next_is(on_b, "to both", id="shared")
        assert_next_is(on_b, "marker")
        # The stream on both channels got the id from each channel once: two distinct events.
        assert_next_is(on_both, "first on a", id="shared")
        assert_next_is(on_both, "to both", id="shared")
        assert_next_is(on_both, "marker")
        assert pub.channel("ma")["events_held"] == 2 and pub.channel("mb")["events_held"] == 2


def test_a_reconnecting_subscriber_does_not_replay_a_duplicate(herald):
    with publishing.Publisher(herald.publish_port) as pub:
        pub.publish("resume", "before", id="r-0")
        pub.publish("resume", "once", id="r-1")
        assert pub.publish("resume", "twice", id="r-1")["duplicate"] is True
        pub.publish("resume", "after", id="r-2")
        with sse.subscribe(herald.public_port, "resume", header_id="r-0") as stream:
            assert [(e.data, e.id) for e in stream.events(2)] == [("once", "r-1"), ("after", "r-2")]


def test_a_pushpin_item_with_a_held_id_is_a_duplicate(herald):
    with publishing.Publisher(herald.publish_port) as pub:
        item = {"items": [{"channel": "pp", "id": "pp-1", "formats": {"http-stream": {"content": "hello\n"}}}]}
        assert "duplicate" not in pub.publish_json(item)[0]
        assert pub.publish_json(item)[0]["duplicate"] is True
        assert pub.channel("pp")["events_held"] == 1
