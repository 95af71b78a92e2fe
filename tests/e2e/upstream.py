#!/usr/bin/env python3
"""The upstream app the end-to-end tests run Herald against.

Raw sockets, one thread per connection, so that it reports exactly what arrived: the request line,
every header line byte for byte (as latin-1 text), how the body was framed and its SHA-256. Every
request is recorded in a log that the tests read from `GET /__log?since=N` to prove what did (or did
not) reach the app. Run: `python3 upstream.py [--port 0]`; it prints `PORT <n>` once listening.

Endpoints (by path):
  /echo...            any method: JSON of what was received (also the fallback for unknown paths);
                      ?upstream_close=1 closes the connection after the response, unannounced
  /upload             body streamed into SHA-256: {"sha256", "length", "chunked"}; ?wait_ack=X
                      reads the body only after /sse-ack?id=X&i=0
  /download           ?size=N&seed=S[&chunked=1][&piece=B][&interval_ms=M]: payload.blocks(N, S)
  /close-delimited    ?size=N&seed=S: like /download but framed by closing the connection
  /sse                ?n=N&id=X[&interval_ms=M][&framing=chunked|close]: event i+1 is sent only
                      after /sse-ack?id=X&i=<i> arrived (when id is given)
  /ws                 WebSocket echo (RFC 6455)
  /silent             reads the request, never answers (until the peer closes, at most 120 s)
  /drop               reads the request, closes without answering
  /truncate           200 with Content-Length 1000, sends 10 bytes and closes
  /bad-chunk          200 chunked: a good chunk, then a bad chunk size line, in the head's own send
                      (or ?later=1: the bad line ~200 ms after the rest); then holds the connection
                      until the peer closes it (at most BAD_CHUNK_HOLD_S)
  /status/<code>      that status; 204 and 304 without body (304 carries a Content-Length, which
                      RFC 9110 allows); custom and repeated response headers
  /head               Content-Length 1234 (or ?chunked=1), body only for non-HEAD
  /interim            ?kind=100: 100 Continue after the head when Expect: 100-continue, then 200;
                      ?kind=103[&id=X]: 103 Early Hints, waits for /sse-ack?id=X&i=0, then 200
Control (not logged): /__log?since=N, /__conns, /sse-ack?id=X&i=N

The routes live in upstream_routes.py, upstream_ws.py and upstream_faults.py; the wire (request
parsing, body framing, response heads) in upstream_wire.py; the log and the acks in upstream_log.py.
"""

import argparse
import hashlib
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from upstream_faults import handle_bad_chunk, handle_drop, handle_silent, handle_truncate  # noqa: E402
from upstream_log import ACKS, LOG  # noqa: E402
from upstream_routes import (handle_download, handle_echo, handle_head, handle_interim,  # noqa: E402
                             handle_sse, handle_status, handle_upload)
from upstream_wire import BadRequest, Connection, PeerClosed, Request, response_head, send_json, send_simple  # noqa: E402
from upstream_ws import handle_ws  # noqa: E402

IDLE_TIMEOUT_S = 300              # a pooled connection from Herald may sit idle for a whole test


ROUTES = [
    ("/upload", handle_upload),
    ("/download", handle_download),
    ("/close-delimited", lambda req: handle_download(req, close_delimited=True)),
    ("/sse", handle_sse),
    ("/ws", handle_ws),
    ("/silent", handle_silent),
    ("/drop", handle_drop),
    ("/truncate", handle_truncate),
    ("/bad-chunk", handle_bad_chunk),
    ("/status/", handle_status),
    ("/head", handle_head),
    ("/interim", handle_interim),
]


def handle_control(req):
    """Requests of the tests themselves, straight to the upstream; never logged."""
    req.discard_body()
    if req.path == "/__log":
        body = LOG.snapshot(int(req.query.get("since", "0"))).encode()
        send_simple(req, 200, body, "application/json")
    elif req.path == "/__conns":
        with LOG.lock:
            send_json(req, {"accepted": LOG.connections, "open": len(LOG.open_ids), "open_ids": sorted(LOG.open_ids)})
    else:  # /sse-ack
        ACKS.ack(req.query.get("id"), int(req.query.get("i", "0")))
        send_simple(req, 200, b"ack\n")


def dispatch(req):
    if req.path.startswith("/__") or req.path == "/sse-ack":
        handle_control(req)
        return False
    req.record = LOG.add({
        "kind": "request", "conn_id": req.conn.id, "method": req.method, "target": req.target,
        "version": req.version, "headers": req.headers, "head_lines": req.head_lines,
        "chunked": req.chunked, "content_length": None if req.chunked else req.length,
        "state": "receiving" if (req.chunked or req.length) else "complete",
        "body_len": 0, "body_sha256": None if (req.chunked or req.length) else hashlib.sha256().hexdigest(),
        "error": None, "time": time.time(),
    })
    for prefix, handler in ROUTES:
        if req.path.startswith(prefix):
            return handler(req)
    return handle_echo(req)


def serve_connection(sock, conn_id):
    conn = Connection(sock, conn_id)
    sock.settimeout(IDLE_TIMEOUT_S)
    try:
        while True:
            head = conn.read_head()
            if head is None:
                return
            try:
                req = Request(conn, head)
            except BadRequest as e:
                LOG.add({"kind": "bad", "conn_id": conn_id, "error": str(e),
                         "preview": head[:512].decode("latin-1")})
                conn.send(response_head(400, [("Content-Length", "0"), ("Connection", "close")]))
                return
            close = dispatch(req)
            if close or req.wants_close():
                return
            req.discard_body()
    except BadRequest as e:
        LOG.add({"kind": "bad", "conn_id": conn_id, "error": str(e)})
    except (PeerClosed, OSError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass
        with LOG.lock:
            LOG.open_ids.discard(conn_id)


def serve(port, ready=None):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    if ready is not None:
        ready(listener.getsockname()[1])
    while True:
        sock, _ = listener.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with LOG.lock:
            LOG.connections += 1
            conn_id = LOG.connections
            LOG.open_ids.add(conn_id)
        threading.Thread(target=serve_connection, args=(sock, conn_id), daemon=True).start()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    serve(args.port, lambda port: print("PORT %d" % port, flush=True))


if __name__ == "__main__":
    main()
