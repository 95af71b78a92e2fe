"""DESIGN §1.2: the publish listener — POST /publish/<channel> and POST /publish (JSON), their
answers, the publishes it refuses (each proved to deliver nothing, and to store nothing), the
channel API, /healthz and /metrics.
"""

import json

import pytest

import httpwire
import metrics_text
import publishing
import sse
from conftest import wait_for
from sse import assert_next_is

TOKEN = "s3cret-token"


# ---------------------------------------------------------------------------------- answers


def test_publish_answers_202_with_channel_id_and_subscriber_count(herald):
    with publishing.Publisher(herald.publish_port) as pub:
        assert pub.publish("count", "to nobody") == {"channel": "count", "id": pub.channel("count")["last_event_id"],
                                                     "subscribers": 0}
        with sse.subscribe(herald.public_port, "count") as one, \
                sse.subscribe(herald.public_port, ["count", "other"]) as two:
            result = pub.publish("count", "to two")
            assert set(result) == {"channel", "id", "subscribers"}, result
            assert result["channel"] == "count" and result["subscribers"] == 2, result
            assert isinstance(result["id"], str) and result["id"], result
            assert_next_is(one, "to two", id=result["id"])
            assert_next_is(two, "to two", id=result["id"])
            assert pub.publish("other", "to one")["subscribers"] == 1


def test_publishing_to_a_channel_nobody_listens_to_fills_its_history(herald):
    with publishing.Publisher(herald.publish_port) as pub:
        ids = [pub.publish("lonely", "e%d" % i)["id"] for i in range(3)]
        info = pub.channel("lonely")
        assert info == {"channel": "lonely", "subscribers": 0, "last_event_id": ids[-1], "events_held": 3}, info
        with sse.subscribe(herald.public_port, "lonely", header_id=ids[0]) as late:
            assert_next_is(late, "e1", id=ids[1])
            assert_next_is(late, "e2", id=ids[2])


def test_channel_info_counts_streams_and_held_events(start_herald):
    herald = start_herald(events={"history_size": 3})
    with publishing.Publisher(herald.publish_port) as pub:
        with sse.subscribe(herald.public_port, "info"), sse.subscribe(herald.public_port, ["info", "x"]):
            wait_for(lambda: pub.subscribers("info") == 2, 1.0, message="two subscribers")
            info = pub.channel("info")
            assert info == {"channel": "info", "subscribers": 2, "last_event_id": None, "events_held": 0}, info
            ids = [pub.publish("info", "e%d" % i)["id"] for i in range(5)]
            info = pub.channel("info")
            assert info == {"channel": "info", "subscribers": 2, "last_event_id": ids[-1], "events_held": 3}, info


def test_json_publish_of_one_object_answers_an_array(herald):
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "j1") as stream:
        results = pub.publish_json({"channel": "j1", "data": "one"})
        assert isinstance(results, list) and len(results) == 1, results
        assert results[0]["channel"] == "j1" and results[0]["subscribers"] == 1, results
        assert_next_is(stream, "one", id=results[0]["id"], type="message")


def test_json_publish_naming_a_channel_twice_publishes_to_it_once(herald):
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "twice") as stream:
        results = pub.publish_json({"channel": ["twice", "other-twice", "twice"], "data": "once"})
        assert [r["channel"] for r in results] == ["twice", "other-twice"], results
        assert_next_is(stream, "once", id=results[0]["id"])
        assert pub.channel("twice")["events_held"] == 1


def test_json_publish_of_an_array_publishes_in_order(herald):
    with publishing.Publisher(herald.publish_port) as pub, \
            sse.subscribe(herald.public_port, ["ja", "jb"]) as both, \
            sse.subscribe(herald.public_port, "jc") as only_c:
        batch = [
            {"channel": "ja", "data": "first"},
            {"channel": ["jb", "jc"], "event": "multi", "data": {"n": 2}},
            {"channel": "jc", "data": "third", "id": "own-3", "retry": 2500},
            {"channel": "ja", "data": ["x", 4]},
        ]
        results = pub.publish_json(batch)
        assert [r["channel"] for r in results] == ["ja", "jb", "jc", "jc", "ja"], results
        assert [r["subscribers"] for r in results] == [1, 1, 1, 1, 1], results
        assert results[3]["id"] == "own-3"
        assert_next_is(both, "first", type="ja", id=results[0]["id"])
        event = assert_next_is(both, '{"n":2}', type="multi")
        assert event.id in (results[1]["id"], results[2]["id"])
        assert_next_is(both, '["x",4]', type="ja", id=results[4]["id"])
        assert_next_is(only_c, '{"n":2}', type="multi")
        assert_next_is(only_c, "third", id="own-3", retry_field=2500)


# -------------------------------------------------------------------------- refused publishes


def bad_query_publish(target, body=b"data"):
    def send(pub):
        return pub.request("POST", target, body)
    return send


def bad_json_publish(body, content_type="application/json"):
    def send(pub):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return pub.request("POST", "/publish", raw, headers=[("Content-Type", content_type)])
    return send


def with_token(token, target="/publish/guard"):
    def send(pub):
        return pub.request("POST", target, b"data", token=token)
    return send


def with_authorization(value):
    def send(pub):
        return pub.request("POST", "/publish/guard", b"data", headers=[("Authorization", value)], token="")
    return send


REFUSED = {
    # status 401: publish.token is set
    "no token": (401, with_token("")),
    "wrong token": (401, with_token("not-" + TOKEN)),
    "token prefix only": (401, with_token(TOKEN[:-1])),
    "basic scheme": (401, with_authorization("Basic " + TOKEN)),
    "no scheme": (401, with_authorization(TOKEN)),
    "no token on JSON publish": (401, lambda pub: pub.request(
        "POST", "/publish", b'{"channel":"guard","data":"x"}', headers=[("Content-Type", "application/json")], token="")),
    # status 400: fields that would break the stream's framing
    "id with LF": (400, bad_query_publish("/publish/guard?id=a%0Ab")),
    "id with CR": (400, bad_query_publish("/publish/guard?id=a%0Db")),
    "id with NUL": (400, bad_query_publish("/publish/guard?id=a%00b")),
    "event with LF": (400, bad_query_publish("/publish/guard?event=a%0Ab")),
    "event with CRLF": (400, bad_query_publish("/publish/guard?event=a%0D%0Ab")),
    "JSON id with LF": (400, bad_json_publish({"channel": "guard", "data": "x", "id": "a\nb"})),
    "JSON event with NUL": (400, bad_json_publish({"channel": "guard", "data": "x", "event": "a\u0000b"})),
    "JSON event with CR": (400, bad_json_publish({"channel": "guard", "data": "x", "event": "a\rb"})),
    # status 400: bad bodies
    "invalid UTF-8 body": (400, bad_query_publish("/publish/guard", b"ok \xff\xfe not")),
    "truncated UTF-8 body": (400, bad_query_publish("/publish/guard", "✓".encode()[:2])),
    "overlong UTF-8 body": (400, bad_query_publish("/publish/guard", b"\xc0\xaf")),
    "UTF-16 surrogate in UTF-8 body": (400, bad_query_publish("/publish/guard", b"\xed\xa0\x80")),
    "invalid JSON": (400, bad_json_publish(b'{"channel": "guard", "data": ')),
    "JSON trailing garbage": (400, bad_json_publish(b'{"channel": "guard", "data": "x"} x')),
    "JSON not an object": (400, bad_json_publish(b'"guard"')),
    "JSON without channel": (400, bad_json_publish({"data": "x"})),
    "JSON empty channel list": (400, bad_json_publish({"channel": [], "data": "x"})),
    "invalid UTF-8 in JSON": (400, bad_json_publish(b'{"channel": "guard", "data": "\xff"}')),
    # status 400: channel names
    "bad channel in path": (400, bad_query_publish("/publish/bad!name")),
    "empty channel in path": (400, bad_query_publish("/publish/")),
    "201-byte channel": (400, bad_query_publish("/publish/" + "a" * 201)),
    "bad channel in JSON": (400, bad_json_publish({"channel": "bad name", "data": "x"})),
    "bad channel in JSON list": (400, bad_json_publish({"channel": ["guard", "bad!"], "data": "x"})),
    # status 400: all or nothing
    "array with one bad item": (400, bad_json_publish([
        {"channel": "guard", "data": "x1"}, {"channel": "guard2", "data": "x2"},
        {"channel": "guard", "data": "x3", "id": "bad\nid"}])),
    "array with one bad channel": (400, bad_json_publish([
        {"channel": "guard2", "data": "x1"}, {"channel": "bad channel", "data": "x2"}])),
    "array with one invalid item": (400, bad_json_publish([{"channel": "guard", "data": "x1"}, 7])),
    # status 413: over publish.max_body_bytes (4 KiB here)
    "oversize body": (413, bad_query_publish("/publish/guard", b"x" * 4097)),
    "oversize JSON": (413, bad_json_publish({"channel": "guard", "data": "y" * 5000})),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_publish_delivers_nothing(start_herald, case):
    status, send = REFUSED[case]
    herald = start_herald(publish={"token": TOKEN, "max_body_bytes": "4KiB"})
    with publishing.Publisher(herald.publish_port, token=TOKEN) as pub, \
            sse.subscribe(herald.public_port, "guard") as stream, \
            sse.subscribe(herald.public_port, "guard2") as stream2:
        wait_for(lambda: pub.subscribers("guard") == 1 and pub.subscribers("guard2") == 1, 1.0,
                 message="subscribers registered")
        with publishing.Publisher(herald.publish_port, token=TOKEN) as other:
            refused = send(other)
        assert refused.status == status, refused
        if status == 400:
            assert refused.body.strip(), "a 400 names what is wrong: %r" % refused
        for channel in ("guard", "guard2"):
            info = pub.channel(channel)
            assert info["events_held"] == 0 and info["last_event_id"] is None, "refused publish stored: %r" % info
        pub.publish("guard", "good")
        pub.publish("guard2", "good2")
        assert_next_is(stream, "good")   # the very next event: nothing of the refused one came first
        assert_next_is(stream2, "good2")


def test_the_right_token_publishes(start_herald):
    herald = start_herald(publish={"token": TOKEN})
    with publishing.Publisher(herald.publish_port, token=TOKEN) as pub, sse.subscribe(herald.public_port, "t") as stream:
        assert pub.publish("t", "authorised")["subscribers"] == 1
        assert pub.publish_json({"channel": "t", "data": "authorised too"})[0]["subscribers"] == 1
        assert_next_is(stream, "authorised")
        assert_next_is(stream, "authorised too")


def test_a_body_of_exactly_max_body_bytes_is_accepted(start_herald):
    herald = start_herald(publish={"max_body_bytes": "4KiB"})
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "edge") as stream:
        pub.publish("edge", "z" * 4096)
        assert_next_is(stream, "z" * 4096)


def test_keep_alive_publisher_survives_a_refused_publish(herald):
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "ka") as stream:
        pub.publish("ka", "one")
        refused = pub.request("POST", "/publish/ka?id=x%0Ay", b"bad")
        assert refused.status == 400, refused
        pub.publish("ka", "two")
        assert_next_is(stream, "one")
        assert_next_is(stream, "two")


# ------------------------------------------------------------------------- healthz, metrics


def test_healthz_answers_200(herald):
    response = httpwire.request(herald.publish_port, "GET", "/healthz")
    assert response.status == 200, response


def histogram(metrics, name):
    buckets = sorted(((float(labels["le"]), value) for n, labels, value in metrics["samples"]
                      if n == name + "_bucket"), key=lambda b: b[0])
    return buckets, metrics_text.metric(metrics, name + "_sum"), metrics_text.metric(metrics, name + "_count")


def test_metrics_count_subscribers_publishes_and_deliveries(herald):
    with publishing.Publisher(herald.publish_port) as pub:
        before, response = pub.metrics()
        assert response.header("content-type", "").startswith("text/plain"), response
        for name, kind in (("herald_subscribers", "gauge"), ("herald_channels", "gauge"),
                           ("herald_events_published_total", "counter"),
                           ("herald_events_delivered_total", "counter"),
                           ("herald_slow_subscribers_disconnected_total", "counter"),
                           ("herald_publish_to_write_seconds", "histogram")):
            # a counter's TYPE line names it with or without _total (Prometheus text vs OpenMetrics style)
            declared = before["types"].get(name) or before["types"].get(name.removesuffix("_total"))
            assert declared == kind, "%s: TYPE %s expected in\n%s" % (name, kind, response.text)
        for name in ("herald_subscribers", "herald_channels", "herald_events_published_total",
                     "herald_events_delivered_total", "herald_slow_subscribers_disconnected_total",
                     "herald_publish_to_write_seconds_sum", "herald_publish_to_write_seconds_count"):
            assert metrics_text.metric(before, name) is not None, "%s missing from\n%s" % (name, response.text)
        assert metrics_text.metric(before, "herald_subscribers") == 0

        def delta(name):
            return metrics_text.metric(pub.metrics()[0], name) - metrics_text.metric(before, name)

        streams = [sse.subscribe(herald.public_port, "m1"), sse.subscribe(herald.public_port, "m1"),
                   sse.subscribe(herald.public_port, ["m2", "m3"])]
        try:
            wait_for(lambda: metrics_text.metric(pub.metrics()[0], "herald_subscribers") == 3, 1.0, message="3 subscribers")
            assert metrics_text.metric(pub.metrics()[0], "herald_channels") >= 3
            for i in range(4):
                pub.publish("m1", "m1-%d" % i)                               # 4 × 2 deliveries
            pub.publish("m2", "m2")                                          # 1
            pub.publish_json({"channel": ["m2", "m3"], "data": "m2+m3"})     # 1: one stream, once
            pub.publish("nobody", "nobody")                                  # 0
            for stream, count in zip(streams, (4, 4, 2)):
                stream.events(count)
            assert delta("herald_events_published_total") == 7
            wait_for(lambda: delta("herald_events_delivered_total") == 10, 2.0,
                     message="10 deliveries (now %s)" % delta("herald_events_delivered_total"))
            after = pub.metrics()[0]
            buckets, total, count = histogram(after, "herald_publish_to_write_seconds")
            assert buckets and buckets[-1][0] == float("inf"), buckets
            assert [v for _, v in buckets] == sorted(v for _, v in buckets), "buckets are cumulative: %r" % buckets
            assert buckets[-1][1] == count, (buckets, count)
            assert count - histogram(before, "herald_publish_to_write_seconds")[2] >= 6, count
            assert total >= 0
        finally:
            for stream in streams:
                stream.close()
        wait_for(lambda: metrics_text.metric(pub.metrics()[0], "herald_subscribers") == 0, 1.0, message="subscribers gone")
