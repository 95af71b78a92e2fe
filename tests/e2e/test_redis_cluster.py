"""Issue 18: several Heralds on one Redis behave as one. A publish to any instance reaches the
subscribers of every instance, in one order, with the same ids; a browser that moves to another
instance with its Last-Event-ID misses nothing and gets nothing twice; a publisher's id is a
duplicate on every instance once one has stored it, and a 202 means Redis holds the event; with
`urls` the channels spread over several Redis servers. The faults (Redis killed, down, paused,
back without its data) are in test_redis_faults.py.

Three real `herald` processes (a, b, c) and real redis-servers (tests/e2e/redis_server.py) on free
loopback ports. A subscriber's starting point is made exact: either it resumes from an event
published before it opened (Last-Event-ID), or warm-up events are published until it has seen one,
so no assertion depends on how soon an instance starts following a channel.
"""

import re
import time

import pytest

import publishing
import sse
from cluster_clients import Collector, PublishRun, assert_one_order, publish_stored
from sse import assert_next_is

HERALD_ID = re.compile(r"^([0-9a-z]+)-([0-9]+)$")   # <epoch>-<g>, REDIS_PLAN.md "Data model"
HISTORY = {"history_size": 5000}                    # holds every event a test publishes
RUN_TIMEOUT_S = 60                                  # a few hundred publishes through Redis, 2 shared cores
WARM_UP_TIMEOUT_S = 15


def warm_up(pub, channels, collectors):
    """Publishes a "warm-up" event to each channel until every collector has one from each of its
    channels: every instance then follows them, and everything published later reaches every one."""
    deadline = time.monotonic() + WARM_UP_TIMEOUT_S
    n = 0
    while True:
        for channel in channels:
            publish_stored(pub, channel, "warm-up %d" % n)
        n += 1
        if all(all(any(is_warm_up(e) and c.channel_of(e) == channel for e in c.snapshot()) for channel in c.channels)
               for c in collectors):
            return
        assert time.monotonic() < deadline, "some subscriber got no warm-up event within %ss: %r" % (
            WARM_UP_TIMEOUT_S, [(c.name, len(c.snapshot())) for c in collectors])
        time.sleep(0.1)


def is_warm_up(event):
    return event.data.startswith("warm-up")


def close_all(collectors):
    for c in collectors:
        c.close()


def test_publishes_to_every_instance_reach_every_subscriber_in_one_order_with_the_same_ids(redis, start_cluster):
    heralds = start_cluster(redis, events=HISTORY)
    collectors = [Collector.subscribe(h, "fan", "%s%d" % (h.config_path.stem, i)) for h in heralds for i in (1, 2)]
    try:
        with publishing.Publisher(heralds[1].publish_port) as pub:
            warm_up(pub, ["fan"], collectors)
            runs = [PublishRun(h.publish_port, h.config_path.stem, "fan", 150, own_ids=False) for h in heralds]
            for run in runs:
                run.start()
            for run in runs:
                run.finish(RUN_TIMEOUT_S)
            assert not any(run.refused for run in runs), "503s with Redis up: %r" % [run.refused[:3] for run in runs]
            publish_stored(pub, "fan", "marker")
        sequence = assert_one_order(collectors, runs, "marker", skip=is_warm_up)
        assert len(sequence) == 450
        # Herald's ids come from the shard's counter: one epoch for the channel, g increasing in stream order.
        parsed = [HERALD_ID.match(event_id) for _, event_id in sequence]
        assert all(parsed), "ids not <epoch>-<g>: %r" % [i for (_, i), m in zip(sequence, parsed) if not m][:5]
        assert len({m.group(1) for m in parsed}) == 1, "several epochs in one channel: %r" % sequence[:3]
        gs = [int(m.group(2)) for m in parsed]
        assert all(x < y for x, y in zip(gs, gs[1:])), "ids do not increase in delivery order: %r" % gs[:20]
    finally:
        close_all(collectors)


@pytest.mark.parametrize("own_ids", [False, True], ids=["herald-ids", "publisher-ids"])
def test_a_subscriber_moved_between_instances_misses_nothing_and_gets_nothing_twice(redis, start_cluster, own_ids):
    """It hops a → c → b → a while one publisher sends to a, b and c in turn (so its acknowledgement
    order is the channel's order), each time resuming with the last id it read: c and b have never
    followed the channel (they load it), a has followed it before (it catches up)."""
    a, b, c = start_cluster(redis, events=HISTORY)
    with publishing.Publisher(a.publish_port) as pub:
        origin = publish_stored(pub, "move", "origin", "move origin ✓" if own_ids else None)["id"]
    run = PublishRun([a.publish_port, b.publish_port, c.publish_port], "m", "move", 320, own_ids=own_ids,
                     pace_s=0.005)
    run.start()
    got, last_id = [], origin
    try:
        for herald, count in ((a, 80), (c, 80), (b, 80), (a, None)):
            with sse.subscribe(herald.public_port, "move", header_id=last_id, timeout=10.0) as stream:
                if count is None:  # the last leg: everything left, then a live event
                    run.finish(RUN_TIMEOUT_S)
                    count = len(run.acked) - len(got)
                for event in stream.events(count, timeout=30.0):
                    assert event.type == "message", "a %r event after resuming from %r on %s" % (
                        event, last_id, herald.config_path.stem)
                    got.append((event.data, event.id))
                last_id = got[-1][1]
                if len(got) == run.count:
                    with publishing.Publisher(c.publish_port) as pub:
                        live = publish_stored(pub, "move", "live")
                    assert_next_is(stream, "live", id=live["id"])
    finally:
        run.join(RUN_TIMEOUT_S)
    published = [(d, i) for d, i, _ in run.acked]
    assert len(got) == len(published) == 320
    for n, (event, expected) in enumerate(zip(got, published)):
        assert event == expected, "event %d of the moving subscriber: got %r, published %r" % (n, event, expected)


def test_a_publisher_id_stored_through_one_instance_is_a_duplicate_on_the_others(redis, start_cluster):
    a, b, c = start_cluster(redis)
    with publishing.Publisher(a.publish_port) as pub_a, publishing.Publisher(b.publish_port) as pub_b, \
            publishing.Publisher(c.publish_port) as pub_c:
        origin = publish_stored(pub_a, "dup", "origin", "dup-origin")["id"]
        streams = [sse.subscribe(h.public_port, "dup", header_id=origin, timeout=10.0) for h in (a, b, c)]
        try:
            first = pub_a.publish("dup", "paid", id="order-42-paid")
            assert first["id"] == "order-42-paid" and "duplicate" not in first, first
            again = pub_b.publish("dup", "paid (retry through b)", id="order-42-paid")
            assert again["duplicate"] is True and again["id"] == "order-42-paid", again
            results = pub_c.publish_json([{"channel": "dup", "data": "paid (retry through c)", "id": "order-42-paid"},
                                          {"channel": "dup", "data": "shipped", "id": "order-42-shipped"}])
            assert [r.get("duplicate", False) for r in results] == [True, False], results
            pub_b.publish("dup", "marker", id="marker")
            for stream in streams:
                assert_next_is(stream, "paid", id="order-42-paid")
                assert_next_is(stream, "shipped", id="order-42-shipped")
                assert_next_is(stream, "marker", id="marker")
            # a browser resuming anywhere gets each id once too
            with sse.subscribe(c.public_port, "dup", header_id=origin, timeout=10.0) as late:
                assert [(e.data, e.id) for e in late.events(3, timeout=10.0)] == [
                    ("paid", "order-42-paid"), ("shipped", "order-42-shipped"), ("marker", "marker")]
        finally:
            for stream in streams:
                stream.close()


def test_a_202_means_redis_holds_the_event(redis, start_cluster):
    """REDIS_PLAN.md "Data model": the stream `P s:<c>` and the id index `P i:<c>`, P = key_prefix."""
    (a,) = start_cluster(redis, count=1, redis={"key_prefix": "e2e:"})
    with publishing.Publisher(a.publish_port) as pub:
        for n in range(20):
            result = pub.publish("held", "event %d" % n, id="held-%d" % n)
            # asked at once, on another connection than Herald's: it is there already
            assert redis.command("HEXISTS", "e2e:i:held", "held-%d" % n) == 1, (n, result, redis.keys())
            assert redis.command("XLEN", "e2e:s:held") == n + 1, (n, redis.keys())
        assigned = pub.publish("held", "no id")
        assert redis.command("HEXISTS", "e2e:i:held", assigned["id"]) == 1, assigned
    assert not [k for k in redis.keys() if not k.startswith("e2e:")], "keys outside key_prefix: %r" % redis.keys()


def test_two_shards_spread_the_channels_and_deliver_everything(start_redis, start_cluster):
    shards = [start_redis(name="shard0"), start_redis(name="shard1")]
    heralds = start_cluster(shards, events=HISTORY, redis={"key_prefix": "sh:"})
    channels = ["spread-%d" % n for n in range(16)]
    # one stream per instance on all 16 channels, and one per instance on a single channel
    collectors = [Collector.subscribe(h, channels, h.config_path.stem + "-all") for h in heralds]
    collectors += [Collector.subscribe(h, channels[n], "%s-%s" % (h.config_path.stem, channels[n]))
                   for h, n in zip(heralds, (0, 7, 13))]
    try:
        with publishing.Publisher(heralds[0].publish_port) as pub:
            warm_up(pub, channels, collectors)
            runs = [PublishRun(h.publish_port, h.config_path.stem, lambda n, k=k: channels[(n + k) % 16], 160,
                               own_ids=(k == 1)) for k, h in enumerate(heralds)]
            for run in runs:
                run.start()
            for run in runs:
                run.finish(RUN_TIMEOUT_S)
            for channel in channels:
                publish_stored(pub, channel, "marker " + channel)
        # Per channel: every stream that has it got the same sequence. (Across shards there is no one
        # order of different channels, so a stream on all 16 is compared channel by channel.)
        for channel in channels:
            views = [ChannelView(c, channel) for c in collectors if channel in c.channels]
            channel_runs = [run_for_channel(run, channel) for run in runs]
            assert_one_order(views, channel_runs, "marker " + channel, skip=is_warm_up)
        # The channels are spread: each shard holds some, no channel is on both, none is missing.
        held = [{k[len("sh:s:"):] for k in shard.keys("sh:s:*")} for shard in shards]
        assert held[0] and held[1], "a shard holds no channel: %r" % held
        assert not held[0] & held[1], "channels on both shards: %r" % (held[0] & held[1])
        assert held[0] | held[1] == set(channels), held
        for shard, mine in zip(shards, held):
            for key in shard.keys("sh:*"):
                kind, _, channel = key[len("sh:"):].partition(":")
                assert kind == "seq" or channel in mine, "%s on the shard of %r: %r" % (key, sorted(mine), kind)
    finally:
        close_all(collectors)


class ChannelView:
    """A collector seen through one of its channels (for assert_one_order)."""

    def __init__(self, collector, channel):
        self.collector, self.channel = collector, channel
        self.name = "%s[%s]" % (collector.name, channel)

    def wait_data(self, data, timeout):
        before = self.collector.wait_data(data, timeout)
        return [e for e in before if self.collector.channel_of(e) == self.channel]


class _ChannelRun:
    def __init__(self, name, acked):
        self.name, self.acked = name, acked


def run_for_channel(run, channel):
    return _ChannelRun("%s[%s]" % (run.name, channel),
                       [a for n, a in enumerate(run.acked) if run.channel_of(n) == channel])
