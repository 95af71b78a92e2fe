"""DESIGN §1.3: bodies stream both ways with bounded buffers; memory per connection stays bounded
whatever the body size. 1 GiB each way through Herald, generated and hashed on the fly (nothing
holds a whole body), with Herald's peak RSS (VmHWM) checked and reported in the terminal summary.

The 1 GiB upload may take longer than upstream.timeout (2 s in the test config): the wait for the
response head is timed from the end of the request body, not from the start of the exchange (a
proxy that did the latter would answer a slow upload with 504).

Marked `big` for selection (-m 'not big' skips them) but part of the normal suite.
"""

import hashlib
import threading
import time
import uuid

import pytest

import httpwire
import payload
from conftest import RssSampler, wait_for_stall
from herald_process import MEMORY_FACTOR

GIB = 1 << 30
RSS_LIMIT_MIB = 64 * MEMORY_FACTOR
STALL_LIMIT_MIB = 64  # what kernel socket buffers on both sides plus Herald's watermark can hold
IO_TIMEOUT_S = 60


def mib(kib):
    return kib / 1024


def report(figure, what, size, seconds, rss):
    figure("%s: %.1f s (%.0f MiB/s); herald peak RSS (VmHWM) %.1f MiB, max sampled VmRSS %.1f MiB (limit %d MiB)"
           % (what, seconds, size / (1 << 20) / seconds, mib(rss.hwm_kib), mib(rss.max_rss_kib), RSS_LIMIT_MIB))


def upload(herald, size, seed, chunked):
    headers = ["Host: a", "Content-Type: application/octet-stream"]
    headers.append("Transfer-Encoding: chunked" if chunked else "Content-Length: %d" % size)
    expected = hashlib.sha256()
    with herald.connect(timeout=IO_TIMEOUT_S) as conn:
        conn.send(httpwire.build_request("PUT", "/upload", headers))
        for part in payload.blocks(size, seed):
            expected.update(part)
            conn.send(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
        if chunked:
            conn.send(b"0\r\n\r\n")
        response = conn.read_response(timeout=IO_TIMEOUT_S)
    assert response.status == 200, response
    reply = response.json()
    assert reply["length"] == size
    assert reply["sha256"] == expected.hexdigest()
    assert reply["chunked"] is chunked


def download(herald, size, seed, chunked, expected):
    got = hashlib.sha256()
    received = 0
    target = "/download?size=%d&seed=%d%s" % (size, seed, "&chunked=1" if chunked else "")
    with herald.connect(timeout=IO_TIMEOUT_S) as conn:
        conn.send(httpwire.build_request("GET", target, ["Host: a"]))
        response = conn.open_response(timeout=IO_TIMEOUT_S)
        assert response.status == 200, response
        while not response.stream.done:
            data = response.stream.read_some(timeout=IO_TIMEOUT_S)
            got.update(data)
            received += len(data)
    assert received == size
    assert got.hexdigest() == expected


@pytest.mark.big
@pytest.mark.parametrize("size, chunked", [(GIB, False), (256 << 20, True)], ids=["1GiB-content-length", "256MiB-chunked"])
def test_upload_streams_through_herald_with_bounded_memory(herald, upstream, figure, size, chunked):
    started = time.monotonic()
    with RssSampler(herald.pid) as rss:
        upload(herald, size, seed=21, chunked=chunked)
    report(figure, "upload %d MiB %s" % (size >> 20, "chunked" if chunked else "content-length"),
           size, time.monotonic() - started, rss)
    assert mib(rss.hwm_kib) < RSS_LIMIT_MIB


@pytest.mark.big
@pytest.mark.parametrize("size, chunked", [(GIB, False), (256 << 20, True)], ids=["1GiB-content-length", "256MiB-chunked"])
def test_download_streams_through_herald_with_bounded_memory(herald, upstream, figure, size, chunked):
    expected = payload.digest(size, seed=22)  # computed here, independently of the transfer
    started = time.monotonic()
    with RssSampler(herald.pid) as rss:
        download(herald, size, 22, chunked, expected)
    report(figure, "download %d MiB %s" % (size >> 20, "chunked" if chunked else "content-length"),
           size, time.monotonic() - started, rss)
    assert mib(rss.hwm_kib) < RSS_LIMIT_MIB


@pytest.mark.big
def test_a_client_that_stops_reading_stalls_the_upstream_instead_of_filling_herald(herald, upstream, figure):
    """Back-pressure downstream → upstream: while the client reads nothing, Herald stops reading the
    upstream, so the upstream's writes stall after a few socket buffers' worth."""
    size = 256 << 20
    expected = payload.digest(size, seed=23)
    target = "/download?size=%d&seed=23&piece=65536" % size
    mark = upstream.mark()
    with RssSampler(herald.pid) as rss, herald.connect(timeout=IO_TIMEOUT_S) as conn:
        conn.send(httpwire.build_request("GET", target, ["Host: a"]))
        response = conn.open_response(timeout=10)
        assert response.status == 200

        def sent():
            found = upstream.requests_for(target, since=mark)
            return found[0].get("bytes_sent", 0) if found else 0

        stalled_at = wait_for_stall(sent)
        assert stalled_at < size, "the upstream sent everything while the client read nothing"
        got = hashlib.sha256()
        received = 0
        while not response.stream.done:
            data = response.stream.read_some(timeout=IO_TIMEOUT_S)
            got.update(data)
            received += len(data)
    figure("client not reading a 256 MiB download: upstream stalled after %.1f MiB; herald VmHWM %.1f MiB"
           % (stalled_at / (1 << 20), mib(rss.hwm_kib)))
    assert received == size and got.hexdigest() == expected
    assert stalled_at < STALL_LIMIT_MIB << 20
    assert mib(rss.hwm_kib) < RSS_LIMIT_MIB


@pytest.mark.big
def test_an_upstream_that_stops_reading_stalls_the_client_instead_of_filling_herald(herald, upstream, figure):
    """Back-pressure upstream → downstream: while the app reads nothing of the body, Herald stops
    reading the client, so the client's sends stall after a few socket buffers' worth."""
    size = 256 << 20
    sid = uuid.uuid4().hex
    progress = {"sent": 0, "error": None}
    expected = hashlib.sha256()

    def send_body(conn):
        try:
            for part in payload.blocks(size, 24, piece=65536):
                expected.update(part)
                conn.send(part)
                progress["sent"] += len(part)
        except Exception as e:  # reported by the main thread
            progress["error"] = e

    with RssSampler(herald.pid) as rss, herald.connect(timeout=IO_TIMEOUT_S) as conn:
        conn.send(httpwire.build_request("POST", "/upload?wait_ack=" + sid, ["Host: a", "Content-Length: %d" % size]))
        sender = threading.Thread(target=send_body, args=(conn,), daemon=True)
        sender.start()
        stalled_at = wait_for_stall(lambda: progress["sent"])
        assert stalled_at < size, "the client sent everything while the app read nothing"
        upstream.ack(sid, 0)
        sender.join(IO_TIMEOUT_S)
        assert not sender.is_alive() and progress["error"] is None, progress
        response = conn.read_response(timeout=IO_TIMEOUT_S)
    figure("app not reading a 256 MiB upload: client stalled after %.1f MiB; herald VmHWM %.1f MiB"
           % (stalled_at / (1 << 20), mib(rss.hwm_kib)))
    assert response.status == 200, response
    assert response.json()["length"] == size and response.json()["sha256"] == expected.hexdigest()
    assert stalled_at < STALL_LIMIT_MIB << 20
    assert mib(rss.hwm_kib) < RSS_LIMIT_MIB
