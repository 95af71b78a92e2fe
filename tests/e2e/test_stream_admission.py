"""`limits.stream_opens_per_second`: a storm of new streams beyond the rate gets 503 with a jittered
Retry-After (the streams already open are untouched), and the loop admits again once it refills."""

import re
import socket
import time

import httpwire


def open_stream(port, channel):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GET /events/%s HTTP/1.1\r\nHost: a\r\n\r\n" % channel.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        assert chunk, "closed before a head"
        head += chunk
    return sock, head


def test_a_storm_beyond_the_rate_gets_503_with_a_jittered_retry_after(start_herald):
    herald = start_herald(server={"threads": 1}, limits={"stream_opens_per_second": 50})
    opened, refused, retry_afters = [], 0, set()
    for _ in range(200):
        sock, head = open_stream(herald.public_port, "storm")
        status = int(head.split(b" ", 2)[1])
        if status == 200:
            opened.append(sock)
        else:
            assert status == 503, head
            retry_afters.add(int(re.search(rb"\r\nRetry-After: (\d+)\r\n", head).group(1)))
            refused += 1
            sock.close()
    # a burst of one second's worth passes, plus what refills while the storm lasts
    assert 50 <= len(opened) < 200 and refused > 0, (len(opened), refused)
    assert retry_afters <= set(range(1, 6)) and len(retry_afters) > 1, retry_afters
    time.sleep(1.1)
    sock, head = open_stream(herald.public_port, "storm")
    assert head.startswith(b"HTTP/1.1 200"), head
    opened.append(sock)
    metrics = httpwire.request(herald.publish_port, "GET", "/metrics").body.decode()
    assert re.search(r"herald_stream_opens_refused_total %d(\.0)?\n" % refused, metrics), metrics
    # the open streams are untouched: a publish reaches them
    assert httpwire.request(herald.publish_port, "POST", "/publish/storm", body=b"after the storm").status == 202
    for sock in opened[:5]:
        data = b""
        while b"after the storm" not in data:
            chunk = sock.recv(65536)
            assert chunk, "a stream admitted before the storm was closed"
            data += chunk
    for sock in opened:
        sock.close()


def test_without_the_key_there_is_no_rate(start_herald):
    herald = start_herald(server={"threads": 1})
    socks = [open_stream(herald.public_port, "free") for _ in range(300)]
    assert all(head.startswith(b"HTTP/1.1 200") for _, head in socks)
    for sock, _ in socks:
        sock.close()
