import EventStream
import Testing
@testable import Fanout

@Suite struct EventBatchTests {
    private func event(_ sequence: UInt64, _ channel: String) -> PublishedEvent {
        PublishedEvent(sequence: sequence, channel: channel, event: ServerSentEvent(id: "\(sequence)", data: "d\(sequence)"),
                       publishedAt: .now)
    }

    @Test func aBatchsBytesAreItsEventsBackToBack() {
        let events = [event(1, "a"), event(2, "a")]
        let batch = EventBatch(channel: "a", events: events)
        #expect(batch.bytes.array == events[0].bytes.array + events[1].bytes.array)
    }

    @Test func aBatchOfOneSharesTheEventsOwnBytes() {
        let single = event(1, "a")
        #expect(EventBatch(channel: "a", events: [single]).bytes === single.bytes)
    }
}
