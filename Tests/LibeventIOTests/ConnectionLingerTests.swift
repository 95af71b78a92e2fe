// A lingering close on real loopback sockets: Herald's side answers the first read and closes with a
// linger; the peer is a raw non-blocking socket driven by a timer on the same loop. Each run is
// bounded by a timer.

import LibeventIO
import Testing
import Glibc

/// Answers the first bytes it reads with `answer` and closes with `linger`; counts what it hears after.
private final class Refuser: ConnectionDelegate {
    let answer: [UInt8]
    let linger: Connection.Linger
    var reads = 0
    var ends: [ConnectionEnd] = []
    var closed = false
    var onClose: () -> Void = {}

    init(answer: [UInt8], linger: Connection.Linger) {
        self.answer = answer
        self.linger = linger
    }

    func connectionDidRead(_ connection: Connection) {
        reads += 1
        connection.consumeInput(connection.inputCount)
        if reads == 1 {
            connection.write(answer)
            connection.closeWhenFlushed(lingering: linger)
        }
    }

    func connectionDidFlush(_ connection: Connection) {}

    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd) {
        ends.append(reason)
        connection.close()
    }

    func connectionDidClose(_ connection: Connection) {
        closed = true
        onClose()
    }
}

/// A client socket that sends `piece` bytes a tick (until `total`) and reads what comes, without blocking.
private final class Peer {
    let fd: Int32
    var received: [UInt8] = []
    var sent = 0
    var sawEnd = false
    /// errno of the first failed send or recv (EPIPE or ECONNRESET once the other side closed).
    var failure: Int32 = 0

    init(port: UInt16) throws {
        fd = try RawPeer.connectLoopback(port: port)
    }

    deinit { _ = Glibc.close(fd) }

    /// One tick: send up to `piece` bytes (while fewer than `total` went), then read all that waits.
    func tick(piece: Int, total: Int) {
        if failure == 0, sent < total {
            let bytes = [UInt8](repeating: 0x78, count: min(piece, total - sent))
            let result = send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL))
            if result > 0 { sent += result } else if result < 0, errno != EAGAIN { failure = errno }
        }
        var buffer = [UInt8](repeating: 0, count: 16384)
        while !sawEnd, failure == 0 {
            let result = recv(fd, &buffer, buffer.count, 0)
            if result > 0 {
                received += buffer[..<result]
            } else if result == 0 {
                sawEnd = true
            } else {
                if errno != EAGAIN { failure = errno }
                break
            }
        }
    }
}

/// An answer larger than one read of the peer's, so it arrives in several.
private let answer = Array("HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n".utf8)
    + (0..<(48 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 7) }

@Suite(.serialized) struct ConnectionLingerTests {
    /// The peer keeps sending after the answer (1 MiB, far more than the socket buffers hold
    /// unread): every send is taken, the answer arrives whole, then the end of stream (not a
    /// reset); the peer's close ends the linger, and the owner heard no read after its answer.
    @Test func aPeerStillSendingReadsTheWholeAnswerThenTheEnd() throws {
        let loop = try EventLoop()
        let refuser = Refuser(answer: answer, linger: Connection.Linger(quiet: .seconds(5), atMost: .seconds(8)))
        let listener = try Listener(loop: loop, address: try SocketAddress.resolve(host: "127.0.0.1", port: 0)) {
            $0.attach(refuser)
        }
        let peer = try Peer(port: listener.address.port)
        let total = 1 << 20
        refuser.onClose = { loop.stop() }
        let ticks = LoopTimer(loop: loop, repeating: true) {
            peer.tick(piece: 32 << 10, total: total)
            // All sent and the answer read to its end: the peer closes, which ends the linger.
            if peer.sent == total && peer.sawEnd { shutdown(peer.fd, Int32(SHUT_WR)) }
        }
        ticks.schedule(after: .milliseconds(2))

        #expect(run(loop), "the lingering connection did not close within 10 s")
        ticks.cancel()
        #expect(peer.received == answer)
        #expect(peer.sawEnd)
        #expect(peer.failure == 0, "a send or recv failed: \(String(cString: strerror(peer.failure)))")
        #expect(peer.sent == total)
        #expect(refuser.reads == 1)
        #expect(refuser.ends.isEmpty)
        #expect(refuser.closed)
    }

    /// A peer that never stops sending is closed at the linger's deadline: it reads the answer and
    /// the end, and its sends then fail (the socket is gone).
    @Test func aPeerThatNeverStopsSendingIsClosedAtTheDeadline() throws {
        let loop = try EventLoop()
        let refuser = Refuser(answer: answer, linger: Connection.Linger(quiet: .seconds(5), atMost: .milliseconds(300)))
        let listener = try Listener(loop: loop, address: try SocketAddress.resolve(host: "127.0.0.1", port: 0)) {
            $0.attach(refuser)
        }
        let peer = try Peer(port: listener.address.port)
        let ticks = LoopTimer(loop: loop, repeating: true) {
            peer.tick(piece: 4096, total: .max)
            if peer.failure != 0 { loop.stop() }
        }
        ticks.schedule(after: .milliseconds(5))

        #expect(run(loop), "the peer could still send after 10 s: the linger never ended")
        ticks.cancel()
        #expect(refuser.closed)
        #expect(peer.received == answer)
        #expect(peer.sawEnd)
        #expect(peer.failure == ECONNRESET || peer.failure == EPIPE)
        #expect(refuser.reads == 1)
    }

    /// A peer that goes quiet after the answer, without closing, is closed after the quiet time.
    @Test func aQuietPeerIsClosedAfterTheQuietTime() throws {
        let loop = try EventLoop()
        let refuser = Refuser(answer: answer, linger: Connection.Linger(quiet: .milliseconds(200), atMost: .seconds(30)))
        let listener = try Listener(loop: loop, address: try SocketAddress.resolve(host: "127.0.0.1", port: 0)) {
            $0.attach(refuser)
        }
        let peer = try Peer(port: listener.address.port)
        refuser.onClose = { loop.stop() }
        let ticks = LoopTimer(loop: loop, repeating: true) { peer.tick(piece: 4096, total: 64 << 10) }
        ticks.schedule(after: .milliseconds(5))

        #expect(run(loop), "the quiet peer's connection was not closed within 10 s")
        ticks.cancel()
        #expect(refuser.closed)
        #expect(peer.sent == 64 << 10)
        #expect(peer.failure == 0)
        #expect(refuser.reads == 1)
    }
}
