"""The upstream app's HTTP/1.1 on raw sockets: a request head parsed strictly (so a test sees
exactly what Herald forwarded), its body read with its framing (recorded in the log), and
response heads written by hand."""

import hashlib
import http
import json
import urllib.parse

from httpwire import HeaderLookup
from upstream_log import LOG

MAX_HEAD_BYTES = 1 << 20          # far above Herald's limits: the upstream must see whatever Herald sends
RECV_SIZE = 256 * 1024


class BadRequest(Exception):
    pass


class PeerClosed(Exception):
    pass


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

    def discard_body(self):
        """Reads the body, when no handler did, to throw it away."""
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
