// Commands against a real redis-server: round trips, pipelining, reply types, databases, the Unix
// socket and scripts. Each test has its own server and loop; every loop run is bounded.

import LibeventIO
import RedisClient
import Testing

@Suite(.serialized) struct RedisConnectionTests {
    @Test func setAndGetCarryBinaryBytesBothWays() throws {
        try withRedisServer { env in
            let value: [UInt8] = [0, 13, 10, 255, 36, 42, 13, 10, 0] + Array("$3\r\nend".utf8)
            let key: [UInt8] = Array("bin\0key\r\n".utf8)
            var replies: [Result<RedisReply, RedisError>] = []
            let probe = env.connect { redis in
                redis.send([Array("SET".utf8), key, value]) { replies.append($0) }
                redis.send([Array("GET".utf8), key]) { replies.append($0) }
                redis.send([Array("STRLEN".utf8), key]) { replies.append($0) }
                redis.send(["GET", "missing"]) {
                    replies.append($0)
                    env.stop()
                }
            }
            #expect(env.run())
            #expect(replies.map(\.value) == [.status("OK"), .bulk(value), .integer(Int64(value.count)), .null])
            #expect(probe.readyCount == 1)
            #expect(probe.connection.isReady)
            #expect(probe.closes.isEmpty)
        }
    }

    /// 10,000 INCRs sent in one callback (one turn: one pipelined write) complete in the order
    /// sent, each with the counter's next value.
    @Test func tenThousandPipelinedIncrsCompleteInOrder() throws {
        try withRedisServer { env in
            let count = 10_000
            var values: [Int64] = []
            var pendingAfterSending = 0
            let probe = env.connect { redis in
                for _ in 0..<count {
                    redis.send(["INCR", "counter"]) { result in
                        values.append(result.value?.int ?? -1)
                        if values.count == count { env.stop() }
                    }
                }
                pendingAfterSending = redis.pendingCount
            }
            #expect(env.run())
            #expect(pendingAfterSending == count)
            #expect(values == Array(1...Int64(count)))
            #expect(probe.connection.pendingCount == 0)
        }
    }

    /// An error reply fails its own command only; the next command on the connection succeeds.
    @Test func errorReplyFailsOnlyItsCommand() throws {
        try withRedisServer { env in
            var replies: [Result<RedisReply, RedisError>] = []
            let probe = env.connect { redis in
                redis.send(["SET", "text", "x"]) { replies.append($0) }
                redis.send(["LPUSH", "text", "y"]) { replies.append($0) }
                redis.send(["NOSUCHCOMMAND"]) { replies.append($0) }
                redis.send(["GET", "text"]) {
                    replies.append($0)
                    env.stop()
                }
            }
            #expect(env.run())
            try #require(replies.count == 4)
            #expect(replies[0].value == .status("OK"))
            guard case .replied(let wrongType)? = replies[1].error, case .replied(let unknown)? = replies[2].error else {
                Issue.record("expected two error replies, got \(replies)")
                return
            }
            #expect(wrongType.hasPrefix("WRONGTYPE"))
            #expect(unknown.hasPrefix("ERR unknown command"))
            #expect(replies[3].value == .bulk("x"))
            #expect(probe.closes.isEmpty)
        }
    }

    @Test func nilAndArrayRepliesBecomeSwiftValues() throws {
        try withRedisServer { env in
            var replies: [RedisReply?] = []
            env.connect { redis in
                redis.send(["RPUSH", "list", "a", "", "c"]) { replies.append($0.value) }
                redis.send(["LRANGE", "list", "0", "-1"]) { replies.append($0.value) }
                redis.send(["LRANGE", "nothing", "0", "-1"]) { replies.append($0.value) }
                redis.send(["HGET", "nothing", "field"]) { replies.append($0.value) }
                // Nested arrays, a nil inside (Lua false) and a status, from a script.
                redis.send(["EVAL", "return {1, {2, 'x', false}, {ok='fine'}}", "0"]) {
                    replies.append($0.value)
                    env.stop()
                }
            }
            #expect(env.run())
            #expect(replies == [
                .integer(3),
                .array([.bulk("a"), .bulk(""), .bulk("c")]),
                .array([]),
                .null,
                .array([.integer(1), .array([.integer(2), .bulk("x"), .null]), .status("fine")]),
            ])
            #expect(replies[1]?.array?.compactMap(\.string) == ["a", "", "c"])
        }
    }

    /// A connection to database 3 (SELECT) sees keys of its own, apart from database 0's; commands
    /// sent before its handshake is over wait for it.
    @Test func selectKeepsDatabasesApart() throws {
        try withRedisServer { env in
            var inThree: [RedisReply?] = []
            var inZero: RedisReply?
            var laterInThree: RedisReply?
            let three = env.connect(env.server.options(database: 3))
            #expect(!three.connection.isReady)
            three.connection.send(["SET", "where", "three"]) { inThree.append($0.value) }
            three.connection.send(["CLIENT", "INFO"]) { result in
                inThree.append(result.value)
                env.connect { zero in
                    zero.send(["GET", "where"]) { result in
                        inZero = result.value
                        env.connect(env.server.options(database: 3)) { again in
                            again.send(["GET", "where"]) { result in
                                laterInThree = result.value
                                env.stop()
                            }
                        }
                    }
                }
            }
            #expect(env.run())
            #expect(inThree.first == .status("OK"))
            #expect(inThree.last??.string?.contains(" db=3 ") == true)
            #expect(inZero == .null)
            #expect(laterInThree == .bulk("three"))
        }
    }

    @Test func unixSocketCarriesCommands() throws {
        try withRedisServer { env in
            var replies: [RedisReply?] = []
            var pinged: Result<Void, RedisError>?
            let probe = env.connect(RedisConnectionOptions(endpoint: .unix(path: env.server.socketPath))) { redis in
                redis.ping { pinged = $0 }
                redis.send(["SET", "over", "unix"]) { replies.append($0.value) }
                redis.send(["CLIENT", "INFO"]) {
                    replies.append($0.value)
                    env.stop()
                }
            }
            #expect(env.run())
            #expect((try? pinged?.get()) != nil)
            #expect(replies.first == .status("OK"))
            // The server saw a Unix-socket client: its address is the socket's path, port 0.
            #expect(replies.last??.string?.contains("addr=\(env.server.socketPath):0") == true)
            #expect(probe.closes.isEmpty)
        }
    }

    @Test func evalshaRunsAScriptLoadedBefore() throws {
        try withRedisServer { env in
            var sha: String?
            var result: RedisReply?
            var unknown: RedisError?
            env.connect { redis in
                redis.send(["SCRIPT", "LOAD", "return {KEYS[1], ARGV[1], 42}"]) { loaded in
                    sha = loaded.value?.string
                    redis.send(["EVALSHA", sha ?? "", "1", "key", "arg\r\n\0"]) { result = $0.value }
                    redis.send(["EVALSHA", String(repeating: "0", count: 40), "0"]) {
                        unknown = $0.error
                        env.stop()
                    }
                }
            }
            #expect(env.run())
            #expect(sha?.count == 40)
            #expect(result == .array([.bulk("key"), .bulk("arg\r\n\0"), .integer(42)]))
            guard case .replied(let message)? = unknown else {
                Issue.record("expected NOSCRIPT, got \(String(describing: unknown))")
                return
            }
            #expect(message.hasPrefix("NOSCRIPT"))
        }
    }
}
