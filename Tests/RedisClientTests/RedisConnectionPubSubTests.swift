// Subscriber mode against a real redis-server: confirmations, messages with binary payloads,
// PING while subscribed, and leaving subscriber mode.

import LibeventIO
import RedisClient
import Testing

@Suite(.serialized) struct RedisConnectionPubSubTests {
    @Test func subscribeReceivesMessagesUntilUnsubscribed() throws {
        try withRedisServer { env in
            let channel = Array("herald:c:news".utf8)
            let payloads: [[UInt8]] = [Array("1 2 3\nfirst".utf8), [0, 13, 10, 0, 255], []]
            var events: [String] = []
            var messages: [(channel: [UInt8], payload: [UInt8])] = []
            var receivers: [RedisReply?] = []
            var pong: Result<Void, RedisError>?
            var afterLeaving: RedisReply?

            let subscriber = env.connect { redis in
                #expect(throws: Never.self) { try redis.subscribe([channel, Array("other".utf8)]) }
            }
            let publisher = env.connect()
            let redis = subscriber.connection
            redis.onSubscribed = { subscribed in
                events.append("subscribed \(String(decoding: subscribed, as: UTF8.self))")
                guard subscribed == channel else { return }
                #expect(redis.isSubscribed)
                for payload in payloads {
                    publisher.connection.send([Array("PUBLISH".utf8), channel, payload]) { receivers.append($0.value) }
                }
            }
            redis.onMessage = { channel, payload in
                messages.append((channel, payload))
                guard messages.count == payloads.count else { return }
                // PING works while subscribed (the server answers ["pong", ""]).
                redis.ping { result in
                    pong = result
                    events.append("pong")
                    #expect(throws: Never.self) { try redis.unsubscribe([channel, Array("other".utf8)]) }
                }
            }
            redis.onUnsubscribed = { unsubscribed in
                events.append("unsubscribed \(String(decoding: unsubscribed, as: UTF8.self))")
                guard !redis.isSubscribed else { return }
                // Out of subscriber mode, every command works again.
                redis.send(["ECHO", "back"]) {
                    afterLeaving = $0.value
                    env.stop()
                }
            }

            #expect(env.run())
            #expect(events == ["subscribed herald:c:news", "subscribed other", "pong",
                               "unsubscribed herald:c:news", "unsubscribed other"])
            #expect(messages.map(\.channel) == Array(repeating: channel, count: payloads.count))
            #expect(messages.map(\.payload) == payloads)
            #expect(receivers == Array(repeating: .integer(1), count: payloads.count))
            #expect((try? pong?.get()) != nil)
            #expect(afterLeaving == .bulk("back"))
            #expect(!redis.isSubscribed)
            #expect(subscriber.closes.isEmpty)
        }
    }

    /// A command sent before SUBSCRIBE gets its own reply even when that reply looks like a
    /// message (a list holding "message", a channel, a payload); the subscription follows.
    @Test func aReplyShapedLikeAMessageBeforeSubscribingStaysItsCommands() throws {
        try withRedisServer { env in
            var listed: RedisReply?
            var messages: [[UInt8]] = []
            env.connect { redis in
                redis.send(["RPUSH", "look-alike", "message", "chan", "payload"]) { _ in }
                redis.send(["LRANGE", "look-alike", "0", "-1"]) { listed = $0.value }
                #expect(throws: Never.self) { try redis.subscribe([Array("chan".utf8)]) }
                redis.onSubscribed = { _ in
                    env.connect { publisher in publisher.send(["PUBLISH", "chan", "real"]) { _ in } }
                }
                redis.onMessage = { _, payload in
                    messages.append(payload)
                    env.stop()
                }
            }
            #expect(env.run())
            #expect(listed == .array([.bulk("message"), .bulk("chan"), .bulk("payload")]))
            #expect(messages == [Array("real".utf8)])
        }
    }

    /// A command the server refuses in subscriber mode fails with its error; the subscription and
    /// the connection go on.
    @Test func aCommandRefusedWhileSubscribedFailsAlone() throws {
        try withRedisServer { env in
            var refused: RedisError?
            var pinged = false
            let probe = env.connect { redis in
                #expect(throws: Never.self) { try redis.subscribe([Array("chan".utf8)]) }
                redis.send(["GET", "k"]) { refused = $0.error }
                redis.ping { result in
                    pinged = (try? result.get()) != nil
                    env.stop()
                }
            }
            #expect(env.run())
            guard case .replied(let message)? = refused else {
                Issue.record("expected the server's refusal, got \(String(describing: refused))")
                return
            }
            #expect(message.contains("only (P|S)SUBSCRIBE") || message.contains("allowed in this context"))
            #expect(pinged)
            #expect(probe.connection.isSubscribed)
            #expect(probe.closes.isEmpty)
        }
    }
}
