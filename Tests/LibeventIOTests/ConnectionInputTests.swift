// A connection's input on real loopback sockets: what the owner leaves unconsumed of a read into
// the loop's scratch is there on the next read. Each run is bounded.

import LibeventIO
import Testing
import Glibc

/// Takes `take` bytes of the first read; records what each read callback saw.
private final class PartialReader: ConnectionDelegate {
    let take: Int
    /// Per read callback: the input it saw, and what was left after taking.
    var seen: [[UInt8]] = []
    var leftInCallback: [[UInt8]] = []
    var ends: [ConnectionEnd] = []
    var onRead: () -> Void = {}

    init(take: Int) { self.take = take }

    func connectionDidRead(_ connection: Connection) {
        seen.append(connection.withInput(upTo: connection.inputCount) { Array($0) })
        if seen.count == 1 {
            connection.consumeInput(take)
        } else {
            connection.consumeInput(connection.inputCount)
        }
        leftInCallback.append(connection.withInput(upTo: 1 << 20) { Array($0) })
        onRead()
    }

    func connectionDidFlush(_ connection: Connection) {}

    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd) {
        ends.append(reason)
        connection.close()
    }
}

@Suite(.serialized) struct ConnectionInputTests {
    /// The first read (small, on an empty input) lands in the scratch; the owner takes two of its
    /// bytes. The four it leaves stay in the input after the callback, and the next read adds to them.
    @Test func bytesLeftInTheScratchAreThereOnTheNextRead() throws {
        let loop = try EventLoop()
        let reader = PartialReader(take: 2)
        let acceptor = try Acceptor(loop: loop) { _ in reader }
        let peer = try RawPeer(port: acceptor.port)
        reader.onRead = { if reader.seen.count == 2 { loop.stop() } }
        var leftBetweenReads: [UInt8] = []
        var step = 0
        let ticks = LoopTimer(loop: loop, repeating: true) {
            if step == 0, acceptor.accepted.count == 1 {
                step = 1
                peer.send(Array("abcdef".utf8))
            } else if step == 1, reader.seen.count == 1, let connection = acceptor.accepted.first {
                step = 2
                leftBetweenReads = connection.withInput(upTo: connection.inputCount) { Array($0) }
                peer.send(Array("gh".utf8))
            }
        }
        ticks.schedule(after: .milliseconds(1))

        #expect(run(loop), "two reads did not happen within 10 s")
        ticks.cancel()
        #expect(reader.seen.first == Array("abcdef".utf8))
        #expect(reader.leftInCallback.first == Array("cdef".utf8))
        #expect(leftBetweenReads == Array("cdef".utf8))
        #expect(reader.seen.last == Array("cdefgh".utf8))
        #expect(reader.ends.isEmpty)
        #expect(acceptor.accepted.first?.inputCount == 0)
        acceptor.accepted.first?.close()
    }
}
