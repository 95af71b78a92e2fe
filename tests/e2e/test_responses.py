"""Responses through Herald: bodiless responses (HEAD, 204, 304) stay bodiless and leave the
connection usable, 1xx interim responses are forwarded before the final one, and every framing of
an upstream body (Content-Length, chunked, close-delimited) arrives whole.
"""

import hashlib
import uuid

import pytest

import httpwire
import payload


def test_head_response_has_no_body_and_the_connection_stays_usable(herald, upstream):
    with herald.connect() as conn:
        head = conn.request("HEAD", "/head", timeout=5)
        assert head.status == 200 and head.body == b""
        assert head.header("content-length") == "1234"  # the length a GET would have
        after = conn.request("GET", "/echo/after-head", timeout=5)  # would hang if Herald awaited 1234 bytes
        assert after.json()["target"] == "/echo/after-head"
        assert conn.request("GET", "/head", timeout=5).body == b"h" * 1234


def test_head_response_announcing_chunked_has_no_body_and_the_connection_stays_usable(herald, upstream):
    with herald.connect() as conn:
        head = conn.request("HEAD", "/head?chunked=1", timeout=5)
        assert head.status == 200 and head.body == b""
        assert conn.request("GET", "/echo/after-chunked-head", timeout=5).status == 200
        assert conn.request("GET", "/head?chunked=1", timeout=5).body == b"h" * 1234


@pytest.mark.parametrize("status", [204, 304])
def test_bodiless_status_has_no_body_and_the_connection_stays_usable(herald, upstream, status):
    with herald.connect() as conn:
        response = conn.request("GET", "/status/%d" % status, timeout=5)
        assert response.status == status and response.body == b""
        if status == 304:
            assert response.header("etag") == '"v1"'
        assert conn.request("GET", "/echo/after-%d" % status, timeout=5).status == 200
        conn.send(httpwire.build_request("GET", "/status/%d" % status, ["Host: a"]) +
                  httpwire.build_request("GET", "/echo/pipelined-after-%d" % status, ["Host: a"]))
        assert conn.read_response(timeout=5).status == status
        assert conn.read_response(timeout=5).json()["target"] == "/echo/pipelined-after-%d" % status


def test_103_early_hints_is_forwarded_before_the_upstream_sends_the_final_response(herald, upstream):
    sid = uuid.uuid4().hex
    with herald.connect() as conn:
        conn.send(httpwire.build_request("GET", "/interim?kind=103&id=" + sid, ["Host: a"]))
        early = conn.read_head(timeout=5)  # the upstream holds the 200 until we ack this
        assert early.status == 103, early
        assert early.header("link") == "</style.css>; rel=preload; as=style"
        upstream.ack(sid, 0)
        final = conn.read_response(timeout=5)
        assert final.status == 200 and final.body == b"final after early hints\n"
        assert conn.request("GET", "/echo/after-103", timeout=5).status == 200


def test_100_continue_reaches_the_client_before_it_sends_the_body(herald, upstream):
    body = b"the body, sent only after 100 Continue"
    with herald.connect() as conn:
        conn.send(httpwire.build_request("POST", "/interim?kind=100", [
            "Host: a", "Expect: 100-continue", "Content-Length: %d" % len(body)]))
        interim = conn.read_head(timeout=5)  # from the upstream or from Herald itself: both are correct
        assert interim.status == 100, interim
        conn.send(body)
        final = conn.open_response(timeout=5)  # a second 100 (Herald's and the upstream's) is tolerated
        final.body = final.stream.read_all(5)
        assert final.status == 200, final
        assert final.json()["body_sha256"] == hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize("status", [200, 201, 404, 418, 500, 503])
def test_status_body_and_response_headers_pass_through_in_order(herald, upstream, status):
    with herald.connect() as conn:
        response = conn.request("GET", "/status/%d" % status, timeout=5)
        assert response.status == status
        assert response.body == b"status %d from upstream\n" % status
        names = [n for n, _ in response.headers]
        upstream_order = ["X-Upstream-First", "Set-Cookie", "Set-Cookie", "X-Upstream-Last"]
        assert [n for n in names if n in upstream_order] == upstream_order
        assert response.values("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
        assert conn.request("GET", "/echo/after-status", timeout=5).status == 200


@pytest.mark.parametrize("framing", ["content-length", "chunked", "close-delimited"])
def test_upstream_body_of_every_framing_arrives_whole(herald, upstream, framing):
    size = 5 * payload.BLOCK + 333
    target = {"content-length": "/download?size=%d&seed=4",
              "chunked": "/download?size=%d&seed=4&chunked=1&piece=10000",
              "close-delimited": "/close-delimited?size=%d&seed=4"}[framing] % size
    with herald.connect() as conn:
        response = conn.request("GET", target, timeout=20)
        assert response.status == 200
        assert len(response.body) == size
        assert hashlib.sha256(response.body).hexdigest() == payload.digest(size, 4)
        if response.stream.mode != "close":  # Herald re-framed it, so the connection may stay
            assert conn.request("GET", "/echo/after-download", timeout=5).status == 200
