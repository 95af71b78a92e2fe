"""Issue 21 and README ("Refusals reach the client"): an answer that ends a connection while the
client is still sending (the rest of an oversize request line, header block or body) reaches the
client whole and is followed by a clean end of stream, never a reset. Herald shuts its side once the
answer is written, reads and discards what still comes, and closes when the client stops, goes quiet
(2 s) or at the latest 5 s later, so a client that never stops sending does not hold the connection.

Before this, Herald closed with the client's bytes unread and the kernel answered them with a reset:
the client's sends failed (ECONNRESET, EPIPE), its reads ended in a reset, and a client whose
kernel drops what it had received on a reset lost the answer. Each test below reads the whole answer,
then an end of stream that is not a reset, and (unless the client never stops) checks every byte the
client sent was taken.
"""

import signal
import threading
import time

import httpwire

# Herald's linger ends at the latest 5 s after the answer (README); twice that and more is room.
LINGER_BOUND_S = 15.0


class Sender(threading.Thread):
    """Sends `data`, `piece` bytes at a time with `pause` seconds between pieces, then `more` bytes
    of filler the same way, until the bytes run out, a send fails (the peer closed), or `limit_s`."""

    def __init__(self, sock, data, piece=64 << 10, pause=0.0, more=0, limit_s=LINGER_BOUND_S):
        super().__init__(daemon=True)
        self.sock, self.data, self.piece, self.pause, self.more, self.limit_s = sock, data, piece, pause, more, limit_s
        self.sent = 0
        self.failure = None

    def run(self):
        deadline = time.monotonic() + self.limit_s
        total = len(self.data) + self.more
        filler = b"x" * self.piece
        while self.sent < total and time.monotonic() < deadline:  # bounded by bytes and time
            chunk = self.data[self.sent:self.sent + self.piece] if self.sent < len(self.data) else filler
            try:
                self.sock.sendall(chunk)
            except OSError as error:
                self.failure = error
                return
            self.sent += len(chunk)
            if self.pause:
                time.sleep(self.pause)


def send_while_reading(conn, raw, **sender_options):
    """Starts a sender of `raw` on `conn` and reads the answer meanwhile."""
    conn.sock.settimeout(LINGER_BOUND_S)
    sender = Sender(conn.sock, raw, **sender_options)
    sender.start()
    response = conn.read_response(timeout=10)
    return sender, response


def assert_whole_answer_then_clean_end(conn, response, status):
    assert response.status == status, response
    assert response.header("content-type", "").startswith("text/plain"), response
    assert 0 < len(response.body) == int(response.header("content-length")), response
    assert not conn.reset, "the answer came, but the connection was reset instead of ended"
    assert conn.wait_closed(LINGER_BOUND_S) == b"", "bytes after the answer"
    assert not conn.reset, "the connection was reset after the answer instead of ended"


def assert_all_taken(sender, raw):
    """Herald read (and dropped) all the client sent after the answer: no send met a reset."""
    sender.join(LINGER_BOUND_S)
    assert not sender.is_alive()
    assert sender.failure is None, "a send failed while Herald lingered: %r" % sender.failure
    assert sender.sent == len(raw)


def oversize_request_line():
    return b"GET /echo/" + b"a" * (512 << 10) + b" HTTP/1.1\r\nHost: app.example\r\n\r\n"


def oversize_header_block():
    fields = b"".join(b"X-Filler-%04d: %s\r\n" % (i, b"f" * 1000) for i in range(512))
    return b"GET /echo/big-head HTTP/1.1\r\nHost: app.example\r\n" + fields + b"\r\n"


def test_an_oversize_request_line_sent_in_one_go_gets_the_whole_414_then_an_end(herald):
    with herald.connect() as conn:
        sender, response = send_while_reading(conn, oversize_request_line())
        assert_whole_answer_then_clean_end(conn, response, 414)
        assert_all_taken(sender, oversize_request_line())
    assert herald.request("GET", "/echo/after-414").status == 200


def test_an_oversize_header_block_sent_in_one_go_gets_the_whole_431_then_an_end(herald):
    with herald.connect() as conn:
        sender, response = send_while_reading(conn, oversize_header_block())
        assert_whole_answer_then_clean_end(conn, response, 431)
        assert_all_taken(sender, oversize_header_block())
    assert herald.request("GET", "/echo/after-431").status == 200


def test_a_client_sending_the_rest_of_its_head_in_pieces_after_the_431_reads_it_whole(herald):
    with herald.connect() as conn:
        sender, response = send_while_reading(conn, oversize_header_block(), piece=16 << 10, pause=0.01)
        assert_whole_answer_then_clean_end(conn, response, 431)
        assert_all_taken(sender, oversize_header_block())


def test_an_oversize_publish_body_gets_the_whole_413_then_an_end_and_all_of_it_is_taken(start_herald):
    herald = start_herald(publish={"max_body_bytes": "4KiB"})
    body = b"d" * (2 << 20)
    raw = (b"POST /publish/linger HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
           b"Content-Length: %d\r\n\r\n" % len(body)) + body
    with httpwire.Connection(herald.publish_port) as conn:
        sender, response = send_while_reading(conn, raw, piece=16 << 10)
        assert response.status == 413, response
        assert 0 < len(response.body) == int(response.header("content-length")), response
        assert not conn.reset
        assert conn.wait_closed(LINGER_BOUND_S) == b""
        assert not conn.reset
        assert_all_taken(sender, raw)


def test_a_client_that_never_stops_sending_gets_the_whole_414_and_is_closed_at_the_linger_deadline(herald):
    """A trickle (16 KiB every 50 ms) is never quiet for 2 s: only the 5 s deadline ends it, with
    the client's bytes unread, so its next sends fail; the slot is free for the next client."""
    with herald.connect() as conn:
        sender, response = send_while_reading(conn, oversize_request_line(), piece=16 << 10, pause=0.05,
                                              more=1 << 30, limit_s=3 * LINGER_BOUND_S)
        assert_whole_answer_then_clean_end(conn, response, 414)
        sender.join(3 * LINGER_BOUND_S)
        assert not sender.is_alive()
        assert isinstance(sender.failure, (ConnectionResetError, BrokenPipeError)), (
            "the client was still sending after %.0f s: Herald never closed (sent %d bytes, %r)"
            % (3 * LINGER_BOUND_S, sender.sent, sender.failure))
    assert herald.request("GET", "/echo/after-trickle").status == 200



def test_a_lingering_connection_delays_a_sigterm_by_its_deadline_not_by_the_grace(start_herald):
    """Draining waits for open exchanges up to server.shutdown_grace (60 s here); a refused client
    that never stops sending is not one for longer than the linger's 5 s."""
    herald = start_herald(server={"shutdown_grace": "60s"})
    with herald.connect() as conn:
        sender, response = send_while_reading(conn, oversize_request_line(), piece=16 << 10, pause=0.05,
                                              more=1 << 30, limit_s=3 * LINGER_BOUND_S)
        assert_whole_answer_then_clean_end(conn, response, 414)
        herald.signal(signal.SIGTERM)
        assert herald.wait(LINGER_BOUND_S) == 0, (
            "herald still running %.0f s after SIGTERM with a lingering connection (grace 60 s)" % LINGER_BOUND_S)
        sender.join(3 * LINGER_BOUND_S)
        assert not sender.is_alive()
