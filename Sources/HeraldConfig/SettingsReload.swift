/// What a reload does with newly read settings: which take effect in place, which wait for a
/// restart, and which listeners move. Pure: the server performs it.
public struct SettingsReload: Sendable, Equatable {
    /// The settings to run with: the new ones, except the keys in `keptUntilRestart`, which keep
    /// their running values.
    public var effective: HeraldSettings
    /// Keys whose new values take effect only on a restart ("server.threads", "redis"): the
    /// loops and the Redis links are made once.
    public var keptUntilRestart: [String]
    /// Sections whose settings change, in file order.
    public var changedSections: [String]
    /// `server.listen` changes: new sockets are bound before the old ones close.
    public var movesPublicListener: Bool
    /// `publish.listen` changes.
    public var movesPublishListener: Bool

    public init(from running: HeraldSettings, to new: HeraldSettings) {
        var effective = new
        var kept: [String] = []
        if new.server.threads != running.server.threads {
            kept.append("server.threads")
            effective.server.threads = running.server.threads
        }
        if new.redis != running.redis {
            kept.append("redis")
            effective.redis = running.redis
        }
        self.effective = effective
        keptUntilRestart = kept
        var changed: [String] = []
        if effective.server != running.server { changed.append("server") }
        if effective.upstream != running.upstream { changed.append("upstream") }
        if effective.events != running.events { changed.append("events") }
        if effective.publish != running.publish { changed.append("publish") }
        if effective.limits != running.limits { changed.append("limits") }
        if effective.log != running.log { changed.append("log") }
        changedSections = changed
        movesPublicListener = effective.server.listen != running.server.listen
        movesPublishListener = effective.publish.listen != running.publish.listen
    }

    /// Nothing changes.
    public var isEmpty: Bool { changedSections.isEmpty && keptUntilRestart.isEmpty }
}
