"""DESIGN §1.3: a forwarded request reaches the app as received — method, request-target byte for
byte, headers in order and byte for byte, body intact — minus hop-by-hop headers, plus
X-Forwarded-For/-Proto/-Host and Via.

What the app saw is read from the upstream's own log (raw head lines as they arrived), not from
anything Herald reports.
"""

import base64
import hashlib
import uuid

import pytest

import httpwire
import payload

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PURGE"]
ADDED_BY_HERALD = {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "via"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}


def header_name(line):
    return line.split(":", 1)[0].lower()


def is_herald_own(line):
    """Lines Herald may add for its own hop: X-Forwarded-*, Via, and a plain Connection: keep-alive/close."""
    name, _, value = line.partition(":")
    if name.lower() in ADDED_BY_HERALD:
        return True
    return name.lower() == "connection" and {t.strip().lower() for t in value.split(",")} <= {"keep-alive", "close"}


def end_to_end_lines(head_lines, drop=()):
    """Header lines of a request head except Herald's own and the names in `drop`."""
    return [line for line in head_lines[1:] if not is_herald_own(line) and header_name(line) not in drop]


def values(record, name):
    return [v for n, v in record["headers"] if n.lower() == name]


def only_record(upstream, mark, target):
    records = upstream.records_since(mark)
    mine = [r for r in records if r.get("target") == target]
    assert len(mine) == 1, "expected exactly one upstream request for %r, log: %r" % (target, records)
    return mine[0]


@pytest.mark.parametrize("body_kind", ["no body", "content-length body", "chunked body"])
@pytest.mark.parametrize("method", METHODS)
def test_every_method_arrives_intact_with_each_kind_of_body(herald, upstream, method, body_kind):
    target = "/echo/methods/%s?kind=%s&id=%s" % (method, body_kind.split()[0], uuid.uuid4().hex)
    body = payload.payload_bytes(3000, seed=11)
    headers = [("Host", "app.example:8080"), ("User-Agent", "herald-e2e/1"), ("X-Order-1", "a"),
               ("accept", "*/*"), ("X-Order-2", "b")]
    wire_body = b""
    if body_kind == "content-length body":
        headers.append(("Content-Length", str(len(body))))
        wire_body = body
    elif body_kind == "chunked body":
        headers.append(("Transfer-Encoding", "chunked"))
        wire_body = httpwire.encode_chunked([body[:1], body[1:1000], body[1000:]])
    mark = upstream.mark()
    with herald.connect() as conn:
        conn.send(httpwire.build_request(method, target, headers, wire_body))
        response = conn.read_response(method)
    assert response.status == 200, response
    if method != "HEAD":
        assert response.json()["target"] == target

    record = only_record(upstream, mark, target)
    assert (record["method"], record["target"], record["state"]) == (method, target, "complete")
    sent_lines = ["%s: %s" % h for h in headers]
    if body_kind == "no body":
        assert record["body_len"] == 0
        assert not values(record, "content-length") and not values(record, "transfer-encoding")
        assert end_to_end_lines(record["head_lines"]) == sent_lines
    elif body_kind == "content-length body":
        assert record["body_sha256"] == hashlib.sha256(body).hexdigest() and record["chunked"] is False
        assert end_to_end_lines(record["head_lines"]) == sent_lines
    else:
        assert record["chunked"] is True and values(record, "transfer-encoding") == ["chunked"]
        assert not values(record, "content-length")
        assert record["body_sha256"] == hashlib.sha256(body).hexdigest()
        assert end_to_end_lines(record["head_lines"], drop={"transfer-encoding"}) == sent_lines[:-1]


def test_chunk_extensions_and_trailers_do_not_corrupt_the_body(herald, upstream):
    body = b"first-" + bytes(range(256)) * 40 + b"-last"
    wire = httpwire.encode_chunked([body[:7], body[7:5000], body[5000:]], trailers=[("X-Checksum", "abc")],
                                   extension='name="value"')
    response = herald.request("POST", "/echo/trailers", [("Transfer-Encoding", "chunked")], wire)
    assert response.status == 200, response
    assert response.json()["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert response.json()["body_len"] == len(body)


@pytest.mark.parametrize("target", [
    "/echo/a%2Fb?x=1&y=%20z&y=2",
    "/echo/%2e%2E/./a/../b//c",
    "/echo/!$&'()*+,;=:@-._~?q=/?:@!$'()*+,;=&e=&&k=%E2%82%AC",
    "/echo/%7e%7E%2f%2F?a=b%3Dc&a=d+e",
    "/echo/%00%ff%FF?%00=%0d%0a",
    "/echo?",
    "/echo/" + "x" * 4000 + "?long=" + "y" * 2000,
], ids=["slash-encoded", "dot-segments", "sub-delims", "case-of-escapes", "escaped-controls", "empty-query",
        "6-KiB-target"])
def test_request_target_arrives_byte_for_byte(herald, upstream, target):
    mark = upstream.mark()
    response = herald.request("GET", target)
    assert response.status == 200, response
    assert response.json()["target"] == target
    assert only_record(upstream, mark, target)["head_lines"][0] == "GET %s HTTP/1.1" % target


def test_headers_arrive_in_order_and_byte_for_byte(herald, upstream):
    headers = [
        ("Host", "app.example:8080"),
        ("X-Mixed-CaSe", "Value  With  Double  Spaces"),
        ("x-lower", "a,b , c"),
        ("X-Quoted", '"quoted \\"string\\"", token'),
        ("X-Obs-Text", "caf\xe9 \xff\x80"),
        ("X-Tab", "a\tb"),
        ("X-Dup", "first"),
        ("Accept", "*/*"),
        ("X-Dup", "second"),
        ("Cookie", "a=1"),
        ("Cookie", "b=2"),
        ("X-Long", "v" * 8000),
        ("Authorization", "Bearer abc.def"),
    ]
    mark = upstream.mark()
    with herald.connect() as conn:
        conn.send(httpwire.build_request("GET", "/echo/headers", headers))
        assert conn.read_response().status == 200
    record = only_record(upstream, mark, "/echo/headers")
    assert end_to_end_lines(record["head_lines"]) == ["%s: %s" % h for h in headers]


def test_an_empty_header_value_arrives_empty(herald, upstream):
    mark = upstream.mark()
    with herald.connect() as conn:
        conn.send(httpwire.build_request("GET", "/echo/empty", ["Host: a", "X-Empty:", "X-After: 1"]))
        assert conn.read_response().status == 200
    record = only_record(upstream, mark, "/echo/empty")
    assert [h for h in record["headers"] if h[0] in ("X-Empty", "X-After")] == [["X-Empty", ""], ["X-After", "1"]]


def test_forwarded_headers_and_via_are_added_and_host_kept(herald, upstream):
    mark = upstream.mark()
    response = herald.request("GET", "/echo/xff", [("Host", "app.example:8080")])
    assert response.status == 200
    record = only_record(upstream, mark, "/echo/xff")
    assert values(record, "host") == ["app.example:8080"]
    assert values(record, "x-forwarded-for") == ["127.0.0.1"]
    assert values(record, "x-forwarded-proto") == ["http"]
    assert values(record, "x-forwarded-host") == ["app.example:8080"]
    assert values(record, "via") == ["1.1 herald"]


def test_forwarded_for_and_via_are_appended_to_existing_values(herald, upstream):
    mark = upstream.mark()
    response = herald.request("GET", "/echo/xff-append", [
        ("Host", "app.example"), ("X-Forwarded-For", "203.0.113.7, 198.51.100.2"), ("Via", "1.0 fred")])
    assert response.status == 200
    record = only_record(upstream, mark, "/echo/xff-append")
    assert values(record, "x-forwarded-for") == ["203.0.113.7, 198.51.100.2, 127.0.0.1"]
    assert values(record, "via") == ["1.0 fred, 1.1 herald"]
    assert values(record, "x-forwarded-host") == ["app.example"]


def test_hop_by_hop_headers_and_those_named_in_connection_are_removed(herald, upstream):
    headers = [
        ("Host", "app.example"),
        ("Connection", "keep-alive, X-Hop-Custom"),
        ("X-Before", "1"),
        ("connection", "x-hop-second"),
        ("X-Hop-Custom", "secret"),
        ("x-HOP-second", "also secret"),
        ("Keep-Alive", "timeout=5, max=100"),
        ("Proxy-Connection", "keep-alive"),
        ("TE", "trailers"),
        ("Trailer", "X-Checksum"),
        ("Upgrade", "example/1"),
        ("X-After", "2"),
    ]
    mark = upstream.mark()
    with herald.connect() as conn:
        conn.send(httpwire.build_request("GET", "/echo/hop", headers))
        assert conn.read_response().status == 200
        assert conn.request("GET", "/echo/hop-still-alive").status == 200  # the client connection stays usable
    record = only_record(upstream, mark, "/echo/hop")
    names = [n.lower() for n, _ in record["headers"]]
    for gone in ("x-hop-custom", "x-hop-second", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"):
        assert gone not in names, "%s reached the upstream: %r" % (gone, record["head_lines"])
    for value in values(record, "connection"):  # Herald may speak for its own hop, never for the client's
        assert {t.strip().lower() for t in value.split(",")} <= {"keep-alive", "close"}, value
    assert end_to_end_lines(record["head_lines"]) == ["Host: app.example", "X-Before: 1", "X-After: 2"]


def test_a_binary_body_arrives_unchanged(herald, upstream):
    body = bytes(range(256)) * 200 + b"\r\n\r\n0\r\n\r\n"
    response = herald.request("PUT", "/echo/binary", [("Content-Type", "application/octet-stream")], body)
    assert response.status == 200
    assert base64.b64decode(response.json()["body_b64"]) == body
