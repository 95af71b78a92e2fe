// The handshake against a redis-server with a password: AUTH (with and without a user name),
// refused, and commands held until it is over.

import LibeventIO
import RedisClient
import Testing

@Suite(.serialized) struct RedisConnectionAuthTests {
    static let arguments = ["--requirepass", "s3cret pass"]

    @Test func rightPasswordMakesTheConnectionReady() throws {
        try withRedisServer(Self.arguments) { env in
            var reply: RedisReply?
            let probe = env.connect(env.server.options(password: "s3cret pass")) { redis in
                redis.send(["SET", "k", "v"]) {
                    reply = $0.value
                    env.stop()
                }
            }
            #expect(env.run())
            #expect(reply == .status("OK"))
            #expect(probe.readyCount == 1)
            #expect(probe.closes.isEmpty)
        }
    }

    /// `AUTH user password`, then SELECT, pipelined; a command held meanwhile runs as that user
    /// in that database.
    @Test func userNameAndPasswordWithSelect() throws {
        try withRedisServer(Self.arguments) { env in
            var info: String?
            let probe = env.connect(env.server.options(password: "s3cret pass", username: "default", database: 5))
            probe.connection.send(["CLIENT", "INFO"]) {
                info = $0.value?.string
                env.stop()
            }
            #expect(env.run())
            #expect(info?.contains(" user=default ") == true)
            #expect(info?.contains(" db=5 ") == true)
            #expect(probe.readyCount == 1)
        }
    }

    /// A wrong password ends the connection with the server's refusal; a command held for after
    /// the handshake fails with it first, and `onReady` never fires.
    @Test func wrongPasswordRefusesTheHandshake() throws {
        try withRedisServer(Self.arguments) { env in
            var held: Result<RedisReply, RedisError>?
            var order: [String] = []
            let probe = env.connect(env.server.options(password: "wrong"), whenClosed: { _ in
                order.append("closed")
                env.stop()
            })
            probe.connection.send(["GET", "k"]) {
                held = $0
                order.append("held command")
            }
            #expect(env.run())
            #expect(probe.readyCount == 0)
            #expect(probe.closes.count == 1)
            guard case .handshakeRefused(let message)? = probe.closes.first else {
                Issue.record("expected a refused handshake, got \(probe.closes)")
                return
            }
            #expect(message.hasPrefix("AUTH: WRONGPASS"))
            #expect(held?.error == probe.closes.first)
            #expect(order == ["held command", "closed"])
            #expect(!probe.connection.isReady)
        }
    }

    /// A SELECT of a database the server does not have refuses the handshake too, after AUTH.
    @Test func selectOutOfRangeRefusesTheHandshake() throws {
        try withRedisServer(Self.arguments) { env in
            let probe = env.connect(env.server.options(password: "s3cret pass", database: 99), whenClosed: { _ in env.stop() })
            #expect(env.run())
            guard case .handshakeRefused(let message)? = probe.closes.first else {
                Issue.record("expected a refused handshake, got \(probe.closes)")
                return
            }
            #expect(message.hasPrefix("SELECT: ERR"))
            #expect(probe.closes.count == 1)
        }
    }

    /// With no password configured the handshake is empty: the connection is ready at connect, and
    /// the server's NOAUTH is the command's error reply.
    @Test func noPasswordLeavesCommandsToTheServersRefusal() throws {
        try withRedisServer(Self.arguments) { env in
            var reply: Result<RedisReply, RedisError>?
            let probe = env.connect { redis in
                redis.send(["GET", "k"]) {
                    reply = $0
                    env.stop()
                }
            }
            #expect(env.run())
            guard case .replied(let message)? = reply?.error else {
                Issue.record("expected NOAUTH, got \(String(describing: reply))")
                return
            }
            #expect(message.hasPrefix("NOAUTH"))
            #expect(probe.closes.isEmpty)
        }
    }
}
