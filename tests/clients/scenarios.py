"""The scripted streams of the client compatibility suite, shared by the Chromium test
(tests/browser/test_client_compat_chromium.py) and the others (tests/e2e/test_client_compat.py).

A scenario is a function `(hub, client)` that starts the client on a stream, publishes on Herald's
publish listener, ends with an event of type STOP, and returns the exact sequence of
(type, data, id) the client must report: nothing more and nothing less. `client` is an adapter
with `start(target, last_event_id=None, types=())`: `target` is the stream's path and query,
`last_event_id` the id to resume from (the Last-Event-ID header, or `?lastEventId=` for a client
that cannot send headers), and `types` the event types a listener must be added for (clients that,
like a page, hear only the types they listen to); and `alive()`, which raises once the client has
given up (so a wait for its subscription fails at once). Each scenario's `events` holds the
[events] settings its Herald needs, and `timeout_s` how long its client may take.
"""

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

STOP = "client-stop"  # the type that ends a client's run (not reported)
RESET = "herald-reset"
HTTP_TIMEOUT_S = 5
SUBSCRIBE_TIMEOUT_S = 10
HEARTBEAT_S = 1  # the shortest events.heartbeat Herald accepts
HEARTBEAT_TIMEOUT_S = 15


class Hub:
    """Herald's publish listener (urllib, so both suites can use it) and a heartbeat watcher on
    its public listener."""

    def __init__(self, public_port, publish_port):
        self.public_port = public_port
        self.publish_url = "http://127.0.0.1:%d" % publish_port

    def _call(self, method, path, body=None):
        request = urllib.request.Request(self.publish_url + path, data=body, method=method,
                                         headers={"Content-Type": "application/json"} if body else {})
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def publish(self, channel, data, event=None, id=None):
        """POST /publish with a JSON body; returns the event's id (Herald's when none is given)."""
        payload = {"channel": channel, "data": data}
        if event is not None:
            payload["event"] = event
        if id is not None:
            payload["id"] = id
        status, body = self._call("POST", "/publish", json.dumps(payload).encode())
        assert status == 202, "publish of %r answered %s: %r" % (payload, status, body)
        (result,) = json.loads(body)
        return result["id"]

    def stop(self, channel):
        self.publish(channel, "stop", event=STOP)

    def subscribers(self, channel):
        status, body = self._call("GET", "/channels/" + channel)
        if status == 404:
            return 0
        assert status == 200, "GET /channels/%s answered %s: %r" % (channel, status, body)
        return json.loads(body)["subscribers"]

    def wait_subscribed(self, channel, alive=lambda: None):
        """Waits until the client holds a stream on `channel`; `alive()` may raise when the client
        has already given up."""
        deadline = time.monotonic() + SUBSCRIBE_TIMEOUT_S
        while self.subscribers(channel) < 1:
            alive()
            assert time.monotonic() < deadline, "the client did not subscribe to %s within %ss" % (
                channel, SUBSCRIBE_TIMEOUT_S)
            time.sleep(0.05)

    def heartbeats(self, count):
        """Returns once a stream of its own has received `count` heartbeats (the comments after the
        opening `:herald:` one; the watcher's channel gets no events). Every loop ticks at the same
        period, so meanwhile the client's stream, idle, has had at least `count` - 2 heartbeats
        (its loop's first tick may come before, and one is skipped after it was written to)."""
        with socket.create_connection(("127.0.0.1", self.public_port), timeout=HTTP_TIMEOUT_S) as sock:
            sock.sendall(b"GET /events/heartbeat-watch HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            deadline = time.monotonic() + HEARTBEAT_TIMEOUT_S
            received, seen = b"", 0
            while seen < count:
                remaining = deadline - time.monotonic()
                assert remaining > 0, "%d heartbeats not seen within %ss (%d)" % (
                    count, HEARTBEAT_TIMEOUT_S, seen)
                sock.settimeout(remaining)
                chunk = sock.recv(4096)
                assert chunk, "Herald closed the heartbeat watcher's stream"
                received += chunk
                lines = received.partition(b"\r\n\r\n")[2].replace(b"\r", b"\n").split(b"\n")
                seen = sum(1 for line in lines if line.startswith(b":") and not line.startswith(b":herald:"))


def scenario(timeout_s=10, **events):
    """Marks a function as a scenario whose Herald needs the given [events] settings, and in which
    a client may take up to `timeout_s` seconds."""
    def mark(function):
        function.events = events
        function.timeout_s = timeout_s
        return function
    return mark


@scenario(timeout_s=30, heartbeat="%ds" % HEARTBEAT_S)
def heartbeats(hub, client):
    """Events with several idle heartbeats after each: the heartbeats are not events."""
    client.start("/events/beat")
    hub.wait_subscribed("beat", client.alive)
    first = hub.publish("beat", "before the heartbeats")
    hub.heartbeats(4)
    second = hub.publish("beat", "after the heartbeats")
    hub.heartbeats(4)
    hub.stop("beat")
    return [("message", "before the heartbeats", first), ("message", "after the heartbeats", second)]


@scenario()
def multi_line_data(hub, client):
    """Data with CR, LF and CRLF line breaks, and an empty line inside: each break arrives as LF."""
    client.start("/events/lines")
    hub.wait_subscribed("lines", client.alive)
    mixed = hub.publish("lines", "one\rtwo\nthree\r\nfour")
    blank = hub.publish("lines", "first\n\nthird")
    crlf = hub.publish("lines", "a\r\n\r\nb\r\rc")
    hub.stop("lines")
    return [("message", "one\ntwo\nthree\nfour", mixed), ("message", "first\n\nthird", blank),
            ("message", "a\n\nb\n\nc", crlf)]


@scenario()
def utf8(hub, client):
    """Non-ASCII data and type, and a long run of 4-byte characters that crosses the client's reads."""
    text = "Grüße, señor — 日本語 ✓ 😀🎉"
    long_text = "😀" * 3000
    client.start("/events/unicode", types=["größe"])
    hub.wait_subscribed("unicode", client.alive)
    first = hub.publish("unicode", text)
    typed = hub.publish("unicode", "ünïcödé", event="größe")
    long = hub.publish("unicode", long_text)
    hub.stop("unicode")
    return [("message", text, first), ("größe", "ünïcödé", typed), ("message", long_text, long)]


@scenario()
def id_less_publish(hub, client):
    """A publish without an id after one with its own: the client reports the id Herald assigned,
    not the previous one."""
    client.start("/events/orders")
    hub.wait_subscribed("orders", client.alive)
    own = hub.publish("orders", "with its own id", id="order-7")
    assigned = hub.publish("orders", "without an id")
    assert assigned and assigned != own, "Herald assigned no new id: %r" % assigned
    hub.stop("orders")
    return [("message", "with its own id", "order-7"), ("message", "without an id", assigned)]


@scenario()
def event_type(hub, client):
    """A typed event, then an untyped one (the type does not stick: it is `message` again)."""
    client.start("/events/shop", types=["order.created"])
    hub.wait_subscribed("shop", client.alive)
    typed = hub.publish("shop", "order 42", event="order.created")
    plain = hub.publish("shop", "plain again")
    hub.stop("shop")
    return [("order.created", "order 42", typed), ("message", "plain again", plain)]


@scenario()
def several_channels(hub, client):
    """One stream on two channels: an untyped event arrives with its channel as type, a typed one
    with its own type."""
    client.start("/events?channel=north&channel=south", types=["north", "south", "custom"])
    hub.wait_subscribed("north", client.alive)
    hub.wait_subscribed("south", client.alive)
    north = hub.publish("north", "from the north")
    south = hub.publish("south", "from the south")
    custom = hub.publish("north", "typed", event="custom")
    hub.stop("south")
    return [("north", "from the north", north), ("south", "from the south", south),
            ("custom", "typed", custom)]


@scenario()
def resume(hub, client):
    """A client started with the id of event k gets exactly the events after it, then live ones."""
    held = [(hub.publish("story", "chapter %d" % n), "chapter %d" % n) for n in range(1, 6)]
    client.start("/events/story", last_event_id=held[1][0])
    hub.wait_subscribed("story", client.alive)
    live = hub.publish("story", "live after the replay")
    hub.stop("story")
    return [("message", data, id) for id, data in held[2:]] + [("message", "live after the replay", live)]


@scenario()
def reset(hub, client):
    """An id Herald does not hold: one reset, carrying the newest held id (where the stream goes on
    from), then live events."""
    held = [hub.publish("ledger", "entry %d" % n) for n in range(1, 3)]
    client.start("/events/ledger", last_event_id="no-such-id", types=[RESET])
    hub.wait_subscribed("ledger", client.alive)
    live = hub.publish("ledger", "live after the reset")
    hub.stop("ledger")
    return [(RESET, reset_data("no-such-id"), held[-1]), ("message", "live after the reset", live)]


@scenario()
def reset_without_history(hub, client):
    """An id on a channel with no history: the reset carries an empty id, so the client's stale id
    is dropped."""
    client.start("/events/fresh", last_event_id="gone-1", types=[RESET])
    hub.wait_subscribed("fresh", client.alive)
    live = hub.publish("fresh", "live after the reset")
    hub.stop("fresh")
    return [(RESET, reset_data("gone-1"), ""), ("message", "live after the reset", live)]


def reset_data(last_event_id):
    """The reset event's data, as Herald writes it: compact JSON naming the id it did not hold."""
    return json.dumps({"lastEventId": last_event_id}, separators=(",", ":"))


ALL = [heartbeats, multi_line_data, utf8, id_less_publish, event_type, several_channels, resume,
       reset, reset_without_history]


def with_last_event_id_query(target, last_event_id):
    """`target` with `lastEventId=` added to its query, for clients that cannot send the header."""
    if last_event_id is None:
        return target
    separator = "&" if "?" in target else "?"
    return target + separator + "lastEventId=" + urllib.parse.quote(last_event_id, safe="")
