"""A real redis-server for the Redis-mode tests, and a tiny client to look inside it.

- `RedisServer(workdir)`: `/usr/bin/redis-server` on a free loopback port (never 6379, where a
  distribution's own service may listen), in a folder of its own (`--dir`), without RDB snapshots
  (`--save ""`), and with an append-only file fsynced at every write when `aof=True`. It is
  controlled by its PID only: `kill()` (SIGKILL: no shutdown, no final save), `restart()` (the same
  port and folder, so the AOF is read back), `wipe()` (kill, then start with an empty folder:
  Redis back without its data), `pause()`/`resume()` (SIGSTOP/SIGCONT: the sockets stay open and
  nothing is answered), `stop()`.
- `RedisServer.command(*args)`: one command over RESP on a fresh connection (test code only: the
  product uses hiredis), e.g. `keys("herald:*")`.

- What the tests do to a cluster of Heralds (publishers, collectors, the order check): cluster_clients.py.

Every wait has a deadline; a server that does not answer PING in time fails the test with its log.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from harness import free_port

REDIS_SERVER = "/usr/bin/redis-server"
READY_TIMEOUT_S = 10        # a start, or a restart that replays an AOF of a few thousand writes
COMMAND_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 5
RESERVED_PORTS = {6379}     # a Redis service of the machine may own it; the tests never touch it


class RedisError(Exception):
    """An error reply (`-ERR …`) from Redis."""


def _read_reply(sock_file):
    """One RESP reply from a buffered socket file: str for simple strings and bulk strings, int,
    list, None; RedisError for an error reply (returned, not raised, inside arrays)."""
    line = sock_file.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("redis closed the connection mid-reply: %r" % line)
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        return RedisError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data = sock_file.read(size + 2)
        return data[:-2].decode("utf-8", errors="replace")
    if kind == b"*":
        count = int(rest)
        return None if count < 0 else [_read_reply(sock_file) for _ in range(count)]
    raise ConnectionError("not a RESP reply: %r" % line)


def _encode_command(args):
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode("utf-8")
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def command(port, *args, timeout=COMMAND_TIMEOUT_S):
    """Sends one command to the Redis on 127.0.0.1:`port` and returns its reply (raises RedisError)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(_encode_command(args))
        with sock.makefile("rb") as sock_file:
            reply = _read_reply(sock_file)
    if isinstance(reply, RedisError):
        raise reply
    return reply


class RedisServer:
    """One redis-server process (and its successors after kill/restart) on one port and folder."""

    def __init__(self, workdir, aof=False, name="redis"):
        self.name = name
        self.aof = aof
        self.dir = Path(workdir) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log_path = Path(workdir) / ("%s.log" % name)
        self.port = None
        self.proc = None
        self.paused = False

    @property
    def pid(self):
        return self.proc.pid

    @property
    def url(self):
        return "redis://127.0.0.1:%d/0" % self.port

    def _argv(self):
        argv = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                "--save", "", "--daemonize", "no", "--protected-mode", "no", "--logfile", ""]
        if self.aof:
            argv += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            argv += ["--appendonly", "no"]
        return argv

    def start(self):
        """Starts redis-server (on a new free port the first time, on the same one after) and
        returns once it answers PING."""
        if not os.access(REDIS_SERVER, os.X_OK):
            raise AssertionError("%s not installed (apt-get install redis-server)" % REDIS_SERVER)
        first = self.port is None
        for attempt in range(5 if first else 1):  # a free port may be taken between the check and the bind
            if first:
                self.port = free_port()
                while self.port in RESERVED_PORTS:
                    self.port = free_port()
            with open(self.log_path, "ab") as log:
                log.write(b"--- start on port %d (attempt %d)\n" % (self.port, attempt + 1))
                log.flush()
                self.proc = subprocess.Popen(self._argv(), stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
            self.paused = False
            if self._wait_ready():
                return self
            self._kill_quietly()
        raise AssertionError("redis-server did not answer PING on port %d within %ss\n%s"
                             % (self.port, READY_TIMEOUT_S, self.log()))

    def _wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if command(self.port, "PING", timeout=1.0) == "PONG":
                    return True
            except (OSError, RedisError):  # not listening yet, or -LOADING while it reads the AOF
                pass
            time.sleep(0.02)
        return False

    def command(self, *args, timeout=COMMAND_TIMEOUT_S):
        return command(self.port, *args, timeout=timeout)

    def keys(self, pattern="*"):
        """Every key matching `pattern` (KEYS: fine on a test server's few keys)."""
        return sorted(self.command("KEYS", pattern))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _signal(self, signum):
        assert self.running(), "redis-server (pid %s) is not running" % (self.proc and self.proc.pid)
        os.kill(self.proc.pid, signum)

    def kill(self):
        """SIGKILL: gone at once, without a shutdown save; what the AOF holds is what survives."""
        self._signal(signal.SIGKILL)
        self.proc.wait(STOP_TIMEOUT_S)
        self.paused = False

    def restart(self):
        """Starts again on the same port and folder (after kill/stop): an AOF is replayed."""
        assert not self.running(), "restart() of a running redis-server"
        return self.start()

    def wipe(self):
        """Redis back without its data: kill, empty the folder, start on the same port."""
        if self.running():
            self.kill()
        shutil.rmtree(self.dir)
        self.dir.mkdir()
        return self.start()

    def pause(self):
        self._signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self._signal(signal.SIGCONT)
        self.paused = False

    def stop(self):
        """Teardown: SIGKILL by PID if it still runs (paused or not); nothing of it outlives the test."""
        self._kill_quietly()

    def _kill_quietly(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(STOP_TIMEOUT_S)
        self.paused = False

    def log(self, lines=40):
        try:
            return "--- %s log (last %d lines)\n%s" % (
                self.name, lines, "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:]))
        except OSError:
            return "--- %s log: (none)" % self.name
