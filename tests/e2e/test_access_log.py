"""The access log covers every exchange: event streams when they end (bytes, duration, events sent,
why they ended), the refusals of streams, and every request on the publish listener; the JSON
format adds user_agent, upstream_ms and request_id, and a request id is kept (or made, in JSON)
and passed upstream."""

import json
import re
import signal

import httpwire
from conftest import wait_for
from publishing import Publisher
from sse import SSEStream, subscribe

HEX32 = re.compile(r"[0-9a-f]{32}")


def json_lines(herald):
    return [json.loads(line) for line in herald.stdout_path.read_text().splitlines() if line.strip()]


def wait_line(herald, predicate, what, timeout=5.0):
    """The first JSON access-log line matching `predicate` (lines are flushed every second)."""
    return wait_for(lambda: next((r for r in json_lines(herald) if predicate(r)), None), timeout, message=what)


def wait_text_line(herald, needle, timeout=5.0):
    return wait_for(lambda: next((line for line in herald.stdout_path.read_text().splitlines() if needle in line), None),
                    timeout, message="an access-log line with %r" % needle)


def json_herald(start_herald, **sections):
    return start_herald(log={"access": "json"}, **sections)


def test_a_streams_line_comes_when_the_client_closes_with_its_events_bytes_and_end(start_herald):
    herald = json_herald(start_herald)
    stream = subscribe(herald.public_port, "closer", headers=[("User-Agent", "probe/1")])
    with Publisher(herald.publish_port) as publisher:
        for index in range(3):
            publisher.publish("closer", "event %d" % index)
    assert [e.data for e in stream.events(3)] == ["event 0", "event 1", "event 2"]
    assert not any(r["target"] == "/events/closer" for r in json_lines(herald)), "a line before the stream ended"
    stream.close()
    line = wait_line(herald, lambda r: r["target"] == "/events/closer", "the stream's line")
    assert line["status"] == 200 and line["method"] == "GET", line
    assert line["events"] == 3 and line["end"] == "client_closed", line
    # every byte the socket took: the head, the preamble and the events
    assert line["bytes"] > len(stream.raw) > 0, (line, len(stream.raw))
    assert line["duration_ms"] > 0 and line["upstream_ms"] is None, line
    assert line["user_agent"] == "probe/1" and HEX32.fullmatch(line["request_id"]), line


def test_in_combined_a_streams_line_ends_with_its_events_and_end(start_herald):
    herald = start_herald(log={"access": "combined"})
    stream = subscribe(herald.public_port, "plain")
    with Publisher(herald.publish_port) as publisher:
        publisher.publish("plain", "one")
    stream.events(1)
    stream.close()
    line = wait_text_line(herald, "GET /events/plain HTTP/1.1")
    assert re.search(r'" 200 \d+ "-" "-" events=1 end=client_closed$', line), line


def test_streams_ended_by_a_channel_delete_or_a_drain_say_so(start_herald):
    herald = json_herald(start_herald, server={"drain_spread": "0s"})
    deleted = subscribe(herald.public_port, "doomed")
    drained = subscribe(herald.public_port, "kept")
    with Publisher(herald.publish_port) as publisher:
        publisher.publish("kept", "last words")
        drained.events(1)
        publisher.delete("doomed")
    deleted.wait_closed()
    line = wait_line(herald, lambda r: r["target"] == "/events/doomed", "the deleted channel's stream")
    assert line["end"] == "channel_deleted" and line["events"] == 0, line
    herald.signal(signal.SIGTERM)
    drained.wait_closed()
    assert herald.wait(15) == 0
    line = next(r for r in json_lines(herald) if r["target"] == "/events/kept")
    assert line["end"] == "drained" and line["events"] == 1 and line["status"] == 200, line


def test_refused_streams_have_their_lines(start_herald):
    herald = json_herald(start_herald, limits={"max_subscribers_per_ip": 1})
    with SSEStream(herald.public_port, "/events/bad!name") as bad:
        assert bad.open().status == 400
    kept = subscribe(herald.public_port, "one")
    with SSEStream(herald.public_port, "/events/two") as over:
        assert over.open().status == 429
    line = wait_line(herald, lambda r: r["status"] == 400, "the 400's line")
    assert line["target"] == "/events/bad!name" and line["method"] == "GET", line
    line = wait_line(herald, lambda r: r["status"] == 429, "the 429's line")
    assert line["target"] == "/events/two" and "events" not in line, line
    kept.close()


def test_a_publish_has_its_line_with_channel_id_and_subscribers(start_herald):
    herald = json_herald(start_herald)
    streams = [subscribe(herald.public_port, "news") for _ in range(2)]
    with Publisher(herald.publish_port) as publisher:
        result = publisher.publish("news", "hello", id="n-1")
        assert result["subscribers"] == 2
        results = publisher.publish_json([{"channel": "news", "data": "a"}, {"channel": "other", "data": "b"}])
        publisher.channel("news")
    line = wait_line(herald, lambda r: r["target"].startswith("/publish/news"), "the publish's line")
    assert line["method"] == "POST" and line["status"] == 202, line
    assert line["channel"] == "news" and line["id"] == "n-1" and line["subscribers"] == 2, line
    assert line["bytes"] > 0 and line["client"] == "127.0.0.1" and HEX32.fullmatch(line["request_id"]), line
    line = wait_line(herald, lambda r: r["target"] == "/publish", "the JSON publish's line")
    assert line["channels"] == ["news", "other"] and line["ids"] == [r["id"] for r in results], line
    assert line["subscribers"] == 2, line
    line = wait_line(herald, lambda r: r["target"] == "/channels/news", "the channel query's line")
    assert line["status"] == 200 and line["method"] == "GET" and "channel" not in line, line
    for stream in streams:
        stream.close()


def test_json_lines_have_user_agent_upstream_time_and_a_request_id_passed_upstream(start_herald, upstream):
    herald = json_herald(start_herald)
    made = herald.request("GET", "/echo/made", [("Host", "app"), ("User-Agent", "curl/8")])
    kept = herald.request("GET", "/echo/kept", [("Host", "app"), ("X-Request-Id", "abc-123.DEF")])
    replaced = herald.request("GET", "/echo/replaced", [("Host", "app"), ("X-Request-Id", "has a space")])
    sent = {name: dict((k.lower(), v) for k, v in response.json()["headers"]).get("x-request-id")
            for name, response in (("made", made), ("kept", kept), ("replaced", replaced))}
    line = wait_line(herald, lambda r: r["target"] == "/echo/made", "the forwarded request's line")
    assert line["user_agent"] == "curl/8" and line["status"] == 200, line
    assert isinstance(line["upstream_ms"], float) and 0 <= line["upstream_ms"] <= line["duration_ms"], line
    assert HEX32.fullmatch(line["request_id"]) and sent["made"] == line["request_id"], (line, sent)
    line = wait_line(herald, lambda r: r["target"] == "/echo/kept", "the kept id's line")
    assert line["request_id"] == "abc-123.DEF" == sent["kept"] and line["user_agent"] is None, (line, sent)
    line = wait_line(herald, lambda r: r["target"] == "/echo/replaced", "the replaced id's line")
    assert HEX32.fullmatch(line["request_id"]) and sent["replaced"] == line["request_id"], (line, sent)
    assert made.header("x-request-id") is None, "the id is not echoed to the client"


def test_without_the_json_log_an_id_passes_unchanged_and_none_is_made(start_herald):
    herald = start_herald(log={"access": "combined"})
    kept = herald.request("GET", "/echo/a", [("Host", "app"), ("X-Request-Id", "has a space")])
    absent = herald.request("GET", "/echo/b", [("Host", "app")])
    headers = [dict((k.lower(), v) for k, v in r.json()["headers"]) for r in (kept, absent)]
    assert headers[0].get("x-request-id") == "has a space" and "x-request-id" not in headers[1], headers


def test_a_grip_held_stream_has_one_line_when_it_ends_with_the_forwarding_s_id_and_time(start_herald, session_app):
    herald = start_herald(upstream={"url": session_app.url}, events={"grip": True}, log={"access": "json"})
    conn = herald.connect()
    conn.send(httpwire.build_request("GET", "/stream/held", [("Host", "app"), ("X-Request-Id", "grip-1")]))
    response = conn.open_response(timeout=5)
    assert response.status == 200, response
    response.stream.read_until(b": welcome to held\n\n", 5)
    with Publisher(herald.publish_port) as publisher:
        wait_for(lambda: publisher.subscribers("held") == 1, 3, message="held stream registered")
        publisher.publish("held", "native")
        response.stream.read_until(b"data: native\n\n", 5)
    conn.close()
    line = wait_line(herald, lambda r: r["target"] == "/stream/held", "the held stream's line")
    assert line["status"] == 200 and line["events"] == 1 and line["end"] == "client_closed", line
    assert line["request_id"] == "grip-1" and isinstance(line["upstream_ms"], float), line
    assert sum(r["target"] == "/stream/held" for r in json_lines(herald)) == 1, json_lines(herald)


def test_a_stream_refused_by_the_open_rate_has_its_503_line(start_herald):
    herald = json_herald(start_herald, server={"threads": 1}, limits={"stream_opens_per_second": 1})
    kept = subscribe(herald.public_port, "rate")
    statuses = []
    for _ in range(5):
        with SSEStream(herald.public_port, "/events/rate") as stream:
            statuses.append(stream.open().status)
        if 503 in statuses:
            break
    assert 503 in statuses, statuses
    line = wait_line(herald, lambda r: r["status"] == 503, "the 503's line")
    assert line["target"] == "/events/rate", line
    kept.close()


def test_a_reload_changes_the_publish_listener_s_format_too(start_herald):
    herald = start_herald(log={"access": "off"})
    with Publisher(herald.publish_port) as publisher:
        publisher.publish("before", "unlogged")
    herald.config["log"] = {"access": "json"}
    assert "reloaded" in herald.reload()
    with Publisher(herald.publish_port) as publisher:
        publisher.publish("after", "logged")
    line = wait_line(herald, lambda r: r["target"] == "/publish/after", "the publish's line after the reload")
    assert line["channel"] == "after" and line["subscribers"] == 0, line
    assert "/publish/before" not in herald.stdout_path.read_text()
