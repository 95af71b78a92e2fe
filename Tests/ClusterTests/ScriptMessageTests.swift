import Cluster
import EventStream
import Testing

/// What the Lua announces decodes, with the Swift decoder, to what it stored, and to what Swift's
/// own encoder would have sent: the two writers of the message format agree.
@Suite struct ScriptMessageTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var content: ClusterEvent.Content
        var id = ""
        var channels = ["a"]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "plain data", content: .event(ServerSentEvent(id: "", data: "hello"))),
        Case(name: "type, retry, CR LF NUL and emoji in data", content: .event(ServerSentEvent(id: "", event: "update", data: "a\r\nb\rc\n\u{0}d 👍🏽\n", retry: 2500)), id: "id ✓ 1"),
        Case(name: "an empty type and empty data", content: .event(ServerSentEvent(id: "", event: "", data: "", retry: 0))),
        Case(name: "raw content with CR LF NUL and bytes that are not UTF-8", content: .raw([0, 13, 10, 0xFF, 0x80, 32, 13, 10, 13, 10])),
        Case(name: "empty raw content", content: .raw([]), id: "r1"),
        Case(name: "several channels", content: .event(ServerSentEvent(id: "", data: "x")), channels: ["a", "user:42", "chat/room-1@x"]),
    ]

    @Test(arguments: cases)
    func theAnnouncedMessageDecodesToTheStoredEntry(sample: Case) throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            let subscriber = try Subscriber(server, channels: sample.channels)
            let result = try redis.publish(sample.channels, sample.content, id: sample.id)
            #expect(result.receivers == sample.channels.map { _ in 1 })
            for channel in sample.channels {
                let message = try subscriber.next()
                #expect(message.channel == channel)
                let announced = try ClusterEvent.decode(message: message.payload)
                let stored = try #require(try redis.read(channel).events.first)
                #expect(announced == stored)
                #expect(announced.encodedMessage() == message.payload)
                #expect(announced.id == result.id && announced.g == result.g)
                #expect(announced.channels == (sample.channels.count > 1 ? sample.channels : []))
                switch (announced.content, sample.content) {
                case (.event(let got), .event(let sent)):
                    #expect(got == ServerSentEvent(id: result.id, event: sent.event, data: sent.data, retry: sent.retry))
                case (.raw(let got), .raw(let sent)):
                    #expect(got == sent)
                default:
                    Issue.record("the kind changed: \(announced.content)")
                }
            }
        }
    }
}
