"""Issue 19, item 1: behind a load balancer (`server.trusted_proxies`). From a trusted peer Herald
keeps X-Forwarded-Proto and -Host, appends the peer to X-Forwarded-For, and takes the client from
the right-most untrusted X-Forwarded-For entry (nginx's real_ip_recursive) for the per-IP limit and
the access log. From any other peer a forged X-Forwarded-For changes nothing.

The test client is the "balancer" when it connects from 127.0.0.1 (trusted here) and an ordinary
untrusted client when it connects from 127.0.0.2."""

import uuid
from pathlib import Path

import sse
from conftest import wait_for

TRUSTED = ["127.0.0.1", "10.0.0.0/8", "fd00::/8"]


def values(record, name):
    return [v for n, v in record["headers"] if n.lower() == name]


def access_line(herald, target):
    return wait_for(lambda: [l for l in Path(herald.stdout_path).read_text(errors="replace").splitlines()
                             if target in l], 5, message="an access log line for %s" % target)[0]


def forward_from(herald, upstream, source_ip, target, headers):
    mark = upstream.mark()
    with sse._SocketConnection(sse.open_socket(herald.public_port, source_ip), herald.public_port) as conn:
        assert conn.request("GET", target, headers).status == 200
    records = upstream.wait_record(lambda r: r.get("target") == target, since=mark)
    assert len(records) == 1, records
    return records[0]


def test_a_request_through_a_trusted_balancer_keeps_https_and_names_the_client(start_herald, upstream):
    herald = start_herald(server={"trusted_proxies": TRUSTED})
    target = "/echo/balanced-%s" % uuid.uuid4().hex
    record = forward_from(herald, upstream, "127.0.0.1", target, [
        ("Host", "herald.internal"), ("X-Forwarded-For", "198.51.100.1, 203.0.113.7, 10.1.2.3"),
        ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "shop.example")])
    assert values(record, "x-forwarded-proto") == ["https"]
    assert values(record, "x-forwarded-host") == ["shop.example"]
    assert values(record, "host") == ["herald.internal"]
    assert values(record, "x-forwarded-for") == ["198.51.100.1, 203.0.113.7, 10.1.2.3, 127.0.0.1"]
    # 10.1.2.3 is trusted too: the client is the right-most entry that is not.
    assert access_line(herald, target).startswith("203.0.113.7 - - "), access_line(herald, target)


def test_an_untrusted_peers_forged_forwarded_fields_change_nothing(start_herald, upstream):
    herald = start_herald(server={"trusted_proxies": TRUSTED})
    target = "/echo/forged-%s" % uuid.uuid4().hex
    record = forward_from(herald, upstream, "127.0.0.2", target, [
        ("Host", "app.example"), ("X-Forwarded-For", "203.0.113.7"),
        ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "evil.example")])
    assert values(record, "x-forwarded-proto") == ["http"]
    assert values(record, "x-forwarded-host") == ["app.example"]
    assert values(record, "x-forwarded-for") == ["203.0.113.7, 127.0.0.2"]
    assert access_line(herald, target).startswith("127.0.0.2 - - "), access_line(herald, target)


def open_stream(herald, channel, source_ip, forwarded_for):
    stream = sse.SSEStream(herald.public_port, "/events/" + channel, source_ip=source_ip,
                           headers=[("X-Forwarded-For", forwarded_for)])
    return stream, stream.open().status


def test_the_per_ip_limit_counts_the_clients_behind_a_trusted_balancer(start_herald):
    herald = start_herald(server={"trusted_proxies": TRUSTED}, limits={"max_subscribers_per_ip": 1})
    streams = []
    try:
        for client, expected in [("203.0.113.7", 200), ("203.0.113.8", 200), ("203.0.113.7", 429)]:
            stream, status = open_stream(herald, "limit", "127.0.0.1", client + ", 10.0.0.9")
            streams.append(stream)
            assert status == expected, (client, stream.response)
    finally:
        for stream in streams:
            stream.close()


def test_the_per_ip_limit_ignores_a_forged_forwarded_for_from_an_untrusted_peer(start_herald):
    herald = start_herald(server={"trusted_proxies": TRUSTED}, limits={"max_subscribers_per_ip": 1})
    streams = []
    try:
        for forged, expected in [("203.0.113.7", 200), ("203.0.113.8", 429)]:
            stream, status = open_stream(herald, "forged", "127.0.0.2", forged)
            streams.append(stream)
            assert status == expected, (forged, stream.response)
    finally:
        for stream in streams:
            stream.close()


def test_without_trusted_proxies_the_balancers_https_is_replaced_as_before(herald, upstream):
    target = "/echo/no-trust-%s" % uuid.uuid4().hex
    record = forward_from(herald, upstream, "127.0.0.1", target, [
        ("Host", "a.example"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-For", "203.0.113.7")])
    assert values(record, "x-forwarded-proto") == ["http"]
    assert access_line(herald, target).startswith("127.0.0.1 - - ")


def test_the_auth_request_carries_a_trusted_balancers_https(start_herald, session_app):
    herald = start_herald(upstream={"url": session_app.url}, events={"authorize": "upstream"},
                          server={"trusted_proxies": TRUSTED})
    user = session_app.new_user()
    login = herald.request("POST", "/login?user=" + user, headers=[("Content-Length", "0")])
    cookie = login.header("set-cookie").split(";")[0]
    for source_ip, proto in [("127.0.0.1", "https"), ("127.0.0.2", "http")]:
        mark = session_app.mark()
        forwarded = [("Cookie", cookie), ("X-Forwarded-Proto", "https"), ("X-Forwarded-For", "203.0.113.7")]
        with sse.SSEStream(herald.public_port, "/events/me", headers=forwarded, source_ip=source_ip) as stream:
            assert stream.open(timeout=5).status == 200, stream.response
        record = wait_for(lambda: session_app.auth_requests_since(mark), 5, message="the auth request")[0]
        assert values(record, "x-forwarded-proto") == [proto], (source_ip, record)
        assert values(record, "x-forwarded-for") == ["203.0.113.7, " + source_ip], (source_ip, record)
