/// `[redis]`: scale-out. With the section, publishes go through Redis and every instance mirrors
/// the channels its subscribers follow; without it (`HeraldSettings.redis` is nil) one instance
/// needs nothing else.
public struct RedisSettings: Sendable, Equatable {
    /// `url` (one server) or `urls` (one server per shard; a channel's shard is picked by hashing
    /// its name over this list, so the order matters and must be the same on every instance), as
    /// written: 1–64 servers, no two the same. No default: the section needs one of the two keys.
    public var urls: [RedisURL]
    /// `username`: the ACL user for every server whose URL names none. Default none.
    public var username: String?
    /// `password`, or the content of `password_file`: the password for every server whose URL
    /// carries none. Default none (no `AUTH`).
    public var password: String?
    /// `password_file`: the file `password` was read from, as written (relative to the working
    /// directory), so the secret can stay out of proxy.conf. Default "", none.
    public var passwordFile = ""
    /// `connect_timeout`: time to open a connection to Redis (and authenticate) before trying
    /// again. Default 2 s: a server on the local network answers in milliseconds. Range 1 ms–24 h.
    public var connectTimeout = Duration.seconds(2)
    /// `command_timeout`: the longest a command, so a publish, waits for Redis's reply before the
    /// connection is counted as lost. Default 10 s, well past the pauses of a healthy server (a
    /// fork for a snapshot, a slow fsync). Range 1 s–1 h.
    public var commandTimeout = Duration.seconds(10)
    /// `key_prefix`: starts the name of every key and pub/sub channel Herald uses, so several
    /// deployments can share a server. Default `herald:`. 1–64 bytes of the bytes channel names
    /// use (`A-Z a-z 0-9 - _ . : @ /`).
    public var keyPrefix = "herald:"
    /// `reconnect_min`: the first wait before connecting again after a connection is lost; the
    /// wait grows with each failed attempt, with jitter, up to `reconnect_max`. Default 100 ms:
    /// a blip costs little. Range 1 ms–1 h.
    public var reconnectMin = Duration.milliseconds(100)
    /// `reconnect_max`: the longest wait between attempts, so instances do not hammer a server
    /// that is coming back. Default 5 s. At least `reconnect_min`, at most 1 h.
    public var reconnectMax = Duration.seconds(5)

    /// The given servers, every other setting at its default.
    public init(urls: [RedisURL]) {
        self.urls = urls
    }

    /// What each connection uses: `urls` with `username` and `password` filled in where a URL
    /// carries none of its own (each field on its own).
    public var shards: [RedisURL] {
        urls.map { url in
            var shard = url
            shard.username = url.username ?? username
            shard.password = url.password ?? password
            return shard
        }
    }
}
