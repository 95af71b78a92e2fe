import EventStream
import Testing

/// What a browser must see for `event` sent with `typeOverride`.
private func expectedDispatch(of event: ServerSentEvent, typeOverride: String?) -> DispatchedEvent {
    let type = [event.event, typeOverride].compactMap { $0 }.first { !$0.isEmpty } ?? "message"
    return DispatchedEvent(type: type, data: normalizingLineBreaks(event.data), lastEventID: event.id)
}

extension EventEncoderTests {
    /// Each seed makes one event; a failure names its seed, which reproduces it alone.
    @Test(arguments: 0..<500)
    func aBrowserReadsBackExactlyTheGeneratedEvent(seed: Int) throws {
        var generator = EventGenerator(seed: UInt64(seed))
        let (event, typeOverride) = generator.event()
        try event.validate()

        // The channel line of multi-channel streams must change nothing a browser sees.
        let parser = EventSourceParser.parse(EventEncoder.encode(event, typeOverride: typeOverride, channels: typeOverride.map { [$0] } ?? []))

        #expect(parser.events.count == 1)
        let dispatched = try #require(parser.events.first)
        let expected = expectedDispatch(of: event, typeOverride: typeOverride)
        #expect(dispatched.type == expected.type)
        #expect(dispatched.lastEventID == expected.lastEventID)
        #expect(dispatched.data == expected.data, "data of \(event.data.utf8.count) bytes differs")
        #expect(parser.lastEventID == event.id)
        #expect(parser.reconnectionTime == event.retry)
    }

    @Test func aLineOf100KiBSurvives() {
        let line = String(repeating: "a👍🏽e\u{301}: ", count: 100 * 1024 / 16)
        let event = ServerSentEvent(id: "big", data: line + "\r\n" + line + "\r" + line)
        let parser = EventSourceParser.parse(EventEncoder.encode(event))
        let expected = DispatchedEvent(type: "message", data: line + "\n" + line + "\n" + line, lastEventID: "big")
        #expect(parser.events == [expected])
    }

    @Test func aStreamOfManyEventsReadsBackInOrderBetweenHeartbeats() {
        var generator = EventGenerator(seed: 0xE5)
        var stream = EventEncoder.padding(count: 1024) + EventEncoder.retry(milliseconds: 2000)
        var expected: [DispatchedEvent] = []
        for index in 0..<200 {
            var (event, typeOverride) = generator.event()
            event.retry = nil
            stream += EventEncoder.encode(event, typeOverride: typeOverride)
            expected.append(expectedDispatch(of: event, typeOverride: typeOverride))
            if index % 7 == 0 { stream += EventEncoder.comment(index % 2 == 0 ? "" : "heartbeat \(index)\nmore") }
        }
        let parser = EventSourceParser.parse(stream)
        #expect(parser.events.count == expected.count)
        for (got, want) in zip(parser.events, expected) {
            #expect(got == want)
        }
        #expect(parser.reconnectionTime == 2000)
    }
}
