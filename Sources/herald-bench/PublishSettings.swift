import LibeventIO

/// What a `publish` run does, validated and resolved before the loop starts.
struct PublishSettings {
    var url: BenchURL
    var address: SocketAddress
    /// Events to publish: seq 1...count.
    var count: UInt64
    /// Events per second, or nil for as fast as the connections go.
    var rate: Double?
    /// Keep-alive connections, one request in flight on each.
    var concurrency: Int
    var template: BodyTemplate
    var contentType: String
    /// Extra request header lines (`Name: value`), e.g. an Authorization bearer token.
    var headers: [String]
    var connectTimeout: BenchDuration
    /// The run ends at this time after it starts, whatever happened.
    var durationLimit: BenchDuration
    var label: String

    /// The request head up to the Content-Length value, the same for every request.
    var headPrefix: [UInt8] {
        var text = "POST \(url.target) HTTP/1.1\r\nHost: \(url.authority)\r\nContent-Type: \(contentType)\r\n"
        for header in headers { text += header + "\r\n" }
        text += "Content-Length: "
        return Array(text.utf8)
    }
}
