"""Re-authorization (events.reauthorize_every): every open stream that was authorized by the app is
asked about again, with the credentials it opened with; a stream the app now refuses, or whose
channels it no longer grants in full, is closed within one interval (the feature's contract, checked
here with a margin for the check itself), and its reconnect meets the app's refusal. An app that
cannot be reached keeps the streams open: only an answer closes one.
"""

import time

import metrics_text
import publishing
import sse
import sse_parse
from conftest import wait_for
from sse import assert_next_is
from test_authorization import header, login, refused

INTERVAL_S = 1.0
# One interval, plus slack for a tick (a tenth of the interval), the check itself and a loaded machine.
CUT_BOUND_S = INTERVAL_S + 2.0


def start(start_herald, session_app, **events):
    config = {"authorize": "upstream", "reauthorize_every": "%dms" % (INTERVAL_S * 1000)}
    config.update(events)
    return start_herald(upstream={"url": session_app.url}, events=config)


def test_a_user_logged_out_while_subscribed_is_cut_within_one_interval_and_cannot_reconnect(start_herald, session_app):
    herald = start(start_herald, session_app)
    user = session_app.new_user()
    cookie = login(herald, user)
    with sse.subscribe(herald.public_port, "me", headers=[("Cookie", cookie)]) as stream, \
            publishing.Publisher(herald.publish_port) as pub:
        wait_for(lambda: pub.subscribers("user:" + user) == 1, 3, message="stream registered")
        pub.publish("user:" + user, "before")
        assert_next_is(stream, "before")
        response = herald.request("POST", "/logout", headers=[("Cookie", cookie), ("Content-Length", "0")])
        assert response.status == 200, response
        logged_out = time.monotonic()
        stream.wait_closed(timeout=CUT_BOUND_S)
        assert time.monotonic() - logged_out <= CUT_BOUND_S
        wait_for(lambda: pub.subscribers("user:" + user) == 0, 3, message="the hub released the stream")
    # the browser's reconnect meets the app's refusal
    response = refused(herald, "/events/me", headers=[("Cookie", cookie)])
    assert response.status == 401, response


def test_a_stream_the_app_still_authorizes_stays_open_and_is_asked_about_with_its_first_credentials(start_herald, session_app):
    herald = start(start_herald, session_app)
    user = session_app.new_user()
    cookie = login(herald, user)
    mark = session_app.mark()
    with sse.subscribe(herald.public_port, "me", headers=[("Cookie", cookie), ("X-Forwarded-For", "198.51.100.7")]) as stream, \
            publishing.Publisher(herald.publish_port) as pub:
        # three checks at least: the first auth request and two re-authorizations
        def checks():
            found = [r for r in session_app.auth_requests_since(mark) if header(r, "cookie") == cookie]
            return found if len(found) >= 3 else None
        asked = wait_for(checks, 4 * INTERVAL_S + 3, interval=0.1, message="two re-authorizations")
        for record in asked:
            assert record["target"] == "/events/me", record
            assert header(record, "herald-channels") == "me", record
            assert header(record, "x-forwarded-for") == "198.51.100.7, 127.0.0.1", record
        pub.publish("user:" + user, "still here")
        assert_next_is(stream, "still here")


def test_a_stream_whose_granted_channels_shrink_is_closed(start_herald, session_app):
    herald = start(start_herald, session_app)
    user = session_app.new_user()
    session_app.grant(user, ["team:red"])
    cookie = login(herald, user)
    target = sse.events_target(["me", "team:red"])
    with sse.SSEStream(herald.public_port, target, headers=[("Cookie", cookie)]) as stream, \
            publishing.Publisher(herald.publish_port) as pub:
        assert stream.open().status == 200, stream.response
        stream.read_preamble()
        wait_for(lambda: pub.subscribers("team:red") == 1, 3, message="stream registered")
        # the user leaves the team: the app still answers 200, but without team:red
        session_app.grant(user, [])
        revoked = time.monotonic()
        stream.wait_closed(timeout=CUT_BOUND_S)
        assert time.monotonic() - revoked <= CUT_BOUND_S
    # reconnecting gets the narrower grant only
    with sse.SSEStream(herald.public_port, target, headers=[("Cookie", cookie)]) as stream, \
            publishing.Publisher(herald.publish_port) as pub:
        assert stream.open().status == 200, stream.response
        comments = [i.text for i in stream.read_preamble() if isinstance(i, sse_parse.Comment)]
        assert comments == ["herald: user:" + user], comments


def test_an_app_that_cannot_answer_a_reauthorization_keeps_the_stream_open(start_herald, session_app):
    herald = start(start_herald, session_app)
    user = session_app.new_user()
    cookie = login(herald, user)
    with sse.subscribe(herald.public_port, "me", headers=[("Cookie", cookie)]) as stream, \
            publishing.Publisher(herald.publish_port) as pub:
        wait_for(lambda: pub.subscribers("user:" + user) == 1, 3, message="stream registered")
        session_app.drop_auth_requests(True)
        try:
            stream.expect_silence(2 * INTERVAL_S + 0.5)
            metrics, _ = pub.metrics()
            assert metrics_text.metric(metrics, "herald_reauthorizations_total", result="failed") >= 1, metrics
        finally:
            session_app.drop_auth_requests(False)
        pub.publish("user:" + user, "survived")
        assert_next_is(stream, "survived")


def test_streams_on_public_channels_are_never_reauthorized(start_herald, session_app):
    herald = start(start_herald, session_app, public_channels=["news"])
    mark = session_app.mark()
    with sse.subscribe(herald.public_port, "news") as stream:
        stream.expect_silence(2 * INTERVAL_S + 0.5)
    assert session_app.records_since(mark) == []
