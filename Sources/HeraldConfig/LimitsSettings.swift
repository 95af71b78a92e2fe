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

    /// Every setting at its default.
    public init() {}
}
