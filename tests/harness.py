"""What the end-to-end and the browser suites share: bounded waits, ports, proxy.conf writing,
child processes that report their port, and the pytest plumbing that bounds every test and tells
teardown whether it failed. Both conftests put this folder on sys.path and import from here."""

import json
import re
import signal
import socket
import subprocess
import threading
import time


def wait_for(condition, timeout, interval=0.02, message="condition", error=AssertionError):
    """Polls `condition` until it returns a truthy value (returned) or `timeout` passes (`error`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise error("%s not met within %ss" % (message, timeout))
        time.sleep(interval)


def free_port():
    """A loopback port that was free a moment ago (for a listener that must be named up front)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def to_toml(config):
    """proxy.conf text from {section: {key: value}}; a value of None leaves the key out, and a list
    of dicts becomes an array of tables ([[section.key]])."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        return json.dumps(v)  # JSON strings and arrays of strings are valid TOML

    def is_tables(v):
        return isinstance(v, list) and v and all(isinstance(t, dict) for t in v)

    out = []
    for section, keys in config.items():
        out.append("[%s]" % section)
        out.extend("%s = %s" % (k, value(v)) for k, v in keys.items() if v is not None and not is_tables(v))
        out.append("")
        for k, tables in keys.items():
            for table in tables if is_tables(tables) else []:
                out.append("[[%s.%s]]" % (section, k))
                out.extend("%s = %s" % (tk, value(tv)) for tk, tv in table.items() if tv is not None)
                out.append("")
    return "\n".join(out)


def read_line_with_timeout(stream, timeout):
    """One line of `stream`, or None when none came within `timeout`."""
    result = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else None


def start_reporting_port(command, what, timeout, stderr=subprocess.DEVNULL):
    """Starts `command`, which prints `PORT <n>` first on stdout once it listens; returns (proc, n)."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)
    line = read_line_with_timeout(proc.stdout, timeout)
    match = re.match(rb"PORT (\d+)", line or b"")
    if not match:
        terminate(proc)
        raise AssertionError("%s did not start: %r" % (what, line))
    return proc, int(match.group(1))


def terminate(proc, timeout=5):
    """SIGTERM to `proc` by its PID, SIGKILL if it is still there after `timeout`."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


# ------------------------------------------------------------------------------ pytest plumbing


def record_reports(item):
    """Body of a pytest_runtest_makereport hookwrapper: keeps each phase's report on the item."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)


def failed(node):
    """True when the test's setup or call failed (for teardowns that print logs)."""
    return any(getattr(getattr(node, "rep_" + when, None), "failed", False) for when in ("setup", "call"))


def bounded(seconds):
    """Body of an autouse fixture: a SIGALRM after `seconds` fails the test, so nothing hangs."""
    def on_alarm(signum, frame):
        raise TimeoutError("test exceeded its %d s bound" % seconds)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

