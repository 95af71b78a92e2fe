import EventStream

/// A webhook in its sender's own format, made into an event: the channel, event type and id come
/// from templates over the request's headers and JSON body; the data is the body as received.
///
/// Every result is checked as a publish is (a valid channel name; no CR, LF or NUL in the type or
/// the id), so what `event(body:headerValues:)` returns can be published as it is.
public struct WebhookRoute: Sendable, Equatable {
    public var channel: RouteTemplate
    /// None: the browser's default type, `message`.
    public var event: RouteTemplate?
    /// None: Herald assigns one.
    public var id: RouteTemplate?

    public init(channel: RouteTemplate, event: RouteTemplate? = nil, id: RouteTemplate? = nil) {
        self.channel = channel
        self.event = event
        self.id = id
    }

    /// True when a template names a field of the body, which must then be JSON.
    public var readsBody: Bool {
        channel.readsBody || event?.readsBody == true || id?.readsBody == true
    }

    /// The channel and the event a request with `body` makes. `headerValues` gives every value of
    /// a header, by its lowercased name, in the order received.
    public func event(body: [UInt8], headerValues: (String) -> [[UInt8]]) throws(WebhookRouteError) -> (channel: String, event: ServerSentEvent) {
        guard let data = String(validating: body, as: UTF8.self) else { throw .bodyNotUTF8 }
        var document: JSONValue?
        if readsBody {
            do {
                document = try JSONValue(parsing: body)
            } catch {
                throw .bodyNotJSON(error)
            }
        }
        let channel = try self.channel.render(document: document, headerValues: headerValues)
        let type = try event?.render(document: document, headerValues: headerValues)
        let id = try id?.render(document: document, headerValues: headerValues)
        return (channel, ServerSentEvent(id: id ?? "", event: type, data: data))
    }
}

extension RouteTemplate {
    /// The text this template makes from one request, checked for its role.
    /// `document` is the parsed body; nil only when the template reads no field.
    func render(document: JSONValue?, headerValues: (String) -> [[UInt8]]) throws(WebhookRouteError) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let text):
                out += text
            case .field(let pointer):
                guard let document, let value = pointer.resolve(in: document) else { throw .noSuchField(role, pointer) }
                switch value {
                case .string(let text): out += text
                case .number(let text): out += text
                case .bool(let flag): out += flag ? "true" : "false"
                case .null, .object, .array: throw .unusableField(role, pointer, kind: value.kind)
                }
            case .header(let name):
                let values = headerValues(name.lowercased())
                guard !values.isEmpty else { throw .noSuchHeader(role, name: name) }
                // Several lines of one header are one value joined by commas (RFC 9110 §5.3).
                guard let text = String(validating: Array(values.joined(separator: Array(", ".utf8))), as: UTF8.self) else {
                    throw .headerNotUTF8(role, name: name)
                }
                out += text
            }
        }
        if let problem = role.problem(with: out) { throw .badValue(role, value: out, problem: problem) }
        return out
    }
}

extension RouteTemplate.Role {
    /// Why `value` cannot be this role's result, or nil when it can.
    func problem(with value: String) -> String? {
        switch self {
        case .channel:
            return ChannelName.isValid(value) ? nil : ChannelName.problem(value)
        case .event, .id:
            if value.isEmpty { return "empty" }
            if value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                return "must not contain CR, LF or NUL"
            }
            return nil
        }
    }
}
