"""Fixtures of the end-to-end suite: the real upstream app, the real `herald` binary, raw sockets.

- `upstream` (session): tests/e2e/upstream.py in a subprocess on 127.0.0.1:0; `upstream.mark()` and
  `upstream.records_since(mark)` tell exactly what reached the app in between.
- `start_herald(**sections)`: writes proxy.conf (the defaults below, with per-section overrides; a
  value of None removes a key), starts `$HERALD_BIN --config`, waits for the `listening public=…
  publish=…` line and returns a `Herald`. Teardown closes the test's connections, sends SIGTERM and
  asserts exit status 0 within 15 s (SIGKILL and failure otherwise); on failure it prints the logs.
- `herald`: one Herald with the default config.
- `session_app` (session): tests/e2e/session_app.py, an app with cookie sessions that answers auth
  requests and GRIP routes; `session_app.new_user()` gives each test users of its own.
- `start_redis(aof=False)` / `redis`: a real redis-server (tests/e2e/redis_server.py) on a free
  loopback port in the test's temporary folder; teardown SIGKILLs it by PID.
- `start_cluster(servers, count=3, **sections)`: `count` Heralds (named a, b, c, …) whose `[redis]`
  section names `servers` (one: `url`; several: `urls`, the shards), started by `start_herald`;
  it returns once every one answers /healthz with 200 (connected to Redis).
- Every test runs under a SIGALRM bound (90 s; 900 s for @pytest.mark.big) on top of the per-read
  deadlines, so nothing hangs the suite.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import harness  # noqa: E402
import httpwire  # noqa: E402
import redis_server  # noqa: E402
from harness import free_port, to_toml, wait_for  # noqa: E402,F401  (tests import them from here)

REPO = HERE.parent.parent
HERALD_BIN = os.environ.get("HERALD_BIN", str(REPO / ".build" / "release" / "herald"))
READY_TIMEOUT_S = 10
STOP_TIMEOUT_S = 15
TEST_BOUND_S = 90
BIG_TEST_BOUND_S = 900
READY_PUBLIC = re.compile(r"public=([0-9.]+):(\d+)")
READY_PUBLISH = re.compile(r"publish=([0-9.]+):(\d+)")

FIGURES = []  # lines printed in the terminal summary (peak RSS of the big transfers, ...)


def pytest_configure(config):
    config.addinivalue_line("markers", "big: 1 GiB transfers; part of the normal suite (deselect with -m 'not big')")


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("herald figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    yield from harness.record_reports(item)


@pytest.fixture
def figure():
    """Records a line for the terminal summary (shown even when the test passes)."""
    def add(line):
        print(line)
        FIGURES.append(line)
    return add


@pytest.fixture(autouse=True)
def _test_bound(request):
    yield from harness.bounded(BIG_TEST_BOUND_S if request.node.get_closest_marker("big") else TEST_BOUND_S)


# ------------------------------------------------------------------------------------ utilities



def wait_for_stall(value, quiet=0.5, timeout=20.0, interval=0.05):
    """Polls `value()` until it has not changed for `quiet` seconds; returns it (AssertionError after
    `timeout`). Used to see a transfer stop because a reader stopped reading."""
    deadline = time.monotonic() + timeout
    last, since = value(), time.monotonic()
    while True:
        time.sleep(interval)
        now_value, now = value(), time.monotonic()
        if now_value != last:
            last, since = now_value, now
        elif now - since >= quiet:
            return last
        if now >= deadline:
            raise AssertionError("transfer did not stall within %ss (still moving at %r)" % (timeout, last))




def refusing_port():
    """(socket, port): bound but not listening, so connects are refused and nobody else can take it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


def connect_refused(port, timeout=1.0):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=timeout).close()
        return False
    except ConnectionRefusedError:
        return True


def read_status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError("%s not in /proc/%d/status" % (field, pid))


class RssSampler:
    """Samples a process's VmRSS every 50 ms while active; .hwm_kib is its VmHWM (peak) at exit."""

    def __init__(self, pid):
        self.pid = pid
        self.max_rss_kib = 0
        self.hwm_kib = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.max_rss_kib = max(self.max_rss_kib, read_status_kib(self.pid, "VmRSS"))
            except (OSError, AssertionError):
                return
            self._stop.wait(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(2)
        self.hwm_kib = read_status_kib(self.pid, "VmHWM")


# ------------------------------------------------------------------------------------- upstream


class Upstream:
    def __init__(self, proc, port, stderr_path):
        self.proc = proc
        self.port = port
        self.stderr_path = stderr_path
        self.url = "http://127.0.0.1:%d" % port

    def _get(self, target, timeout=5.0):
        assert self.proc.poll() is None, "upstream died:\n" + self.stderr()
        response = httpwire.request(self.port, "GET", target, timeout=timeout)
        assert response.status == 200, response
        return response

    def stderr(self):
        return Path(self.stderr_path).read_text(errors="replace")[-5000:]

    def log(self, since=0):
        return self._get("/__log?since=%d" % since).json()

    def mark(self):
        """The current length of the upstream's request log."""
        return self.log(10 ** 9)["count"]

    def records_since(self, mark):
        return self.log(mark)["records"]

    def requests_for(self, target, since=0):
        return [r for r in self.records_since(since) if r.get("target") == target]

    def wait_record(self, predicate, since=0, timeout=5.0, message="upstream record"):
        return wait_for(lambda: [r for r in self.records_since(since) if predicate(r)], timeout,
                        interval=0.05, message=message)

    def ack(self, sid, index):
        self._get("/sse-ack?id=%s&i=%d" % (sid, index))

    def connections(self):
        return self._get("/__conns").json()


@pytest.fixture(scope="session")
def upstream(tmp_path_factory):
    stderr_path = tmp_path_factory.mktemp("upstream") / "upstream.stderr"
    with open(stderr_path, "wb") as err:
        proc, port = harness.start_reporting_port([sys.executable, str(HERE / "upstream.py"), "--port", "0"],
                                                  "upstream", READY_TIMEOUT_S, stderr=err)
    try:
        yield Upstream(proc, port, stderr_path)
    finally:
        harness.terminate(proc)


# ---------------------------------------------------------------------------------- session app


class SessionApp:
    """tests/e2e/session_app.py: a legacy app with cookie sessions, that answers auth requests."""

    def __init__(self, proc, port):
        self.proc = proc
        self.port = port
        self.url = "http://127.0.0.1:%d" % port
        self._users = iter(range(1000, 10 ** 6))

    def _get(self, target):
        assert self.proc.poll() is None, "session app died"
        response = httpwire.request(self.port, "GET", target, timeout=5.0)
        assert response.status == 200, response
        return response

    def new_user(self):
        """A user id no other test uses (the app lives for the whole session)."""
        return str(next(self._users))

    def mark(self):
        return self._get("/__log?since=1000000000").json()["count"]

    def records_since(self, mark):
        return self._get("/__log?since=%d" % mark).json()["records"]

    def auth_requests_since(self, mark):
        return [r for r in self.records_since(mark) if r["target"].startswith(("/events", "/auth/events"))]

    def grant(self, user, channels):
        self._get("/__grant?user=%s&channels=%s" % (user, ",".join(channels)))

    def drop_auth_requests(self, on):
        self._get("/__mode?drop=%d" % (1 if on else 0))


@pytest.fixture(scope="session")
def session_app():
    proc, port = harness.start_reporting_port([sys.executable, str(HERE / "session_app.py"), "--port", "0"],
                                              "session app", READY_TIMEOUT_S)
    try:
        yield SessionApp(proc, port)
    finally:
        harness.terminate(proc)


# --------------------------------------------------------------------------------------- herald


def default_config(upstream_url):
    return {
        "server": {"listen": "127.0.0.1:0", "header_timeout": "1s", "idle_timeout": "5s",
                   "max_body_bytes": "2GiB"},
        "upstream": {"url": upstream_url, "timeout": "2s", "connect_timeout": "1s"},
        "publish": {"listen": "127.0.0.1:0"},
        "log": {"access": "combined"},
    }




class Herald:
    """One running `herald` process and the client connections a test opened to it."""

    def __init__(self, workdir, config, name="herald"):
        self.workdir = Path(workdir)
        self.config = config
        self.config_path = self.workdir / ("%s.conf" % name)
        self.stdout_path = self.workdir / ("%s.stdout" % name)
        self.stderr_path = self.workdir / ("%s.stderr" % name)
        self.proc = None
        self.returncode = None
        self.args = ["--config", str(self.config_path)]  # a test may swap these for HERALD_* variables
        self.env = None  # None: this process's environment
        self.public_port = None
        self.publish_port = None
        self.connections = []

    @property
    def pid(self):
        return self.proc.pid

    def start(self):
        if not os.access(HERALD_BIN, os.X_OK):
            pytest.fail("herald binary not found at %s (build it, or set HERALD_BIN)" % HERALD_BIN)
        self.config_path.write_text(to_toml(self.config))
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen([HERALD_BIN] + self.args, stdout=out, stderr=err, cwd=self.workdir,
                                         env=self.env)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            text = self.stderr_path.read_text(errors="replace")
            for line in text.splitlines():
                if "listening" in line and READY_PUBLIC.search(line) and READY_PUBLISH.search(line):
                    self.public_port = int(READY_PUBLIC.search(line).group(2))
                    self.publish_port = int(READY_PUBLISH.search(line).group(2))
                    return self
            if self.proc.poll() is not None:
                pytest.fail("herald exited with %s before listening\n%s" % (self.proc.returncode, self.logs()))
            if time.monotonic() > deadline:
                pytest.fail("herald printed no 'listening public=… publish=…' line within %ss\n%s"
                            % (READY_TIMEOUT_S, self.logs()))
            time.sleep(0.02)

    def connect(self, timeout=10.0, port=None):
        conn = httpwire.Connection(port or self.public_port, timeout=timeout)
        self.connections.append(conn)
        return conn

    def request(self, method, target, headers=None, body=b"", timeout=10.0):
        with self.connect(timeout) as conn:
            return conn.request(method, target, headers, body, timeout)

    def signal(self, signum=signal.SIGTERM):
        self.proc.send_signal(signum)

    RELOAD_OUTCOMES = ("reloaded", "the running settings stay")

    def reload_outcomes(self):
        return [line for line in self.stderr().splitlines() if any(o in line for o in self.RELOAD_OUTCOMES)]

    def reload(self, text=None, send=None, timeout=10.0):
        """Writes `text` (default: `self.config` as TOML) to the config file, sends SIGHUP (or runs
        `send()`), and returns the log line of the outcome: "… reloaded" or "… reload refused …"."""
        self.config_path.write_text(to_toml(self.config) if text is None else text)
        before = len(self.reload_outcomes())
        if send is None:
            self.signal(signal.SIGHUP)
        else:
            send()
        wait_for(lambda: len(self.reload_outcomes()) > before, timeout=timeout, message="a reload outcome in the log")
        return self.reload_outcomes()[before]

    def stderr(self):
        return self.stderr_path.read_text(errors="replace")

    def wait(self, timeout):
        """Exit status within `timeout`, else None."""
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def stop(self):
        """Closes the test's connections, SIGTERM, exit status (SIGKILL and -9 after STOP_TIMEOUT_S)."""
        for conn in self.connections:
            conn.close()
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
        if self.wait(STOP_TIMEOUT_S) is None:
            self.proc.kill()
            self.proc.wait(5)
            self.returncode = "killed: no exit within %ss of SIGTERM" % STOP_TIMEOUT_S
        return self.returncode

    def logs(self, lines=80):
        def tail(path):
            try:
                return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
            except OSError:
                return "(none)"
        return ("--- herald config %s\n%s--- herald stderr (last %d lines)\n%s\n--- herald stdout / access log "
                "(last %d lines)\n%s\n" % (self.config_path, to_toml(self.config), lines,
                                           tail(self.stderr_path), lines, tail(self.stdout_path)))


@pytest.fixture
def start_herald(upstream, tmp_path, request):
    started = []

    def start(name="herald", **sections):
        config = default_config(upstream.url)
        for section, keys in sections.items():
            config.setdefault(section, {}).update(keys)
        herald = Herald(tmp_path, config, name)
        started.append(herald)
        return herald.start()

    yield start
    problems = []
    for herald in started:
        if herald.proc is None:
            continue
        code = herald.stop()
        if code != 0:
            problems.append("herald (pid %d) ended with %s after SIGTERM" % (herald.pid, code))
        if code != 0 or harness.failed(request.node):
            print(herald.logs())
    if harness.failed(request.node):
        print("--- upstream stderr\n" + upstream.stderr())
    assert not problems, "; ".join(problems)


@pytest.fixture
def herald(start_herald):
    return start_herald()


# ---------------------------------------------------------------------------------------- redis

# Faster reconnects than the defaults (100ms … 5s), so a test sees Redis come back within a second.
CLUSTER_REDIS_SETTINGS = {"reconnect_min": "100ms", "reconnect_max": "1s", "connect_timeout": "1s"}


@pytest.fixture
def start_redis(tmp_path, request):
    started = []

    def start(aof=False, name=None):
        server = redis_server.RedisServer(tmp_path, aof=aof, name=name or "redis%d" % len(started))
        started.append(server)
        return server.start()

    yield start
    for server in started:
        if harness.failed(request.node):
            print(server.log())
        server.stop()


@pytest.fixture
def redis(start_redis):
    return start_redis()


CLUSTER_READY_TIMEOUT_S = 10  # each instance connects to Redis (its /healthz answers 200)


@pytest.fixture
def start_cluster(start_herald):
    """Heralds sharing Redis: start_cluster(servers, count=3, redis={...overrides}, events={...});
    returns once each one's /healthz answers 200 (connected to Redis), unless ready=False."""
    def healthy(herald):
        return httpwire.request(herald.publish_port, "GET", "/healthz", timeout=5.0).status == 200

    def start(servers, count=3, ready=True, **sections):
        servers = servers if isinstance(servers, (list, tuple)) else [servers]
        settings = dict(CLUSTER_REDIS_SETTINGS)
        if len(servers) == 1:
            settings["url"] = servers[0].url
        else:
            settings["urls"] = [s.url for s in servers]
        settings.update(sections.pop("redis", {}))
        heralds = [start_herald(name="abcdefgh"[i], redis=settings, **sections) for i in range(count)]
        for herald in heralds if ready else ():
            wait_for(lambda: healthy(herald), CLUSTER_READY_TIMEOUT_S, interval=0.05,
                     message="%s: /healthz 200 (connected to Redis)" % herald.config_path.stem)
        return heralds
    return start
