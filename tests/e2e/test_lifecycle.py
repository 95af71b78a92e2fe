"""Lifecycle and the side listeners: SIGTERM drains exchanges in flight and exits 0 (and more
signals while it stops do not kill it); the publish
listener answers /healthz; forwarded exchanges are access-logged on stdout; a second Herald on an
address in use refuses to start.
"""

import hashlib
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

import httpwire
import payload
from conftest import HERALD_BIN, default_config, to_toml, wait_for


def test_sigterm_during_a_slow_download_lets_it_complete_and_exits_zero(start_herald, upstream):
    herald = start_herald(server={"shutdown_grace": "10s"})
    size = 2 << 20
    with herald.connect(timeout=15) as conn:
        # 32 pieces of 64 KiB, 60 ms apart: about 2 s in flight.
        conn.send(httpwire.build_request(
            "GET", "/download?size=%d&seed=5&piece=65536&interval_ms=60" % size, ["Host: a"]))
        response = conn.open_response(timeout=5)
        assert response.status == 200
        got = hashlib.sha256()
        first = response.stream.read_some(timeout=5)
        got.update(first)
        herald.signal(signal.SIGTERM)
        signalled = time.monotonic()
        received = len(first)
        while not response.stream.done:
            data = response.stream.read_some(timeout=10)
            got.update(data)
            received += len(data)
        assert received == size and got.hexdigest() == payload.digest(size, 5)
        assert time.monotonic() - signalled > 0.5, "the download cannot have finished this fast: was it paced?"
    assert herald.wait(10) == 0, "herald exit status after SIGTERM: %s" % herald.proc.poll()


def test_sigterm_with_idle_keep_alive_connections_exits_zero_promptly(herald, upstream):
    with herald.connect() as conn:
        assert conn.request("GET", "/echo/idle-before-term").status == 200
        started = time.monotonic()
        herald.signal(signal.SIGTERM)
        assert herald.wait(10) == 0
        assert time.monotonic() - started < 5, "an idle keep-alive connection held the drain"
        assert conn.closed_within(2)


def test_signals_repeated_while_herald_stops_never_kill_it(herald):
    """A second signal stops a drain at once; any after that, while Herald is on its way out, are
    ignored: none may meet the default disposition and end the process by the signal."""
    herald.signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    sent = 1
    while herald.proc.poll() is None and time.monotonic() < deadline:
        herald.signal(signal.SIGTERM)
        sent += 1
        time.sleep(0.0005)
    assert herald.wait(1) == 0, "exit status %s after %d SIGTERMs" % (herald.proc.poll(), sent)


def test_publish_listener_answers_healthz(herald):
    with herald.connect(port=herald.publish_port) as conn:
        response = conn.request("GET", "/healthz", timeout=5)
    assert response.status == 200, response


@pytest.mark.parametrize("section", ["server", "publish"])
def test_a_second_herald_on_an_address_in_use_refuses_to_start(herald, upstream, tmp_path, section):
    """Herald's loops share their port with SO_REUSEPORT, which would let a second process (the
    same user starting Herald twice) share it too: the kernel would split connections and publishes
    between the two, and each one's subscribers would miss the events sent to the other."""
    port = herald.public_port if section == "server" else herald.publish_port
    config = default_config(upstream.url)
    config[section]["listen"] = "127.0.0.1:%d" % port
    path = tmp_path / "second.conf"
    path.write_text(to_toml(config))
    second = subprocess.run([HERALD_BIN, "--config", str(path)], capture_output=True, timeout=10)
    stderr = second.stderr.decode(errors="replace")
    assert second.returncode == 1, stderr
    assert "127.0.0.1:%d" % port in stderr and "Address already in use" in stderr, stderr
    assert herald.request("GET", "/echo/still-mine").status == 200
    with herald.connect(port=herald.publish_port) as conn:
        assert conn.request("GET", "/healthz", timeout=5).status == 200


def test_forwarded_exchanges_are_access_logged_on_stdout(herald, upstream):
    target = "/echo/access-log-%s" % uuid.uuid4().hex
    assert herald.request("GET", target).status == 200
    line = wait_for(lambda: [l for l in Path(herald.stdout_path).read_text(errors="replace").splitlines()
                             if target in l], 5, message="an access log line for %s on stdout" % target)[0]
    assert " 200 " in line, line
