"""The upstream app's misbehaviours: never answering, closing without an answer, a short body, a bad
chunk. Each handler returns True to close the connection."""

import socket
import time

from upstream_log import LOG
from upstream_wire import RECV_SIZE, chunk, response_head

SILENT_HOLD_S = 120               # /silent holds the connection at most this long
BAD_CHUNK_HOLD_S = 20             # /bad-chunk waits at most this long for Herald to close


def handle_silent(req):
    req.discard_body()
    deadline = time.monotonic() + SILENT_HOLD_S
    req.conn.sock.settimeout(1)
    while time.monotonic() < deadline:
        try:
            if not req.conn.sock.recv(RECV_SIZE):
                break
        except socket.timeout:
            continue
        except OSError:
            break
    LOG.update(req.record, error="silent: peer closed or hold ended")
    return True


def handle_drop(req):
    req.discard_body()
    return True


def handle_truncate(req):
    req.discard_body()
    req.conn.send(response_head(200, [("Content-Type", "application/octet-stream"), ("Content-Length", "1000")])
                  + b"0123456789")
    return True


def handle_bad_chunk(req):
    req.discard_body()
    head = response_head(200, [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")])
    bad = b"zz\r\nnot a chunk\r\n"
    if req.query.get("later") == "1":
        req.conn.send(head + chunk(b"good chunk\n"))
        time.sleep(0.2)
        req.conn.send(bad)
    else:
        req.conn.send(head + chunk(b"good chunk\n") + bad)
    # Held open, so that only Herald closing it (not pooling it) ends it; the record says when.
    deadline = time.monotonic() + BAD_CHUNK_HOLD_S
    req.conn.sock.settimeout(1)
    while time.monotonic() < deadline:
        try:
            if not req.conn.sock.recv(RECV_SIZE):
                LOG.update(req.record, error="bad-chunk: closed by the peer")
                break
        except socket.timeout:
            continue
        except OSError:
            LOG.update(req.record, error="bad-chunk: closed by the peer")
            break
    return True
