import EventStream
import Testing

@Suite struct ServerSentEventTests {
    @Test func anOrdinaryEventIsValid() throws {
        try ServerSentEvent(id: "a b:c 👍🏽", event: " x:y ", data: "line\r\nline\rline\n\u{0}", retry: 0)
            .validate()
        try ServerSentEvent(id: "", data: "").validate()
    }

    @Test(arguments: ["\n", "\r", "\r\n", "a\nb", "trailing\r"])
    func anIdWithALineBreakIsRejected(breakText: String) {
        #expect(throws: EventFieldError.containsLineBreak(field: "id")) {
            try ServerSentEvent(id: breakText, data: "x").validate()
        }
    }

    @Test(arguments: ["\n", "\r", "a\r\nb"])
    func anEventTypeWithALineBreakIsRejected(breakText: String) {
        #expect(throws: EventFieldError.containsLineBreak(field: "event")) {
            try ServerSentEvent(id: "1", event: breakText, data: "x").validate()
        }
    }

    @Test func aNULInIdOrEventTypeIsRejected() {
        #expect(throws: EventFieldError.containsNUL(field: "id")) {
            try ServerSentEvent(id: "1\u{0}", data: "x").validate()
        }
        #expect(throws: EventFieldError.containsNUL(field: "event")) {
            try ServerSentEvent(id: "1", event: "\u{0}a", data: "x").validate()
        }
    }

    @Test func aNegativeRetryIsRejected() {
        #expect(throws: EventFieldError.negativeRetry) {
            try ServerSentEvent(id: "1", data: "x", retry: -1).validate()
        }
    }

    @Test func theFirstFaultInFieldOrderIsReported() {
        #expect(throws: EventFieldError.containsNUL(field: "id")) {
            try ServerSentEvent(id: "\u{0}\n", event: "\n", data: "x", retry: -1).validate()
        }
        #expect(throws: EventFieldError.containsLineBreak(field: "event")) {
            try ServerSentEvent(id: "1", event: "\n", data: "x", retry: -1).validate()
        }
    }
}
