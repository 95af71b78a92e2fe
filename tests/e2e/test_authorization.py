"""Subscribers authorized by the app itself (events.authorize = "upstream"): before a stream opens,
Herald asks the real app (tests/e2e/session_app.py, cookie sessions) with an auth request; a 2xx opens
the stream on the channels of its Herald-Channels header, any other answer reaches the client as the
app sent it and no stream opens; public channels are served without asking; an app that is down or
silent gives 502 or 504, never an open stream.

"No stream opened" is proved by the hub's own count (GET /channels/<channel> on the publish listener)
and by the connection closing; "an event never reached a stream" by publishing a good event
afterwards and seeing that it is the very next one.
"""

import httpwire
import publishing
import sse
import sse_parse
from conftest import refusing_port, wait_for
from sse import assert_next_is


def start(start_herald, session_app, **events):
    config = {"authorize": "upstream"}
    config.update(events)
    return start_herald(upstream={"url": session_app.url}, events=config)


def login(herald, user):
    """Logs `user` in through Herald (an ordinary forwarded request); returns the Cookie header value."""
    response = herald.request("POST", "/login?user=" + user, headers=[("Content-Length", "0")])
    assert response.status == 200, response
    return response.header("set-cookie").split(";")[0]


def refused(herald, target, headers=()):
    """Subscribes and expects no stream: returns the response (whole body) after checking the close."""
    stream = sse.SSEStream(herald.public_port, target, headers=headers)
    try:
        response = stream.open(timeout=5)
        assert response.status != 200, response
        assert stream.conn.closed_within(3), "the connection stayed open after %r" % response
        return response
    finally:
        stream.close()


def header(record, name):
    values = [v for n, v in record["headers"] if n.lower() == name.lower()]
    return values[0] if values else None


# ----------------------------------------------------------------------------------- granted


def test_a_logged_in_user_gets_its_own_channel_granted_by_herald_channels_and_never_another(start_herald, session_app):
    herald = start(start_herald, session_app)
    alice, bob = session_app.new_user(), session_app.new_user()
    alice_cookie, bob_cookie = login(herald, alice), login(herald, bob)
    mark = session_app.mark()
    with publishing.Publisher(herald.publish_port) as pub, \
            sse.SSEStream(herald.public_port, "/events/me", headers=[("Cookie", alice_cookie)]) as alice_stream, \
            sse.SSEStream(herald.public_port, "/events/me", headers=[("Cookie", bob_cookie)]) as bob_stream:
        for stream, user in ((alice_stream, alice), (bob_stream, bob)):
            assert stream.open(timeout=5).status == 200, stream.response
            # the stream is on the channel the app granted, not on the placeholder asked for
            comments = [i.text for i in stream.read_preamble() if isinstance(i, sse_parse.Comment)]
            assert comments == ["herald: user:" + user], comments
        wait_for(lambda: pub.subscribers("user:" + alice) == 1 and pub.subscribers("user:" + bob) == 1, 3,
                 message="both streams registered on their user channels")
        assert pub.subscribers("me") == 0
        pub.publish("user:" + bob, "for bob only")
        pub.publish("user:" + alice, "for alice")
        assert_next_is(alice_stream, "for alice")
        assert_next_is(bob_stream, "for bob only")

    # what the app was asked: one GET per stream, with the cookie and the channels, and no body
    asked = session_app.auth_requests_since(mark)
    assert len(asked) == 2, asked
    for record, cookie in zip(sorted(asked, key=lambda r: header(r, "cookie") != alice_cookie), (alice_cookie, bob_cookie)):
        assert record["method"] == "GET" and record["target"] == "/events/me", record
        assert header(record, "cookie") == cookie, record
        assert header(record, "herald-channels") == "me", record
        assert header(record, "x-forwarded-for") == "127.0.0.1", record
        assert header(record, "x-forwarded-proto") == "http", record
        assert header(record, "via") == "1.1 herald", record
        assert record["body_len"] == 0 and header(record, "content-length") is None, record


def test_the_auth_request_carries_authorization_and_appends_to_x_forwarded_for(start_herald, session_app):
    herald = start(start_herald, session_app, authorize_path="/auth/events?from=herald")
    user = session_app.new_user()
    cookie = login(herald, user)
    mark = session_app.mark()
    headers = [("Cookie", cookie), ("Authorization", "Bearer abc"), ("X-Forwarded-For", "203.0.113.9"),
               ("Herald-Channels", "user:1"), ("X-Other", "not for the app")]
    with sse.subscribe(herald.public_port, "me", headers=headers) as stream:
        assert stream.response.status == 200
    (record,) = session_app.auth_requests_since(mark)
    assert record["target"] == "/auth/events?from=herald", record
    assert header(record, "authorization") == "Bearer abc", record
    assert header(record, "x-forwarded-for") == "203.0.113.9, 127.0.0.1", record
    assert header(record, "x-original-uri") == "/events/me", record
    # the client's own Herald-Channels never reaches the app, nor what does not identify the user
    assert header(record, "herald-channels") == "me", record
    assert header(record, "x-other") is None, record


def test_asking_for_another_users_channel_gets_the_apps_refusal(start_herald, session_app):
    herald = start(start_herald, session_app)
    alice, bob = session_app.new_user(), session_app.new_user()
    cookie = login(herald, alice)
    response = refused(herald, "/events/user:" + bob, headers=[("Cookie", cookie)])
    assert response.status == 403, response
    assert response.body == ("not your channel: user:%s\n" % bob).encode(), response
    with publishing.Publisher(herald.publish_port) as pub:
        assert pub.subscribers("user:" + bob) == 0


def test_the_app_can_narrow_the_channels_asked_for(start_herald, session_app):
    herald = start(start_herald, session_app)
    user = session_app.new_user()
    cookie = login(herald, user)
    target = sse.events_target(["me", "news", "team:blue"])
    with sse.SSEStream(herald.public_port, target, headers=[("Cookie", cookie)]) as stream, \
            publishing.Publisher(herald.publish_port) as pub:
        assert stream.open().status == 200, stream.response
        stream.read_preamble()
        wait_for(lambda: pub.subscribers("news") == 1, 3, message="stream registered")
        assert pub.subscribers("team:blue") == 0  # asked for, not granted
        pub.publish("team:blue", "not granted")
        pub.publish("user:" + user, "mine")
        assert_next_is(stream, "mine", type="user:" + user)


# ----------------------------------------------------------------------------------- refused


def test_without_a_session_the_apps_401_reaches_the_client_and_no_stream_opens(start_herald, session_app):
    herald = start(start_herald, session_app)
    response = refused(herald, "/events/me")
    assert response.status == 401, response
    assert response.header("www-authenticate") == 'Session realm="app"', response
    assert response.header("x-app-reason") == "no-session", response
    assert response.body == b"log in first\n", response
    assert response.header("content-length") == str(len(response.body)), response
    assert response.header("herald-channels") is None
    with publishing.Publisher(herald.publish_port) as pub:
        assert pub.subscribers("me") == 0


def test_without_a_session_a_302_to_the_login_page_reaches_the_client(start_herald, session_app):
    herald = start(start_herald, session_app)
    response = refused(herald, "/events/page")
    assert response.status == 302, response
    assert response.header("location") == "/login?next=/events/page", response


def test_a_refusal_body_over_64_kib_is_dropped_but_the_status_and_fields_reach_the_client(start_herald, session_app):
    herald = start(start_herald, session_app)
    response = refused(herald, "/events/huge")
    assert response.status == 401, response
    assert response.header("www-authenticate") == 'Session realm="app"', response
    assert response.body == b"" and response.header("content-length") == "0", response


def test_a_logged_out_cookie_is_refused(start_herald, session_app):
    herald = start(start_herald, session_app)
    cookie = login(herald, session_app.new_user())
    response = herald.request("POST", "/logout", headers=[("Cookie", cookie), ("Content-Length", "0")])
    assert response.status == 200
    assert refused(herald, "/events/me", headers=[("Cookie", cookie)]).status == 401


def test_a_bad_subscribe_request_is_refused_before_the_app_is_asked(start_herald, session_app):
    herald = start(start_herald, session_app)
    mark = session_app.mark()
    assert refused(herald, "/events/bad%20name").status == 400
    assert session_app.auth_requests_since(mark) == []


# ----------------------------------------------------------------------------------- public


def test_a_public_channel_is_served_without_an_auth_request(start_herald, session_app):
    herald = start(start_herald, session_app, public_channels=["news", "public:*"])
    mark = session_app.mark()
    with sse.subscribe(herald.public_port, "news") as news, \
            sse.subscribe(herald.public_port, "public:prices") as prices, \
            publishing.Publisher(herald.publish_port) as pub:
        wait_for(lambda: pub.subscribers("news") == 1 and pub.subscribers("public:prices") == 1, 3,
                 message="public streams registered")
        pub.publish("news", "headline")
        pub.publish("public:prices", "42")
        assert_next_is(news, "headline")
        assert_next_is(prices, "42")
    assert session_app.records_since(mark) == [], "the app was asked about public channels"
    # a name that only looks like a pattern is not public
    assert refused(herald, "/events/publicity").status == 401


def test_only_the_private_channels_of_a_mixed_request_are_asked_about(start_herald, session_app):
    herald = start(start_herald, session_app, public_channels=["public:*"])
    user = session_app.new_user()
    cookie = login(herald, user)
    mark = session_app.mark()
    target = sse.events_target(["public:prices", "me"])
    with sse.SSEStream(herald.public_port, target, headers=[("Cookie", cookie)]) as stream, \
            publishing.Publisher(herald.publish_port) as pub:
        assert stream.open().status == 200, stream.response
        stream.read_preamble()
        wait_for(lambda: pub.subscribers("public:prices") == 1 and pub.subscribers("user:" + user) == 1, 3,
                 message="stream registered on both channels")
        pub.publish("public:prices", "7")
        pub.publish("user:" + user, "mine")
        assert_next_is(stream, "7", type="public:prices")
        assert_next_is(stream, "mine", type="user:" + user)
    (record,) = session_app.auth_requests_since(mark)
    assert header(record, "herald-channels") == "me", record
    # without a session the private part is refused, and with it the whole request
    assert refused(herald, target).status == 401


# ----------------------------------------------------------------------------------- the app down


def test_an_app_that_is_down_during_authorization_gives_502_and_no_stream(start_herald):
    holder, port = refusing_port()
    try:
        herald = start_herald(upstream={"url": "http://127.0.0.1:%d" % port},
                              events={"authorize": "upstream", "public_channels": ["news"]})
        response = refused(herald, "/events/me")
        assert response.status == 502, response
        assert response.header("content-type", "").startswith("text/plain"), response
        with publishing.Publisher(herald.publish_port) as pub:
            assert pub.subscribers("me") == 0
        # public channels need no app
        with sse.subscribe(herald.public_port, "news") as stream:
            assert stream.response.status == 200
    finally:
        holder.close()


def test_an_app_that_does_not_answer_within_upstream_timeout_gives_504(start_herald, session_app):
    herald = start(start_herald, session_app)
    cookie = login(herald, session_app.new_user())
    response = refused(herald, "/events/slow", headers=[("Cookie", cookie)])
    assert response.status == 504, response
    with publishing.Publisher(herald.publish_port) as pub:
        assert pub.subscribers("slow") == 0


def test_an_app_that_drops_the_auth_request_gives_502(start_herald, session_app):
    herald = start(start_herald, session_app)
    cookie = login(herald, session_app.new_user())
    session_app.drop_auth_requests(True)
    try:
        assert refused(herald, "/events/me", headers=[("Cookie", cookie)]).status == 502
    finally:
        session_app.drop_auth_requests(False)
    # and the pool recovers: the next auth request is answered
    with sse.subscribe(herald.public_port, "me", headers=[("Cookie", cookie)]) as stream:
        assert stream.response.status == 200


def test_forwarded_requests_are_unchanged_by_authorization(start_herald, session_app):
    herald = start(start_herald, session_app)
    mark = session_app.mark()
    response = herald.request("GET", "/page")
    assert response.status == 200 and response.body == b"a page of the app\n", response
    assert [r["target"] for r in session_app.records_since(mark)] == ["/page"]


def test_a_subscriber_leaving_while_the_app_thinks_leaves_herald_serving(start_herald, session_app):
    herald = start(start_herald, session_app)
    cookie = login(herald, session_app.new_user())
    with httpwire.Connection(herald.public_port) as conn:
        conn.send(sse.subscribe_request("/events/slow", herald.public_port, [("Cookie", cookie)]))
    with sse.subscribe(herald.public_port, "me", headers=[("Cookie", cookie)]) as stream:
        assert stream.response.status == 200
