import EventStream

/// What a request on an events route asks for: `<path>/<channel>` and/or `?channel=a&channel=b`,
/// and the id to resume after (Last-Event-ID header, else `?lastEventId=`).
public struct SubscribeRequest: Sendable, Equatable {
    /// Distinct channels, in the order asked.
    public var channels: [String]
    public var lastEventID: LastEventID?

    public init(channels: [String], lastEventID: LastEventID?) {
        self.channels = channels
        self.lastEventID = lastEventID
    }

    /// A refused subscribe request: the reason goes into a 400.
    public typealias Problem = FanoutError

    /// Parses `target` (the request-target, starting with `eventsPath`).
    public static func parse(target: String, eventsPath: String, lastEventIDHeader: [UInt8]?,
                             maxChannels: Int) throws(Problem) -> SubscribeRequest {
        let (path, query) = QueryString.split(target: target)
        var channels: [String] = []
        // Bytes, not Characters: the path's prefix is ASCII.
        let rest = path.utf8.dropFirst(eventsPath.utf8.count)
        // Each name percent-decoded (the query's form-encoded), so every spelling is one channel.
        if rest.count > 1 {
            channels.append(try decode(Substring(rest.dropFirst())))
        } else if rest.first == UInt8(ascii: "/") {
            throw Problem(reason: "empty channel name")
        }
        if let query {
            for spelling in QueryString.spellings("channel", in: query) {
                channels.append(try decode(spelling, plusIsSpace: true))
            }
        }
        if channels.count > 1 {
            var seen = Set<String>()
            channels = channels.filter { seen.insert($0).inserted }
        }
        guard !channels.isEmpty else {
            throw Problem(reason: "no channel: use \(eventsPath)/<channel> or \(eventsPath)?channel=<a>&channel=<b>")
        }
        guard channels.count <= maxChannels else {
            throw Problem(reason: "too many channels: at most \(maxChannels) per connection")
        }
        return SubscribeRequest(channels: channels, lastEventID: LastEventID.from(header: lastEventIDHeader, query: query.map(String.init)))
    }

    private static func decode(_ spelling: Substring, plusIsSpace: Bool = false) throws(Problem) -> String {
        do {
            return try ChannelName.decode(spelling, plusIsSpace: plusIsSpace)
        } catch {
            throw Problem(reason: error.reason)
        }
    }
}
