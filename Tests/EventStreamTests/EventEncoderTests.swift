import EventStream
import Testing

@Suite struct EventEncoderTests {
    // MARK: - Exact bytes

    @Test func fieldsComeInOrderIdEventRetryData() {
        let event = ServerSentEvent(id: "7", event: "update", data: "a\r\nb\rc\nd", retry: 500)
        #expect(EventEncoder.encode(event)
            == bytes("id: 7\nevent: update\nretry: 500\ndata: a\ndata: b\ndata: c\ndata: d\n\n"))
    }

    @Test func anEventWithoutTypeHasNoEventLine() {
        #expect(EventEncoder.encode(ServerSentEvent(id: "1", data: "hello")) == bytes("id: 1\ndata: hello\n\n"))
    }

    @Test func emptyDataIsOneEmptyDataLineSoTheBrowserStillDispatches() {
        let encoded = EventEncoder.encode(ServerSentEvent(id: "1", data: ""))
        #expect(encoded == bytes("id: 1\ndata: \n\n"))
        #expect(EventSourceParser.parse(encoded).events
            == [DispatchedEvent(type: "message", data: "", lastEventID: "1")])
    }

    @Test func trailingLineBreaksBecomeEmptyDataLines() {
        #expect(EventEncoder.encode(ServerSentEvent(id: "1", data: "a\n\r\n"))
            == bytes("id: 1\ndata: a\ndata: \ndata: \n\n"))
    }

    @Test func theTypeOverrideNamesAnUntypedEvent() {
        let event = ServerSentEvent(id: "9", data: "x")
        #expect(EventEncoder.encode(event, typeOverride: "orders") == bytes("id: 9\nevent: orders\ndata: x\n\n"))
    }

    @Test func theEventsOwnTypeWinsOverTheOverride() {
        let event = ServerSentEvent(id: "9", event: "created", data: "x")
        #expect(EventEncoder.encode(event, typeOverride: "orders") == bytes("id: 9\nevent: created\ndata: x\n\n"))
    }

    @Test func channelLinesFollowTheTypeAndBrowsersIgnoreThem() {
        let encoded = EventEncoder.encode(ServerSentEvent(id: "9", event: "created", data: "x"), channels: ["orders", "news"])
        #expect(encoded == bytes("id: 9\nevent: created\nchannel: orders\nchannel: news\ndata: x\n\n"))
        #expect(EventSourceParser.parse(encoded).events == [DispatchedEvent(type: "created", data: "x", lastEventID: "9")])
    }

    @Test func anEmptyTypeCountsAsNoType() {
        #expect(EventEncoder.encode(ServerSentEvent(id: "1", event: "", data: "x")) == bytes("id: 1\ndata: x\n\n"))
        #expect(EventEncoder.encode(ServerSentEvent(id: "1", event: "", data: "x"), typeOverride: "a")
            == bytes("id: 1\nevent: a\ndata: x\n\n"))
        #expect(EventEncoder.encode(ServerSentEvent(id: "1", data: "x"), typeOverride: "")
            == bytes("id: 1\ndata: x\n\n"))
    }

    @Test func valuesKeepTheirLeadingSpacesAndColons() {
        let event = ServerSentEvent(id: " :1", event: "  a:b", data: " data: x")
        let encoded = EventEncoder.encode(event)
        #expect(encoded == bytes("id:  :1\nevent:   a:b\ndata:  data: x\n\n"))
        #expect(EventSourceParser.parse(encoded).events
            == [DispatchedEvent(type: "  a:b", data: " data: x", lastEventID: " :1")])
    }

    @Test func aNegativeRetryIsNotSent() {
        #expect(EventEncoder.encode(ServerSentEvent(id: "1", data: "x", retry: -5)) == bytes("id: 1\ndata: x\n\n"))
        #expect(EventEncoder.retry(milliseconds: -1) == [])
    }

    @Test func unvalidatedLineBreaksAndNULsInIdAndTypeCannotSplitTheStream() {
        let event = ServerSentEvent(id: "1\ndata: evil\n\n2\u{0}", event: "a\r\nid: 666\r", data: "ok")
        let encoded = EventEncoder.encode(event, typeOverride: "ignored")
        #expect(encoded == bytes("id: 1data: evil2\nevent: aid: 666\ndata: ok\n\n"))
        #expect(EventSourceParser.parse(encoded).events
            == [DispatchedEvent(type: "aid: 666", data: "ok", lastEventID: "1data: evil2")])
        let override = EventEncoder.encode(ServerSentEvent(id: "1", data: "ok"), typeOverride: "a\nb")
        #expect(EventSourceParser.parse(override).events == [DispatchedEvent(type: "ab", data: "ok", lastEventID: "1")])
    }

    @Test func theOutputHasNoSpareCapacity() {
        let data = "a\r\nb\rc\n\n" + String(repeating: "é\n", count: 300)
        let event = ServerSentEvent(id: "12", event: "t", data: data, retry: 3000)
        let encoded = EventEncoder.encode(event)
        #expect(encoded.capacity - encoded.count < 32)
    }

    // MARK: - Comments, retry and padding

    @Test(arguments: [("", ":\n"), ("hb", ":hb\n"), (" ping", ": ping\n"), ("a\nb\r\nc\r", ":a\n:b\n:c\n:\n")])
    func aCommentIsOneColonLinePerLineAndNoBlankLine(text: String, wire: String) {
        #expect(EventEncoder.comment(text) == bytes(wire))
    }

    @Test(arguments: ["", "heartbeat", "data: not an event\nid: 5\r\n\ndata: still not\n"])
    func aCommentDispatchesNothingAndChangesNoId(text: String) {
        let parser = EventSourceParser.parse(EventEncoder.comment(text))
        #expect(parser.events.isEmpty)
        #expect(parser.lastEventID == "")
        #expect(parser.reconnectionTime == nil)
    }

    @Test func retryIsOneFieldAndNoBlankLine() {
        let encoded = EventEncoder.retry(milliseconds: 3000)
        #expect(encoded == bytes("retry: 3000\n"))
        let parser = EventSourceParser.parse(encoded)
        #expect(parser.reconnectionTime == 3000)
        #expect(parser.events.isEmpty)
    }

    @Test func anEventsRetryIsPickedUpByTheBrowser() {
        let parser = EventSourceParser.parse(EventEncoder.encode(ServerSentEvent(id: "1", data: "x", retry: 2500)))
        #expect(parser.reconnectionTime == 2500)
        #expect(parser.events.count == 1)
    }

    @Test(arguments: [2, 3, 4, 100, 1024, 2048, 4096])
    func paddingIsOneCommentLineOfExactlyTheCount(count: Int) {
        let padding = EventEncoder.padding(count: count)
        #expect(padding.count == count)
        #expect(padding.first == UInt8(ascii: ":"))
        #expect(padding.last == UInt8(ascii: "\n"))
        #expect(padding.filter { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }.count == 1)
        let parser = EventSourceParser.parse(padding)
        #expect(parser.events.isEmpty)
        #expect(parser.reconnectionTime == nil)
    }

    @Test func zeroPaddingIsNoBytes() {
        #expect(EventEncoder.padding(count: 0) == [])
    }

    /// Clients that dispatch at every blank line once they saw a `retry` or an `id` would report
    /// an empty event for each blank line these made.
    @Test func commentsRetryAndPaddingMakeNoBlankLine() {
        let made = [EventEncoder.comment(""), EventEncoder.comment("a\n\nb\r\n"), EventEncoder.retry(milliseconds: 0),
                    EventEncoder.retry(milliseconds: 3000), EventEncoder.padding(count: 2), EventEncoder.padding(count: 2048)]
        for bytes in made {
            #expect(bytes.last == UInt8(ascii: "\n"))
            #expect(bytes.first != UInt8(ascii: "\n"))
            #expect(!bytes.indices.dropFirst().contains { bytes[$0] == UInt8(ascii: "\n") && bytes[$0 - 1] == UInt8(ascii: "\n") })
        }
    }

    @Test func theOpeningOfAStreamDisturbsNoEventAfterIt() {
        let event = ServerSentEvent(id: "5", event: "e", data: "x\ny")
        let stream = EventEncoder.padding(count: 2048) + EventEncoder.retry(milliseconds: 1000)
            + EventEncoder.comment("") + EventEncoder.encode(event)
        let parser = EventSourceParser.parse(stream)
        #expect(parser.events == [DispatchedEvent(type: "e", data: "x\ny", lastEventID: "5")])
        #expect(parser.reconnectionTime == 1000)
    }
}
