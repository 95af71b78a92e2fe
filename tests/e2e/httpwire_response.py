"""The response side of httpwire: response heads parsed strictly, body framing per RFC 9112 §6.3,
and `BodyStream`, a body decoded incrementally off an httpwire.Connection's buffer and socket.
Tests use these through httpwire, which re-exports them.
"""

import json
import time

RECV_SIZE = 1 << 20


class WireError(Exception):
    """The peer sent something that is not a valid HTTP/1.1 response."""


class ConnectionClosed(WireError):
    """The connection ended where more bytes were due."""


def _b(text):
    return text if isinstance(text, (bytes, bytearray)) else text.encode("latin-1")


class HeaderLookup:
    """Header access by name for anything with `headers`, a list of (name, value) in order."""

    def values(self, name):
        name = name.lower()
        return [v for n, v in self.headers if n.lower() == name]

    def header(self, name, default=None):
        found = self.values(name)
        return found[0] if found else default

    def tokens(self, name):
        return {t.strip().lower() for v in self.values(name) for t in v.split(",") if t.strip()}


class Response(HeaderLookup):
    def __init__(self, version, status, reason, headers, raw_head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
        self.raw_head = raw_head
        self.body = None
        self.stream = None
        self.interim = []
        self.trailers = []


    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        body = self.body if self.body is None or len(self.body) < 300 else self.body[:300] + b"..."
        return "<Response %d %s headers=%r body=%r>" % (self.status, self.reason, self.headers, body)


def parse_response_head(raw):
    lines = raw.split(b"\r\n")
    status_line = lines[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or len(parts[1]) != 3 or not parts[1].isdigit():
        raise WireError("bad status line %r" % status_line)
    headers = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t"):
            raise WireError("obs-fold in response head: %r" % raw)
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip(b" \t") or b"\r" in line or b"\n" in line:
            raise WireError("malformed response header line %r" % line)
        headers.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
    return Response(parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "", headers, raw)


def body_framing(response, method):
    """('none'|'length'|'chunked'|'close', length) per RFC 9112 §6.3, checking Herald's framing is sane."""
    if method == "HEAD" or response.status < 200 or response.status in (204, 304):
        return "none", 0
    te = response.values("transfer-encoding")
    cl = response.values("content-length")
    if te and cl:
        raise WireError("response has both Transfer-Encoding and Content-Length: %r" % response)
    if te:
        codings = [c.strip().lower() for v in te for c in v.split(",")]
        return ("chunked", 0) if codings[-1] == "chunked" else ("close", 0)
    if cl:
        values = {c.strip() for v in cl for c in v.split(",")}
        if len(values) != 1 or not next(iter(values)).isdigit():
            raise WireError("bad Content-Length in response: %r" % cl)
        return "length", int(values.pop())
    return "close", 0


class BodyStream:
    """The decoded body of one response, read incrementally: read_some() returns what has arrived."""

    def __init__(self, conn, mode, length):
        self.conn = conn
        self.mode = mode
        self.remaining = length
        self.done = mode == "none" or (mode == "length" and length == 0)
        self.chunk_left = 0
        self.chunk_state = "size"  # size | data | crlf | trailers
        self.trailers = []
        self.received = 0

    def read_some(self, timeout=10.0):
        """The next decoded bytes (b"" once the body is complete). Raises TimeoutError, ConnectionClosed."""
        deadline = time.monotonic() + timeout
        while not self.done:
            data = self._step(deadline)
            if data:
                self.received += len(data)
                return data
        return b""

    def _step(self, deadline):
        conn = self.conn
        if self.mode == "length":
            if conn.buf:
                take = min(len(conn.buf), self.remaining)
                data = bytes(conn.buf[:take])
                del conn.buf[:take]
            else:
                data = conn.recv_raw(deadline, min(self.remaining, RECV_SIZE))
                if not data:
                    raise ConnectionClosed("body ended %d bytes short of Content-Length" % self.remaining)
            self.remaining -= len(data)
            self.done = self.remaining == 0
            return data
        if self.mode == "close":
            if conn.buf:
                data = bytes(conn.buf)
                conn.buf.clear()
                return data
            data = conn.recv_raw(deadline, RECV_SIZE)
            self.done = not data
            return data
        return self._step_chunked(deadline)

    def _step_chunked(self, deadline):
        conn = self.conn
        if self.chunk_state == "data":
            if not conn.buf and not conn.fill(deadline):
                raise ConnectionClosed("chunked body ended inside a chunk")
            take = min(len(conn.buf), self.chunk_left)
            data = bytes(conn.buf[:take])
            del conn.buf[:take]
            self.chunk_left -= take
            if self.chunk_left == 0:
                self.chunk_state = "crlf"
            return data
        line = conn.read_line(deadline)
        if self.chunk_state == "crlf":
            if line != b"":
                raise WireError("chunk data not followed by CRLF: %r" % line[:80])
            self.chunk_state = "size"
        elif self.chunk_state == "size":
            size_text = line.split(b";", 1)[0].strip(b" \t")
            try:
                size = int(size_text, 16)
            except ValueError:
                raise WireError("bad chunk size line in response: %r" % line[:80]) from None
            if size == 0:
                self.chunk_state = "trailers"
            else:
                self.chunk_left = size
                self.chunk_state = "data"
        else:  # trailers
            if line == b"":
                self.done = True
            else:
                name, _, value = line.partition(b":")
                self.trailers.append((name.decode("latin-1"), value.strip().decode("latin-1")))
        return b""

    def read_all(self, timeout=10.0, limit=256 << 20):
        deadline = time.monotonic() + timeout
        out = bytearray()
        while not self.done:
            out += self.read_some(max(0.001, deadline - time.monotonic()))
            if len(out) > limit:
                raise WireError("response body larger than %d bytes" % limit)
        return bytes(out)

    def read_until(self, marker, timeout=5.0):
        """Reads until `marker` has arrived in the decoded body; returns everything read."""
        deadline = time.monotonic() + timeout
        out = bytearray()
        while _b(marker) not in out:
            if self.done:
                raise ConnectionClosed("body ended before %r; got %r" % (marker, bytes(out)))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("%r not received within %ss; got %r" % (marker, timeout, bytes(out)))
            out += self.read_some(remaining)
        return bytes(out)
