/// `[limits]`: admission limits on event streams, so one client or a reconnect storm cannot take
/// every socket and byte of memory.
public struct LimitsSettings: Sendable, Equatable {
    /// `max_subscribers`: event streams open at once in the process, a count; a subscribe beyond it
    /// gets `503` with `Retry-After`. Default 100000, what one machine can hold when idle streams
    /// cost a socket and a few KiB each. Streams are downstream connections, so
    /// `server.max_connections` bounds them too. Range 1–10000000.
    public var maxSubscribers = 100_000
    /// `max_subscribers_per_ip`: event streams open at once from one client IP address, a count; a
    /// subscribe beyond it gets `429` with `Retry-After`. Default 1000, not lower: an office or a
    /// mobile carrier puts many users behind one NAT address. Range 1–10000000.
    public var maxSubscribersPerIP = 1000
    /// `max_channels_per_connection`: channels one event stream may subscribe to, a count; a
    /// subscribe naming more is refused, since retrying it cannot succeed. Default 32: plenty for a
    /// page, while one request cannot fan out to thousands of channels. Range 1–1000.
    public var maxChannelsPerConnection = 32
    /// `stream_opens_per_second`: new event streams the process admits per second (a burst of
    /// one second's worth passes at once); beyond it a subscribe gets `503` with a `Retry-After`
    /// of 1–5 s at random, so a reconnect storm cannot take the loops down. Default 0: no limit,
    /// since a plain EventSource gives up for good on an error status (set it when the pages use
    /// client.js, which retries, or clients that do). Range 0–10000000.
    public var streamOpensPerSecond = 0
    /// `max_pending_events`: published events handed to a loop that it has not taken yet, a count;
    /// a publish that finds a loop this far behind gets `503` with `Retry-After: 1`, never a `202`
    /// for an event queued without end (a publish finding no backlog is always taken, however
    /// many events it holds). Default 50000: far beyond what a loop falls behind in normal bursts.
    /// Range 1–10000000.
    public var maxPendingEvents = 50_000

    /// Every setting at its default.
    public init() {}
}
