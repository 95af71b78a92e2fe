"""systemd socket activation: Herald serves the sockets it is handed (LISTEN_PID, LISTEN_FDS,
LISTEN_FDNAMES, descriptors from 3), so a restart loses no connection attempt: the sockets stay
open in the supervisor while the old process drains and the new one takes them.

The test plays systemd: it binds the two sockets, and starts each herald through bash with the
sockets as descriptors 3 and 4 and LISTEN_PID set to the pid that execs herald."""

import os
import signal
import socket
import subprocess
import threading
import time

import pytest

import httpwire
from conftest import HERALD_BIN, READY_TIMEOUT_S, to_toml, wait_for
from publishing import Publisher
from sse import assert_next_is, subscribe


def listening_socket():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    return sock


class Activated:
    """A herald started as systemd starts a socket-activated service."""

    def __init__(self, tmp_path, name, config, sockets, names="public:publish"):
        self.config_path = tmp_path / ("%s.conf" % name)
        self.config_path.write_text(to_toml(config))
        self.stderr_path = tmp_path / ("%s.stderr" % name)
        self.stdout_path = tmp_path / ("%s.stdout" % name)
        moves = " ".join("%d<&%d" % (3 + i, s.fileno()) for i, s in enumerate(sockets))
        script = 'exec %s; export LISTEN_PID=$$; exec "$@"' % moves
        env = dict(os.environ, LISTEN_FDS=str(len(sockets)))
        if names is not None:
            env["LISTEN_FDNAMES"] = names
        with open(self.stderr_path, "wb") as err, open(self.stdout_path, "wb") as out:
            self.proc = subprocess.Popen(["bash", "-c", script, "herald", HERALD_BIN, "--config", str(self.config_path)],
                                         stdout=out, stderr=err, env=env, pass_fds=[s.fileno() for s in sockets])
        wait_for(lambda: "listening" in self.stderr() or self.proc.poll() is not None, timeout=READY_TIMEOUT_S,
                 message="herald listening")
        assert self.proc.poll() is None, self.stderr()

    def stderr(self):
        return self.stderr_path.read_text(errors="replace")

    def access_lines(self, target):
        return [line for line in self.stdout_path.read_text().splitlines() if target in line]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            return "killed"


@pytest.fixture
def activated(tmp_path):
    started = []

    def start(*args, **kw):
        herald = Activated(tmp_path, "herald%d" % len(started), *args, **kw)
        started.append(herald)
        return herald

    yield start
    for herald in started:
        herald.stop()


def config(upstream, threads=2):
    # The configured addresses are not the sockets': the sockets win.
    return {"server": {"listen": "127.0.0.1:0", "threads": threads, "shutdown_grace": "5s"},
            "upstream": {"url": upstream.url}, "publish": {"listen": "127.0.0.1:0"},
            "log": {"access": "combined"}}


def test_herald_serves_the_sockets_it_is_handed(activated, upstream):
    public, publish = listening_socket(), listening_socket()
    try:
        herald = activated(config(upstream), [public, publish])
        line = next(line for line in herald.stderr().splitlines() if "listening" in line)
        assert "public=127.0.0.1:%d" % public.getsockname()[1] in line, line
        assert "publish=127.0.0.1:%d" % publish.getsockname()[1] in line, line
        assert "instead of server.listen 127.0.0.1:0" in herald.stderr()
        stream = subscribe(public.getsockname()[1], ["activated"])
        with Publisher(publish.getsockname()[1]) as publisher:
            publisher.publish("activated", "through inherited sockets")
        assert_next_is(stream, "through inherited sockets")
        stream.close()
    finally:
        public.close()
        publish.close()


def test_unnamed_sockets_are_public_then_publish_and_one_socket_is_the_public_one(activated, upstream):
    public = listening_socket()
    try:
        herald = activated(config(upstream), [public], names=None)
        assert "public=127.0.0.1:%d" % public.getsockname()[1] in herald.stderr()
        assert httpwire.request(public.getsockname()[1], "GET", "/one-socket").status == 200
    finally:
        public.close()


def test_bad_activation_variables_stop_herald_with_the_variable_named(tmp_path, upstream):
    public = listening_socket()
    try:
        path = tmp_path / "bad.conf"
        path.write_text(to_toml(config(upstream)))
        result = subprocess.run(
            ["bash", "-c", 'exec 3<&%d 4<&%d; export LISTEN_PID=$$; exec "$@"' % (public.fileno(), public.fileno()),
             "herald", HERALD_BIN, "--config", str(path)],
            env=dict(os.environ, LISTEN_FDS="2", LISTEN_FDNAMES="admin:public"), pass_fds=[public.fileno()],
            capture_output=True, text=True, timeout=10)
        assert result.returncode == 2
        assert "LISTEN_FDNAMES" in result.stderr and "admin" in result.stderr, result.stderr
    finally:
        public.close()


def test_a_restart_through_the_handed_sockets_refuses_no_connection_attempt(activated, upstream, figure):
    public, publish = listening_socket(), listening_socket()
    port = public.getsockname()[1]
    outcomes = {"ok": 0, "failed": []}
    stop = threading.Event()

    def client_loop():
        # A new connection per request, for at most 20 s or 20,000 requests.
        deadline = time.monotonic() + 20
        for _ in range(20_000):
            if stop.is_set() or time.monotonic() > deadline:
                return
            try:
                response = httpwire.request(port, "GET", "/restart", headers=[("Connection", "close")], timeout=5)
                if response.status == 200:
                    outcomes["ok"] += 1
                else:
                    outcomes["failed"].append(response.status)
            except Exception as error:  # noqa: BLE001 (any failure of a request counts, the loop goes on)
                outcomes["failed"].append(repr(error))

    try:
        old = activated(config(upstream), [public, publish])
        stream = subscribe(port, ["restart"])
        client = threading.Thread(target=client_loop)
        client.start()
        wait_for(lambda: outcomes["ok"] >= 50, timeout=10, message="the client loop under way")
        # The restart: the old process drains, the new one is started on the same sockets.
        old.proc.send_signal(signal.SIGTERM)
        new = activated(config(upstream), [public, publish])
        served_before = outcomes["ok"]
        wait_for(lambda: outcomes["ok"] >= served_before + 200, timeout=15, message="requests after the restart")
        stop.set()
        client.join(30)
        assert old.proc.wait(15) == 0
        # The old process ended its stream (the browser comes back to the new one).
        stream.wait_closed(10)
        assert not stream.cut, "the old process cut its stream instead of ending it"
        stream.close()
        assert outcomes["failed"] == [], outcomes["failed"][:10]
        assert new.stop() == 0  # which flushes its access log
        assert len(new.access_lines("/restart")) > 0, "the new process served nothing"
        assert len(old.access_lines("/restart")) > 0
        figure("socket activation restart: %d requests on new connections, %d by the old process, %d by the new, "
               "0 refused" % (outcomes["ok"], len(old.access_lines("/restart")), len(new.access_lines("/restart"))))
    finally:
        stop.set()
        public.close()
        publish.close()
