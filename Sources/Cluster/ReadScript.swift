// The read script's interface. `arguments` returns what follows the script in the command:
//
//   EVALSHA <sha> | EVAL <source>   2  P s:<c>  P m:<c>  afterG  count
//
// The reply: {epoch ("" when the channel is not in Redis), lastG (0 then), entries}, entries as
// XRANGE gives them: {{"<g>-0", {field, value, …}}, …}, the first `count` with g > afterG.

/// The Lua script that reads a channel's history after some g together with its epoch and last
/// g, atomically: a load (after 0) and a gap fill (after the last g held) both use it.
public enum ReadScript {
    /// The Lua the engine loads, like `PublishScript.source`.
    public static let source = #"""
-- Herald read. KEYS = {P s:<c>, P m:<c>}, ARGV = {afterG, count}: Cluster/ReadScript.swift.
local epoch = redis.call('HGET', KEYS[2], 'e')
if not epoch then return {'', 0, {}} end
local last = tonumber(redis.call('HGET', KEYS[2], 'g') or '0')
return {epoch, last, redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])}
"""#

    /// The tail of the command that reads up to `count` events of `channel` after g `after`.
    public static func arguments(keys: ClusterKeys, channel: String, after: UInt64, count: Int) -> [[UInt8]] {
        [Array("2".utf8), Array(keys.stream(channel).utf8), Array(keys.meta(channel).utf8),
         Array(String(after).utf8), Array(String(count).utf8)]
    }

    /// What a read found.
    public struct Result: Sendable, Equatable {
        /// The channel's epoch, nil when Redis holds nothing of the channel (never published, or
        /// expired: quiet for longer than the history TTL).
        public var epoch: String?
        /// The g of the channel's newest publish (0 with no epoch); it may pass the last event
        /// returned when the page was full, or when the history keeps nothing (history_size 0).
        public var lastG: UInt64
        /// The events after the read's g, oldest first.
        public var events: [ClusterEvent]

        public init(epoch: String?, lastG: UInt64, events: [ClusterEvent]) {
            self.epoch = epoch
            self.lastG = lastG
            self.events = events
        }

        /// The script's reply.
        public static func decode(_ reply: ScriptValue) throws(ClusterError) -> Result {
            let what = "read script reply"
            let parts = try reply.array(what, count: 3)
            let epoch = String(decoding: try parts[0].bytes("\(what): epoch"), as: UTF8.self)
            let lastG = try parts[1].unsigned("\(what): lastG")
            let entries = try parts[2].array("\(what): entries")
            guard !epoch.isEmpty else {
                guard entries.isEmpty, lastG == 0 else { throw ClusterError(reason: "\(what): entries or a lastG without an epoch") }
                return Result(epoch: nil, lastG: 0, events: [])
            }
            var events: [ClusterEvent] = []
            events.reserveCapacity(entries.count)
            for entry in entries {
                let pair = try entry.array("\(what): an entry", count: 2)
                let id = try pair[0].bytes("\(what): an entry id")
                let values = try pair[1].array("\(what): an entry's fields")
                guard values.count % 2 == 0 else { throw ClusterError(reason: "\(what): an entry with an odd count of fields and values") }
                var fields: [([UInt8], [UInt8])] = []
                fields.reserveCapacity(values.count / 2)
                for index in stride(from: 0, to: values.count, by: 2) {
                    fields.append((try values[index].bytes("\(what): a field name"), try values[index + 1].bytes("\(what): a field value")))
                }
                events.append(try ClusterEvent.decode(entryID: id, fields: fields, epoch: epoch))
            }
            return Result(epoch: epoch, lastG: lastG, events: events)
        }
    }
}
