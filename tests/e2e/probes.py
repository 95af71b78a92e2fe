"""What the end-to-end tests measure beyond HTTP: a transfer that stalls, ports that refuse
connections, a process's memory and descriptors from /proc, Herald's open connections. Tests import these names from conftest.
"""

import os
import socket
import threading
import time

import metrics_text
import publishing


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


def open_connections(herald):
    """Herald's `herald_connections_open`, read from /metrics on its publish listener."""
    with publishing.Publisher(herald.publish_port) as pub:
        return metrics_text.metric(pub.metrics()[0], "herald_connections_open")


def descriptors(herald):
    """How many descriptors Herald has open."""
    return len(os.listdir("/proc/%d/fd" % herald.pid))
