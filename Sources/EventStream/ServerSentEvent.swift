/// One event as published.
///
/// Invariants (checked by `validate`): `id` and `event` contain no CR, LF or NUL, and `retry` is not
/// negative. `data` may hold any text; CR, LF and CRLF in it all end a line.
public struct ServerSentEvent: Sendable, Equatable {
    /// Sent exactly as given; the browser echoes it back as `Last-Event-ID` when it reconnects.
    public var id: String
    /// The event type; nil (or empty) leaves the browser's default, `message`.
    public var event: String?
    /// Any text; CR, LF and CRLF all split lines, which the browser rejoins with LF.
    public var data: String
    /// The reconnection delay to ask of the browser, in milliseconds.
    public var retry: Int?

    public init(id: String, event: String? = nil, data: String, retry: Int? = nil) {
        self.id = id
        self.event = event
        self.data = data
        self.retry = retry
    }
}
