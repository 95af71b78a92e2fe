/// `[events]`: how subscribers reach the event streams, what each stream is sent, and how much
/// history each channel keeps for browsers that reconnect.
public struct EventsSettings: Sendable, Equatable {
    /// `path`: the subscribe prefix on the public listener, followed by `/<channel>` or
    /// `?channel=…`. Default `/events`. Starts with `/`, has no trailing `/` (the channel's own `/`
    /// follows it), no query or fragment, and is not `/` alone, which would leave nothing for the upstream.
    public var path = "/events"
    /// `heartbeat`: the interval of the `:` comment sent on an idle stream. Default 15 s, well
    /// inside the 30–60 s idle timeouts of common proxies and load balancers. Range 1 s–1 h.
    public var heartbeat = Duration.seconds(15)
    /// `retry`: how long a browser waits before reconnecting a dropped stream, sent as
    /// `retry: <ms>` first thing on every stream; 0 = at once. Default 3 s, close to browsers' own
    /// default, so a burst of reconnects after a restart spreads over seconds. Range 0–1 h.
    public var retry = Duration.seconds(3)
    /// `history_size`: events kept per channel for replay to a reconnecting browser, a count; 0 =
    /// no replay. Default 1000: minutes of a busy channel, enough to bridge a reconnect. Range
    /// 0–1000000.
    public var historySize = 1000
    /// `history_ttl`: an event older than this leaves the history even while there is room.
    /// Default 1 h: a browser away longer may get `reset_event` and refetch rather than a flood of
    /// stale events. Range 1 s–30 days (720 h).
    public var historyTTL = Duration.seconds(3600)
    /// `max_buffered_bytes`: bytes a subscriber may have waiting to be sent before it is
    /// disconnected; it reconnects and replays from the history. Default 1 MiB: thousands of
    /// typical events, so only a stalled client reaches it, while memory per subscriber stays
    /// bounded. Range 4 KiB–1 GiB.
    public var maxBufferedBytes = 1 << 20
    /// `padding_bytes`: size of a comment sent at the start of every stream, in bytes, to push it
    /// through intermediaries that hold back the first KiB of a response (2048 is the usual value,
    /// for old IE's XDomainRequest polyfills and buffering proxies). Default 0, none: current
    /// browsers and proxies do not need it. Range 0–64 KiB.
    public var paddingBytes = 0
    /// `reset_event`: the event type sent to a reconnecting browser whose `Last-Event-ID` is older
    /// than the history, so the page can refetch its state instead of missing events silently.
    /// Default `herald-reset`. 1–64 bytes with no CR, LF or NUL, which would break the `event:` line.
    public var resetEvent = "herald-reset"
    /// `allow_origins`: origins whose pages may open streams cross-origin with the user's cookies;
    /// they are answered with their own origin and `Access-Control-Allow-Credentials: true`, any
    /// other origin gets 403. Default none: only same-origin pages (no `Origin`, or the request's
    /// own host) subscribe. `"*"` allows every origin, which lets any site read the streams with
    /// its visitors' cookies.
    public var allowOrigins = OriginList()
    /// `client_script`: serve `<path>/client.js`, the script that shares one stream per origin
    /// across tabs. Default true; when false, `client.js` is an ordinary channel name.
    public var clientScript = true
    /// `authorize`: who decides which streams open. `none`: whoever reaches Herald subscribes to
    /// any channel. `upstream`: before a stream opens Herald asks the app with an auth request (a
    /// `GET` carrying the client's cookies and credentials), except for `public_channels`; the
    /// app's 2xx opens the stream, any other answer is relayed to the client. Default `none`, so an
    /// app without the endpoint keeps working.
    public var authorize = SubscribeAuthorizationMode.none
    /// `authorize_path`: the path (with any query) of the auth request. Default "": the subscribe
    /// request's own path and query, so the app sees `GET /events/<channel>` as the browser sent it.
    public var authorizePath = ""
    /// `public_channels`: channel patterns that need no auth request (see `ChannelPatternList`).
    /// Default none: with `authorize = "upstream"` every channel is checked.
    public var publicChannels = ChannelPatternList()
    /// `reauthorize_every`: how often each authorized stream is checked again with the credentials
    /// it opened with; a stream the app now refuses is closed. Zero = never. Default zero: the
    /// check costs the app one request per stream per interval.
    public var reauthorizeEvery = Duration.zero
    /// `grip`: a forwarded response carrying `Grip-Hold: stream` becomes a stream Herald holds on
    /// its `Grip-Channel`s (Pushpin's GRIP). Default false: Grip-* headers pass through as
    /// ordinary headers, since an app that never asked for GRIP must not have its responses held.
    public var grip = false

    /// Every setting at its default.
    public init() {}

    /// `retry` in whole milliseconds, as the `retry:` field is written.
    public var retryMilliseconds: Int { Int(retry.wholeMilliseconds) }

    /// `heartbeat` in whole milliseconds, as client.js is told it.
    public var heartbeatMilliseconds: Int { Int(heartbeat.wholeMilliseconds) }
}

/// `events.authorize`: whether the app is asked before a stream opens.
public enum SubscribeAuthorizationMode: String, Sendable, Equatable, CaseIterable {
    /// Every subscribe request is admitted (subject to the limits).
    case none
    /// The app answers an auth request for every stream not on a public channel.
    case upstream
}
