"""Issue 18, faults: nothing is lost silently in any fault Redis itself survives.

- Redis killed (SIGKILL) and restarted with its append-only file during a stream of 1,000 publishes:
  publishers retry each 503 with the same id, and every acknowledged event reaches every subscriber
  of every instance once, in one order.
- Redis down: publishing answers 503 with Retry-After (never 202) and stores nothing; open streams
  stay open with their heartbeats; a subscriber that arrives meanwhile gets its 200 and heartbeats,
  then its replay and live events once Redis is back; /healthz and /metrics say so.
- Redis paused (SIGSTOP) for 5 s while events are published: nothing lost, nothing twice.
- Redis back without its data (a new epoch): a client resuming with an old id gets one herald-reset.

Three real `herald` processes (a, b, c) on real redis-servers (tests/e2e/redis_server.py).
"""

import json
import re
import time

import pytest

import httpwire
import metrics_text
import publishing
import sse
from conftest import wait_for
from cluster_clients import Collector, PublishRun, assert_one_order, publish_stored, publish_target, retry_after_seconds
from sse import assert_next_is

HERALD_ID = re.compile(r"^([0-9a-z]+)-([0-9]+)$")   # <epoch>-<g>, REDIS_PLAN.md "Data model"
HISTORY = {"history_size": 5000}                    # holds every event a test publishes
RUN_TIMEOUT_S = 60                                  # up to 1,000 publishes through Redis, 2 shared cores
HEARTBEAT = {"heartbeat": "1s"}                     # the shortest allowed: a stream's liveness is seen soon
NOTICE_TIMEOUT_S = 5                                # Herald sees Redis gone (connection closed or timed out)
BACK_TIMEOUT_S = 10                                 # Herald reconnects (reconnect_max 1s in conftest)


def close_all(collectors):
    for c in collectors:
        c.close()


def healthz(herald):
    return httpwire.request(herald.publish_port, "GET", "/healthz", timeout=10.0)


def redis_metrics(herald):
    """(herald_redis_up samples as {shard: value}, herald_redis_disconnects_total summed, parsed)."""
    with publishing.Publisher(herald.publish_port) as pub:
        metrics, response = pub.metrics()
    up = {labels.get("shard"): value for name, labels, value in metrics["samples"] if name == "herald_redis_up"}
    assert up and None not in up, "herald_redis_up{shard=…} missing from\n%s" % response.text
    disconnects = metrics_text.metric(metrics, "herald_redis_disconnects_total")
    assert disconnects is not None, "herald_redis_disconnects_total missing from\n%s" % response.text
    return up, disconnects, metrics


def wait_reconnected(heralds, disconnects_before):
    """Waits until each Herald has counted a disconnect since `disconnects_before` and is up again."""
    for herald, before in zip(heralds, disconnects_before):
        def back():
            up, disconnects, _ = redis_metrics(herald)
            return disconnects > before and all(v == 1 for v in up.values()) and healthz(herald).status == 200
        wait_for(back, BACK_TIMEOUT_S, interval=0.05, message="%s reconnected to Redis" % herald.config_path.stem)


def started_with_origin(pub, channel):
    """Publishes the event every subscriber of the test resumes from; returns its id."""
    return publish_stored(pub, channel, "origin", "%s-origin" % channel)["id"]


def test_redis_killed_and_restarted_with_aof_during_1000_publishes_loses_nothing(start_redis, start_cluster):
    redis = start_redis(aof=True)
    heralds = start_cluster(redis, events=HISTORY)
    with publishing.Publisher(heralds[0].publish_port) as pub:
        origin = started_with_origin(pub, "flow")
    collectors = [Collector.subscribe(h, "flow", h.config_path.stem, header_id=origin) for h in heralds]
    runs = [PublishRun(h.publish_port, h.config_path.stem, "flow", n) for h, n in zip(heralds, (334, 333, 333))]
    try:
        for run in runs:
            run.start()
        wait_for(lambda: sum(len(r.acked) for r in runs) >= 300, RUN_TIMEOUT_S, message="300 publishes")
        redis.kill()
        acked_at_kill = sum(len(r.acked) for r in runs)
        time.sleep(1.0)
        redis.restart()
        for run in runs:
            run.finish(RUN_TIMEOUT_S)
        refused = sum(len(r.refused) for r in runs)
        assert acked_at_kill < 1000 and refused > 0, \
            "Redis was not missed during the stream (%d acknowledged at the kill, %d 503s)" % (acked_at_kill, refused)
        with publishing.Publisher(heralds[1].publish_port) as pub:
            publish_stored(pub, "flow", "marker")
        sequence = assert_one_order(collectors, runs, "marker")
        assert len(sequence) == 1000
        for c in collectors:
            assert all(e.type == "message" for e in c.snapshot()), \
                "%s got %r" % (c.name, [e for e in c.snapshot() if e.type != "message"][:3])
        print("%d acknowledged at the kill, %d 503s, %d answered as duplicates" % (
            acked_at_kill, refused, sum(1 for r in runs for a in r.acked if a[2])))
    finally:
        close_all(collectors)


def test_publishing_while_redis_is_down_gets_503_with_retry_after_and_stores_nothing(start_redis, start_cluster):
    redis = start_redis(aof=True)
    heralds = start_cluster(redis, events=HEARTBEAT)
    a, b, c = heralds
    with publishing.Publisher(a.publish_port) as pub_a, publishing.Publisher(c.publish_port) as pub_c:
        origin = started_with_origin(pub_a, "down")
        on_b = Collector.subscribe(b, "down", "b", header_id=origin)
        try:
            publish_stored(pub_a, "down", "before", "down-before")
            on_b.wait_data("before")
            redis.kill()
            for herald in heralds:
                with publishing.Publisher(herald.publish_port) as pub:
                    for n, (target, body, headers) in enumerate([
                            (publish_target("down", "refused-%s" % herald.config_path.stem), b"refused", ()),
                            (publish_target("down"), b"refused, no id", ()),
                            ("/publish", json.dumps({"channel": "down", "data": "refused json"}).encode(),
                             [("Content-Type", "application/json")])]):
                        response = pub.request("POST", target, body, headers=headers)
                        assert response.status == 503, "%s, publish %d with Redis down: %r" % (
                            herald.config_path.stem, n, response)
                        retry_after_seconds(response)
            # the open stream stays open and keeps its heartbeats; it gets nothing of the refused
            on_b.wait_comments(2, timeout=5.0)
            assert [e.data for e in on_b.snapshot()] == ["before"], on_b.snapshot()
            redis.restart()
            after = publish_stored(pub_c, "down", "after", "down-after", timeout=BACK_TIMEOUT_S)
            assert [e.data for e in on_b.wait_data("after")] == ["before"], "what b's stream got before 'after'"
            # nothing refused was stored: resuming anywhere replays only the two, and their ids are new
            with sse.subscribe(c.public_port, "down", header_id=origin, timeout=10.0) as late:
                assert [(e.data, e.id) for e in late.events(2, timeout=10.0)] == [
                    ("before", "down-before"), ("after", after["id"])]
                late.expect_silence(0.5)
            for herald in heralds:
                again = publish_stored(pub_a, "down", "now stored", "refused-%s" % herald.config_path.stem)
                assert "duplicate" not in again, "a 503'd publish was stored: %r" % again
        finally:
            on_b.close()


def test_a_subscriber_that_arrives_while_redis_is_down_is_served_once_it_is_back(start_redis, start_cluster):
    redis = start_redis(aof=True)
    a, b, c = start_cluster(redis, events=HEARTBEAT)
    collectors = []
    with publishing.Publisher(a.publish_port) as pub_a, publishing.Publisher(b.publish_port) as pub_b:
        try:
            origin = started_with_origin(pub_a, "arrive")
            publish_stored(pub_a, "arrive", "e1", "arrive-1")
            collectors.append(Collector.subscribe(a, "arrive", "a-open", header_id=origin))
            collectors[0].wait_data("e1")
            redis.kill()
            time.sleep(0.2)
            # arriving now: the 200 head and preamble at once (asserted by subscribe), then heartbeats
            collectors.append(Collector.subscribe(b, "arrive", "b-resuming", header_id=origin))
            collectors.append(Collector.subscribe(c, "arrive", "c-new"))
            for collector in collectors:
                collector.wait_comments(2, timeout=5.0)
            assert [e.data for e in collectors[0].snapshot()] == ["e1"]
            assert collectors[1].snapshot() == [] and collectors[2].snapshot() == [], "events while Redis is down"
            redis.restart()
            e2 = publish_stored(pub_b, "arrive", "e2", "arrive-2", timeout=BACK_TIMEOUT_S)
            # the resuming one gets its replay, then live events; the open one only the new event
            assert [e.data for e in collectors[1].wait_data("e2")] == ["e1"]
            assert [e.data for e in collectors[0].wait_data("e2")] == ["e1"]
            # the new one is served: live events reach it (which first depends on when c followed again)
            published = ["e2"]
            deadline = time.monotonic() + BACK_TIMEOUT_S
            while not collectors[2].snapshot():
                assert time.monotonic() < deadline, "c's subscriber got nothing within %ss of Redis back" % BACK_TIMEOUT_S
                published.append("live-%d" % len(published))
                publish_stored(pub_a, "arrive", published[-1])
                time.sleep(0.2)
            publish_stored(pub_b, "arrive", "final")
            published.append("final")
            whole = ["e1"] + published
            for collector in collectors[:2]:
                got = [e.data for e in collector.wait_data("final")] + ["final"]
                assert got == whole, "%s got %r, published %r" % (collector.name, got, whole)
            assert collectors[1].snapshot()[1].id == e2["id"]
            got = [e.data for e in collectors[2].wait_data("final")] + ["final"]
            assert len(got) >= 2 and got == published[-len(got):], \
                "c's new subscriber got %r: not a tail of %r" % (got, published)
        finally:
            close_all(collectors)


@pytest.mark.parametrize("command_timeout", ["10s", "2s"], ids=["pause-within-timeout", "pause-beyond-timeout"])
def test_redis_paused_for_5_s_while_publishing_loses_nothing(redis, start_cluster, command_timeout):
    """With command_timeout 2 s the publishes sent during the pause get 503 although Redis runs
    them on SIGCONT: their retries are duplicates, and each event is delivered once."""
    heralds = start_cluster(redis, events=HISTORY, redis={"command_timeout": command_timeout})
    with publishing.Publisher(heralds[0].publish_port) as pub:
        origin = started_with_origin(pub, "pause")
    collectors = [Collector.subscribe(h, "pause", h.config_path.stem, header_id=origin) for h in heralds]
    runs = [PublishRun(h.publish_port, h.config_path.stem, "pause", 200) for h in heralds]
    try:
        for run in runs:
            run.start()
        wait_for(lambda: sum(len(r.acked) for r in runs) >= 100, RUN_TIMEOUT_S, message="100 publishes")
        redis.pause()
        try:
            time.sleep(5.0)
            acked_during = sum(len(r.acked) for r in runs)
        finally:
            redis.resume()
        assert acked_during < 600, "the pause came after the publishing"
        for run in runs:
            run.finish(RUN_TIMEOUT_S)
        with publishing.Publisher(heralds[2].publish_port) as pub:
            publish_stored(pub, "pause", "marker")
        assert len(assert_one_order(collectors, runs, "marker")) == 600
        for c in collectors:
            assert all(e.type == "message" for e in c.snapshot()), [e for e in c.snapshot() if e.type != "message"][:3]
    finally:
        close_all(collectors)


def test_a_publish_waiting_on_a_paused_redis_is_answered_not_cut(redis, start_cluster):
    """A publish waits for Redis up to redis.command_timeout; server.idle_timeout bounds the wait
    for a next request, not for an answer, so a publish in flight past it is still answered."""
    (a,) = start_cluster(redis, count=1, server={"idle_timeout": "2s"}, redis={"command_timeout": "10s"})
    with publishing.Publisher(a.publish_port) as pub:
        publish_stored(pub, "slow", "before", "slow-0")
        redis.pause()
        try:
            started = time.monotonic()
            pub.conn.send(httpwire.build_request("POST", publish_target("slow", "slow-1"), [
                ("Host", "127.0.0.1:%d" % a.publish_port), ("Content-Length", "6")], b"paused"))
            time.sleep(4.0)
        finally:
            redis.resume()
        try:
            response = pub.conn.read_response("POST", timeout=10.0)
        except httpwire.ConnectionClosed as e:
            raise AssertionError("the publish sent %.1f s ago, waiting on the paused Redis, was cut without an "
                                 "answer (idle_timeout 2s): %r" % (time.monotonic() - started, e)) from None
        assert response.status == 202 and response.json()["id"] == "slow-1", response
    assert redis.command("HEXISTS", "herald:i:slow", "slow-1") == 1


def test_healthz_and_metrics_report_a_shard_down_then_up(start_redis, start_cluster):
    shards = [start_redis(name="shard0"), start_redis(name="shard1")]
    heralds = start_cluster(shards, count=2)
    for herald in heralds:
        wait_for(lambda: healthz(herald).status == 200, BACK_TIMEOUT_S, message="healthz 200 with Redis up")
        up, _, metrics = redis_metrics(herald)
        assert sorted(up.values()) == [1, 1] and len(up) == 2, up
        assert metrics["types"].get("herald_redis_up") == "gauge", metrics["types"]
        assert metrics["types"].get("herald_redis_disconnects_total",
                                    metrics["types"].get("herald_redis_disconnects")) == "counter", metrics["types"]
    before = [redis_metrics(h)[1] for h in heralds]
    shards[1].kill()
    for herald in heralds:
        down = wait_for(lambda: (lambda r: r if r.status == 503 else None)(healthz(herald)), NOTICE_TIMEOUT_S,
                        interval=0.05, message="%s: healthz 503 with a shard down" % herald.config_path.stem)
        assert "redis" in down.text.lower(), "healthz should say Redis is down: %r" % down
        up, disconnects, _ = redis_metrics(herald)
        assert sorted(up.values()) == [0, 1], "one shard down: %r" % up
    shards[1].restart()
    wait_reconnected(heralds, before)


def test_redis_back_without_its_data_gives_a_resuming_client_one_reset(redis, start_cluster):
    a, b, c = start_cluster(redis)
    with publishing.Publisher(a.publish_port) as pub_a, publishing.Publisher(b.publish_port) as pub_b:
        old = [publish_stored(pub_a, "wipe", "old-%d" % n)["id"] for n in range(3)]
        open_a = Collector.subscribe(a, "wipe", "a-open", header_id=old[0])
        try:
            open_a.wait(lambda es: len(es) >= 2, 10.0, "the two old events")
            before = [redis_metrics(h)[1] for h in (a, b, c)]
            redis.wipe()
            wait_reconnected((a, b, c), before)
            # Redis holds nothing of the channel: a resuming client gets one reset with an empty id,
            # at c (never followed the channel) and at a (still holds the old epoch's events)
            for herald in (c, a):
                with sse.subscribe(herald.public_port, "wipe", header_id=old[1], timeout=10.0) as stream:
                    reset = stream.next_event(timeout=10.0)
                    assert reset.type == "herald-reset", "%s: %r" % (herald.config_path.stem, reset)
                    assert json.loads(reset.data) == {"lastEventId": old[1]} and reset.id_field == "", reset.raw
                    stream.expect_silence(0.5)
            new = publish_stored(pub_b, "wipe", "new-0")
            assert HERALD_ID.match(new["id"]).group(1) != HERALD_ID.match(old[0]).group(1), \
                "the same epoch after Redis lost its data: %r then %r" % (old, new)
            # the stream open across the wipe goes on with the new event (a reset first at most)
            got = [e for e in open_a.wait_data("new-0")][2:]
            assert [e.type for e in got] in ([], ["herald-reset"]), got
            newest = new["id"]
            for herald in (a, b, c):
                with sse.subscribe(herald.public_port, "wipe", header_id=old[2], timeout=10.0) as stream:
                    reset = stream.next_event(timeout=10.0)
                    assert reset.type == "herald-reset", "%s: %r" % (herald.config_path.stem, reset)
                    assert json.loads(reset.data) == {"lastEventId": old[2]}, reset
                    assert reset.id_field == newest, "%s: the reset should name the newest id held, %r: %r" % (
                        herald.config_path.stem, newest, reset.raw)
                    newest = publish_stored(pub_a, "wipe", "live-" + herald.config_path.stem)["id"]
                    assert_next_is(stream, "live-" + herald.config_path.stem, id=newest)
                # resuming from the id the reset gave: no second reset
                with sse.subscribe(herald.public_port, "wipe", header_id=reset.id_field, timeout=10.0) as again:
                    assert_next_is(again, "live-" + herald.config_path.stem, id=newest)
        finally:
            open_a.close()
