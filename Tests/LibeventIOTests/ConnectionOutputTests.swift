// A connection's output on real loopback sockets: the staging block and its overflow, a partial
// `writeNow` to a peer that does not read, and the end-of-turn flush in slices. Each run is bounded.

import LibeventIO
import Testing
import Glibc

/// Records the order in which connections drained; `onDrain` runs after each.
private final class DrainRecorder: ConnectionDelegate {
    let index: Int
    let log: DrainLog

    init(index: Int, log: DrainLog) {
        self.index = index
        self.log = log
    }

    func connectionDidRead(_ connection: Connection) { connection.consumeInput(connection.inputCount) }
    func connectionDidFlush(_ connection: Connection) { log.drained(index, connection) }
    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd) {
        log.ends.append(reason)
        connection.close()
    }
}

private final class DrainLog {
    var order: [Int] = []
    var ends: [ConnectionEnd] = []
    var onDrain: (Int, Connection) -> Void = { _, _ in }

    func drained(_ index: Int, _ connection: Connection) {
        order.append(index)
        onDrain(index, connection)
    }
}

/// Accepts one connection from a new peer; returns both (the loop runs until the accept).
private func acceptOne(_ loop: EventLoop, _ log: DrainLog, receiveBuffer: Int32? = nil) throws -> (Acceptor, Connection, RawPeer) {
    let acceptor = try Acceptor(loop: loop) { DrainRecorder(index: $0, log: log) }
    acceptor.onAccept = { _ in loop.stop() }
    let peer = try RawPeer(port: acceptor.port, receiveBuffer: receiveBuffer)
    try #require(run(loop), "no accept within 10 s")
    return (acceptor, try #require(acceptor.accepted.first), peer)
}

@Suite(.serialized) struct ConnectionOutputTests {
    /// Writes that fill the staging block exactly, then overflow it, then add shared bytes by
    /// reference and a reserved write: all queued in one turn, they arrive whole and in order.
    @Test func writesPastTheStagingBlockArriveWholeAndInOrder() throws {
        let loop = try EventLoop()
        let log = DrainLog()
        let (_, connection, peer) = try acceptOne(loop, log)
        let staged = pattern(4000, seed: 1), fillsTheBlock = pattern(96, seed: 2), overflow = pattern(1, seed: 3)
        let shared = SharedBytes(pattern(5000, seed: 4))
        let reserved = pattern(50, seed: 5)
        let expected = staged + fillsTheBlock + overflow + Array(shared.bytes) + reserved

        connection.write(staged)
        connection.write(fillsTheBlock)
        connection.write(overflow)
        connection.write(retaining: shared, bytes: shared.bytes)
        connection.write(upTo: 100) { space in
            space.copyMemory(from: UnsafeRawBufferPointer(start: reserved, count: reserved.count))
            return reserved.count
        }
        #expect(connection.outputCount == expected.count)

        let reader = LoopTimer(loop: loop, repeating: true) {
            peer.readAvailable()
            if peer.received.count >= expected.count { loop.stop() }
        }
        reader.schedule(after: .milliseconds(1))
        #expect(run(loop), "the bytes did not all arrive within 10 s")
        reader.cancel()
        #expect(peer.received == expected)
        #expect(connection.outputCount == 0)
        #expect(connection.bytesSent == UInt64(expected.count))
        #expect(log.order == [0])
        #expect(log.ends.isEmpty)
        connection.close()
    }

    /// A peer that does not read: `writeNow` sends what the socket takes and queues the rest by
    /// reference (the owner kept alive), a second `writeNow` queues behind it; once the peer reads,
    /// everything arrives in order, the owner is released and the owner hears the drain.
    @Test func aPartialWriteNowQueuesTheRestAndKeepsItsOwner() throws {
        let loop = try EventLoop()
        let log = DrainLog()
        let (_, connection, peer) = try acceptOne(loop, log, receiveBuffer: 4096)
        connection.setSendBufferSize(4096)
        let large = pattern(1 << 20, seed: 6), small = pattern(100, seed: 7)
        var first: SharedBytes? = SharedBytes(large)
        weak let firstOwner = first
        let second = SharedBytes(small)

        #expect(connection.writeNow(retaining: first!, bytes: first!.bytes) == false)
        first = nil
        let sent = Int(connection.bytesSent)
        #expect(sent > 0 && sent < large.count, "the socket took \(sent) bytes of \(large.count)")
        #expect(connection.outputCount == large.count - sent)
        #expect(firstOwner != nil, "the bytes still queued lost their owner")
        #expect(connection.writeNow(retaining: second, bytes: second.bytes) == false)
        #expect(Int(connection.bytesSent) == sent, "the second writeNow went before the first one's rest")
        #expect(connection.outputCount == large.count + small.count - sent)

        let reader = LoopTimer(loop: loop, repeating: true) {
            peer.readAvailable()
            if peer.received.count >= large.count + small.count && connection.outputCount == 0 { loop.stop() }
        }
        reader.schedule(after: .milliseconds(1))
        #expect(run(loop), "the bytes did not all arrive within 10 s")
        reader.cancel()
        #expect(peer.received == large + small)
        #expect(connection.bytesSent == UInt64(large.count + small.count))
        #expect(firstOwner == nil, "the owner was not released once its bytes were written")
        #expect(log.order.first == 0)
        #expect(log.ends.isEmpty)
        connection.close()
    }

    /// More connections written in one turn than one flush slice: every one is flushed, in the
    /// order queued, and one written again from its drain goes to the back of the queue.
    @Test func aTurnsFlushesRunInSlicesInQueueOrder() throws {
        let loop = try EventLoop()
        let log = DrainLog()
        let count = EventLoop.flushSlice + 44
        let acceptor = try Acceptor(loop: loop) { DrainRecorder(index: $0, log: log) }
        acceptor.onAccept = { if $0 == count { loop.stop() } }
        let peers = try (0..<count).map { _ in try RawPeer(port: acceptor.port) }
        try #require(run(loop), "not every peer was accepted within 10 s")
        let connections = acceptor.accepted
        log.onDrain = { index, connection in
            if index == 0 && log.order.count == 1 { connection.write(Array("again".utf8)) }
            if log.order.count == count + 1 { loop.stop() }
        }

        for (index, connection) in connections.enumerated() { connection.write(Array("hello \(index)".utf8)) }
        #expect(run(loop), "not every connection drained within 10 s")
        #expect(log.order == Array(0..<count) + [0])
        #expect(log.ends.isEmpty)
        // Each peer got its connection's bytes whole (accepts need not follow the connects' order).
        for peer in peers { peer.readAvailable() }
        let received = Set(peers.map { String(decoding: $0.received, as: UTF8.self) })
        #expect(received == Set((0..<count).map { "hello \($0)\($0 == 0 ? "again" : "")" }))
        for connection in connections { connection.close() }
    }
}
