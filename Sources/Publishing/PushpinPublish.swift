// Pushpin's HTTP publish format, so publishers written for Pushpin work unchanged:
//
//   POST /publish/   {"items": [{"channel": "c", "id": "7", "prev-id": "6",
//                               "formats": {"http-stream": {"content": "data: hi\n\n"}}}]}
//
// Only the http-stream format means something here (streams held through GRIP); its content is
// written to them byte for byte. Pure: the parsed JSON in, validated items out, all or none.

import EventStream
import Foundation

/// One item to publish: raw content for the GRIP streams of one channel.
public struct PushpinItem: Sendable, Equatable {
    public var channel: String
    /// The item's id ("" = Herald assigns one); it is what `prev-id` in a Grip-Channel refers to.
    public var id: String
    /// The http-stream content, as bytes (`content` as UTF-8, or `content-bin` decoded).
    public var content: [UInt8]

    public init(channel: String, id: String, content: [UInt8]) {
        self.channel = channel
        self.id = id
        self.content = content
    }
}

public enum PushpinPublish {
    /// True for a JSON body in Pushpin's format: an object with `items`.
    public static func isPushpinFormat(_ json: Any) -> Bool {
        (json as? [String: Any])?["items"] != nil
    }

    /// Keys an item may have. `prev-id` and `meta` are accepted and not acted on; the format names
    /// may also sit at the item's top level, as Pushpin's older publishers put them.
    static let itemKeys: Set<String> = ["channel", "id", "prev-id", "formats", "meta", "http-stream", "http-response", "ws-message"]

    /// The items of `json` (an object with `items`), validated; throws naming the first problem.
    public static func items(_ json: Any) throws(PublishProblem) -> [PushpinItem] {
        guard let object = json as? [String: Any] else { throw PublishProblem(reason: "expected an object with items") }
        if let unknown = object.keys.sorted().first(where: { $0 != "items" }) {
            throw PublishProblem(reason: "unknown key \"\(unknown)\" (expected items)")
        }
        guard let list = object["items"] as? [Any] else { throw PublishProblem(reason: "items: expected an array") }
        guard !list.isEmpty else { throw PublishProblem(reason: "items: empty array, nothing to publish") }
        var items: [PushpinItem] = []
        for (index, entry) in list.enumerated() {
            do {
                items.append(try item(entry))
            } catch {
                throw PublishProblem(reason: "item \(index): \(error.reason)")
            }
        }
        return items
    }

    private static func item(_ entry: Any) throws(PublishProblem) -> PushpinItem {
        guard let item = entry as? [String: Any] else { throw PublishProblem(reason: "expected an object") }
        if let unknown = item.keys.sorted().first(where: { !itemKeys.contains($0) }) {
            throw PublishProblem(reason: "unknown key \"\(unknown)\" (expected channel, id, prev-id, formats)")
        }
        guard let channel = item["channel"] as? String else { throw PublishProblem(reason: "channel: expected a string") }
        guard ChannelName.isValid(channel) else { throw PublishProblem(reason: "channel \"\(channel.prefix(64))\": \(ChannelName.problem(channel))") }
        var id = ""
        if let value = item["id"] {
            guard let text = value as? String else { throw PublishProblem(reason: "id: expected a string") }
            if text.unicodeScalars.contains(where: { ["\r", "\n", "\0"].contains($0) }) {
                throw PublishProblem(reason: "id must not contain CR, LF or NUL")
            }
            id = text
        }
        if let value = item["prev-id"], !(value is String) { throw PublishProblem(reason: "prev-id: expected a string") }
        var formats: [String: Any] = [:]
        if let value = item["formats"] {
            guard let nested = value as? [String: Any] else { throw PublishProblem(reason: "formats: expected an object") }
            formats = nested
        }
        for name in ["http-stream", "http-response", "ws-message"] where item[name] != nil { formats[name] = item[name] }
        guard let stream = formats["http-stream"] else {
            let given = formats.keys.sorted().joined(separator: ", ")
            throw PublishProblem(reason: "no http-stream format\(given.isEmpty ? "" : " (got \(given))"): Herald holds HTTP streams only")
        }
        return PushpinItem(channel: channel, id: id, content: try content(stream))
    }

    private static func content(_ format: Any) throws(PublishProblem) -> [UInt8] {
        guard let stream = format as? [String: Any] else { throw PublishProblem(reason: "http-stream: expected an object") }
        if let unknown = stream.keys.sorted().first(where: { !["content", "content-bin", "action"].contains($0) }) {
            throw PublishProblem(reason: "http-stream: unknown key \"\(unknown)\" (expected content or content-bin)")
        }
        if let action = stream["action"] {
            throw PublishProblem(reason: "http-stream: action \"\(action)\" is not supported (close streams with DELETE /channels/<channel>)")
        }
        switch (stream["content"], stream["content-bin"]) {
        case (let text as String, nil):
            return Array(text.utf8)
        case (nil, let encoded as String):
            guard let data = Data(base64Encoded: encoded) else { throw PublishProblem(reason: "http-stream: content-bin is not valid base64") }
            return Array(data)
        case (nil, nil):
            throw PublishProblem(reason: "http-stream: expected content or content-bin")
        default:
            throw PublishProblem(reason: "http-stream: expected content (a string) or content-bin (base64), one of them")
        }
    }
}
