import Testing

/// The reference parser against the examples of the WHATWG standard, so the round-trip tests can
/// trust it.
@Suite struct EventSourceParserTests {
    @Test func multipleDataLinesAreJoinedWithLineFeeds() {
        let parser = EventSourceParser.parse(bytes("data: YHOO\ndata: +2\ndata: 10\n\n"))
        #expect(parser.events == [DispatchedEvent(type: "message", data: "YHOO\n+2\n10", lastEventID: "")])
    }

    @Test func idsPersistAndAnEmptyIdResetsThem() {
        let stream = ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n"
        let parser = EventSourceParser.parse(bytes(stream))
        #expect(parser.events == [
            DispatchedEvent(type: "message", data: "first event", lastEventID: "1"),
            DispatchedEvent(type: "message", data: "second event", lastEventID: ""),
        ])
    }

    @Test func aFieldWithoutColonIsEmptyAndAnUnclosedEventIsDropped() {
        let parser = EventSourceParser.parse(bytes("data\n\ndata\ndata\n\ndata:"))
        #expect(parser.events.map(\.data) == ["", "\n"])
    }

    @Test func onlyOneSpaceAfterTheColonIsRemoved() {
        let parser = EventSourceParser.parse(bytes("data:test\n\ndata: test\n\ndata:  test\n\n"))
        #expect(parser.events.map(\.data) == ["test", "test", " test"])
    }

    @Test func crLfAndCrLfAllEndLines() {
        let parser = EventSourceParser.parse(bytes("event: a\rdata: 1\r\ndata: 2\n\r\n"))
        #expect(parser.events == [DispatchedEvent(type: "a", data: "1\n2", lastEventID: "")])
    }

    @Test func aBlankLineWithNoDataDispatchesNothingButForgetsTheType() {
        let parser = EventSourceParser.parse(bytes("event: a\n\ndata: x\n\n"))
        #expect(parser.events == [DispatchedEvent(type: "message", data: "x", lastEventID: "")])
    }

    @Test func anIdContainingNULIsIgnored() {
        let parser = EventSourceParser.parse(bytes("id: 1\n\nid: 2\u{0}\ndata: x\n\n"))
        #expect(parser.events.map(\.lastEventID) == ["1"])
    }

    @Test func retryTakesOnlyDigits() {
        #expect(EventSourceParser.parse(bytes("retry: 1500\n")).reconnectionTime == 1500)
        #expect(EventSourceParser.parse(bytes("retry: 15s\nretry: -1\nretry:\nretry:  5\n")).reconnectionTime == nil)
    }

    @Test func aLeadingByteOrderMarkIsSkippedOnce() {
        let parser = EventSourceParser.parse(bytes("\u{FEFF}data: x\n\n\u{FEFF}data: y\n\n"))
        #expect(parser.events.map(\.data) == ["x"])
    }
}
