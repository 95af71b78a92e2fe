"""One running `herald` process of the end-to-end tests: `Herald` writes its proxy.conf (TOML, from
a dict; `default_config` is the suite's), starts `$HERALD_BIN --config`, waits for the `listening
public=… publish=…` line, opens client connections, reloads, and stops it by SIGTERM (SIGKILL after
STOP_TIMEOUT_S). conftest.py's `start_herald` fixture makes them; tests import these names from conftest.
"""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

import httpwire
from harness import to_toml, wait_for

REPO = Path(__file__).resolve().parent.parent.parent
HERALD_BIN = os.environ.get("HERALD_BIN", str(REPO / ".build" / "release" / "herald"))
READY_TIMEOUT_S = 10
STOP_TIMEOUT_S = 15
# The sanitizer HERALD_BIN was built with (scripts/sanitized-tests sets it): its shadow memory
# and quarantine multiply a process's resident memory, by about this much.
SANITIZER = os.environ.get("HERALD_SANITIZED", "")
MEMORY_FACTOR = {"": 1, "thread": 2, "address": 4}[SANITIZER]
READY_PUBLIC = re.compile(r"public=([0-9.]+):(\d+)")
READY_PUBLISH = re.compile(r"publish=([0-9.]+):(\d+)")


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

    # What ThreadSanitizer, AddressSanitizer, LeakSanitizer and UBSan print when they find
    # something, in a herald built with scripts/sanitized-tests.
    SANITIZER_REPORT = re.compile(r"WARNING: ThreadSanitizer|ERROR: (Address|Leak)Sanitizer|runtime error: ")

    def sanitizer_report(self):
        """The first sanitizer report on stderr (its first 6,000 characters), or None."""
        try:
            text = self.stderr()
        except OSError:
            return None
        found = self.SANITIZER_REPORT.search(text)
        return text[found.start():found.start() + 6000] if found else None

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
