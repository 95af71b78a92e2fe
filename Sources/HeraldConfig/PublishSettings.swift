/// `[publish]`: the listener that accepts events from publishers (the app's webhooks).
public struct PublishSettings: Sendable, Equatable {
    /// `listen`, "host:port": the publish listener. Default `127.0.0.1:8081`, loopback only, so
    /// nobody outside this machine can publish unless you open it.
    public var listen = ListenAddress(host: "127.0.0.1", port: 8081)
    /// `token`: when set, publishers must send `Authorization: Bearer <token>`. Default empty (no
    /// token), allowed only while `listen` is a loopback address.
    public var token = ""

    /// Every setting at its default.
    public init() {}
}
