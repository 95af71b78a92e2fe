// Design note: one publish to channel c becomes, in Redis, an entry of c's stream (read back when an
// instance loads the channel or fills a gap) and a pub/sub message on `P c:<c>` (how live events
// reach every instance). Both carry the same fields and decode to this one type, so the mirror
// cannot tell which way an event came. The message format is built by the publish script's Lua
// (PublishScript.source) and by `encodedMessage()` here; the tests check that they agree.
//
//   <epoch> <g> <p> <t> <k> <len(i)> <len(y)|-1> <len(r)|-1> <len(c)|-1>\n<i><y><r><c><d>
//
// Lengths are in bytes; -1 marks an absent field; d (data or raw content) is the rest.

import EventStream

/// One publish to one channel as Redis holds it: its place in the shard's order and in the
/// channel's chain, and what was published.
public struct ClusterEvent: Sendable, Equatable {
    /// What was published: an SSE event, or raw content from Pushpin's format (GRIP streams).
    public enum Content: Sendable, Equatable {
        /// An SSE event; its `id` is the entry's `id`.
        case event(ServerSentEvent)
        /// http-stream content, written byte for byte to streams held through GRIP.
        case raw([UInt8])
    }

    /// The shard's publish counter for this publish: increases across every channel of the shard.
    public var g: UInt64
    /// The g of the channel's previous publish in this epoch, 0 for the epoch's first: an event
    /// whose `previous` is not the last g an instance holds shows it missed something.
    public var previous: UInt64
    /// The channel's epoch: a new one means the channel's history in Redis started over.
    public var epoch: String
    /// Redis's clock when the publish ran, in milliseconds since 1970 (the history TTL's clock).
    public var time: Int64
    /// The event id (the publisher's, or `<epoch>-<g>` assigned by the script).
    public var id: String
    public var content: Content
    /// Every channel of the publish when it named several (in the publisher's order), else [].
    public var channels: [String]

    public init(g: UInt64, previous: UInt64, epoch: String, time: Int64, id: String, content: Content, channels: [String] = []) {
        self.g = g
        self.previous = previous
        self.epoch = epoch
        self.time = time
        self.id = id
        self.content = content
        self.channels = channels
    }

    /// The pub/sub payload the publish script sends for this event (format in the design note).
    public func encodedMessage() -> [UInt8] {
        let parts = fieldParts
        var header = "\(epoch) \(g) \(previous) \(time) \(parts.kind) \(id.utf8.count)"
        for field in [parts.type, parts.retry, parts.channels] {
            header += " \(field.map { String($0.count) } ?? "-1")"
        }
        header += "\n"
        var out: [UInt8] = []
        out.reserveCapacity(header.utf8.count + id.utf8.count + (parts.type?.count ?? 0) + (parts.retry?.count ?? 0)
            + (parts.channels?.count ?? 0) + parts.data.count)
        out.append(contentsOf: header.utf8)
        out.append(contentsOf: id.utf8)
        for field in [parts.type, parts.retry, parts.channels] {
            if let field { out.append(contentsOf: field) }
        }
        out.append(contentsOf: parts.data)
        return out
    }

    /// The fields the message and the stream entry both carry, as bytes (nil = absent).
    var fieldParts: (kind: String, type: [UInt8]?, retry: [UInt8]?, channels: [UInt8]?, data: [UInt8]) {
        let joined = channels.isEmpty ? nil : Array(channels.joined(separator: " ").utf8)
        switch content {
        case .event(let event):
            return (Self.eventKind, event.event.map { Array($0.utf8) }, event.retry.map { Array(String($0).utf8) }, joined,
                    Array(event.data.utf8))
        case .raw(let bytes):
            return (Self.rawKind, nil, nil, joined, bytes)
        }
    }

    /// `k` for an SSE event.
    static let eventKind = "e"
    /// `k` for raw (Pushpin http-stream) content.
    static let rawKind = "r"
}
