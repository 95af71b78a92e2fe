"""The upstream app's ordinary routes: echo, uploads, downloads, an SSE source paced by the tests,
statuses, HEAD and interim responses. Each handler answers one request and returns True to close
the connection."""

import base64
import hashlib
import time

import payload
from upstream_log import ACKS, LOG
from upstream_wire import chunk, response_head, send_json, send_simple

ACK_TIMEOUT_S = 20                # /sse and /interim give up waiting for an ack after this long
ECHO_BODY_LIMIT = 64 * 1024       # /echo returns the body itself (base64) only below this size


def handle_echo(req):
    h = hashlib.sha256()
    kept = bytearray()
    total = 0
    for piece in req.body():
        h.update(piece)
        total += len(piece)
        if len(kept) < ECHO_BODY_LIMIT:
            kept += piece[:ECHO_BODY_LIMIT - len(kept)]
    reply = {
        "method": req.method, "target": req.target, "version": req.version,
        "headers": req.headers, "head_lines": req.head_lines, "chunked": req.chunked,
        "body_len": total, "body_sha256": h.hexdigest(), "conn_id": req.conn.id, "seq": req.record["seq"],
    }
    if total < ECHO_BODY_LIMIT:
        reply["body_b64"] = base64.b64encode(bytes(kept)).decode()
    send_json(req, reply)
    return req.query.get("upstream_close") == "1"  # close without having announced it


def handle_upload(req):
    sid = req.query.get("wait_ack")
    if sid is not None and not ACKS.wait(sid, 0, ACK_TIMEOUT_S):  # a stalled app: the proxy must stop
        LOG.update(req.record, error="no ack to start reading the body")  # reading the client meanwhile
        return True
    h = hashlib.sha256()
    total = 0
    for piece in req.body():
        h.update(piece)
        total += len(piece)
    send_json(req, {"sha256": h.hexdigest(), "length": total, "chunked": req.chunked, "conn_id": req.conn.id})


def handle_download(req, close_delimited=False):
    req.discard_body()
    size = int(req.query.get("size", "0"))
    seed = int(req.query.get("seed", "0"))
    chunked = req.query.get("chunked") == "1" and not close_delimited
    piece = int(req.query.get("piece", str(payload.BLOCK)))
    interval = int(req.query.get("interval_ms", "0")) / 1000
    headers = [("Content-Type", "application/octet-stream")]
    if close_delimited:
        headers.append(("Connection", "close"))
    elif chunked:
        headers.append(("Transfer-Encoding", "chunked"))
    else:
        headers.append(("Content-Length", str(size)))
    req.conn.send(response_head(200, headers))
    if req.method == "HEAD":
        return close_delimited
    sent = 0
    for i, part in enumerate(payload.blocks(size, seed, piece)):
        if i and interval:
            time.sleep(interval)
        req.conn.send(chunk(part) if chunked else part)
        sent += len(part)
        if sent % payload.BLOCK == 0 or sent == size:
            LOG.update(req.record, bytes_sent=sent)  # lets a test see the sender stall
    if chunked:
        req.conn.send(b"0\r\n\r\n")
    return close_delimited


def handle_sse(req):
    req.discard_body()
    n = int(req.query.get("n", "3"))
    sid = req.query.get("id")
    interval = int(req.query.get("interval_ms", "0")) / 1000
    close_delimited = req.query.get("framing") == "close"
    headers = [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]
    headers.append(("Connection", "close") if close_delimited else ("Transfer-Encoding", "chunked"))
    req.conn.send(response_head(200, headers))
    for i in range(n):
        if i and sid is not None and not ACKS.wait(sid, i - 1, ACK_TIMEOUT_S):
            LOG.update(req.record, error="no ack for event %d within %ss" % (i - 1, ACK_TIMEOUT_S))
            return True
        if interval:
            time.sleep(interval)
        event = b"data: %d\n\n" % i
        req.conn.send(event if close_delimited else chunk(event))
        LOG.update(req.record, events_sent=i + 1)
    if close_delimited:
        return True
    req.conn.send(b"0\r\n\r\n")
    return False


def handle_status(req):
    req.discard_body()
    try:
        code = int(req.path.split("/")[2])
    except (IndexError, ValueError):
        code = 400
    extra = [("X-Upstream-First", "1"), ("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/"),
             ("X-Upstream-Last", "z")]
    if code == 204:
        req.conn.send(response_head(204, extra))
    elif code == 304:
        req.conn.send(response_head(304, [("ETag", '"v1"'), ("Content-Length", "42")] + extra))
    else:
        send_simple(req, code, b"status %d from upstream\n" % code, extra=extra)


def handle_head(req):
    req.discard_body()
    body = b"h" * 1234
    if req.query.get("chunked") == "1":
        head = response_head(200, [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")])
        req.conn.send(head if req.method == "HEAD" else head + chunk(body) + b"0\r\n\r\n")
    else:
        send_simple(req, 200, body)


def handle_interim(req):
    kind = req.query.get("kind", "103")
    sid = req.query.get("id")
    if kind == "100":
        expect = "100-continue" in req.tokens("expect")
        LOG.update(req.record, expect_seen=expect)
        if expect:
            req.conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        h = hashlib.sha256()
        total = 0
        for piece in req.body():
            h.update(piece)
            total += len(piece)
        send_json(req, {"expect_seen": expect, "body_sha256": h.hexdigest(), "body_len": total})
        return
    req.discard_body()
    req.conn.send(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n")
    if sid is not None and not ACKS.wait(sid, 0, ACK_TIMEOUT_S):
        LOG.update(req.record, error="no ack for the 103 within %ss" % ACK_TIMEOUT_S)
        return True
    send_simple(req, 200, b"final after early hints\n")
