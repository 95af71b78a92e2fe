"""Issue 19, item 1: the PROXY protocol on the public listener (`server.proxy_protocol`), v1 and v2
as HAProxy, AWS NLB and nginx send them. The header's source address becomes the client's: the
upstream sees it in X-Forwarded-For, the access log names it, the per-IP limit counts it; with
`server.trusted_proxies` on top, as nginx does. A connection without a valid header is closed,
and nothing of it reaches the upstream."""

import socket
import struct
import time
import uuid
from pathlib import Path

import httpwire
import sse
from conftest import wait_for

SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(source, family="TCP4", destination="127.0.0.1"):
    return ("PROXY %s %s %s 40000 8080\r\n" % (family, source, destination)).encode()


def v2_ipv4(source, tlvs=b""):
    block = socket.inet_pton(socket.AF_INET, source) + socket.inet_pton(socket.AF_INET, "127.0.0.1") \
        + struct.pack("!HH", 40000, 8080) + tlvs
    return SIGNATURE + bytes([0x21, 0x11]) + struct.pack("!H", len(block)) + block


def v2_ipv6(source):
    block = socket.inet_pton(socket.AF_INET6, source) + socket.inet_pton(socket.AF_INET6, "::1") \
        + struct.pack("!HH", 40000, 8080)
    return SIGNATURE + bytes([0x21, 0x21]) + struct.pack("!H", len(block)) + block


def v2_local():
    return SIGNATURE + bytes([0x20, 0x00, 0x00, 0x00])


def values(record, name):
    return [v for n, v in record["headers"] if n.lower() == name]


def access_line(herald, target):
    return wait_for(lambda: [l for l in Path(herald.stdout_path).read_text(errors="replace").splitlines()
                             if target in l], 5, message="an access log line for %s" % target)[0]


def connection(herald, header, pieces=1):
    conn = sse._SocketConnection(sse.open_socket(herald.public_port), herald.public_port)
    step = max(1, len(header) // pieces)
    for start in range(0, len(header), step):
        conn.sock.sendall(header[start:start + step])
        if pieces > 1:
            time.sleep(0.05)
    return conn


def forward(herald, upstream, header, headers=(), pieces=1):
    target = "/echo/proxy-protocol-%s" % uuid.uuid4().hex
    mark = upstream.mark()
    with connection(herald, header, pieces) as conn:
        assert conn.request("GET", target, [("Host", "app.example")] + list(headers)).status == 200
        # Keep-alive: the second request on the connection has the same client.
        assert conn.request("GET", target + "-again", [("Host", "app.example")]).status == 200
    def both():
        records = [r for r in upstream.records_since(mark) if r.get("target", "").startswith(target)]
        return records if len(records) == 2 else None
    return target, wait_for(both, 5, message="both requests at the upstream")


def test_a_v1_header_sets_the_client_address(start_herald, upstream):
    herald = start_herald(server={"proxy_protocol": True})
    target, records = forward(herald, upstream, v1("203.0.113.7"))
    assert [values(r, "x-forwarded-for") for r in records] == [["203.0.113.7"], ["203.0.113.7"]]
    assert access_line(herald, target).startswith("203.0.113.7 - - ")


def test_a_v1_tcp6_header_sent_in_pieces_sets_the_client_address(start_herald, upstream):
    herald = start_herald(server={"proxy_protocol": True})
    target, records = forward(herald, upstream, v1("2001:db8::7", "TCP6", "2001:db8::1"), pieces=4)
    assert values(records[0], "x-forwarded-for") == ["2001:db8::7"]
    assert access_line(herald, target).startswith("2001:db8::7 - - ")


def test_v2_headers_set_the_client_address_and_their_tlvs_are_skipped(start_herald, upstream):
    herald = start_herald(server={"proxy_protocol": True})
    aws_vpce = b"\xea\x00\x0d\x01vpce-0abc123"
    target, records = forward(herald, upstream, v2_ipv4("198.51.100.23", tlvs=aws_vpce))
    assert values(records[0], "x-forwarded-for") == ["198.51.100.23"]
    assert access_line(herald, target).startswith("198.51.100.23 - - ")
    target, records = forward(herald, upstream, v2_ipv6("2001:db8::9"), pieces=3)
    assert values(records[0], "x-forwarded-for") == ["2001:db8::9"]
    assert access_line(herald, target).startswith("2001:db8::9 - - ")


def test_a_v2_local_header_leaves_the_balancer_as_the_client(start_herald, upstream):
    herald = start_herald(server={"proxy_protocol": True})
    target, records = forward(herald, upstream, v2_local())
    assert values(records[0], "x-forwarded-for") == ["127.0.0.1"]


def assert_closed_without_answer(conn, timeout=5.0):
    try:
        conn.sock.settimeout(timeout)
        data = conn.sock.recv(4096)
    except ConnectionResetError:
        data = b""
    assert data == b"", "expected the connection closed without an answer, got %r" % data


def test_a_connection_without_a_header_is_closed_and_nothing_reaches_the_upstream(start_herald, upstream):
    herald = start_herald(server={"proxy_protocol": True})
    mark = upstream.mark()
    target = "/echo/no-header-%s" % uuid.uuid4().hex
    with connection(herald, httpwire.build_request("GET", target, [("Host", "a")])) as conn:
        assert_closed_without_answer(conn)
    with connection(herald, b"PROXY TCP4 203.0.113.7 127.0.0.1 40000\r\n" + httpwire.build_request("GET", target, [("Host", "a")])) as conn:
        assert_closed_without_answer(conn)
    assert [r for r in upstream.records_since(mark) if r.get("target") == target] == []
    # Herald is still serving those that send one.
    forward(herald, upstream, v1("203.0.113.9"))


def test_a_connection_silent_past_the_header_timeout_is_closed(start_herald):
    herald = start_herald(server={"proxy_protocol": True, "header_timeout": "1s"})
    with connection(herald, b"PROXY TCP4 203.0.113") as conn:
        started = time.monotonic()
        assert_closed_without_answer(conn, timeout=5)
        assert 0.8 < time.monotonic() - started < 4


def test_trusted_proxies_apply_on_top_of_the_header(start_herald, upstream):
    herald = start_herald(server={"proxy_protocol": True, "trusted_proxies": ["10.0.0.0/8"]})
    target, records = forward(herald, upstream, v1("10.0.0.5"), headers=[
        ("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-Proto", "https")])
    assert values(records[0], "x-forwarded-proto") == ["https"]
    assert values(records[0], "x-forwarded-for") == ["203.0.113.7, 10.0.0.5"]
    assert access_line(herald, target).startswith("203.0.113.7 - - ")


def test_the_per_ip_limit_counts_the_clients_the_headers_name(start_herald):
    herald = start_herald(server={"proxy_protocol": True}, limits={"max_subscribers_per_ip": 1})
    conns = []
    try:
        for source, expected in [("203.0.113.7", 200), ("203.0.113.8", 200), ("203.0.113.7", 429)]:
            conn = connection(herald, v1(source))
            conns.append(conn)
            conn.send(sse.subscribe_request("/events/pp-limit", herald.public_port))
            response = conn.open_response()
            assert response.status == expected, (source, response)
    finally:
        for conn in conns:
            conn.close()
