import HTTP1
import Testing
@testable import Proxy

@Suite struct GripInstructionTests {
    private func fields(_ pairs: [(String, String)]) -> HTTPFields {
        HTTPFields(pairs.map { HTTPField(name: $0.0, value: $0.1) })
    }

    private func parse(_ pairs: [(String, String)], max: Int = 8) throws(ProxyError) -> GripInstruction? {
        try GripInstruction.parse(fields(pairs), maxChannels: max)
    }

    @Test func aResponseWithoutGripHoldIsNoInstruction() throws {
        #expect(try parse([("Content-Type", "text/plain"), ("Grip-Channel", "a")]) == nil)
    }

    @Test(arguments: [("text/event-stream", true), ("Text/Event-Stream; charset=utf-8", true), (" text/event-stream ;x=1", true),
                      ("text/plain", false), ("text/event-streams", false), ("application/json", false), ("", false)])
    func anEventStreamIsKnownByItsMediaType(contentType: String, isEventStream: Bool) {
        #expect(GripInstruction.isEventStream(fields([("Content-Type", contentType)])) == isEventStream)
    }

    @Test func aResponseWithoutContentTypeIsNoEventStream() {
        #expect(!GripInstruction.isEventStream(fields([("Grip-Hold", "stream")])))
    }

    @Test func holdStreamOnTheChannelsWithTheirPrevIDs() throws {
        let instruction = try #require(try parse([
            ("Grip-Hold", "Stream"), ("Grip-Channel", "a, b; prev-id=7; filter=skip-self"), ("grip-channel", "c;prev-id=\"x y\", a"),
        ]))
        #expect(instruction.channels == [
            GripInstruction.Channel(name: "a"), GripInstruction.Channel(name: "b", previousID: "7"),
            GripInstruction.Channel(name: "c", previousID: "x y"),
        ])
        #expect(instruction.status == nil && instruction.keepAlive == nil)
    }

    @Test func aPercentEncodedGripChannelIsItsCanonicalName() throws {
        let instruction = try #require(try parse([("Grip-Hold", "stream"), ("Grip-Channel", "user%3A42; prev-id=7, user:42, team%2fred")]))
        #expect(instruction.channels == [GripInstruction.Channel(name: "user:42", previousID: "7"), GripInstruction.Channel(name: "team/red")])
        do {
            _ = try parse([("Grip-Hold", "stream"), ("Grip-Channel", "a%ZZ")])
            Issue.record("expected a refusal")
        } catch {
            #expect(error.status == 502 && error.reason.contains(#"channel "a%ZZ": malformed percent-escape"#))
        }
    }

    @Test func gripStatusReplacesTheStatus() throws {
        let instruction = try #require(try parse([("Grip-Hold", "stream"), ("Grip-Channel", "a"), ("Grip-Status", "201 Made")]))
        #expect(instruction.status?.code == 201 && instruction.status?.reason == "Made")
        let plain = try #require(try parse([("Grip-Hold", "stream"), ("Grip-Channel", "a"), ("Grip-Status", "200")]))
        #expect(plain.status?.reason == "OK")
    }

    @Test(arguments: [
        (#":\n\n; format=cstring; timeout=20"#, Array(":\n\n".utf8)),
        ("ping; format=raw", Array("ping".utf8)),
        ("Ok==; format=base64", [0x3A]),
        ("noformat", Array("noformat".utf8)),
        (#"a\\b\tc\r\0; format=cstring"#, Array("a\\b\tc\r".utf8) + [0]),
    ])
    func gripKeepAliveIsDecoded(value: String, bytes: [UInt8]) throws {
        let instruction = try #require(try parse([("Grip-Hold", "stream"), ("Grip-Channel", "a"), ("Grip-Keep-Alive", value)]))
        #expect(instruction.keepAlive == bytes)
    }

    @Test(arguments: [
        [("Grip-Hold", "response"), ("Grip-Channel", "a")],
        [("Grip-Hold", "forever"), ("Grip-Channel", "a")],
        [("Grip-Hold", "stream")],
        [("Grip-Hold", "stream"), ("Grip-Channel", "bad name")],
        [("Grip-Hold", "stream"), ("Grip-Channel", "bad%20name")],
        [("Grip-Hold", "stream"), ("Grip-Channel", "a, b, c")],
        [("Grip-Hold", "stream"), ("Grip-Channel", "a"), ("Grip-Status", "ok")],
        [("Grip-Hold", "stream"), ("Grip-Channel", "a"), ("Grip-Keep-Alive", #"a\q; format=cstring"#)],
        [("Grip-Hold", "stream"), ("Grip-Channel", "a"), ("Grip-Keep-Alive", "x; format=json")],
        [("Grip-Hold", "stream"), ("Grip-Channel", "a"), ("Grip-Keep-Alive", "!!; format=base64")],
    ])
    func aHoldHeraldCannotDoAsAskedIsTheAppsMistake(pairs: [(String, String)]) {
        do {
            _ = try parse(pairs, max: 2)
            Issue.record("expected a refusal for \(pairs)")
        } catch {
            #expect(error.status == 502 && error.source == .upstream)
        }
    }

    @Test func everyGripFieldIsRemovedAndNothingElse() {
        var all = fields([("Grip-Hold", "stream"), ("X-A", "1"), ("grip-channel", "a"), ("Gripper", "kept"), ("GRIP-SIG", "x")])
        GripInstruction.removeGripFields(&all)
        #expect(all.fields.map(\.name) == ["X-A", "Gripper"])
    }
}
