import LibeventIO

/// What a `subscribe` run does, validated and resolved before the loop starts.
struct SubscribeSettings {
    var url: BenchURL
    /// The server's address, resolved once.
    var address: SocketAddress
    /// Local addresses bound before connecting, used in turn (empty = let the kernel choose).
    var sources: [SocketAddress]
    /// Subscribers to open.
    var connections: Int
    /// Connects (and response heads) in flight at once: 32 is what every peer handles (PEERS.md).
    var connectConcurrency: Int
    /// Longest wait for a connect plus the response head.
    var connectTimeout: BenchDuration
    /// The run ends at this time after it starts, whatever happened.
    var durationLimit: BenchDuration
    /// Each subscriber is complete once it saw `seq=` this number (or this many events without a
    /// `seq=`); 0 = no expectation, run to the duration limit or the quiet exit.
    var expectEvents: UInt64
    /// After the first event, end when no event arrived for this long (0 = never).
    var quietExit: BenchDuration
    /// Extra request header lines (`Name: value`).
    var headers: [String]
    /// Names this process in reports that are merged.
    var label: String
    /// Percent of the subscribers that reconnect each second with their Last-Event-ID (0 = none).
    var reconnectPercentPerSecond: Double = 0
    /// How often a `PROGRESS` line is printed (nil = never).
    var progressInterval: BenchDuration?

    /// The request every subscriber sends, built once.
    var request: [UInt8] { request(lastEventID: nil) }

    /// The request with a `Last-Event-ID` header when `lastEventID` is given (a reconnect's).
    func request(lastEventID: String?) -> [UInt8] {
        var text = "GET \(url.target) HTTP/1.1\r\nHost: \(url.authority)\r\n"
        text += "Accept: text/event-stream\r\nCache-Control: no-cache\r\n"
        if let lastEventID { text += "Last-Event-ID: \(lastEventID)\r\n" }
        for header in headers { text += header + "\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }
}
