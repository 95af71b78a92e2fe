"""client.js's worker against a scripted stream: the parts of the SSE parsing rules and of the
reconnect policy that Herald's own output never exercises (CR and CRLF line ends split across
reads, a BOM, comments, `data` with no colon, an id holding NUL, an event cut off by the end of the
stream, 503 and 404 answers, a reset with an empty id), in the shared worker and, without one, in
the page (the same reader).

The page, client.js (with the config line Herald prepends) and the stream are all served by one
small server here, so the worker reads exactly the bytes written below, in separate TCP writes.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stack import REPO, wait_for

CLIENT_JS = (REPO / "Sources" / "HeraldServer" / "client.js").read_bytes()
CONFIG_LINE = b'const HERALD_CONFIG = {"heartbeatMs":15000,"path":"/events","resetEvent":"herald-reset"};\n'
PIECE_GAP_S = 0.05  # between writes, so the browser reads them as separate chunks

PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wire</title></head><body>
<script src="/events/client.js"></script>
<script>
  window.got = [];
  window.errors = [];
  function record(e) { window.got.push([e.channel, e.type, e.data, e.id]); }
  HeraldEvents.subscribe('a', record, { onError: function (e) { window.errors.push(['a', e.status]); } });
  HeraldEvents.subscribe('b', record, { events: ['custom'] });
</script>
</body></html>
"""

# What each connection to /events?channel=a&channel=b gets, in order: a status, then pieces of body.
CONNECTIONS = [
    (200, [
        b"\xef\xbb\xbfretry: 300\r\n: a comment\r\n\r\n",
        b"id: 1\r\nevent: a\r\nchannel: a\r\ndata: first\r",  # the CR of a CRLF ends this read ...
        b"\ndata: line two\r\n\r\n",                          # ... its LF starts the next
        b"id: 2\nevent: custom\nchannel: b\ndata:no space\n\n",
        b"id: 3\revent: unwanted\rchannel: a\rdata\r\r",       # CR only; a type nobody asked for
        b"id: 4\nevent: custom\nchannel: a\ndata: custom, but a did not ask for it\n\n",
        b"id: 5\x00\nevent: b\nchannel: b\ndata: an id with NUL is ignored\n\n",
        b"id: 9\ndata: cut off by the end of the stream",
    ]),
    (200, [
        b"id: 6\nevent: a\nchannel: a\ndata: after the reconnect\n\n",
        b"id: 7\nevent: herald-reset\ndata: \n\n",  # no channel line: for every subscription
    ]),
    (503, [b"busy"]),
    (404, [b"gone"]),
]


class ScriptedServer:
    """Serves the page, client.js after `config_line`, and `connections` in turn; a connection's
    body ends (the connection closes) after its last piece and `hold_s` more seconds."""

    def __init__(self, connections=CONNECTIONS, config_line=CONFIG_LINE, hold_s=0.0):
        self.requests = []  # (path, Last-Event-ID, monotonic time) of each stream request
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/":
                    self.reply(200, "text/html; charset=utf-8", [PAGE])
                elif self.path == "/events/client.js":
                    self.reply(200, "text/javascript; charset=utf-8", [config_line + CLIENT_JS])
                elif self.path.startswith("/events?"):
                    owner.requests.append((self.path, self.headers.get("Last-Event-ID"), time.monotonic()))
                    index = len(owner.requests) - 1
                    status, pieces = connections[index] if index < len(connections) else (404, [b"gone"])
                    self.reply(status, "text/event-stream" if status == 200 else "text/plain", pieces)
                    if status == 200:
                        time.sleep(hold_s)
                else:
                    self.reply(404, "text/plain", [b"not found"])

            def reply(self, status, content_type, pieces):
                # HTTP/1.0 without Content-Length: the body ends when the connection closes.
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                for piece in pieces:
                    self.wfile.write(piece)
                    self.wfile.flush()
                    if len(pieces) > 1:
                        time.sleep(PIECE_GAP_S)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


TRANSPORTS = ["shared-worker", "page"]


def open_page(browser, url, transport):
    """The scripted page, with client.js's worker or (SharedWorker removed first) without it."""
    if transport == "page":
        browser.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                       {"source": "delete window.SharedWorker;"})
    browser.open(url)
    assert browser.run("return HeraldEvents.transport;") == transport


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_stream_is_parsed_resumed_with_its_last_id_and_stopped_by_a_4xx(browser, transport):
    server = ScriptedServer()
    try:
        open_page(browser, server.url + "/", transport)
        wait_for(lambda: browser.run("return window.errors;") == [["a", 404]], timeout=20,
                 message="client.js giving up on a 404, after the two streams and the 503")
        got = browser.run("return window.got;")
    finally:
        server.stop()

    assert got == [
        ["a", "message", "first\nline two", "1"],
        ["b", "custom", "no space", "2"],
        ["b", "message", "an id with NUL is ignored", "4"],
        ["a", "message", "after the reconnect", "6"],
        ["a", "herald-reset", "", "7"],
        ["b", "herald-reset", "", "7"],
    ]
    paths = [path for path, _, _ in server.requests]
    assert paths == ["/events?channel=a&channel=b"] * 4  # and none after the 404
    assert [last_id for _, last_id, _ in server.requests] == [None, "4", "7", "7"]
    times = [at for _, _, at in server.requests]
    # retry: 300 after a stream that ended; at least 1 s of backoff after the 503.
    assert 0.25 <= times[2] - times[1] < 3
    assert times[3] - times[2] >= 0.95
    time.sleep(0.5)
    assert len(server.requests) == 4


def test_the_worker_reopens_a_stream_silent_for_three_heartbeats(browser):
    """A proxy or NAT that drops a stream without closing it leaves the worker waiting forever:
    Herald writes at least a comment every heartbeat, so silence for three of them means the
    stream is gone. Here the first stream goes silent (held open, nothing written) after one
    event; with heartbeats of 300 ms the worker must reopen it, with that event's id, long before
    the server would close it (10 s)."""
    silent_then_live = [
        (200, [b"retry: 100\n\nid: 1\nevent: a\nchannel: a\ndata: before the silence\n\n"]),
        (200, [b"id: 2\nevent: a\nchannel: a\ndata: after the reopen\n\n"]),
    ]
    config = b'const HERALD_CONFIG = {"heartbeatMs":300,"path":"/events","resetEvent":"herald-reset"};\n'
    server = ScriptedServer(silent_then_live, config, hold_s=10.0)
    try:
        browser.open(server.url + "/")
        wait_for(lambda: [g[2] for g in browser.run("return window.got;")] == ["before the silence", "after the reopen"],
                 timeout=8, message="the event of the reopened stream")
    finally:
        server.stop()
    assert [last_id for _, last_id, _ in server.requests[:2]] == [None, "1"]
    silence = server.requests[1][2] - server.requests[0][2]
    assert 0.8 <= silence < 5, "reopened after %.2f s of silence (3 heartbeats of 0.3 s, checked each heartbeat)" % silence


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_reset_with_an_empty_id_clears_the_last_event_id(browser, transport):
    """Herald's reset after a restart with an empty history carries `id:` with no value: per the
    WHATWG rules the last event id becomes empty, so the next connect sends no Last-Event-ID (the
    stale id would earn another reset), and the stream goes on with live events."""
    reset_then_live = [
        (200, [b"retry: 100\n\nid: old-7\nevent: a\nchannel: a\ndata: before\n\n"]),
        (200, [b"event: herald-reset\nid:\ndata: \n\n"]),  # the new Herald, history empty
        (200, [b"id: new-1\nevent: a\nchannel: a\ndata: live\n\n"]),
        (404, [b"gone"]),
    ]
    server = ScriptedServer(reset_then_live)
    try:
        open_page(browser, server.url + "/", transport)
        wait_for(lambda: browser.run("return window.errors;") == [["a", 404]], timeout=20,
                 message="client.js stopping on the 404 after the three streams")
        got = browser.run("return window.got;")
    finally:
        server.stop()
    assert got == [
        ["a", "message", "before", "old-7"],
        ["a", "herald-reset", "", ""],
        ["b", "herald-reset", "", ""],
        ["a", "message", "live", "new-1"],
    ]
    assert [last_id for _, last_id, _ in server.requests] == [None, "old-7", None, "new-1"]
