"""The test upstream and the raw client checked on their own, with no Herald in between.

If these fail, a Herald failure elsewhere means nothing; if they pass, the tools are sound.
"""

import base64
import hashlib
import uuid

import httpwire
import payload
from conftest import to_toml, wait_for


def test_echo_reports_method_target_headers_and_body_exactly(upstream):
    with httpwire.Connection(upstream.port) as conn:
        conn.send(httpwire.build_request("PURGE", "/echo/a%2Fb?x=1&y=%20z", [
            ("Host", "h"), ("X-B", "2"), ("x-a", "1\xff"), ("Content-Length", "5")], b"hello"))
        reply = conn.read_response().json()
    assert reply["method"] == "PURGE"
    assert reply["target"] == "/echo/a%2Fb?x=1&y=%20z"
    assert reply["head_lines"][1:] == ["Host: h", "X-B: 2", "x-a: 1\xff", "Content-Length: 5"]
    assert reply["headers"] == [["Host", "h"], ["X-B", "2"], ["x-a", "1\xff"], ["Content-Length", "5"]]
    assert base64.b64decode(reply["body_b64"]) == b"hello"
    assert reply["body_sha256"] == hashlib.sha256(b"hello").hexdigest()
    assert reply["chunked"] is False


def test_chunked_echo_decodes_the_body_and_says_it_was_chunked(upstream):
    body = httpwire.encode_chunked([b"abc", b"", b"defgh" * 1000], trailers=[("X-T", "1")], extension="e=1")
    with httpwire.Connection(upstream.port) as conn:
        conn.send(httpwire.build_request("POST", "/echo/c", [("Host", "h"), ("Transfer-Encoding", "chunked")], body))
        reply = conn.read_response().json()
    assert reply["chunked"] is True
    assert reply["body_sha256"] == hashlib.sha256(b"abc" + b"defgh" * 1000).hexdigest()


def test_connection_ids_stay_the_same_on_keep_alive_and_differ_across_connections(upstream):
    with httpwire.Connection(upstream.port) as a, httpwire.Connection(upstream.port) as b:
        ids_a = {a.request("GET", "/echo/%d" % i).json()["conn_id"] for i in range(5)}
        id_b = b.request("GET", "/echo/b").json()["conn_id"]
    assert len(ids_a) == 1 and id_b not in ids_a


def test_log_records_requests_in_order(upstream):
    mark = upstream.mark()
    token = uuid.uuid4().hex
    for i in range(3):
        httpwire.request(upstream.port, "GET", "/echo/%s/%d" % (token, i))
    targets = [r["target"] for r in upstream.records_since(mark)]
    assert targets == ["/echo/%s/%d" % (token, i) for i in range(3)]


def test_download_streams_the_payload_with_content_length_or_chunked(upstream):
    size = 3 * payload.BLOCK + 12345
    for chunked in ("0", "1"):
        with httpwire.Connection(upstream.port) as conn:
            conn.send(httpwire.build_request("GET", "/download?size=%d&seed=7&chunked=%s" % (size, chunked),
                                             [("Host", "h")]))
            response = conn.read_response()
        assert response.status == 200
        assert (response.header("transfer-encoding") == "chunked") == (chunked == "1")
        assert len(response.body) == size
        assert hashlib.sha256(response.body).hexdigest() == payload.digest(size, 7)
    assert payload.digest(size, 7) != payload.digest(size, 8)


def test_upload_hashes_a_streamed_body(upstream):
    size = 5 * payload.BLOCK + 7
    with httpwire.Connection(upstream.port) as conn:
        conn.send(httpwire.build_request("POST", "/upload", [("Host", "h"), ("Content-Length", str(size))]))
        for part in payload.blocks(size, 3):
            conn.send(part)
        reply = conn.read_response().json()
    assert reply == {"sha256": payload.digest(size, 3), "length": size, "chunked": False,
                     "conn_id": reply["conn_id"]}


def test_close_delimited_download_ends_with_the_connection(upstream):
    with httpwire.Connection(upstream.port) as conn:
        conn.send(httpwire.build_request("GET", "/close-delimited?size=100000&seed=1", [("Host", "h")]))
        response = conn.read_response()
        assert response.stream.mode == "close"
    assert hashlib.sha256(response.body).hexdigest() == payload.digest(100000, 1)


def test_sse_sends_the_next_event_only_after_the_ack(upstream):
    for framing in ("chunked", "close"):
        sid = uuid.uuid4().hex
        with httpwire.Connection(upstream.port) as conn:
            conn.send(httpwire.build_request("GET", "/sse?n=3&id=%s&framing=%s" % (sid, framing), [("Host", "h")]))
            response = conn.open_response()
            assert response.header("content-type") == "text/event-stream"
            for i in range(3):
                got = response.stream.read_until(b"data: %d\n\n" % i, timeout=5)
                assert b"data: %d\n\n" % (i + 1) not in got
                if i < 2:
                    try:
                        response.stream.read_some(timeout=0.3)
                        raise AssertionError("event %d arrived before the ack of event %d" % (i + 1, i))
                    except TimeoutError:
                        pass
                upstream.ack(sid, i)
            assert response.stream.read_all(timeout=5) == b""


def test_websocket_echo_text_binary_ping_and_close(upstream):
    key = httpwire.ws_key()
    with httpwire.Connection(upstream.port) as conn:
        conn.send(httpwire.ws_handshake_request("/ws", "h", key))
        response = conn.open_response()
        assert response.status == 101
        assert response.header("sec-websocket-accept") == httpwire.ws_accept(key)
        conn.send(httpwire.ws_frame(0x1, "héllo".encode()))
        assert httpwire.ws_read_frame(conn) == (True, 0x1, "héllo".encode())
        big = payload.payload_bytes(100 * 1024, 5)
        conn.send(httpwire.ws_frame(0x2, big))
        assert httpwire.ws_read_frame(conn) == (True, 0x2, big)
        conn.send(httpwire.ws_frame(0x9, b"p"))
        assert httpwire.ws_read_frame(conn) == (True, 0xA, b"p")
        conn.send(httpwire.ws_frame(0x8, b"\x03\xe8"))
        assert httpwire.ws_read_frame(conn) == (True, 0x8, b"\x03\xe8")
        conn.wait_closed(3)


def test_head_204_304_have_no_body_and_keep_the_connection(upstream):
    with httpwire.Connection(upstream.port) as conn:
        head = conn.request("HEAD", "/head")
        assert head.header("content-length") == "1234" and head.body == b""
        head = conn.request("HEAD", "/head?chunked=1")
        assert head.header("transfer-encoding") == "chunked" and head.body == b""
        assert conn.request("GET", "/status/204").body == b""
        not_modified = conn.request("GET", "/status/304")
        assert not_modified.status == 304 and not_modified.body == b""
        assert conn.request("GET", "/head").body == b"h" * 1234


def test_interim_responses_come_before_the_final_one(upstream):
    sid = uuid.uuid4().hex
    with httpwire.Connection(upstream.port) as conn:
        conn.send(httpwire.build_request("GET", "/interim?kind=103&id=" + sid, [("Host", "h")]))
        early = conn.read_head(timeout=5)
        assert early.status == 103 and "rel=preload" in early.header("link")
        upstream.ack(sid, 0)
        assert conn.read_response().status == 200
        conn.send(httpwire.build_request("POST", "/interim?kind=100", [
            ("Host", "h"), ("Expect", "100-continue"), ("Content-Length", "4")]))
        assert conn.read_head(timeout=5).status == 100
        conn.send(b"body")
        final = conn.read_response()
        assert final.json()["expect_seen"] is True and final.json()["body_len"] == 4


def test_a_body_cut_short_is_logged_as_aborted(upstream):
    mark = upstream.mark()
    with httpwire.Connection(upstream.port) as conn:
        conn.send(httpwire.build_request("POST", "/echo/cut", [("Host", "h"), ("Transfer-Encoding", "chunked")],
                                         b"5\r\nhello\r\n"))
        upstream.wait_record(lambda r: r.get("target") == "/echo/cut", since=mark)
    record = upstream.wait_record(lambda r: r.get("target") == "/echo/cut" and r["state"] != "receiving",
                                  since=mark)[0]
    assert record["state"] == "aborted"


def test_status_endpoint_sends_repeated_headers_in_order(upstream):
    response = httpwire.request(upstream.port, "GET", "/status/418")
    assert response.status == 418
    assert [n for n, _ in response.headers][-4:] == ["X-Upstream-First", "Set-Cookie", "Set-Cookie", "X-Upstream-Last"]


def test_silent_never_answers_and_drop_closes(upstream):
    with httpwire.Connection(upstream.port) as conn:
        conn.send(httpwire.build_request("GET", "/silent", [("Host", "h")]))
        try:
            conn.read_head(timeout=0.5)
            raise AssertionError("/silent answered")
        except TimeoutError:
            pass
    with httpwire.Connection(upstream.port) as conn:
        conn.send(httpwire.build_request("GET", "/drop", [("Host", "h")]))
        assert conn.wait_closed(3) == b""


def test_config_writer_produces_the_documented_toml():
    text = to_toml({"server": {"listen": "127.0.0.1:0", "threads": 0, "gone": None}, "log": {"access": "off"}})
    assert text == '[server]\nlisten = "127.0.0.1:0"\nthreads = 0\n\n[log]\naccess = "off"\n'


def test_wait_for_returns_the_value_or_fails_in_time():
    assert wait_for(lambda: 42, 1) == 42
    try:
        wait_for(lambda: False, 0.1, message="never")
        raise AssertionError("wait_for did not fail")
    except AssertionError as e:
        assert "never" in str(e)
