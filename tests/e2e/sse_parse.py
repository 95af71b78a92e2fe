"""A WHATWG event-stream parser for the SSE tests: what Herald wrote, item by item.

`SSEParser` implements the "Interpreting an event stream" rules of the HTML Living Standard
(§9.2.6): lines end with CRLF, LF or CR; a leading U+FEFF is dropped; `:` starts a comment; the
first `:` splits field and value and one leading space of the value is dropped; `data` appends the
value and LF; `id` sets the last event ID unless it contains NUL; `retry` of ASCII digits only sets
the reconnection time; a blank line dispatches (not when the data buffer is empty), with the last
LF of the data removed and the type `message` when none was given. On top of what a browser
exposes it records, per event, the fields its own block carried (`id_field`, `retry_field`,
`event_field`) and the raw bytes of the block, and it records comments and the order of
everything, so tests can check what Herald wrote and not only what a page would see.
"""

import re

BOM = b"\xef\xbb\xbf"


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
