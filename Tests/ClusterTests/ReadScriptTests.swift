import Cluster
import EventStream
import Testing

/// The read script run for real, and the reply decoders on replies Redis would not send.
@Suite struct ReadScriptTests {
    @Test func aReadReturnsAPageAfterTheGivenGWithTheEpochAndLastG() throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            for index in 1...5 { _ = try redis.publish(["a"], id: "e\(index)") }
            _ = try redis.publish(["b"])
            let pages = try [(0, 2), (2, 2), (4, 2), (5, 2)].map { try redis.read("a", after: $0.0, count: $0.1) }
            #expect(pages.map { $0.events.map(\.id) } == [["e1", "e2"], ["e3", "e4"], ["e5"], []])
            #expect(pages.allSatisfy { $0.lastG == 5 && $0.epoch == "epoch001" })
        }
    }

    @Test func aChannelRedisDoesNotHoldReadsAsNoEpoch() throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            #expect(try redis.read("nothing") == ReadScript.Result(epoch: nil, lastG: 0, events: []))
        }
    }

    @Test func theArgumentsFollowTheDocumentedLayout() {
        let keys = ClusterKeys(prefix: "p:")
        let read = ReadScript.arguments(keys: keys, channel: "c", after: 42, count: 100)
        #expect(read.map { String(decoding: $0, as: UTF8.self) } == ["2", "p:s:c", "p:m:c", "42", "100"])
        let publish = PublishScript.arguments(keys: keys, channels: ["a", "b"], publishedTo: ["a", "b", "z"],
                                              content: .event(ServerSentEvent(id: "ignored", event: "t", data: "d", retry: 5)),
                                              id: "i", historySize: 10, ttlMilliseconds: 3_600_000, epochCandidate: "ep")
        #expect(publish.map { String(decoding: $0, as: UTF8.self) } == [
            "7", "p:seq", "p:s:a", "p:m:a", "p:i:a", "p:s:b", "p:m:b", "p:i:b",
            "ep", "10", "3600000", "e", "i", "+t", "d", "5", "a b z", "p:c:a", "p:c:b",
        ])
        let raw = PublishScript.arguments(keys: keys, channels: ["a"], content: .raw([0, 1]), id: "", historySize: 0,
                                          ttlMilliseconds: 1000, epochCandidate: "ep")
        #expect(raw == [[52], Array("p:seq".utf8), Array("p:s:a".utf8), Array("p:m:a".utf8), Array("p:i:a".utf8),
                        Array("ep".utf8), [48], Array("1000".utf8), Array("r".utf8), [], [], [0, 1], [], [], Array("p:c:a".utf8)])
    }

    @Test func aRandomEpochIsEightBase36Characters() {
        let epochs = (0..<100).map { _ in PublishScript.randomEpoch() }
        #expect(epochs.allSatisfy { $0.utf8.count == 8 && $0.utf8.allSatisfy { ("0"..."9").contains(Character(Unicode.Scalar($0))) || ("a"..."z").contains(Character(Unicode.Scalar($0))) } })
        #expect(Set(epochs).count > 90)
    }

    private static func bytes(_ text: String) -> ScriptValue { .bytes(Array(text.utf8)) }

    @Test(arguments: [
        (ScriptValue.integer(1), "publish script reply: expected an array, got the integer 1"),
        (.array([.integer(1)]), "publish script reply: expected 5 items, got 1"),
        (.array([.integer(-1), bytes("x"), .array([.integer(0)]), .array([.integer(0)]), .array([bytes("e")])]),
         "publish script reply: g: expected at least 0, got -1"),
        (.array([.integer(1), bytes("x"), .array([.integer(2)]), .array([.integer(0)]), .array([bytes("e")])]),
         "publish script reply: a duplicate flag is 2, expected 0 or 1"),
        (.array([.integer(1), bytes("x"), .array([.integer(0)]), .array([]), .array([bytes("e")])]),
         "publish script reply: receivers: expected 1 items, got 0"),
        (.array([.integer(1), .null, .array([.integer(0)]), .array([.integer(0)]), .array([bytes("e")])]),
         "publish script reply: id: expected a string, got nil"),
        (.array([.integer(0), bytes("x"), .array([.integer(0)]), .array([.integer(0)]), .array([bytes("e")])]),
         "publish script reply: g is 0 but not every channel was a duplicate"),
    ])
    func aMalformedPublishReplyIsAnError(reply: ScriptValue, reason: String) {
        #expect(throws: ClusterError(reason: reason)) { try PublishScript.Result.decode(reply, channelCount: 1) }
    }

    @Test(arguments: [
        (ScriptValue.array([bytes(""), .integer(3), .array([])]), "read script reply: entries or a lastG without an epoch"),
        (.array([bytes("e"), .integer(3), .array([.array([bytes("3-0")])])]), "read script reply: an entry: expected 2 items, got 1"),
        (.array([bytes("e"), .integer(3), .array([.array([bytes("3-0"), .array([bytes("p")])])])]),
         "read script reply: an entry with an odd count of fields and values"),
        (.array([bytes("e"), .integer(3), .array([.array([bytes("3-0"), .array([bytes("p"), bytes("0")])])])]),
         "stream entry \"3-0\": field t missing"),
    ])
    func aMalformedReadReplyIsAnError(reply: ScriptValue, reason: String) {
        #expect(throws: ClusterError(reason: reason)) { try ReadScript.Result.decode(reply) }
    }
}
