"""DESIGN §1.1: a channel name may arrive percent-encoded wherever one is named (`/publish/<c>`,
`/events/<c>`, `?channel=`, `/channels/<c>`, a GRIP `Grip-Channel`, an auth answer's
`Herald-Channels`), as many HTTP libraries encode `:` and `@` in a path segment: `user%3A42` and
`user:42` are one channel for delivery, history, stats and metrics. A malformed escape, or a name
that decodes to a byte outside `A-Z a-z 0-9 - _ . : @ /`, is a 400 naming it (a 502 when the app's
answer names it: the app's mistake).
"""

import pytest

import metrics_text
import publishing
import sse
import sse_parse
from conftest import wait_for
from sse import assert_next_is
from test_authorization import header, login
from test_grip import WELCOME, Held


def comments(stream):
    return [i.text for i in stream.read_preamble() if isinstance(i, sse_parse.Comment)]


# ------------------------------------------------------------------------------- one channel


def test_a_publish_in_the_encoded_spelling_reaches_subscribers_of_every_spelling(herald):
    port = herald.public_port
    with publishing.Publisher(herald.publish_port) as pub, \
            sse.SSEStream(port, "/events/user:42") as plain, \
            sse.SSEStream(port, "/events?channel=user%3A42") as query, \
            sse.SSEStream(port, "/events?channel=user%3a42&channel=news") as several:
        for stream in (plain, query, several):
            assert stream.open().status == 200, stream.response
        assert comments(plain) == ["herald: user:42"]
        assert comments(query) == ["herald: user:42"]
        wait_for(lambda: pub.subscribers("user:42") == 3, 3, message="three streams on user:42")
        result = pub.publish("user%3A42", "hello", id="e1")
        assert result == {"channel": "user:42", "id": "e1", "subscribers": 3}, result
        assert_next_is(plain, "hello", id="e1", type="message")
        assert_next_is(query, "hello", id="e1", type="message")
        # on a stream of several channels an untyped event is named by the channel's canonical name
        assert_next_is(several, "hello", id="e1", type="user:42")


def test_a_publish_in_the_plain_spelling_reaches_subscribers_of_encoded_spellings(herald):
    port = herald.public_port
    with publishing.Publisher(herald.publish_port) as pub, \
            sse.SSEStream(port, "/events/user%3A42") as upper, \
            sse.SSEStream(port, "/events/me%40example.com") as at, \
            sse.SSEStream(port, "/events/user%3a42?channel=user:42&channel=%75ser%3A42") as same:
        for stream in (upper, at, same):
            assert stream.open().status == 200, stream.response
        assert comments(upper) == ["herald: user:42"]
        assert comments(at) == ["herald: me@example.com"]
        assert comments(same) == ["herald: user:42"]  # three spellings, one channel
        wait_for(lambda: pub.subscribers("user:42") == 2, 3, message="two streams on user:42")
        assert pub.publish("user:42", "to all")["subscribers"] == 2
        assert pub.publish("me@example.com", "to at")["subscribers"] == 1
        assert_next_is(upper, "to all")
        assert_next_is(same, "to all")
        assert_next_is(at, "to at")


@pytest.mark.parametrize("spelling", ["/events/user%3A42", "/events/user:42", "/events?channel=user%3a42"])
@pytest.mark.parametrize("how", ["header", "query"])
def test_every_spelling_resumes_from_the_one_history(herald, spelling, how):
    with publishing.Publisher(herald.publish_port) as pub:
        ids = [pub.publish(name, "e%d" % n)["id"] for n, name in enumerate(["user%3A42", "user:42", "user%3a42"])]
        assert pub.channel("user:42")["events_held"] == 3
        headers = [("Last-Event-ID", ids[0])] if how == "header" else []
        target = spelling if how == "header" else spelling + ("&" if "?" in spelling else "?") + "lastEventId=" + ids[0]
        with sse.SSEStream(herald.public_port, target, headers=headers) as again:
            assert again.open().status == 200, again.response
            assert_next_is(again, "e1", id=ids[1])
            assert_next_is(again, "e2", id=ids[2])
            live = pub.publish("user%3A42", "live")
            assert_next_is(again, "live", id=live["id"])


def test_channel_stats_are_the_same_in_both_spellings(start_herald):
    herald = start_herald(limits={"max_channels_per_connection": 1})
    with publishing.Publisher(herald.publish_port) as pub, \
            sse.subscribe(herald.public_port, "user:42"), \
            sse.subscribe(herald.public_port, "user%3A42"), \
            sse.SSEStream(herald.public_port, "/events/user%3a42?channel=user:42") as one_channel:
        assert one_channel.open().status == 200, one_channel.response  # one channel, within the limit of 1
        wait_for(lambda: pub.subscribers("user:42") == 3, 3, message="three streams on user:42")
        last = pub.publish("user%3A42", "x")["id"]
        expected = {"channel": "user:42", "subscribers": 3, "last_event_id": last, "events_held": 1}
        for spelling in ("user:42", "user%3A42", "user%3a42", "%75ser%3A%34%32"):
            assert pub.channel(spelling) == expected, spelling


def test_every_spelling_counts_as_one_channel_in_the_metrics(herald):
    with publishing.Publisher(herald.publish_port) as pub:
        for spelling in ("m%3A1", "m:1", "m%3a1"):
            pub.publish(spelling, "x")
        metrics = pub.metrics()[0]
        assert metrics_text.metric(metrics, "herald_channels") == 1, metrics
        assert metrics_text.metric(metrics, "herald_events_published_total") == 3, metrics
        assert pub.channel("m:1")["events_held"] == 3


def test_delete_in_the_encoded_spelling_closes_the_plain_subscribers(herald):
    with publishing.Publisher(herald.publish_port) as pub, \
            sse.subscribe(herald.public_port, "user:42") as plain, \
            sse.subscribe(herald.public_port, "user%3A42") as encoded, \
            sse.subscribe(herald.public_port, "other") as other:
        wait_for(lambda: pub.subscribers("user:42") == 2, 3, message="two streams on user:42")
        assert pub.delete("user%3A42") == {"channel": "user:42", "subscribers": 2}
        plain.wait_closed()
        encoded.wait_closed()
        # The count drops as the server finishes each close, just after the client sees it.
        wait_for(lambda: pub.subscribers("user:42") == 0, 3, message="no stream left on user:42")
        pub.publish("other", "still open")
        assert_next_is(other, "still open")


# --------------------------------------------------------------------------------- refusals


BAD = {
    # spelling: what the 400 must say
    "a%ZZ": 'channel "a%ZZ": malformed percent-escape "%ZZ"',
    "a%4": 'channel "a%4": malformed percent-escape "%4"',
    "user%3A42%": 'channel "user%3A42%": malformed percent-escape "%"',
    "a%20b": 'channel "a%20b": byte 0x20 (" ") after percent-decoding is not allowed',
    "a%00b": 'channel "a%00b": byte 0x00 after percent-decoding is not allowed',
    "a%253A": 'channel "a%253A": byte 0x25 ("%") after percent-decoding is not allowed',
    "%C3%A9": 'channel "%C3%A9": byte 0xC3 after percent-decoding is not allowed',
    "%41" * 201: "201 bytes after percent-decoding, more than 200",
}


def refused_on(route, herald, pub, spelling):
    if route == "publish":
        return pub.publish(spelling, "never", expect=400)
    if route == "events path":
        stream = sse.SSEStream(herald.public_port, "/events/" + spelling)
    elif route == "events query":
        stream = sse.SSEStream(herald.public_port, "/events?channel=ok&channel=" + spelling)
    elif route == "channels GET":
        return pub.channel(spelling, expect=400)
    else:
        return pub.delete(spelling, expect=400)
    with stream:
        response = stream.open()
        assert response.status == 400, response
        return response


@pytest.mark.parametrize("route", ["publish", "events path", "events query", "channels GET", "channels DELETE"])
def test_a_malformed_escape_or_a_forbidden_decoded_byte_is_a_400_naming_it(herald, route):
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "a") as guard:
        for spelling, reason in BAD.items():
            response = refused_on(route, herald, pub, spelling)
            assert reason in response.text, (spelling, response.text)
        pub.publish("a", "the next one")
        assert_next_is(guard, "the next one")  # nothing refused was published to a channel near it
        assert pub.subscribers("a") == 1


def test_a_json_publish_takes_its_channel_names_as_they_are(herald):
    with publishing.Publisher(herald.publish_port) as pub:
        response = pub.publish_json({"channel": "user%3A42", "data": "x"}, expect=400)
        assert "not percent-decoded" in response.text, response.text
        assert pub.channel("user:42")["events_held"] == 0


# ------------------------------------------------------------------------ the app's answers


def test_a_grip_channel_in_the_encoded_spelling_holds_the_stream_on_the_canonical_name(start_herald, session_app):
    herald = start_herald(upstream={"url": session_app.url}, events={"grip": True})
    held = Held(herald, "/stream/user%3A7")  # the app answers Grip-Channel: user%3A7
    try:
        assert held.response.status == 200, held.response
        held.read_until(WELCOME % b"user%3A7")
        with publishing.Publisher(herald.publish_port) as pub:
            wait_for(lambda: pub.subscribers("user:7") == 1, 3, message="held stream registered on user:7")
            pub.publish("user:7", "held", id="g1")
            assert held.read_until(b"data: held\n\n").endswith(b"id: g1\ndata: held\n\n")
    finally:
        held.close()
    response = herald.request("GET", "/stream/a%ZZ")
    assert response.status == 502, response
    assert b'Grip-Channel: channel "a%ZZ": malformed percent-escape' in response.body, response


def test_an_auth_answer_granting_an_encoded_name_opens_the_stream_on_the_canonical_name(start_herald, session_app):
    herald = start_herald(upstream={"url": session_app.url},
                          events={"authorize": "upstream", "public_channels": ["public:*"]})
    user = session_app.new_user()
    cookie = login(herald, user)
    mark = session_app.mark()
    with publishing.Publisher(herald.publish_port) as pub, \
            sse.SSEStream(herald.public_port, "/events/me-encoded", headers=[("Cookie", cookie)]) as granted, \
            sse.SSEStream(herald.public_port, "/events/user%3A" + user, headers=[("Cookie", cookie)]) as asked, \
            sse.SSEStream(herald.public_port, "/events/public%3Aprices") as public:
        for stream in (granted, asked, public):
            assert stream.open().status == 200, stream.response
        assert comments(granted) == ["herald: user:" + user]  # the app answered Herald-Channels: user%3A<id>
        assert comments(asked) == ["herald: user:" + user]
        wait_for(lambda: pub.subscribers("user:" + user) == 2, 3, message="both streams on the user's channel")
        pub.publish("user%3A" + user, "for you")
        assert_next_is(granted, "for you")
        assert_next_is(asked, "for you")
        assert comments(public) == ["herald: public:prices"]
    asked_about = sorted(header(r, "herald-channels") for r in session_app.auth_requests_since(mark))
    # the app is asked about canonical names only; the public channel (matched decoded) not at all
    assert asked_about == sorted(["me-encoded", "user:" + user]), asked_about
