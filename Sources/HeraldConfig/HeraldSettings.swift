/// Everything Herald reads from proxy.conf, one `…Settings` per section. `HeraldSettings()` is the
/// configuration with every default: the values the shipped proxy.conf spells out.
public struct HeraldSettings: Sendable, Equatable {
    /// `[server]`: the public listener and the limits on downstream connections.
    public var server = ServerSettings()
    /// `[upstream]`: the app requests are forwarded to, and the connections to it.
    public var upstream = UpstreamSettings()
    /// `[events]`: the subscribe path, what each event stream is sent, and the replay history.
    public var events = EventsSettings()
    /// `[publish]`: the listener publishers post events to.
    public var publish = PublishSettings()
    /// `[limits]`: how many event streams are admitted, in all, per client IP and per channel count.
    public var limits = LimitsSettings()
    /// `[log]`: the diagnostic log level and the access log.
    public var log = LogSettings()
    /// `[redis]`: the Redis servers that let instances share channels. Nil, the default, when the
    /// section is absent: one instance needs nothing else.
    public var redis: RedisSettings?

    /// Every setting at its default.
    public init() {}
}
