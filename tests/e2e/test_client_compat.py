"""Client compatibility: real SSE client libraries read Herald's streams and must report exactly
the events published, nothing more and nothing less (tests/clients/scenarios.py has the scripts;
the Chromium EventSource runs them in tests/browser/test_client_compat_chromium.py).

Each client runs as a small driver in its own process (tests/clients/), printing one JSON line per
event it dispatches: Node's `eventsource` (Debian's node-eventsource), and from PyPI httpx-sse,
sseclient-py and requests-sse (versions pinned in tests/requirements.txt).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CLIENTS_DIR = Path(__file__).resolve().parent.parent / "clients"
sys.path.insert(0, str(CLIENTS_DIR))
import scenarios  # noqa: E402

NODE_PATH = os.environ.get("NODE_PATH", "/usr/share/nodejs")  # where Debian puts node-eventsource
EXIT_MARGIN_S = 10  # beyond a driver's own deadline, before it is killed

CLIENTS = {
    "eventsource": ["node", str(CLIENTS_DIR / "eventsource_client.js")],
    "httpx-sse": [sys.executable, str(CLIENTS_DIR / "httpx_sse_client.py")],
    "sseclient-py": [sys.executable, str(CLIENTS_DIR / "sseclient_py_client.py")],
    "requests-sse": [sys.executable, str(CLIENTS_DIR / "requests_sse_client.py")],
}


class Driver:
    """One client driver process reading one stream of the Herald under test."""

    def __init__(self, client, public_port, timeout):
        self.command = CLIENTS[client]
        self.base = "http://127.0.0.1:%d" % public_port
        self.timeout = timeout
        self.proc = None
        self.output = None

    def start(self, target, last_event_id=None, types=()):
        args = self.command + [self.base + target, "--timeout", str(self.timeout), "--stop", scenarios.STOP,
                               "--types", ",".join(types)]
        if last_event_id is not None:
            args += ["--last-event-id", last_event_id]
        env = dict(os.environ, NODE_PATH=NODE_PATH, PYTHONIOENCODING="utf-8")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)

    def alive(self):
        if self.proc.poll() is not None:
            raise AssertionError("the client exited before subscribing:\n%s" % self.finish()[2])

    def finish(self):
        """(events as (type, data, id) tuples, how the run ended, the driver's output)."""
        if self.output is None:
            try:
                out, err = self.proc.communicate(timeout=self.timeout + EXIT_MARGIN_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                out, err = self.proc.communicate()
            self.output = (out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
        out, err = self.output
        events, end = [], None
        for line in out.splitlines():
            item = json.loads(line)
            if "end" in item:
                end = item["end"]
            else:
                events.append((item["type"], item["data"], item["id"]))
        return events, end, "--- stdout\n%s--- stderr\n%s" % (out, err[-3000:])

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


@pytest.mark.parametrize("scenario", scenarios.ALL, ids=lambda s: s.__name__)
@pytest.mark.parametrize("client", list(CLIENTS))
def test_client_reports_exactly_the_published_events(start_herald, client, scenario):
    herald = start_herald(events=scenario.events)
    hub = scenarios.Hub(herald.public_port, herald.publish_port)
    driver = Driver(client, herald.public_port, scenario.timeout_s)
    try:
        expected = scenario(hub, driver)
        events, end, output = driver.finish()
    finally:
        driver.kill()
    assert (events, end) == (expected, "stop"), (
        "%s reported, in %s:\n  %s\nexpected:\n  %s\n%s" % (
            client, scenario.__name__, "\n  ".join(map(repr, events)) or "(nothing)",
            "\n  ".join(map(repr, expected)), output))
