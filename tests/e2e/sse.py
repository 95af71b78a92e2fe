"""Subscribers of the SSE tests: event streams over raw sockets, and many of them in one thread.

- `SSEStream`: one subscriber (its own socket, optional source address and receive buffer size),
  with deadlines on every read; `subscribe()` opens one and reads its preamble.
- `MassReader`: many subscribers read by one `selectors` loop; each stream's events are handed to a
  callback, so memory stays small however many events arrive.

What the streams carry is parsed by sse_parse; publishing is publishing.Publisher, metrics are read
with metrics_text. Everything talks to 127.0.0.1 only; every wait has a deadline.
"""

import selectors
import socket
import time
import urllib.parse

import httpwire
from sse_parse import Comment, Event, SSEParser


def events_target(channels, last_event_id=None, path="/events", query_form=None):
    """`/events/<c>` for one channel (unless query_form), `/events?channel=a&channel=b` for several;
    `last_event_id` goes into ?lastEventId=."""
    if isinstance(channels, str):
        channels = [channels]
    params = []
    if len(channels) == 1 and not query_form:
        target = "%s/%s" % (path, channels[0])
    else:
        target = path
        params += [("channel", c) for c in channels]
    if last_event_id is not None:
        params.append(("lastEventId", last_event_id))
    if params:
        target += "?" + "&".join("%s=%s" % (k, urllib.parse.quote(v, safe="")) for k, v in params)
    return target


def subscribe_request(target, port, headers=(), method="GET", version="HTTP/1.1"):
    head = [("Host", "127.0.0.1:%d" % port), ("Accept", "text/event-stream")]
    head += list(headers)
    return httpwire.build_request(method, target, head, version=version)


def open_socket(port, source_ip=None, rcvbuf=None, timeout=10.0):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if source_ip is not None:
            sock.bind((source_ip, 0))
        sock.settimeout(timeout)
        sock.connect(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except BaseException:
        sock.close()
        raise
    return sock


class _SocketConnection(httpwire.Connection):
    """An httpwire.Connection over a socket made by open_socket (source address, SO_RCVBUF)."""

    def __init__(self, sock, port, timeout=10.0):  # noqa: super().__init__ would connect again
        self.port = port
        self.timeout = timeout
        self.sock = sock
        self.buf = bytearray()
        self.eof = False
        self.reset = False


class SSEStream:
    """One subscriber. After open(): .response (the head), .items (everything parsed so far)."""

    def __init__(self, port, target, headers=(), method="GET", version="HTTP/1.1", source_ip=None,
                 rcvbuf=None, timeout=10.0):
        self.port = port
        self.target = target
        self.method = method
        self.conn = _SocketConnection(open_socket(port, source_ip, rcvbuf, timeout), port, timeout)
        self.parser = SSEParser()
        self.items = []         # every parsed item, in order
        self.queue = []         # parsed items not yet taken by next_item()
        self.raw = bytearray()  # the body bytes as received (without the chunked framing)
        self.cut = False        # the connection closed inside a chunked body (not a clean end)
        self.response = None
        self.conn.send(subscribe_request(target, port, headers, method, version))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.conn.close()

    def open(self, timeout=5.0):
        """Reads the response head; for a non-200 the whole (length-framed) body is read too."""
        self.response = self.conn.open_response(self.method, timeout)
        if self.response.status != 200:
            self.response.body = self.response.stream.read_all(timeout)
        return self.response

    def _pump(self, deadline):
        """Reads once more from the socket; False at end of stream: the last chunk, or the
        connection closed (`self.cut` tells a chunked stream cut short from one ended)."""
        try:
            data = self.response.stream.read_some(max(0.001, deadline - time.monotonic()))
        except httpwire.ConnectionClosed:
            self.cut = True
            data = b""
        if not data:
            if self.response.stream.done or self.cut:
                items = self.parser.finish()
                self.items += items
                self.queue += items
                return False
            return True
        self.raw += data
        items = self.parser.feed(data)
        self.items += items
        self.queue += items
        return True

    def next_item(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while not self.queue:
            if time.monotonic() >= deadline:
                raise TimeoutError("nothing from %s within %ss (raw so far: %r)" % (self.target, timeout,
                                                                                   bytes(self.raw[-300:])))
            if not self._pump(deadline):
                raise httpwire.ConnectionClosed("stream %s ended (raw: %r)" % (self.target, bytes(self.raw[-300:])))
        return self.queue.pop(0)

    def next_event(self, timeout=5.0):
        """The next dispatched event, skipping comments and retry fields."""
        deadline = time.monotonic() + timeout
        while True:
            item = self.next_item(max(0.001, deadline - time.monotonic()))
            if isinstance(item, Event):
                return item

    def events(self, count, timeout=5.0):
        deadline = time.monotonic() + timeout
        return [self.next_event(max(0.001, deadline - time.monotonic())) for _ in range(count)]

    def next_comment(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            item = self.next_item(max(0.001, deadline - time.monotonic()))
            if isinstance(item, Comment):
                return item
            if isinstance(item, Event):
                raise AssertionError("expected a comment, got %r" % item)

    def read_preamble(self, timeout=5.0):
        """Reads until the first comment after the initial `retry:` (the stream is open); returns the
        items read."""
        deadline = time.monotonic() + timeout
        got = []
        while True:
            got.append(self.next_item(max(0.001, deadline - time.monotonic())))
            if isinstance(got[-1], Comment) and any(isinstance(i, tuple) for i in got):
                return got
            if isinstance(got[-1], Event):
                raise AssertionError("event before the stream's retry and comment: %r" % got)

    def expect_silence(self, seconds):
        """Asserts that no event arrives within `seconds` (comments are allowed)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                item = self.next_item(max(0.001, deadline - time.monotonic()))
            except TimeoutError:
                return
            assert not isinstance(item, Event), "unexpected event %r" % item

    def wait_closed(self, timeout=5.0):
        """Reads (and parses) until Herald ends the stream; returns the events that came meanwhile."""
        deadline = time.monotonic() + timeout
        events = []
        while True:
            if time.monotonic() >= deadline:
                raise TimeoutError("stream %s not closed within %ss" % (self.target, timeout))
            try:
                if not self._pump(deadline):
                    break
            except TimeoutError:
                continue
        events = [i for i in self.queue if isinstance(i, Event)]
        self.queue.clear()
        return events


def assert_next_is(stream, data, timeout=5.0, **fields):
    """Asserts that the stream's next event has `data` (and the given Event attributes); returns it."""
    event = stream.next_event(timeout)
    assert event.data == data, "expected the event %r next, got %r" % (data, event)
    for name, value in fields.items():
        got = getattr(event, name)
        assert got == value, "%s: expected %r, got %r (%r)" % (name, value, got, event)
    return event


def subscribe(port, channels, last_event_id=None, header_id=None, timeout=5.0, **kw):
    """Opens a stream, asserts 200 and reads its preamble; `header_id` goes into Last-Event-ID."""
    headers = list(kw.pop("headers", ()))
    if header_id is not None:  # a browser sends it UTF-8 encoded
        headers.append(b"Last-Event-ID: " + header_id.encode("utf-8"))
    stream = SSEStream(port, events_target(channels, last_event_id, query_form=kw.pop("query_form", None)),
                       headers=headers, **kw)
    try:
        response = stream.open(timeout)
        assert response.status == 200, response
        stream.read_preamble(timeout)
    except BaseException:
        stream.close()
        raise
    return stream


# ----------------------------------------------------------------------------- mass reading


class MassReader:
    """Many subscriber sockets read by one selectors loop. For each stream, `on_item(key, item)` is
    called with every parsed item (comments and retry tuples included). Heads are checked here."""

    def __init__(self, port, on_item):
        self.port = port
        self.on_item = on_item
        self.sel = selectors.DefaultSelector()
        self.streams = {}  # fd -> state dict
        self.errors = []

    def add(self, key, target, source_ip=None):
        sock = open_socket(self.port, source_ip)
        sock.sendall(subscribe_request(target, self.port))
        sock.setblocking(False)
        state = {"key": key, "sock": sock, "head": bytearray(), "parser": None, "eof": False}
        self.streams[sock.fileno()] = state
        self.sel.register(sock, selectors.EVENT_READ, state)

    def poll(self, timeout):
        """One round of the selector loop; returns the number of sockets that had something."""
        ready = self.sel.select(timeout)
        for selkey, _ in ready:
            state = selkey.data
            try:
                data = state["sock"].recv(1 << 18)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                data = b""
            if not data:
                state["eof"] = True
                self.sel.unregister(state["sock"])
                self.errors.append("stream %r ended" % (state["key"],))
                continue
            if state["parser"] is None:
                state["head"] += data
                end = state["head"].find(b"\r\n\r\n")
                if end < 0:
                    continue
                response = httpwire.parse_response_head(bytes(state["head"][:end]))
                if response.status != 200:
                    self.errors.append("stream %r: %r" % (state["key"], response))
                state["parser"] = SSEParser(keep_raw=False)
                data = bytes(state["head"][end + 4:])
                state["head"] = None
                if not data:
                    continue
            for item in state["parser"].feed(data):
                self.on_item(state["key"], item)
        return len(ready)

    def run_until(self, condition, timeout, what="condition"):
        deadline = time.monotonic() + timeout
        while not condition():
            if self.errors:
                raise AssertionError("%d stream errors, first: %s" % (len(self.errors), self.errors[:5]))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("%s not reached within %ss" % (what, timeout))
            self.poll(min(0.2, remaining))

    def close(self):
        for state in self.streams.values():
            try:
                self.sel.unregister(state["sock"])
            except (KeyError, ValueError):
                pass
            state["sock"].close()
        self.sel.close()
