"""A scripted upstream on raw sockets, for faults the well-behaved test app never commits: a head
cut short, a body cut mid-chunk, bytes beyond the body, a garbage head, a reset mid-upload.

`RawUpstream(scripts)` listens on 127.0.0.1:0 and serves each connection in a thread: it reads a
request head, runs the script whose path prefix matches the target (else answers a short 200
naming the connection), and reads the next head on the same connection until the peer closes it.
Each connection's record says which targets came on it and how it ended, so a test can tell a
connection Herald closed from one it reused.

A script is `script(sock, buf, head, record)` (`buf`: bytes read behind the head) → KEEP (read the
next head) or DONE (the script closed the socket, e.g. with `kill`).
"""

import socket
import struct
import threading

KEEP = "keep"
DONE = "done"
HOLD_S = 30             # a connection waits at most this long for Herald's next request or close
MAX_HEAD_BYTES = 64 * 1024


def kill(sock, how):
    """Ends `sock` as a dying upstream does: "reset" (SO_LINGER 0: a RST, as a killed process with
    unread input) or "close" (a FIN)."""
    if how == "reset":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def content_length(head):
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def recv_exactly(sock, buf, count):
    """`count` bytes, the first from `buf` (what came behind the head); None if the peer closed."""
    while len(buf) < count:
        data = sock.recv(64 * 1024)
        if not data:
            return None
        buf += data
    taken = bytes(buf[:count])
    del buf[:count]
    return taken


class RawUpstream:
    def __init__(self, scripts):
        self.scripts = scripts  # [(path prefix, script)]
        self.records = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.listener.close()

    def connections_for(self, target):
        with self._lock:
            return [dict(r, targets=list(r["targets"])) for r in self.records if target in r["targets"]]

    def _accept(self):
        while not self._stop.is_set():
            try:
                sock, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                record = {"id": len(self.records) + 1, "targets": [], "end": None}
                self.records.append(record)
            threading.Thread(target=self._serve, args=(sock, record), daemon=True).start()

    def _end(self, record, how):
        with self._lock:
            record["end"] = how

    def _serve(self, sock, record):
        sock.settimeout(HOLD_S)
        buf = bytearray()
        try:
            while True:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD_BYTES:
                        return self._end(record, "head too large")
                    data = sock.recv(64 * 1024)
                    if not data:
                        return self._end(record, "closed by peer")
                    buf += data
                    continue
                head = bytes(buf[:end + 2])
                del buf[:end + 4]
                target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
                with self._lock:
                    record["targets"].append(target)
                script = next((s for prefix, s in self.scripts if target.startswith(prefix)), None)
                if script is None:
                    body = recv_exactly(sock, buf, content_length(head))
                    if body is None:
                        return self._end(record, "closed by peer")
                    answer = b"fresh:%d:%s" % (record["id"], target.encode())
                    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                                 % (len(answer), answer))
                elif script(sock, buf, head, record) == DONE:
                    return self._end(record, "killed by the script")
        except socket.timeout:
            self._end(record, "held %ss: Herald neither closed nor reused it" % HOLD_S)
        except OSError as e:
            self._end(record, "closed by peer (%s)" % type(e).__name__)
        finally:
            try:
                sock.close()
            except OSError:
                pass
