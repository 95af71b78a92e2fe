/// `[publish]`: the listener that accepts events from publishers (the app's webhooks).
public struct PublishSettings: Sendable, Equatable {
    /// `listen`, "host:port": the publish listener. Default `127.0.0.1:8081`, loopback only, so
    /// nobody outside this machine can publish unless you open it.
    public var listen = ListenAddress(host: "127.0.0.1", port: 8081)
    /// `token`: when set, publishers must send `Authorization: Bearer <token>`. Default empty (no
    /// token), allowed only while `listen` is a loopback address.
    public var token = ""
    /// `max_body_bytes`: largest publish request body, in bytes, before `413`. Default 1 MiB: an
    /// event is a notification, not a file, and a body is held whole while it is parsed. Range
    /// 1 KiB–64 MiB.
    public var maxBodyBytes = 1 << 20
    /// `[[publish.routes]]`: paths where webhooks in their senders' own formats become events.
    /// Default none.
    public var routes: [PublishRoute] = []

    /// Every setting at its default.
    public init() {}
}
