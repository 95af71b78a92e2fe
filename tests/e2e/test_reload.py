"""Reload (SIGHUP, `herald reload`): proxy.conf is read again and applied in place; no open stream
and no request in flight is cut; a listener that moves is bound before the old one closes; an
invalid file is refused with every problem logged and the old settings keep running."""

import http.server
import json
import os
import re
import signal
import socket
import subprocess
import threading

import pytest

import httpwire
from conftest import HERALD_BIN, connect_refused, free_port, to_toml, wait_for
from metrics_text import metric
from publishing import Publisher
from sse import MassReader, assert_next_is, subscribe


class SecondApp:
    """Another upstream app on a port of its own: every GET answers "second app <path>"."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                body = ("second app %s" % self.path).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            # A backlog beyond the default 5, so a burst of new upstream connections is not refused.
            request_queue_size = 1024
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def second_app():
    app = SecondApp()
    yield app
    app.close()


def test_sighup_moves_the_upstream_and_open_streams_keep_flowing(start_herald, second_app):
    herald = start_herald()
    stream = subscribe(herald.public_port, ["reload-a"])
    with herald.connect() as conn:
        assert b"second app" not in conn.request("GET", "/before").body
        herald.config["upstream"]["url"] = second_app.url
        assert "reloaded" in herald.reload()
        # The same kept-alive client connection: its next request goes to the new app.
        assert conn.request("GET", "/after").body == b"second app /after"
    with Publisher(herald.publish_port) as publisher:
        publisher.publish("reload-a", "after the reload")
        metrics, _ = publisher.metrics()
        assert metric(metrics, "herald_reloads_total", result="ok") == 1
        assert metric(metrics, "herald_reloads_total", result="failed") == 0
    assert_next_is(stream, "after the reload")
    stream.close()


def test_an_invalid_file_is_refused_every_problem_logged_and_the_old_settings_run_on(start_herald, second_app):
    herald = start_herald()
    stream = subscribe(herald.public_port, ["reload-b"])
    bad = dict(herald.config)
    bad["server"] = dict(bad["server"], idle_timeout="soon", max_connections=-1)
    bad["upstream"] = dict(bad["upstream"], url=second_app.url)
    outcome = herald.reload(to_toml(bad))
    assert "reload refused" in outcome
    log = herald.stderr()
    assert "[server] idle_timeout" in log and "[server] max_connections" in log, log
    # Nothing of the refused file applies, not even its valid upstream.
    assert b"second app" not in herald.request("GET", "/still-old").body
    with Publisher(herald.publish_port) as publisher:
        publisher.publish("reload-b", "still here")
        metrics, _ = publisher.metrics()
        assert metric(metrics, "herald_reloads_total", result="failed") == 1
    assert_next_is(stream, "still here")
    assert herald.proc.poll() is None
    stream.close()


def test_a_moved_listener_serves_at_once_and_streams_on_the_old_one_stay(start_herald):
    herald = start_herald()
    old_port = herald.public_port
    stream = subscribe(old_port, ["reload-c"])
    new_port = free_port()
    herald.config["server"]["listen"] = "127.0.0.1:%d" % new_port
    outcome = herald.reload()
    assert "reloaded" in outcome and "public=127.0.0.1:%d" % new_port in outcome, outcome
    assert httpwire.request(new_port, "GET", "/moved").status == 200
    wait_for(lambda: connect_refused(old_port), timeout=5, message="the old listener closed")
    with Publisher(herald.publish_port) as publisher:
        publisher.publish("reload-c", "on the old connection")
    assert_next_is(stream, "on the old connection")
    stream.close()
    herald.public_port = new_port


def test_a_listener_that_cannot_be_bound_refuses_the_whole_reload(start_herald, second_app):
    herald = start_herald()
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        herald.config["server"]["listen"] = "127.0.0.1:%d" % taken.getsockname()[1]
        herald.config["upstream"]["url"] = second_app.url
        outcome = herald.reload()
        assert "reload refused" in outcome
        assert "bind 127.0.0.1:%d" % taken.getsockname()[1] in herald.stderr()
        # The upstream did not move either, and the old listener still serves.
        assert b"second app" not in herald.request("GET", "/x").body
    finally:
        taken.close()


def test_a_rotated_publish_token_applies_to_a_kept_alive_publisher(start_herald):
    herald = start_herald(publish={"token": "first-token-0123456789"})
    with Publisher(herald.publish_port, token="first-token-0123456789") as publisher:
        publisher.publish("reload-d", "one")
        herald.config["publish"]["token"] = "second-token-0123456789"
        assert "reloaded" in herald.reload()
        connection = publisher.conn
        assert publisher.publish("reload-d", "two", expect=401).status == 401
        assert publisher.conn is connection, "the refusal closed the kept-alive connection"
        publisher.publish("reload-d", "three", token="second-token-0123456789")


def test_history_bounds_change_in_place(start_herald):
    herald = start_herald(events={"history_size": 5})
    with Publisher(herald.publish_port) as publisher:
        ids = [publisher.publish("reload-e", "event %d" % n)["id"] for n in range(5)]
        assert publisher.channel("reload-e")["events_held"] == 5
        herald.config["events"]["history_size"] = 2
        assert "reloaded" in herald.reload()
        assert publisher.channel("reload-e")["events_held"] == 2
    # Resuming after event 1 (held before the reload, not after) gets the reset (with 5 held it
    # would replay events 2-4).
    stream = subscribe(herald.public_port, ["reload-e"], last_event_id=ids[1])
    reset = stream.next_event(5)
    assert reset.type == "herald-reset" and reset.id_field == ids[-1], reset
    stream.close()


def test_logging_changes_in_place(start_herald):
    herald = start_herald(log={"access": "off", "format": "text"})
    herald.request("GET", "/unlogged")
    herald.config["log"] = {"access": "combined", "format": "json"}
    assert "reloaded" in herald.reload()
    herald.request("GET", "/logged-after-reload")
    wait_for(lambda: "/logged-after-reload" in herald.stdout_path.read_text(), timeout=5, message="the access line")
    assert "/unlogged" not in herald.stdout_path.read_text()
    # The diagnostic log is JSON from now on: a refused reload's lines are objects.
    herald.reload("[server]\nnot_a_key = 1\n")
    lines = [line for line in herald.stderr().splitlines() if "not_a_key" in line]
    assert lines and json.loads(lines[0])["level"] == "error", lines


def test_threads_wait_for_a_restart_and_the_rest_applies(start_herald, second_app):
    herald = start_herald(server={"threads": 2})
    herald.config["server"]["threads"] = 3
    herald.config["upstream"]["url"] = second_app.url
    assert "reloaded" in herald.reload()
    assert "server.threads changes on restart only" in herald.stderr()
    assert herald.request("GET", "/t").body == b"second app /t"


def test_herald_reload_checks_the_file_and_signals_the_pid_file(start_herald, second_app, tmp_path):
    pid_file = tmp_path / "herald.pid"
    herald = start_herald(server={"pid_file": str(pid_file)})
    wait_for(pid_file.exists, timeout=5, message="the pid file")
    assert pid_file.read_text().strip() == str(herald.pid)

    def herald_reload():
        return subprocess.run([HERALD_BIN, "reload", "--config", str(herald.config_path)],
                              capture_output=True, text=True, timeout=10)

    herald.config["upstream"]["url"] = second_app.url
    done = {}
    assert "reloaded" in herald.reload(send=lambda: done.setdefault("run", herald_reload()))
    assert done["run"].returncode == 0, done["run"]
    assert "pid %d" % herald.pid in done["run"].stdout
    assert herald.request("GET", "/r").body == b"second app /r"

    # An invalid file is reported by the command, which sends nothing.
    before = len(herald.reload_outcomes())
    herald.config["log"]["level"] = "loud"
    herald.config_path.write_text(to_toml(herald.config))
    refused = herald_reload()
    assert refused.returncode == 2
    assert "[log] level" in refused.stderr and "reload not sent" in refused.stderr
    assert len(herald.reload_outcomes()) == before

    assert herald.stop() == 0
    assert not pid_file.exists()


def test_herald_reload_without_a_pid_file_says_so(tmp_path):
    config = tmp_path / "p.conf"
    config.write_text("[server]\nlisten = \"127.0.0.1:0\"\n")
    result = subprocess.run([HERALD_BIN, "reload", "--config", str(config)], capture_output=True, text=True, timeout=10)
    assert result.returncode == 1
    assert "server.pid_file is not set" in result.stderr


def wrk_failures(output):
    """Requests that failed in a wrk report: socket errors and non-2xx/3xx answers."""
    failed = 0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if errors:
        failed += sum(int(n) for n in errors.groups())
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_ok:
        failed += int(non_ok.group(1))
    return failed


def test_2000_streams_and_a_wrk_load_survive_10_reloads(start_herald, second_app, figure):
    herald = start_herald(limits={"max_subscribers_per_ip": 5000}, server={"idle_timeout": "60s"})
    received = {}
    reader = MassReader(herald.public_port, lambda key, item: received.setdefault(key, []).append(item))
    try:
        for n in range(2000):
            reader.add(n, "/events/reload-mass")
        with Publisher(herald.publish_port) as publisher:
            wait_for(lambda: reader.poll(0.05) >= 0 and publisher.subscribers("reload-mass") == 2000, timeout=30,
                     message="2000 streams open")
        wrk = subprocess.Popen(["wrk", "-t1", "-c8", "-d12s", "http://127.0.0.1:%d/wrk" % herald.public_port],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        outcomes = []
        publish_port = herald.publish_port
        first_app = herald.config["upstream"]["url"]
        for n in range(10):
            reader.poll(0.2)
            if n == 3:
                publish_port = free_port()  # this reload moves the publish listener
                herald.config["publish"]["listen"] = "127.0.0.1:%d" % publish_port
            herald.config.setdefault("events", {})["heartbeat"] = "%ds" % (10 + n)
            herald.config["upstream"]["url"] = second_app.url if n % 2 else first_app
            if n == 6:
                outcomes.append(herald.reload("[server]\nmax_connections = \"many\"\n"))
            else:
                outcomes.append(herald.reload())
            for _ in range(5):
                reader.poll(0.1)
        output, _ = wrk.communicate(timeout=30)
        assert [("refused" in o) for o in outcomes] == [n == 6 for n in range(10)], outcomes
        with Publisher(publish_port) as publisher:
            publisher.publish("reload-mass", "after ten reloads")
            reader.run_until(lambda: sum(1 for items in received.values()
                                         if any(getattr(i, "data", None) == "after ten reloads" for i in items)) == 2000,
                             timeout=30, what="the event on all 2000 streams")
            assert publisher.subscribers("reload-mass") == 2000
        assert not reader.errors, reader.errors[:5]
        requests = re.search(r"(\d+) requests in", output)
        assert requests and int(requests.group(1)) > 0, output
        assert wrk_failures(output) == 0, output
        figure("reload: 2000 streams, 10 reloads (one moving the publish listener, one invalid): 0 streams closed; "
               "wrk %s requests, 0 failed" % requests.group(1))
    finally:
        reader.close()
