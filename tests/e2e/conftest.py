"""Fixtures of the end-to-end suite: the real upstream app, the real `herald` binary, raw sockets.

- `upstream` (session): tests/e2e/upstream.py in a subprocess on 127.0.0.1:0; `upstream.mark()` and
  `upstream.records_since(mark)` tell exactly what reached the app in between.
- `start_herald(**sections)`: writes proxy.conf (herald_process.default_config, with per-section
  overrides; a value of None removes a key), starts `$HERALD_BIN --config`, waits for the
  `listening public=… publish=…` line and returns a `Herald` (herald_process.py). Teardown closes
  the test's connections, sends SIGTERM and asserts exit status 0 within 15 s (SIGKILL and failure
  otherwise); on failure it prints the logs.
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

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import harness  # noqa: E402
import httpwire  # noqa: E402
import redis_server  # noqa: E402
from harness import free_port, to_toml, wait_for  # noqa: E402,F401  (tests import them from here)
from herald_process import HERALD_BIN, READY_TIMEOUT_S, REPO, Herald, default_config  # noqa: E402,F401
from probes import (RssSampler, connect_refused, descriptors, open_connections, read_status_kib,  # noqa: E402,F401
                    refusing_port, wait_for_stall)

TEST_BOUND_S = 90
BIG_TEST_BOUND_S = 900

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
        report = herald.sanitizer_report()
        if report:
            problems.append("herald (pid %d): a sanitizer found something:\n%s" % (herald.pid, report))
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
