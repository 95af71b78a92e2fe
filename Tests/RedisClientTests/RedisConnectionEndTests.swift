// How a Redis connection ends: refused, server killed, server stopped (command timeout), closed
// by its owner, and a server speaking something else. Each way: the waiting commands fail with
// the reason, oldest first, then onClose fires once.

import LibeventIO
import RedisClient
import Testing
import Glibc

@Suite(.serialized) struct RedisConnectionEndTests {
    @Test func refusedConnectFailsHeldCommandsThenCloses() throws {
        let loop = try EventLoop()
        let port = try freePort()
        var order: [String] = []
        var held: RedisError?
        let redis = RedisConnection(loop: loop, options: RedisConnectionOptions(endpoint: .tcp(host: "127.0.0.1", port: port)))
        var closes: [RedisError] = []
        redis.connect(onReady: { order.append("ready") }, onClose: {
            closes.append($0)
            order.append("closed")
            loop.stop()
        })
        redis.send(["PING"]) {
            held = $0.error
            order.append("held command")
        }
        #expect(closes.isEmpty, "onClose fired inside connect")
        #expect(run(loop))
        #expect(order == ["held command", "closed"])
        guard case .connectFailed(let reason)? = closes.first else {
            Issue.record("expected connectFailed, got \(closes)")
            return
        }
        #expect(reason.contains("refused"))
        #expect(held == closes.first)
        // Used after it ended: fails at once with the same reason.
        var late: RedisError?
        redis.send(["PING"]) { late = $0.error }
        #expect(late == closes.first)
        #expect(throws: RedisError.connectFailed(reason)) { try redis.subscribe([[1]]) }
        redis.close()
        #expect(closes.count == 1)
    }

    /// No socket at the path, a path too long for sockaddr_un, an empty path: each fails to
    /// connect, reported from the loop.
    @Test func unreachableUnixSocketsFailToConnect() throws {
        let loop = try EventLoop()
        var closes: [RedisError] = []
        let endpoints: [RedisEndpoint] = [
            .unix(path: "/tmp/herald-no-such-dir/redis.sock"),
            .unix(path: "/tmp/" + String(repeating: "x", count: 200)),
            .unix(path: ""),
        ]
        let connections = endpoints.map { RedisConnection(loop: loop, options: RedisConnectionOptions(endpoint: $0)) }
        for redis in connections {
            redis.connect(onReady: {}, onClose: {
                closes.append($0)
                if closes.count == endpoints.count { loop.stop() }
            })
        }
        #expect(run(loop))
        #expect(closes.count == 3)
        for close in closes {
            guard case .connectFailed = close else {
                Issue.record("expected connectFailed, got \(close)")
                continue
            }
        }
    }

    /// The server is stopped (SIGSTOP) with commands in flight, then killed: they fail with the
    /// lost connection, in order, then onClose fires once.
    @Test func killedServerFailsInFlightCommandsInOrderThenClosesOnce() throws {
        try withRedisServer { env in
            var order: [String] = []
            var failures: [RedisError] = []
            let probe = env.connect(whenReady: { redis in
                env.server.signal(SIGSTOP)
                for index in 0..<3 {
                    redis.send(["SET", "k\(index)", "v"]) {
                        order.append("command \(index)")
                        if let error = $0.error { failures.append(error) }
                    }
                }
                env.after(.milliseconds(100)) { env.server.signal(SIGKILL) }
            }, whenClosed: { _ in
                order.append("closed")
                // A while longer, to catch a second onClose.
                env.after(.milliseconds(50)) { env.stop() }
            })
            #expect(env.run())
            #expect(order == ["command 0", "command 1", "command 2", "closed"])
            #expect(probe.closes.count == 1)
            guard case .connectionLost? = probe.closes.first else {
                Issue.record("expected connectionLost, got \(probe.closes)")
                return
            }
            #expect(failures == Array(repeating: probe.closes[0], count: 3))
        }
    }

    /// A stopped server answers nothing: the oldest command's timeout closes the connection with
    /// `.timeout`, failing it and the one sent 250 ms after it.
    @Test func stoppedServerTimesOutTheOldestCommand() throws {
        try withRedisServer { env in
            defer { env.server.signal(SIGCONT) }
            var failures: [RedisError] = []
            var sentAt = ContinuousClock.now
            var closedAfter: Duration?
            let probe = env.connect(env.server.options(commandTimeout: .milliseconds(300)), whenReady: { redis in
                env.server.signal(SIGSTOP)
                sentAt = .now
                redis.send(["GET", "a"]) { if let error = $0.error { failures.append(error) } }
                env.after(.milliseconds(250)) {
                    redis.send(["GET", "b"]) { if let error = $0.error { failures.append(error) } }
                }
            }, whenClosed: { _ in
                closedAfter = ContinuousClock.now - sentAt
                env.stop()
            })
            #expect(env.run())
            #expect(probe.closes == [.timeout])
            #expect(failures == [.timeout, .timeout])
            // Timed from the oldest command (300 ms), not the newest (550 ms). The timer runs from the
            // loop's cached time, which can be a little older than `sentAt` (CI once saw 298.9 ms), and
            // a busy machine may add a little.
            let elapsed = try #require(closedAfter)
            #expect(elapsed >= .milliseconds(280) && elapsed < .milliseconds(500), "closed after \(elapsed)")
        }
    }

    /// A server that accepts (the kernel does, for a stopped one) but never answers AUTH: the
    /// command timeout bounds the handshake too.
    @Test func aHandshakeWithNoAnswerTimesOut() throws {
        try withRedisServer(["--requirepass", "pw"]) { env in
            defer { env.server.signal(SIGCONT) }
            env.server.signal(SIGSTOP)
            var held: RedisError?
            let probe = env.connect(env.server.options(password: "pw", commandTimeout: .milliseconds(200)),
                                    whenClosed: { _ in env.stop() })
            probe.connection.send(["PING"]) { held = $0.error }
            #expect(env.run())
            #expect(probe.readyCount == 0)
            #expect(probe.closes == [.timeout])
            #expect(held == .timeout)
        }
    }

    /// Replies that keep coming keep the connection alive however long it runs in all: only the
    /// oldest waiting command's age counts.
    @Test func aBusyConnectionOutlivesTheCommandTimeout() throws {
        try withRedisServer { env in
            var replies = 0
            let probe = env.connect(env.server.options(commandTimeout: .milliseconds(200)))
            let repeating = LoopTimer(loop: env.loop, repeating: true) {
                probe.connection.send(["PING"]) { if $0.value != nil { replies += 1 } }
            }
            repeating.schedule(after: .milliseconds(20))
            env.after(.milliseconds(600)) { env.stop() }
            #expect(env.run())
            repeating.cancel()
            #expect(replies > 10)
            #expect(probe.closes.isEmpty)
        }
    }

    @Test func closeByTheOwnerFailsWaitingCommandsThenClosesOnce() throws {
        try withRedisServer { env in
            var failures: [RedisError] = []
            let probe = env.connect(whenReady: { redis in
                redis.send(["GET", "a"]) { failures.append($0.error ?? .overloaded) }
                redis.send(["GET", "b"]) { failures.append($0.error ?? .overloaded) }
                redis.close()
                redis.close()
                env.stop()
            })
            #expect(env.run())
            #expect(failures == [.closed, .closed])
            #expect(probe.closes == [.closed])
        }
    }

    /// A server that answers with bytes that are not RESP ends the connection with hiredis's
    /// protocol error, failing the command that waited.
    @Test func bytesThatAreNotRESPEndWithAProtocolError() throws {
        let loop = try EventLoop()
        var accepted: [Connection] = []
        let listener = try Listener(loop: loop, address: try SocketAddress.resolve(host: "127.0.0.1", port: 0)) { connection in
            accepted.append(connection)
            connection.write("HTTP/1.1 400 Bad Request\r\n\r\n")
        }
        let redis = RedisConnection(loop: loop, options: RedisConnectionOptions(endpoint: .tcp(host: "127.0.0.1", port: listener.address.port)))
        var closes: [RedisError] = []
        var failure: RedisError?
        redis.connect(onReady: {
            redis.send(["PING"]) { failure = $0.error }
        }, onClose: {
            closes.append($0)
            loop.stop()
        })
        #expect(run(loop))
        for connection in accepted { connection.close() }
        guard case .protocolError(let message)? = closes.first else {
            Issue.record("expected a protocol error, got \(closes)")
            return
        }
        #expect(message.contains("Protocol error"))
        #expect(failure == closes.first)
        #expect(closes.count == 1)
    }
}
