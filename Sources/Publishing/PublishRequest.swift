import EventStream
import Foundation

/// One publish: an event and the channels it goes to, parsed and validated from a webhook.
public struct PublishRequest: Sendable, Equatable {
    public var event: ServerSentEvent
    public var channels: [String]

    public init(event: ServerSentEvent, channels: [String]) {
        self.event = event
        self.channels = channels
    }

    /// A refused publish: the reason goes into the 400.
    public typealias Problem = PublishProblem

    /// `POST /publish/<channel>?event=&id=&retry=`: the body is the data; `channel` as in the path,
    /// percent-encoded or not.
    public static func raw(channel spelling: String, query: Substring?, body: [UInt8]) throws(Problem) -> PublishRequest {
        let channel: String
        do {
            channel = try ChannelName.decode(spelling[...])
        } catch {
            throw Problem(reason: error.reason)
        }
        guard let data = String(validating: body, as: UTF8.self) else { throw Problem(reason: "body is not valid UTF-8") }
        let value: (String) -> String? = { name in query.flatMap { QueryString.values(name, in: $0).last } }
        var retry: Int?
        if let text = value("retry") {
            guard let number = Int(text), number >= 0 else { throw Problem(reason: "retry: expected milliseconds, got \(text)") }
            retry = number
        }
        let request = PublishRequest(
            event: ServerSentEvent(id: value("id") ?? "", event: value("event"), data: data, retry: retry),
            channels: [channel])
        try request.validate()
        return request
    }

    /// A JSON publish body, parsed (either format: Herald's, or Pushpin's with `items`).
    public static func parseJSON(_ body: [UInt8]) throws(Problem) -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(body), options: [])
        } catch {
            throw Problem(reason: "invalid JSON")
        }
    }

    /// `POST /publish` with JSON: one object or an array of them, all valid or none published.
    public static func json(_ parsed: Any) throws(Problem) -> [PublishRequest] {
        let objects: [Any] = (parsed as? [Any]) ?? [parsed]
        guard !objects.isEmpty else { throw Problem(reason: "empty array: nothing to publish") }
        var requests: [PublishRequest] = []
        for (index, item) in objects.enumerated() {
            let at = objects.count > 1 ? "item \(index): " : ""
            do {
                requests.append(try object(item))
            } catch {
                throw Problem(reason: at + error.reason)
            }
        }
        return requests
    }

    private static let knownKeys: Set<String> = ["channel", "event", "data", "id", "retry"]

    private static func object(_ item: Any) throws(Problem) -> PublishRequest {
        guard let object = item as? [String: Any] else { throw Problem(reason: "expected an object") }
        if let unknown = object.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw Problem(reason: "unknown key \"\(unknown)\" (expected channel, event, data, id, retry)")
        }
        let channels: [String]
        switch object["channel"] {
        case let name as String: channels = [name]
        case let names as [Any] where !names.isEmpty && names.allSatisfy({ $0 is String }): channels = names.map { $0 as! String }
        default: throw Problem(reason: "channel: expected a name or an array of names")
        }
        let data: String
        switch object["data"] {
        case nil: data = ""
        case let text as String: data = text
        case let value?:
            guard let encoded = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes, .sortedKeys]) else {
                throw Problem(reason: "data: cannot be encoded")
            }
            data = String(decoding: encoded, as: UTF8.self)
        }
        func text(_ key: String) throws(Problem) -> String? {
            guard let value = object[key] else { return nil }
            guard let string = value as? String else { throw Problem(reason: "\(key): expected a string") }
            return string
        }
        var retry: Int?
        if let value = object["retry"] {
            guard let number = value as? Int, number >= 0, !(value is Bool) else { throw Problem(reason: "retry: expected milliseconds") }
            retry = number
        }
        // Each channel once, in order (NSOrderedSet kept duplicates on Linux: a channel named twice got the event twice).
        var seen = Set<String>()
        let request = PublishRequest(
            event: ServerSentEvent(id: try text("id") ?? "", event: try text("event"), data: data, retry: retry),
            channels: channels.filter { seen.insert($0).inserted })
        try request.validate()
        return request
    }

    private func validate() throws(Problem) {
        if let bad = channels.first(where: { !ChannelName.isValid($0) }) {
            throw Problem(reason: "channel \"\(bad)\": \(ChannelName.problem(bad))")
        }
        do {
            try event.validate()
        } catch {
            switch error {
            case .containsLineBreak(let field): throw Problem(reason: "\(field) must not contain CR or LF")
            case .containsNUL(let field): throw Problem(reason: "\(field) must not contain NUL")
            case .negativeRetry: throw Problem(reason: "retry must not be negative")
            }
        }
    }
}
