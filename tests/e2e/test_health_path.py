"""`server.health_path`: a readiness check on the public listener, answered by Herald (never the
app): 200 while serving, 503 while draining, and 503 while Redis (when configured) is unreachable."""

import signal
import time

import httpwire
from conftest import wait_for


def test_the_health_path_is_answered_by_herald_and_other_paths_still_reach_the_app(start_herald, upstream):
    herald = start_herald(server={"health_path": "/herald/health"})
    mark = upstream.mark()
    response = herald.request("GET", "/herald/health?probe=kubelet")
    assert (response.status, response.body) == (200, b"ok\n")
    assert response.header("cache-control") == "no-store"
    head = herald.request("HEAD", "/herald/health")
    assert head.status == 200 and head.body == b"" and head.header("content-length") == "3"
    assert upstream.records_since(mark) == [], "the readiness check reached the app"
    herald.request("GET", "/herald/healthz")
    assert [r["target"] for r in upstream.records_since(mark)] == ["/herald/healthz"], \
        "a path that is not exactly the health path goes to the app"


def test_without_a_health_path_the_path_is_the_apps(start_herald, upstream):
    herald = start_herald()
    mark = upstream.mark()
    herald.request("GET", "/herald/health")
    assert [r["target"] for r in upstream.records_since(mark)] == ["/herald/health"]


def test_a_draining_herald_fails_its_readiness_check(start_herald):
    herald = start_herald(server={"health_path": "/ready", "shutdown_grace": "10s"})
    assert herald.request("GET", "/ready").status == 200
    with herald.connect(timeout=15) as conn:
        # A slow download in flight keeps the drain going while the check is asked again.
        conn.send(httpwire.build_request("GET", "/download?size=1048576&seed=1&piece=65536&interval_ms=100", ["Host: a"]))
        assert conn.open_response(timeout=5).status == 200
        herald.signal(signal.SIGTERM)
        time.sleep(0.3)
        assert herald.proc.poll() is None, "the drain should still be under way"
        try:
            status = herald.request("GET", "/ready", timeout=2).status
        except (ConnectionRefusedError, httpwire.ConnectionClosed):
            status = None  # the listener is closed: a balancer's probe fails too
        assert status in (None, 503)


def test_the_health_path_fails_while_redis_is_unreachable_and_recovers(start_redis, start_herald):
    redis = start_redis()
    herald = start_herald(server={"health_path": "/ready"},
                          redis={"url": "redis://127.0.0.1:%d/0" % redis.port, "reconnect_max": "200ms"})
    wait_for(lambda: herald.request("GET", "/ready").status == 200, timeout=10, message="ready once Redis is connected")
    redis.kill()
    wait_for(lambda: herald.request("GET", "/ready").status == 503, timeout=10, message="503 once Redis is gone")
    assert b"redis unreachable" in herald.request("GET", "/ready").body
    redis.restart()
    wait_for(lambda: herald.request("GET", "/ready").status == 200, timeout=10, message="200 once Redis is back")
