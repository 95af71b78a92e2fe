"""What the Redis-mode tests do to a cluster of Heralds: `PublishRun` (a thread publishing numbered
events to one instance, each retried on 503 with the same id until stored), `Collector` (a thread
reading one subscriber), `assert_one_order` (every subscriber got exactly the acknowledged events,
once, in one order, with the acknowledged ids). The Redis servers themselves: redis_server.py.

Every wait has a deadline.
"""

import collections
import threading
import time
import urllib.parse

import publishing
import sse
import sse_parse

RETRY_PAUSE_S = 0.05        # between a 503 and the retry: Herald reconnects within reconnect_max
IDLE_REOPEN_S = 4.0         # a keep-alive connection idle this long is reopened: the suite's idle_timeout is 5 s
READ_SLICE_S = 0.2          # a collector looks at its stop flag this often


def retry_after_seconds(response):
    """The Retry-After of a 503, asserted to be whole seconds (RFC 9110 delay-seconds), at least 1."""
    value = response.header("retry-after")
    assert value is not None and value.isdigit() and int(value) >= 1, \
        "a 503 for Redis away needs Retry-After: <seconds ≥ 1>, got %r" % response
    return int(value)


def publish_target(channel, id=None):
    return "/publish/" + channel + ("" if id is None else "?id=" + urllib.parse.quote(id, safe=""))


def publish_stored(pub, channel, data, id=None, timeout=30.0, refused=None):
    """POST /publish/<channel> until Herald answers 202: a 503 (Redis away) must carry Retry-After and
    is retried with the same id. Returns the JSON result; each 503 is appended to `refused`. A
    connection left idle for IDLE_REOPEN_S is reopened first (no request is ever sent twice)."""
    deadline = time.monotonic() + timeout
    while True:
        if time.monotonic() - getattr(pub, "last_used", 0.0) > IDLE_REOPEN_S:
            pub.close()  # Herald may be closing it for idleness: a request sent now could meet the close
        response = pub.request("POST", publish_target(channel, id), data.encode("utf-8"))
        pub.last_used = time.monotonic()
        if response.status == 202:
            return response.json()
        assert response.status == 503, "publish %r to %s: expected 202 or 503, got %r" % (data, channel, response)
        retry_after_seconds(response)
        if refused is not None:
            refused.append(data)
        assert time.monotonic() < deadline, "publish %r not stored within %ss (503s)" % (data, timeout)
        time.sleep(RETRY_PAUSE_S)


class PublishRun(threading.Thread):
    """Publishes `count` events named "<name>-<n>" to one instance (or to several in turn), one after
    another, each retried until stored. `channel` is a name or a function of n; with own_ids the
    data is the id too (an even n's id has a space, a slash and a non-ASCII letter).
    `.acked`: (data, id, duplicate) in acknowledgement order; `.refused`: the 503s met."""

    def __init__(self, port, name, channel, count, own_ids=True, pace_s=0.0):
        super().__init__(daemon=True, name="publish-" + name)
        self.ports = list(port) if isinstance(port, (list, tuple)) else [port]  # several: taken in turn
        self.prefix, self.channel, self.count = name, channel, count
        self.own_ids, self.pace_s = own_ids, pace_s
        self.acked, self.refused, self.error = [], [], None

    def channel_of(self, n):
        return self.channel(n) if callable(self.channel) else self.channel

    def run(self):
        pubs = [publishing.Publisher(port, timeout=30.0) for port in self.ports]
        try:
            for n in range(self.count):
                data = "%s-%d" % (self.prefix, n)
                own = (("%s/evt %d ✓" if n % 2 == 0 else "%s:%d") % (self.prefix, n)) if self.own_ids else None
                result = publish_stored(pubs[n % len(pubs)], self.channel_of(n), data, own,
                                        timeout=60.0, refused=self.refused)
                assert own is None or result["id"] == own, result
                self.acked.append((data, result["id"], bool(result.get("duplicate"))))
                if self.pace_s:
                    time.sleep(self.pace_s)
        except BaseException as e:  # reported by finish()
            self.error = e
        finally:
            for pub in pubs:
                pub.close()

    def finish(self, timeout):
        self.join(timeout)
        assert not self.is_alive(), "%s: %d of %d published after %ss" % (self.name, len(self.acked),
                                                                         self.count, timeout)
        if self.error is not None:
            raise AssertionError("%s failed after %d publishes: %r" % (self.name, len(self.acked), self.error))


class Collector:
    """Reads one subscriber stream in a thread of its own: every event in order, and the comments
    (heartbeats) counted, until close(). `channels` names what the stream subscribed to."""

    def __init__(self, stream, name, channels):
        self.stream, self.name = stream, name
        self.channels = [channels] if isinstance(channels, str) else list(channels)
        self.events, self.comments, self.error = [], 0, None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="read-" + name)
        self._thread.start()

    @classmethod
    def subscribe(cls, herald, channels, name, header_id=None):
        """Opens a stream on `herald` (200 and preamble asserted) and starts reading it."""
        stream = sse.subscribe(herald.public_port, channels, header_id=header_id, timeout=10.0)
        return cls(stream, name, channels)

    def _run(self):
        while not self._stop.is_set():
            try:
                item = self.stream.next_item(READ_SLICE_S)
            except TimeoutError:
                continue
            except BaseException as e:
                self.error = e
                return
            with self._lock:
                if isinstance(item, sse_parse.Event):
                    self.events.append(item)
                elif isinstance(item, sse_parse.Comment):
                    self.comments += 1

    def channel_of(self, event):
        """A one-channel stream's events are `message`s; a several-channel one names the channel."""
        return self.channels[0] if len(self.channels) == 1 else event.type

    def snapshot(self):
        with self._lock:
            return list(self.events)

    def _check(self):
        assert self.error is None, "%s: the stream failed: %r (events so far: %d)" % (
            self.name, self.error, len(self.events))

    def wait(self, condition, timeout, what):
        """Waits until condition(events) is true; returns the events."""
        deadline = time.monotonic() + timeout
        while True:
            self._check()
            events = self.snapshot()
            if condition(events):
                return events
            if time.monotonic() >= deadline:
                tail = events[-5:]
                raise AssertionError("%s: %s not within %ss (%d events, last %r, %d comments)"
                                     % (self.name, what, timeout, len(events), tail, self.comments))
            time.sleep(0.02)

    def wait_data(self, data, timeout=10.0):
        """Waits for the event with `data`; returns the events up to it (excluded)."""
        events = self.wait(lambda es: any(e.data == data for e in es), timeout, "event %r" % data)
        return events[:[e.data for e in events].index(data)]

    def wait_comments(self, more, timeout):
        start = self.comments
        deadline = time.monotonic() + timeout
        while self.comments < start + more:
            self._check()
            assert time.monotonic() < deadline, "%s: no heartbeat within %ss" % (self.name, timeout)
            time.sleep(0.05)

    def close(self):
        self._stop.set()
        self._thread.join(2 * READ_SLICE_S + 1)
        self.stream.close()


def assert_one_order(collectors, runs, marker, skip=lambda event: False):
    """Every collector got, before `marker`, exactly the events `runs` had acknowledged: each once,
    each run's in its publishing order, with the id its 202 named; and all got them in the same
    order. Events for which skip(event) is true (warm-ups) are left out. Returns the sequence."""
    expected = {data: event_id for run in runs for data, event_id, _ in run.acked}
    sequences = []
    for c in collectors:
        sequence = [(e.data, e.id) for e in c.wait_data(marker, timeout=30.0) if not skip(e)]
        datas = [d for d, _ in sequence]
        twice = sorted(d for d, n in collections.Counter(datas).items() if n > 1)
        assert not twice, "%s got %d events twice, e.g. %r" % (c.name, len(twice), twice[:10])
        missing = sorted(set(expected) - set(datas))
        assert not missing, "%s: %d acknowledged events never arrived, e.g. %r" % (c.name, len(missing), missing[:10])
        unexpected = sorted(set(datas) - set(expected))
        assert not unexpected, "%s got events nobody had acknowledged: %r" % (c.name, unexpected[:10])
        wrong = [(d, i, expected[d]) for d, i in sequence if i != expected[d]]
        assert not wrong, "%s: ids differ from the 202s' (data, got, acknowledged): %r" % (c.name, wrong[:5])
        for run in runs:
            mine = [d for d, _, _ in run.acked]
            mine_set = set(mine)
            got = [d for d in datas if d in mine_set]
            assert got == mine, "%s got %s's events out of publishing order: first wrong at %d: %r, published %r" % (
                c.name, run.name, next(i for i, (x, y) in enumerate(zip(got, mine)) if x != y),
                [x for x, y in zip(got, mine) if x != y][:3], [y for x, y in zip(got, mine) if x != y][:3])
        sequences.append((c.name, sequence))
    first_name, reference = sequences[0]
    for name, sequence in sequences[1:]:
        if sequence != reference:
            at = next(i for i, (x, y) in enumerate(zip(sequence, reference)) if x != y)
            raise AssertionError("%s and %s got the events in different orders, from event %d: %r vs %r" % (
                name, first_name, at, sequence[at:at + 3], reference[at:at + 3]))
    return reference
