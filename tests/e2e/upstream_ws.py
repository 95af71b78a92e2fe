"""The upstream app's WebSocket echo (RFC 6455), for the Upgrade tests."""

import base64
import hashlib

from upstream_wire import PeerClosed, response_head, send_simple

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC11B85"


def handle_ws(req):
    req.discard_body()
    key = req.header("sec-websocket-key")
    if ("websocket" not in req.tokens("upgrade") or "upgrade" not in req.tokens("connection")
            or not key or req.header("sec-websocket-version") != "13"):
        send_simple(req, 400, b"upstream: not a WebSocket handshake\n")
        return True
    accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
    req.conn.send(response_head(101, [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                      ("Sec-WebSocket-Accept", accept)], "Switching Protocols"))
    conn = req.conn
    while True:
        try:
            fin, opcode, data = ws_read_frame(conn)
        except (PeerClosed, OSError):
            return True
        if opcode == 0x8:
            conn.send(ws_frame(0x8, data[:125]))
            return True
        if opcode == 0x9:
            conn.send(ws_frame(0xA, data))
        elif opcode != 0xA:
            conn.send(ws_frame(opcode, data, fin))


def ws_read_frame(conn):
    while len(conn.buf) < 2:
        conn.recv_more()
    b0, b1 = conn.buf[0], conn.buf[1]
    length = b1 & 0x7F
    offset = 2
    if length == 126:
        offset = 4
    elif length == 127:
        offset = 10
    masked = b1 & 0x80
    need = offset + (4 if masked else 0)
    while len(conn.buf) < need:
        conn.recv_more()
    if length == 126:
        length = int.from_bytes(conn.buf[2:4], "big")
    elif length == 127:
        length = int.from_bytes(conn.buf[2:10], "big")
    mask = bytes(conn.buf[offset:need])
    while len(conn.buf) < need + length:
        conn.recv_more()
    data = bytes(conn.buf[need:need + length])
    del conn.buf[:need + length]
    if masked:
        data = ws_unmask(data, mask)
    return bool(b0 & 0x80), b0 & 0x0F, data


def ws_unmask(data, mask):
    key = int.from_bytes((mask * (len(data) // 4 + 1))[:len(data)], "big")
    return (int.from_bytes(data, "big") ^ key).to_bytes(len(data), "big")


def ws_frame(opcode, data, fin=True):
    head = bytes([(0x80 if fin else 0) | opcode])
    if len(data) < 126:
        head += bytes([len(data)])
    elif len(data) < 65536:
        head += bytes([126]) + len(data).to_bytes(2, "big")
    else:
        head += bytes([127]) + len(data).to_bytes(8, "big")
    return head + data
