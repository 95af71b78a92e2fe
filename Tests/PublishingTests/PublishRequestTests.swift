import EventStream
import Testing
@testable import Publishing

@Suite struct PublishRequestTests {
    private func json(_ text: String) throws(PublishProblem) -> [PublishRequest] {
        try PublishRequest.json(try PublishRequest.parseJSON(Array(text.utf8)))
    }

    private func problem(_ text: String) -> String? {
        do {
            _ = try json(text)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func aRawPublishTakesTheBodyAsDataAndTheQueryAsFields() throws {
        let request = try PublishRequest.raw(channel: "user%3A42", query: "event=note&id=7&retry=1500", body: Array("hi".utf8))
        #expect(request.channels == ["user:42"])
        #expect(request.event == ServerSentEvent(id: "7", event: "note", data: "hi", retry: 1500))
    }

    @Test func aRawPublishRefusesABadChannelBadUTF8AndABadRetry() {
        #expect(throws: PublishProblem.self) { try PublishRequest.raw(channel: "a b", query: nil, body: []) }
        #expect(throws: PublishProblem(reason: "body is not valid UTF-8")) { try PublishRequest.raw(channel: "c", query: nil, body: [0xFF]) }
        #expect(throws: PublishProblem(reason: "retry: expected milliseconds, got -1")) {
            try PublishRequest.raw(channel: "c", query: "retry=-1", body: [])
        }
    }

    @Test func aJSONObjectOrArrayBecomesRequestsWithDistinctChannels() throws {
        let one = try json(#"{"channel": ["a", "b", "a"], "data": {"x": 1}, "event": "e"}"#)
        #expect(one == [PublishRequest(event: ServerSentEvent(id: "", event: "e", data: #"{"x":1}"#), channels: ["a", "b"])])
        let two = try json(#"[{"channel": "a", "data": "1"}, {"channel": "b", "data": "2", "id": "9"}]"#)
        #expect(two.map(\.channels) == [["a"], ["b"]])
        #expect(two[1].event.id == "9")
    }

    @Test func aJSONPublishIsRefusedWholeNamingTheItemAndTheProblem() {
        #expect(problem("[]") == "empty array: nothing to publish")
        #expect(problem(#"{"channel": "a", "colour": "red"}"#) == #"unknown key "colour" (expected channel, event, data, id, retry)"#)
        #expect(problem(#"[{"channel": "a"}, {"channel": 7}]"#) == "item 1: channel: expected a name or an array of names")
        #expect(problem(#"{"channel": "a", "id": "x\ny"}"#) == "id must not contain CR or LF")
        #expect(problem(#"{"channel": "a", "retry": true}"#) == "retry: expected milliseconds")
        #expect(problem(#"{"channel": "a b"}"#)?.hasPrefix(#"channel "a b": "#) == true)
        #expect(throws: PublishProblem(reason: "invalid JSON")) { try PublishRequest.parseJSON(Array("{".utf8)) }
    }
}
