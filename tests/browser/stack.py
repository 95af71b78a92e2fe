"""The processes behind a browser test: the legacy app (examples/legacy-app/app.py) and the real
`herald` binary in front of it, on loopback ports picked free, plus small clients of Herald's
publish listener and a page server for other origins.

Every process is started with Popen and stopped by its PID (SIGTERM, then SIGKILL after a bound);
every wait has a deadline.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import harness  # noqa: E402
from harness import free_port, to_toml  # noqa: E402

REPO = Path(__file__).resolve().parent.parent.parent
APP = REPO / "examples" / "legacy-app" / "app.py"
HERALD_BIN = os.environ.get("HERALD_BIN", str(REPO / ".build" / "release" / "herald"))
READY_TIMEOUT_S = 10
STOP_TIMEOUT_S = 15
HTTP_TIMEOUT_S = 5
EVENT_TIMEOUT_S = 10  # how long a page may take to show an event (normally milliseconds)
READY_LINE = re.compile(r"listening public=([0-9.]+):(\d+) publish=([0-9.]+):(\d+)")
APP_READY_LINE = re.compile(r"legacy app on http://([0-9.]+):(\d+)/")


class StackError(AssertionError):
    pass


def wait_for(condition, timeout=EVENT_TIMEOUT_S, message="condition", interval=0.05):
    """harness.wait_for with this suite's defaults, failing with a StackError."""
    return harness.wait_for(condition, timeout, interval, message, error=StackError)


def stop_process(proc, timeout=STOP_TIMEOUT_S):
    """SIGTERM to the process by its PID, SIGKILL if it has not exited within `timeout`.
    Returns its exit status, or a string saying it had to be killed."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(5)
        return "killed: no exit within %ss of SIGTERM" % timeout


def tail(path, lines=60):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(none)"


def http(method, url, body=None, headers=None, timeout=HTTP_TIMEOUT_S):
    """(status, headers, body bytes) of one request; HTTP errors are answers, not exceptions."""
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


# ---------------------------------------------------------------------------------- processes


class LegacyApp:
    """examples/legacy-app/app.py on a free port, sending its webhooks to `publish_url`."""

    def __init__(self, workdir, publish_url, events_path="/events", reset_event="herald-reset"):
        self.log_path = Path(workdir) / "legacy-app.log"
        self.args = [sys.executable, str(APP), "--port", "0", "--publish-url", publish_url,
                     "--events-path", events_path, "--reset-event", reset_event]
        self.proc = None
        self.port = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                raise StackError("legacy app exited with %s\n%s" % (self.proc.returncode, tail(self.log_path)))
            match = APP_READY_LINE.search(self.log_path.read_text(errors="replace"))
            return match and int(match.group(2))

        self.port = wait_for(ready, READY_TIMEOUT_S, "legacy app ready line")
        return self

    def stop(self):
        return stop_process(self.proc) if self.proc else None


class Herald:
    """The real herald binary with a proxy.conf written from `config` (a dict of sections)."""

    def __init__(self, workdir, config):
        self.workdir = Path(workdir)
        self.config = config
        self.config_path = self.workdir / "proxy.conf"
        self.stdout_path = self.workdir / "herald.stdout"  # the access log
        self.stderr_path = self.workdir / "herald.stderr"
        self.proc = None
        self.public_port = None
        self.publish_port = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.public_port

    @property
    def publish_url(self):
        return "http://127.0.0.1:%d" % self.publish_port

    def start(self):
        if not os.access(HERALD_BIN, os.X_OK):
            raise StackError("herald binary not found at %s (build it, or set HERALD_BIN)" % HERALD_BIN)
        self.config_path.write_text(to_toml(self.config))
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen([HERALD_BIN, "--config", str(self.config_path)],
                                         stdout=out, stderr=err, cwd=self.workdir)

        def ready():
            if self.proc.poll() is not None:
                raise StackError("herald exited with %s before listening\n%s" % (self.proc.returncode, self.logs()))
            return READY_LINE.search(self.stderr_path.read_text(errors="replace"))

        match = wait_for(ready, READY_TIMEOUT_S, "herald 'listening public=… publish=…' line")
        self.public_port, self.publish_port = int(match.group(2)), int(match.group(4))
        return self

    def stop(self):
        return stop_process(self.proc) if self.proc else None

    def access_log(self):
        return self.stdout_path.read_text(errors="replace")

    def logs(self):
        return "--- %s\n%s--- herald stderr\n%s\n--- herald access log\n%s\n" % (
            self.config_path, to_toml(self.config), tail(self.stderr_path), tail(self.stdout_path))

    # The publish listener, as the app (or an operator with curl) uses it.

    def publish_json(self, payload):
        """POST /publish with a JSON body: the 202 answer's array of results."""
        status, _, body = http("POST", self.publish_url + "/publish", json.dumps(payload),
                               headers={"Content-Type": "application/json"})
        if status != 202:
            raise StackError("publish of %r answered %s: %r" % (payload, status, body))
        return json.loads(body)

    def publish(self, channel, data, event=None):
        """POST /publish/<channel>: the 202 answer's JSON ({"channel", "id", "subscribers"})."""
        target = "%s/publish/%s" % (self.publish_url, channel)
        if event:
            target += "?event=" + event
        status, _, body = http("POST", target, data)
        if status != 202:
            raise StackError("publish to %s answered %s: %r" % (channel, status, body))
        return json.loads(body)

    def channel(self, channel):
        """GET /channels/<channel> as a dict; {"subscribers": 0} for a channel Herald does not know."""
        status, _, body = http("GET", "%s/channels/%s" % (self.publish_url, channel))
        if status == 404:
            return {"channel": channel, "subscribers": 0}
        if status != 200:
            raise StackError("GET /channels/%s answered %s: %r" % (channel, status, body))
        return json.loads(body)

    def subscribers(self, channel):
        return self.channel(channel)["subscribers"]

    def metric(self, name):
        """The value of an unlabelled metric in GET /metrics (Prometheus text format)."""
        status, _, body = http("GET", "%s/metrics" % self.publish_url)
        for line in body.decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise StackError("no metric %s in /metrics (status %s)" % (name, status))

    def delete_channel(self, channel):
        status, _, body = http("DELETE", "%s/channels/%s" % (self.publish_url, channel))
        if status not in (200, 202, 204):
            raise StackError("DELETE /channels/%s answered %s: %r" % (channel, status, body))


def herald_config(upstream_url, publish_port, events, sections=None):
    config = {
        # drain_spread 0s: a DELETE /channels/… then ends streams without a random retry: over the
        # default 10 s window, times client.js's own jitter (up to 1.5), a page could take 15 s to
        # come back, longer than the tests wait for a replay; they set a short events.retry instead.
        "server": {"listen": "127.0.0.1:0", "threads": 2, "shutdown_grace": "2s", "drain_spread": "0s"},
        "upstream": {"url": upstream_url, "timeout": "5s", "connect_timeout": "1s"},
        "events": dict(events),
        "publish": {"listen": "127.0.0.1:%d" % publish_port},
        "log": {"access": "combined"},
    }
    config.update(sections or {})
    return config


class Stack:
    """The legacy app with Herald in front of it. Herald's publish port is picked first, since the
    app must know where to send webhooks before Herald (which must know the app) starts."""

    ATTEMPTS = 3  # a picked port can be taken by someone else before Herald binds it

    def __init__(self, workdir, events, sections=None, upstream=None):
        self.workdir = Path(workdir)
        self.events = events
        self.sections = sections  # other sections of proxy.conf, e.g. {"limits": {...}}
        self.upstream = upstream  # the URL of an upstream the test runs, instead of the legacy app
        self.app = None
        self.herald = None
        self.problems = []  # of Heralds stopped before the end (restart_herald)

    def start(self):
        events_path = self.events.get("path", "/events")
        reset_event = self.events.get("reset_event", "herald-reset")
        for attempt in range(1, self.ATTEMPTS + 1):
            publish_port = free_port()
            if self.upstream is None:
                self.app = LegacyApp(self.workdir, "http://127.0.0.1:%d" % publish_port, events_path, reset_event).start()
            upstream = self.upstream or self.app.url
            self.herald = Herald(self.workdir, herald_config(upstream, publish_port, self.events, self.sections))
            try:
                self.herald.start()
                return self
            except StackError:
                self.stop()
                if attempt == self.ATTEMPTS or "in use" not in tail(self.herald.stderr_path):
                    raise

    def restart_herald(self):
        """Stops Herald (SIGTERM, as an operator's restart does) and starts a new one with the same
        config on the same public and publish ports; its files go to a directory of its own."""
        old = self.herald
        code = old.stop()
        if code != 0:
            self.problems.append("herald (pid %d) ended with %s after SIGTERM" % (old.proc.pid, code))
        config = dict(old.config, server=dict(old.config["server"], listen="127.0.0.1:%d" % old.public_port))
        workdir = self.workdir / ("herald-restart-%d" % (len(list(self.workdir.glob("herald-restart-*"))) + 1))
        workdir.mkdir()
        self.herald = Herald(workdir, config).start()
        return self.herald

    def stop(self):
        """Stops Herald, then the app; returns the problems (a non-zero exit) as strings."""
        problems = list(self.problems)
        for name, part in (("herald", self.herald), ("legacy app", self.app)):
            if part is None or part.proc is None:
                continue
            code = part.stop()
            if name == "herald" and code != 0:
                problems.append("herald (pid %d) ended with %s after SIGTERM" % (part.proc.pid, code))
        return problems

    def logs(self):
        return (self.herald.logs() if self.herald else "") + (
            "--- legacy app log\n%s\n" % tail(self.app.log_path) if self.app else "")


# ------------------------------------------------------------------------------- other origins


class PageServer:
    """Serves one HTML page at / (`html`), and any in `pages` (path -> HTML), on its own loopback
    port: a site on another origin, or an upstream for Herald. It binds at once, so its origin is
    known (for events.allow_origins) before its page is written."""

    def __init__(self):
        self.html = ""
        self.pages = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                found = self.path == "/" or self.path in owner.pages
                page = (owner.html if self.path == "/" else owner.pages.get(self.path, "not found")).encode()
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
