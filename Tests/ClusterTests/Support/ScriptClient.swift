import Cluster
import EventStream

/// The two scripts loaded into a test's redis-server, called the way the engine calls them
/// (SCRIPT LOAD, then EVALSHA with `arguments`), their replies decoded by the code under test.
final class ScriptClient {
    let connection: RESPConnection
    let keys: ClusterKeys
    private let publishSHA: [UInt8]
    private let readSHA: [UInt8]

    init(_ server: RedisTestServer, keys: ClusterKeys = ClusterKeys()) throws {
        connection = try server.connect()
        self.keys = keys
        guard case .bytes(let publish) = try connection.command("SCRIPT", "LOAD", PublishScript.source),
              case .bytes(let read) = try connection.command("SCRIPT", "LOAD", ReadScript.source) else {
            throw RESPError(message: "SCRIPT LOAD did not answer a sha")
        }
        publishSHA = publish
        readSHA = read
    }

    func publish(_ channels: [String], _ content: ClusterEvent.Content = .event(ServerSentEvent(id: "", data: "x")),
                 id: String = "", publishedTo: [String]? = nil, historySize: Int = 100, ttlMilliseconds: Int64 = 60_000,
                 epochCandidate: String = "epoch001") throws -> PublishScript.Result {
        let tail = PublishScript.arguments(keys: keys, channels: channels, publishedTo: publishedTo, content: content, id: id,
                                           historySize: historySize, ttlMilliseconds: ttlMilliseconds, epochCandidate: epochCandidate)
        let reply = try connection.command([Array("EVALSHA".utf8), publishSHA] + tail)
        return try PublishScript.Result.decode(reply, channelCount: channels.count)
    }

    func read(_ channel: String, after: UInt64 = 0, count: Int = 1000) throws -> ReadScript.Result {
        let reply = try connection.command([Array("EVALSHA".utf8), readSHA] + ReadScript.arguments(keys: keys, channel: channel, after: after, count: count))
        return try ReadScript.Result.decode(reply)
    }

    /// A plain command's integer reply (XLEN, HLEN, PTTL, GET of a number…).
    func integer(_ arguments: String...) throws -> Int64 {
        switch try connection.command(arguments.map { Array($0.utf8) }) {
        case .integer(let value): return value
        case .bytes(let digits): return Int64(String(decoding: digits, as: UTF8.self)) ?? -1
        case let other: throw RESPError(message: "expected an integer, got \(other)")
        }
    }

    /// The field names of a hash, sorted.
    func hashKeys(_ key: String) throws -> [String] {
        guard case .array(let items) = try connection.command("HKEYS", key) else { return [] }
        return items.compactMap { if case .bytes(let name) = $0 { String(decoding: name, as: UTF8.self) } else { nil } }.sorted()
    }
}

/// A connection subscribed to some channels' pub/sub names, reading what the script announces.
final class Subscriber {
    let connection: RESPConnection
    let keys: ClusterKeys

    init(_ server: RedisTestServer, channels: [String], keys: ClusterKeys = ClusterKeys()) throws {
        connection = try server.connect()
        self.keys = keys
        try connection.send([Array("SUBSCRIBE".utf8)] + channels.map { Array(keys.pubSub($0).utf8) })
        for _ in channels { _ = try connection.reply() }
    }

    /// The next message: its channel (through `ClusterKeys.channel(ofPubSub:)`) and payload.
    func next() throws -> (channel: String?, payload: [UInt8]) {
        guard case .array(let parts) = try connection.reply(), parts.count == 3,
              parts[0] == .bytes(Array("message".utf8)), case .bytes(let name) = parts[1], case .bytes(let payload) = parts[2] else {
            throw RESPError(message: "expected a pub/sub message")
        }
        return (keys.channel(ofPubSub: name), payload)
    }
}
