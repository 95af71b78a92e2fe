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
"""

import argparse
import base64
import hashlib
import http
import json
import os
import socket
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import payload  # noqa: E402
from httpwire import HeaderLookup  # noqa: E402

MAX_HEAD_BYTES = 1 << 20          # far above Herald's limits: the upstream must see whatever Herald sends
IDLE_TIMEOUT_S = 300              # a pooled connection from Herald may sit idle for a whole test
SILENT_HOLD_S = 120               # /silent holds the connection at most this long
BAD_CHUNK_HOLD_S = 20             # /bad-chunk waits at most this long for Herald to close
ACK_TIMEOUT_S = 20                # /sse and /interim give up waiting for an ack after this long
ECHO_BODY_LIMIT = 64 * 1024       # /echo returns the body itself (base64) only below this size
RECV_SIZE = 256 * 1024
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC11B85"


class BadRequest(Exception):
    pass


class PeerClosed(Exception):
    pass


class Log:
    """Every request that reached the upstream, in arrival order; records are updated in place."""

    def __init__(self):
        self.lock = threading.Lock()
        self.records = []
        self.connections = 0
        self.open_ids = set()

    def add(self, record):
        with self.lock:
            record["seq"] = len(self.records)
            self.records.append(record)
        return record

    def update(self, record, **fields):
        with self.lock:
            record.update(fields)

    def snapshot(self, since):
        with self.lock:
            return json.dumps({"count": len(self.records), "records": self.records[since:]})


class Acks:
    """Acknowledgements sent by the tests: (stream id, index) pairs, waited for by /sse and /interim."""

    def __init__(self):
        self.cond = threading.Condition()
        self.seen = set()

    def ack(self, sid, index):
        with self.cond:
            self.seen.add((sid, index))
            self.cond.notify_all()

    def wait(self, sid, index, timeout):
        with self.cond:
            return self.cond.wait_for(lambda: (sid, index) in self.seen, timeout)


LOG = Log()
ACKS = Acks()


class Request(HeaderLookup):
    def __init__(self, conn, head):
        self.conn = conn
        lines = head.split(b"\r\n")
        self.head_lines = [line.decode("latin-1") for line in lines]
        parts = lines[0].split(b" ")
        if len(parts) != 3:
            raise BadRequest("request line is not 'method target version': %r" % lines[0])
        self.method, self.target, self.version = (p.decode("latin-1") for p in parts)
        self.headers = []
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t"):
                raise BadRequest("obs-fold line %r" % line)
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip(b" \t"):
                raise BadRequest("malformed header line %r" % line)
            if b"\r" in line or b"\n" in line or b"\0" in line:
                raise BadRequest("CR, LF or NUL inside header line %r" % line)
            self.headers.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
        self.path, _, query = self.target.partition("?")
        self.query = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        te = self.values("transfer-encoding")
        cl = self.values("content-length")
        self.chunked = False
        self.length = 0
        if te:
            codings = [c.strip().lower() for v in te for c in v.split(",") if c.strip()]
            if cl:
                raise BadRequest("both Transfer-Encoding and Content-Length")
            if not codings or codings[-1] != "chunked":
                raise BadRequest("Transfer-Encoding does not end in chunked")
            self.chunked = True
        elif cl:
            values = {c.strip() for v in cl for c in v.split(",")}
            if len(values) != 1 or not next(iter(values)).isdigit():
                raise BadRequest("bad Content-Length %r" % cl)
            self.length = int(values.pop())
        self.body_read = False
        self.record = None


    def wants_close(self):
        if "close" in self.tokens("connection"):
            return True
        return self.version == "HTTP/1.0" and "keep-alive" not in self.tokens("connection")

    def body(self):
        """Yields the request body in pieces as it arrives; updates the log record."""
        self.body_read = True
        h = hashlib.sha256()
        total = 0
        try:
            source = self.conn.read_chunked() if self.chunked else self.conn.read_length(self.length)
            for piece in source:
                h.update(piece)
                total += len(piece)
                yield piece
        except (PeerClosed, OSError, BadRequest) as e:
            if self.record is not None:
                LOG.update(self.record, state="aborted", error="body: %s" % e, body_len=total)
            raise
        if self.record is not None:
            LOG.update(self.record, state="complete", body_len=total, body_sha256=h.hexdigest())

    def drain(self):
        if not self.body_read:
            for _ in self.body():
                pass


class Connection:
    def __init__(self, sock, conn_id):
        self.sock = sock
        self.id = conn_id
        self.buf = bytearray()

    def recv_more(self):
        data = self.sock.recv(RECV_SIZE)
        if not data:
            raise PeerClosed("peer closed")
        self.buf += data

    def read_head(self):
        """The next request head without its final CRLFCRLF, or None at a clean end of the connection."""
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(self.buf[:end])
                del self.buf[:end + 4]
                return head
            if len(self.buf) > MAX_HEAD_BYTES:
                raise BadRequest("head larger than %d bytes" % MAX_HEAD_BYTES)
            try:
                self.recv_more()
            except (PeerClosed, OSError) as e:
                if self.buf.strip(b"\r\n"):
                    LOG.add({"kind": "partial", "conn_id": self.id, "bytes": len(self.buf),
                             "preview": bytes(self.buf[:256]).decode("latin-1"), "error": str(e)})
                return None

    def read_line(self, limit=8192):
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                line = bytes(self.buf[:end])
                del self.buf[:end + 2]
                return line
            if len(self.buf) > limit:
                raise BadRequest("line longer than %d bytes" % limit)
            self.recv_more()

    def read_length(self, remaining):
        while remaining > 0:
            if not self.buf:
                self.recv_more()
            take = min(remaining, len(self.buf))
            piece = bytes(self.buf[:take])
            del self.buf[:take]
            remaining -= take
            yield piece

    def read_chunked(self):
        while True:
            line = self.read_line()
            size_text = line.split(b";", 1)[0].strip(b" \t")
            if not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text) or len(size_text) > 16:
                raise BadRequest("bad chunk size line %r" % line)
            size = int(size_text, 16)
            if size == 0:
                while self.read_line() != b"":
                    pass
                return
            yield from self.read_length(size)
            if self.read_line() != b"":
                raise BadRequest("chunk data not followed by CRLF")

    def send(self, data):
        self.sock.sendall(data)


def response_head(status, headers=(), reason=None):
    if reason is None:
        try:
            reason = http.HTTPStatus(status).phrase
        except ValueError:
            reason = "Status"
    lines = ["HTTP/1.1 %d %s" % (status, reason)] + ["%s: %s" % h for h in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send_simple(req, status, body, content_type="text/plain", extra=()):
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))] + list(extra)
    req.conn.send(response_head(status, headers) + (b"" if req.method == "HEAD" else body))


def send_json(req, obj, status=200):
    send_simple(req, status, json.dumps(obj).encode(), "application/json")


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


# ---------------------------------------------------------------- handlers; each returns True to close


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
    req.drain()
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
    req.drain()
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


def handle_ws(req):
    req.drain()
    key = req.header("sec-websocket-key")
    if ("websocket" not in req.tokens("upgrade") or "upgrade" not in req.tokens("connection")
            or not key or req.header("sec-websocket-version") != "13"):
        send_simple(req, 400, b"upstream: not a WebSocket handshake\n")
        return True
    accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
    req.conn.send(response_head(101, [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                      ("Sec-WebSocket-Accept", accept)], "Switching Protocols"))
    conn = req.conn
    while True:
        try:
            fin, opcode, data = ws_read_frame(conn)
        except (PeerClosed, OSError):
            return True
        if opcode == 0x8:
            conn.send(ws_frame(0x8, data[:125]))
            return True
        if opcode == 0x9:
            conn.send(ws_frame(0xA, data))
        elif opcode != 0xA:
            conn.send(ws_frame(opcode, data, fin))


def ws_read_frame(conn):
    while len(conn.buf) < 2:
        conn.recv_more()
    b0, b1 = conn.buf[0], conn.buf[1]
    length = b1 & 0x7F
    offset = 2
    if length == 126:
        offset = 4
    elif length == 127:
        offset = 10
    masked = b1 & 0x80
    need = offset + (4 if masked else 0)
    while len(conn.buf) < need:
        conn.recv_more()
    if length == 126:
        length = int.from_bytes(conn.buf[2:4], "big")
    elif length == 127:
        length = int.from_bytes(conn.buf[2:10], "big")
    mask = bytes(conn.buf[offset:need])
    while len(conn.buf) < need + length:
        conn.recv_more()
    data = bytes(conn.buf[need:need + length])
    del conn.buf[:need + length]
    if masked:
        data = ws_unmask(data, mask)
    return bool(b0 & 0x80), b0 & 0x0F, data


def ws_unmask(data, mask):
    key = int.from_bytes((mask * (len(data) // 4 + 1))[:len(data)], "big")
    return (int.from_bytes(data, "big") ^ key).to_bytes(len(data), "big")


def ws_frame(opcode, data, fin=True):
    head = bytes([(0x80 if fin else 0) | opcode])
    if len(data) < 126:
        head += bytes([len(data)])
    elif len(data) < 65536:
        head += bytes([126]) + len(data).to_bytes(2, "big")
    else:
        head += bytes([127]) + len(data).to_bytes(8, "big")
    return head + data


def handle_silent(req):
    req.drain()
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
    req.drain()
    return True


def handle_truncate(req):
    req.drain()
    req.conn.send(response_head(200, [("Content-Type", "application/octet-stream"), ("Content-Length", "1000")])
                  + b"0123456789")
    return True


def handle_bad_chunk(req):
    req.drain()
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


def handle_status(req):
    req.drain()
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
    req.drain()
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
    req.drain()
    req.conn.send(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n")
    if sid is not None and not ACKS.wait(sid, 0, ACK_TIMEOUT_S):
        LOG.update(req.record, error="no ack for the 103 within %ss" % ACK_TIMEOUT_S)
        return True
    send_simple(req, 200, b"final after early hints\n")


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
    req.drain()
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
            req.drain()
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
