/// Why a published event cannot be sent as given; a publisher's `400`.
public enum EventFieldError: Error, Sendable, Equatable {
    /// `field` ("id" or "event") holds a CR or LF, which would end the field early.
    case containsLineBreak(field: String)
    /// `field` ("id" or "event") holds a NUL, for which browsers ignore an id.
    case containsNUL(field: String)
    /// `retry` is below zero; the wire form only carries digits.
    case negativeRetry
}

extension ServerSentEvent {
    /// Throws when id or event contains CR, LF or NUL, or retry is negative (a publisher's 400).
    /// Fields are checked in the order id, event, retry; the first fault found is reported.
    public func validate() throws(EventFieldError) {
        try Self.checkSingleLine(id, field: "id")
        if let event { try Self.checkSingleLine(event, field: "event") }
        if let retry, retry < 0 { throw .negativeRetry }
    }

    private static func checkSingleLine(_ value: String, field: String) throws(EventFieldError) {
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\r"), UInt8(ascii: "\n"): throw .containsLineBreak(field: field)
            case 0: throw .containsNUL(field: field)
            default: continue
            }
        }
    }
}
