"""A small raw HTTP/1.1 client for the end-to-end tests: bytes in, parsed responses out.

Every read has a deadline, so no test can hang on a socket. Responses are read the RFC 9112 way
(HEAD, 1xx, 204 and 304 have no body; chunked; Content-Length; else until close), and the reader is
strict about what Herald sends back: a malformed response is an error, not something to tolerate.
Also: request building, chunked encoding, WebSocket frames. Response heads and bodies are parsed in
httpwire_response.py; its names are importable from here too.
"""

import base64
import hashlib
import os
import socket
import time

from httpwire_response import (  # noqa: F401  (tests and helpers import these from httpwire)
    RECV_SIZE, BodyStream, ConnectionClosed, HeaderLookup, Response, WireError, _b, body_framing,
    parse_response_head)

MAX_HEAD_BYTES = 256 * 1024
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC11B85"


def build_request(method, target, headers=(), body=b"", version="HTTP/1.1"):
    """Request bytes exactly as given: no header is added; `headers` are (name, value) pairs or raw lines."""
    lines = [_b(method) + b" " + _b(target) + b" " + _b(version)]
    for h in headers:
        lines.append(_b(h) if isinstance(h, (str, bytes)) else _b(h[0]) + b": " + _b(h[1]))
    return b"\r\n".join(lines) + b"\r\n\r\n" + _b(body)


def encode_chunked(pieces, trailers=(), extension=None):
    out = bytearray()
    for i, piece in enumerate(pieces):
        piece = _b(piece)
        if not piece:
            continue
        ext = b";" + _b(extension) if (extension and i == 0) else b""
        out += b"%x%s\r\n%s\r\n" % (len(piece), ext, piece)
    out += b"0\r\n"
    for name, value in trailers:
        out += _b(name) + b": " + _b(value) + b"\r\n"
    return bytes(out + b"\r\n")


class Connection:
    """One client connection to a port on 127.0.0.1, with a read buffer and deadlines everywhere."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.port = port
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.eof = False
        self.reset = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        self.sock.settimeout(self.timeout)
        self.sock.sendall(_b(data))

    def recv_raw(self, deadline, size=RECV_SIZE):
        """Bytes from the socket (b"" at EOF or reset); TimeoutError after the deadline."""
        if self.eof:
            return b""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no bytes from 127.0.0.1:%d before the deadline" % self.port)
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(size)
        except socket.timeout:
            raise TimeoutError("no bytes from 127.0.0.1:%d before the deadline" % self.port) from None
        except ConnectionResetError:
            self.reset = True
            data = b""
        if not data:
            self.eof = True
        return data

    def fill(self, deadline):
        data = self.recv_raw(deadline)
        self.buf += data
        return bool(data)

    def read_line(self, deadline, limit=64 * 1024):
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                line = bytes(self.buf[:end])
                del self.buf[:end + 2]
                return line
            if len(self.buf) > limit:
                raise WireError("line longer than %d bytes" % limit)
            if not self.fill(deadline):
                raise ConnectionClosed("connection closed inside a line: %r" % bytes(self.buf[:200]))

    def read_head(self, timeout=10.0):
        """The next response head (including a 1xx one), body not read."""
        deadline = time.monotonic() + timeout
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                raw = bytes(self.buf[:end])
                del self.buf[:end + 4]
                return parse_response_head(raw)
            if len(self.buf) > MAX_HEAD_BYTES:
                raise WireError("response head larger than %d bytes" % MAX_HEAD_BYTES)
            if not self.fill(deadline):
                raise ConnectionClosed("connection closed before a complete response head (got %r)"
                                       % bytes(self.buf[:300]))

    def open_response(self, method="GET", timeout=10.0):
        """The final response head (1xx collected in .interim, 101 returned as final); body in .stream."""
        deadline = time.monotonic() + timeout
        interim = []
        while True:
            response = self.read_head(max(0.001, deadline - time.monotonic()))
            if 100 <= response.status < 200 and response.status != 101:
                interim.append(response)
                continue
            break
        response.interim = interim
        mode, length = body_framing(response, method)
        response.stream = BodyStream(self, mode, length)
        return response

    def read_response(self, method="GET", timeout=10.0, body_limit=256 << 20):
        deadline = time.monotonic() + timeout
        response = self.open_response(method, timeout)
        response.body = response.stream.read_all(max(0.001, deadline - time.monotonic()), body_limit)
        response.trailers = response.stream.trailers
        return response

    def request(self, method, target, headers=None, body=b"", timeout=10.0):
        """Sends one request (Host and Content-Length added unless given) and reads its response."""
        headers = list(headers or [])
        names = {h[0].lower() for h in headers if not isinstance(h, (str, bytes))}
        if "host" not in names:
            headers.insert(0, ("Host", "127.0.0.1:%d" % self.port))
        if body and "content-length" not in names and "transfer-encoding" not in names:
            headers.append(("Content-Length", str(len(body))))
        self.send(build_request(method, target, headers, body))
        return self.read_response(method, timeout)

    def wait_closed(self, timeout=3.0):
        """Waits for the peer to close (EOF or reset); returns whatever bytes came first."""
        deadline = time.monotonic() + timeout
        extra = bytes(self.buf)
        self.buf.clear()
        while not self.eof:
            extra += self.recv_raw(deadline)
        return extra

    def closed_within(self, timeout):
        try:
            self.wait_closed(timeout)
            return True
        except TimeoutError:
            return False


def request(port, method, target, headers=None, body=b"", timeout=10.0):
    """One request on a new connection, which is closed afterwards."""
    with Connection(port, timeout=timeout) as conn:
        return conn.request(method, target, headers, body, timeout)


# ----------------------------------------------------------------------------------- WebSocket


def ws_key():
    return base64.b64encode(os.urandom(16)).decode()


def ws_accept(key):
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()


def ws_handshake_request(target, host, key):
    return build_request("GET", target, [
        ("Host", host), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13"),
    ])


def ws_frame(opcode, data, fin=True, mask=True):
    """A client frame (masked, as RFC 6455 requires of clients)."""
    data = _b(data)
    head = bytes([(0x80 if fin else 0) | opcode])
    bit = 0x80 if mask else 0
    if len(data) < 126:
        head += bytes([bit | len(data)])
    elif len(data) < 65536:
        head += bytes([bit | 126]) + len(data).to_bytes(2, "big")
    else:
        head += bytes([bit | 127]) + len(data).to_bytes(8, "big")
    if not mask:
        return head + data
    key = os.urandom(4)
    masked = (int.from_bytes(data, "big") ^ int.from_bytes((key * (len(data) // 4 + 1))[:len(data)], "big"))
    return head + key + masked.to_bytes(len(data), "big")


def ws_read_frame(conn, timeout=5.0):
    """(fin, opcode, payload) of the next server frame; server frames must not be masked."""
    deadline = time.monotonic() + timeout

    def need(n):
        while len(conn.buf) < n:
            if not conn.fill(deadline):
                raise ConnectionClosed("connection closed inside a WebSocket frame")

    need(2)
    b0, b1 = conn.buf[0], conn.buf[1]
    if b1 & 0x80:
        raise WireError("server frame is masked")
    length, offset = b1 & 0x7F, 2
    if length == 126:
        need(4)
        length, offset = int.from_bytes(conn.buf[2:4], "big"), 4
    elif length == 127:
        need(10)
        length, offset = int.from_bytes(conn.buf[2:10], "big"), 10
    need(offset + length)
    data = bytes(conn.buf[offset:offset + length])
    del conn.buf[:offset + length]
    return bool(b0 & 0x80), b0 & 0x0F, data
