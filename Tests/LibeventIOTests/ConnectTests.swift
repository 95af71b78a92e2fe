// Connects and listeners on real loopback sockets, one loop per test, each run bounded by a timer.

import LibeventIO
import Testing
import Glibc

/// What one connection reported, in order, and the bytes it read.
private final class Recorder: ConnectionDelegate {
    var events: [String] = []
    var ends: [ConnectionEnd] = []
    var received: [UInt8] = []
    /// Called after each read with the bytes read so far.
    var onRead: (Recorder) -> Void = { _ in }
    var onEnd: () -> Void = {}

    func connectionDidConnect(_ connection: Connection) { events.append("connect") }

    func connectionDidRead(_ connection: Connection) {
        connection.withInput(upTo: connection.inputCount) { received += $0 }
        connection.consumeInput(connection.inputCount)
        onRead(self)
    }

    func connectionDidFlush(_ connection: Connection) {
        if events.last != "drain" { events.append("drain") }
    }

    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd) {
        ends.append(reason)
        connection.close()
        onEnd()
    }
}

/// A listener on 127.0.0.1 (a port of its own) whose accepted connections read into one recorder.
private struct Sink {
    let listener: Listener
    let recorder = Recorder()
    var address: SocketAddress { listener.address }

    init(loop: EventLoop) throws {
        let recorder = recorder
        listener = try Listener(loop: loop, address: try SocketAddress.resolve(host: "127.0.0.1", port: 0)) { connection in
            connection.attach(recorder)
        }
    }
}

/// A loopback port nothing listens on: bound for a moment to learn a free one, then closed.
private func closedPort() throws -> SocketAddress {
    let loop = try EventLoop()
    let port = try Listener(loop: loop, address: try SocketAddress.resolve(host: "127.0.0.1", port: 0)) { $0.close() }.address.port
    return try SocketAddress.resolve(host: "127.0.0.1", port: port)
}

@Suite(.serialized) struct ConnectTests {
    /// Bytes queued right after `connect` go out when the turn ends (the early send), the rest when
    /// the socket takes it: 1 MiB in the middle is more than one send takes, so both paths run.
    @Test func bytesQueuedWhileConnectingArriveWholeAndInOrder() throws {
        let loop = try EventLoop()
        let sink = try Sink(loop: loop)
        let large = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let expected = Array("hello ".utf8) + large + Array(" bye".utf8)
        sink.recorder.onRead = { if $0.received.count >= expected.count { loop.stop() } }

        let client = Recorder()
        let connection = try Connection.connect(loop: loop, to: sink.address, timeout: .seconds(5))
        connection.attach(client)
        connection.write(Array("hello ".utf8))
        connection.write(large)
        connection.write(Array(" bye".utf8))

        #expect(run(loop), "the bytes did not all arrive within 10 s")
        #expect(sink.recorder.received == expected)
        #expect(client.events.first == "connect")
        #expect(client.events.filter { $0 == "connect" }.count == 1)
        #expect(client.ends.isEmpty)
        #expect(connection.outputCount == 0)
        connection.close()
    }

    /// A refused connect with bytes queued ends as a connect failure, never as a write error, and
    /// is never reported connected.
    @Test func aRefusedConnectWithBytesQueuedEndsAsAConnectFailure() throws {
        let loop = try EventLoop()
        let client = Recorder()
        client.onEnd = { loop.stop() }
        let connection = try Connection.connect(loop: loop, to: try closedPort(), timeout: .seconds(5))
        connection.attach(client)
        connection.write(Array("GET / HTTP/1.1\r\n\r\n".utf8))

        #expect(run(loop), "no end within 10 s")
        #expect(client.ends == [.connectFailed(ECONNREFUSED)])
        #expect(client.events.isEmpty)
    }

    /// With nothing queued the write event reports the connect; bytes written then arrive.
    @Test func aConnectWithNothingQueuedIsReportedAndThenWrites() throws {
        let loop = try EventLoop()
        let sink = try Sink(loop: loop)
        sink.recorder.onRead = { if $0.received.count >= 4 { loop.stop() } }
        let client = Recorder()
        let connection = try Connection.connect(loop: loop, to: sink.address, timeout: .seconds(5))
        connection.attach(client)
        let wrote = LoopTimer(loop: loop, repeating: true) {
            if client.events.first == "connect" && connection.outputCount == 0 && sink.recorder.received.isEmpty {
                connection.write(Array("ping".utf8))
            }
        }
        wrote.schedule(after: .milliseconds(20))

        #expect(run(loop), "ping did not arrive within 10 s")
        wrote.cancel()
        #expect(client.events.first == "connect")
        #expect(sink.recorder.received == Array("ping".utf8))
        connection.close()
    }
}

@Suite(.serialized) struct ListenerTests {
    /// A second listener on an address in use fails, unless it joins (another loop of the same
    /// server sharing the port); a process that is not Herald's first loop must never share it.
    @Test func anAddressInUseIsRefusedUnlessJoined() throws {
        let loop = try EventLoop()
        let first = try Listener(loop: loop, address: try SocketAddress.resolve(host: "127.0.0.1", port: 0)) { $0.close() }
        #expect(throws: LibeventError.self) {
            _ = try Listener(loop: loop, address: first.address) { $0.close() }
        }
        let joined = try Listener(loop: loop, address: first.address, joining: true) { $0.close() }
        #expect(joined.address.port == first.address.port)
    }

    /// Once the first listener is closed the address is free again.
    @Test func aClosedListenersAddressCanBeClaimedAgain() throws {
        let loop = try EventLoop()
        let first = try Listener(loop: loop, address: try SocketAddress.resolve(host: "127.0.0.1", port: 0)) { $0.close() }
        let address = first.address
        first.close()
        let again = try Listener(loop: loop, address: address) { $0.close() }
        #expect(again.address.port == address.port)
    }
}
