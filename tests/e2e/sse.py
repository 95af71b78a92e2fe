"""Helpers of the SSE hub tests: a WHATWG event-stream parser, subscriber streams over raw sockets,
a mass reader for thousands of streams in one thread, and a client of the publish listener.

- `SSEParser` implements the "Interpreting an event stream" rules of the HTML Living Standard
  (§9.2.6): lines end with CRLF, LF or CR; a leading U+FEFF is dropped; `:` starts a comment; the
  first `:` splits field and value and one leading space of the value is dropped; `data` appends the
  value and LF; `id` sets the last event ID unless it contains NUL; `retry` of ASCII digits only sets
  the reconnection time; a blank line dispatches (not when the data buffer is empty), with the last
  LF of the data removed and the type `message` when none was given. On top of what a browser
  exposes it records, per event, the fields its own block carried (`id_field`, `retry_field`,
  `event_field`) and the raw bytes of the block, and it records comments and the order of
  everything, so tests can check what Herald wrote and not only what a page would see.
- `SSEStream`: one subscriber (its own socket, optional source address and receive buffer size),
  with deadlines on every read.
- `MassReader`: many subscribers read by one `selectors` loop; each stream's events are handed to a
  callback, so memory stays small however many events arrive.
- `Publisher`: a keep-alive connection to the publish listener (reconnects when Herald closed it).

Everything talks to 127.0.0.1 only; every wait has a deadline.
"""

import json
import re
import selectors
import socket
import time
import urllib.parse

import httpwire

BOM = b"\xef\xbb\xbf"
SSE_HEADERS = {"content-type": "text/event-stream", "cache-control": "no-cache",
               "x-accel-buffering": "no"}


# ------------------------------------------------------------------------------------ parsing


class SSEError(AssertionError):
    """What Herald sent is not a valid event stream (invalid UTF-8, ...)."""


class Event:
    """One dispatched event, as a browser's MessageEvent would see it, plus what its block carried."""

    __slots__ = ("type", "data", "id", "id_field", "event_field", "retry_field", "data_lines", "raw")

    def __init__(self, type, data, id, id_field, event_field, retry_field, data_lines, raw):
        self.type = type                # event type ("message" when the block had no event field)
        self.data = data                # data with the final LF removed
        self.id = id                    # the stream's last event ID after this event (WHATWG)
        self.id_field = id_field        # the id given in this very block, or None
        self.event_field = event_field  # the event field of this block, or None
        self.retry_field = retry_field  # the retry value of this block (int), or None
        self.data_lines = data_lines    # how many data fields the block had
        self.raw = raw                  # bytes of the block (lines as received, blank line included)

    def __repr__(self):
        return "<Event type=%r id=%r data=%r>" % (self.type, self.id, self.data if len(self.data) < 200
                                                   else self.data[:200] + "...")


class Comment:
    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return "<Comment %r>" % (self.text if len(self.text) < 80 else self.text[:80] + "...")


class SSEParser:
    """Incremental WHATWG event-stream parser over bytes. feed(bytes) returns the new items
    (Event and Comment objects, and ("retry", ms) tuples for retry fields), in stream order."""

    def __init__(self, keep_raw=True):
        self.keep_raw = keep_raw
        self.pending = b""           # bytes of an incomplete line
        self.started = False         # the BOM check is done
        self.last_event_id = ""
        self.reconnection_time = None
        self.received = 0
        self._reset_block()

    def _reset_block(self):
        self.data = []
        self.event_type = ""
        self.block_id = None
        self.block_retry = None
        self.raw = [] if self.keep_raw else None

    def feed(self, chunk):
        self.received += len(chunk)
        buf = self.pending + chunk if self.pending else chunk
        if not self.started:
            if len(buf) < 3 and BOM.startswith(buf):
                self.pending = buf
                return []
            self.started = True
            if buf.startswith(BOM):
                buf = buf[3:]
        # Complete lines only; a CR at the very end may be the first half of a CRLF, so it waits.
        cut = max(buf.rfind(b"\n"), buf.rfind(b"\r", 0, len(buf) - 1))
        if cut < 0:
            self.pending = buf
            return []
        self.pending = buf[cut + 1:]
        complete = buf[:cut + 1]
        out = []
        if self.keep_raw:
            for line in complete.splitlines(keepends=True):  # bytes: exactly CRLF, LF and CR
                self.raw.append(line)
                self._line(_strip_eol(line), out)
            return out
        # Fast path (no raw bytes kept): decode once, split once (line ends are ASCII, so a UTF-8
        # sequence is never cut).
        try:
            text = complete.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SSEError("invalid UTF-8 in the event stream: %r (%s)" % (complete[:200], e)) from None
        lines = _LINE_END.split(text) if "\r" in text else text.split("\n")
        lines.pop()  # the empty string after the final line end
        for line in lines:
            if not line:
                if self.data:
                    self._dispatch(out)
                else:
                    self._reset_block()
            elif line[0] == ":":
                out.append(Comment(line[1:]))
            elif line.startswith("data: "):
                self.data.append(line[6:])
            elif line.startswith("id: ") and "\0" not in line:
                self.block_id = self.last_event_id = line[4:]
            else:
                self._field(line, out)
        return out

    def finish(self):
        """At end of stream: a pending CR ends its line; an incomplete block is discarded (WHATWG)."""
        out = []
        if self.pending.endswith(b"\r"):
            line, self.pending = self.pending, b""
            if self.keep_raw:
                self.raw.append(line)
            self._line(line[:-1], out)
        return out

    def _line(self, body, out):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SSEError("invalid UTF-8 in the event stream: %r (%s)" % (body[:200], e)) from None
        if not text:
            self._dispatch(out)
        elif text[0] == ":":
            out.append(Comment(text[1:]))
            if self.keep_raw:
                self.raw.pop()
        else:
            self._field(text, out)

    def _field(self, text, out):
        name, colon, value = text.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self.event_type = value
        elif name == "data":
            self.data.append(value)
        elif name == "id":
            if "\0" not in value:
                self.block_id = value
                self.last_event_id = value
        elif name == "retry":
            if value and all("0" <= c <= "9" for c in value):
                self.reconnection_time = int(value)
                self.block_retry = int(value)
                out.append(("retry", int(value)))
        # any other field is ignored

    def _dispatch(self, out):
        raw = b"".join(self.raw) if self.keep_raw else None
        if self.data:
            out.append(Event(self.event_type or "message", "\n".join(self.data), self.last_event_id,
                             self.block_id, self.event_type or None, self.block_retry, len(self.data), raw))
        self._reset_block()


_LINE_END = re.compile("\r\n|\r|\n")


def _strip_eol(line):
    if line.endswith(b"\r\n"):
        return line[:-2]
    if line.endswith((b"\n", b"\r")):
        return line[:-1]
    return line


def parse_all(data):
    """Every item of a complete byte string."""
    parser = SSEParser()
    return parser.feed(data) + parser.finish()


# -------------------------------------------------------------------------------- subscribing


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


# --------------------------------------------------------------------------------- publishing


class Publisher:
    """Requests to the publish listener over one keep-alive connection (reopened when closed)."""

    def __init__(self, port, token=None, timeout=10.0):
        self.port = port
        self.token = token
        self.timeout = timeout
        self.conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    def request(self, method, target, body=b"", headers=(), token=None):
        headers = list(headers)
        token = self.token if token is None else token
        if token:
            headers.append(("Authorization", "Bearer " + token))
        if body and not any(h[0].lower() == "content-type" for h in headers):
            headers.append(("Content-Type", "text/plain; charset=utf-8"))
        if not body and method == "POST" and not any(h[0].lower() == "content-length" for h in headers):
            headers.append(("Content-Length", "0"))
        if self.conn is None or self.conn.eof:
            self.close()
            self.conn = httpwire.Connection(self.port, timeout=self.timeout)
        response = self.conn.request(method, target, headers, body, self.timeout)
        if any(t == "close" for t in response.tokens("connection")) or self.conn.eof:
            self.close()
        return response

    def publish(self, channel, data="", event=None, id=None, retry=None, expect=202, **kw):
        """POST /publish/<channel>?event=&id=&retry= with `data` as the body; returns the parsed JSON
        result (expect=202) or the response (any other expect)."""
        params = [(k, v) for k, v in (("event", event), ("id", id), ("retry", retry)) if v is not None]
        target = "/publish/" + channel
        if params:
            target += "?" + "&".join("%s=%s" % (k, urllib.parse.quote(str(v), safe="")) for k, v in params)
        body = data.encode("utf-8") if isinstance(data, str) else data
        response = self.request("POST", target, body, **kw)
        return _expect(response, expect)

    def publish_json(self, value, expect=202, raw=None, **kw):
        """POST /publish with a JSON body (or `raw` bytes as the body)."""
        body = raw if raw is not None else json.dumps(value).encode("utf-8")
        headers = list(kw.pop("headers", [("Content-Type", "application/json")]))
        response = self.request("POST", "/publish", body, headers=headers, **kw)
        return _expect(response, expect)

    def channel(self, channel, expect=200):
        return _expect(self.request("GET", "/channels/" + channel), expect)

    def delete(self, channel, expect=202):
        return _expect(self.request("DELETE", "/channels/" + channel), expect)

    def subscribers(self, channel):
        return self.channel(channel)["subscribers"]

    def metrics(self):
        response = self.request("GET", "/metrics")
        assert response.status == 200, response
        return parse_metrics(response.text), response


def _expect(response, expect):
    assert response.status == expect, "expected %s, got %r" % (expect, response)
    if expect in (200, 202):
        assert response.header("content-type", "").startswith("application/json"), response
        return response.json()
    return response


# -------------------------------------------------------------------------------------- metrics


def parse_metrics(text):
    """Prometheus text format → {"types": {family: type}, "samples": [(name, labels dict, value)]}."""
    types, samples = {}, []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 4 and parts[1] == "TYPE":
                types[parts[2]] = parts[3].strip()
            continue
        if "{" in line:
            name, _, rest = line.partition("{")
            label_text, _, value_text = rest.rpartition("}")
            labels = {}
            for part in _split_labels(label_text):
                k, _, v = part.partition("=")
                labels[k.strip()] = json.loads(v.strip())
        else:
            name, _, value_text = line.partition(" ")
            labels = {}
        value_text = value_text.strip().split()[0]
        samples.append((name.strip(), labels, float(value_text)))
    return {"types": types, "samples": samples}


def _split_labels(text):
    parts, current, quoted, escaped = [], "", False, False
    for c in text:
        if escaped:
            current += c
            escaped = False
        elif c == "\\":
            current += c
            escaped = True
        elif c == '"':
            current += c
            quoted = not quoted
        elif c == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += c
    if current.strip():
        parts.append(current)
    return parts


def metric(metrics, name, **labels):
    """Sum of the samples named `name` whose labels include `labels` (None when there is none)."""
    found = [v for n, ls, v in metrics["samples"] if n == name and all(ls.get(k) == v for k, v in labels.items())]
    return sum(found) if found else None
