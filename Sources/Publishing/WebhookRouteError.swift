/// Why a request to a route publishes nothing: a 400 when the body cannot be read at all (not
/// UTF-8; not JSON when the route names fields of it), a 422 when it can but lacks what the route
/// names, or what it names cannot be a channel, an event type or an id.
///
/// Not JSON is a 400, as for `POST /publish` and as most JSON APIs answer a body they cannot
/// parse; 422 is kept for a well-formed request whose content does not fit the route.
public enum WebhookRouteError: Error, Sendable, Equatable {
    case bodyNotUTF8
    case bodyNotJSON(JSONSyntaxError)
    case noSuchField(RouteTemplate.Role, JSONPointer)
    /// The field is null, an object or an array (`kind`), which has no text to put in a name.
    case unusableField(RouteTemplate.Role, JSONPointer, kind: String)
    case noSuchHeader(RouteTemplate.Role, name: String)
    case headerNotUTF8(RouteTemplate.Role, name: String)
    /// The template's result cannot be the role's value (an invalid channel name, an id with a LF).
    case badValue(RouteTemplate.Role, value: String, problem: String)

    public var status: Int {
        switch self {
        case .bodyNotUTF8, .bodyNotJSON: 400
        default: 422
        }
    }

    /// The answer's text, naming the role and the field or header at fault.
    public var reason: String {
        switch self {
        case .bodyNotUTF8:
            "body is not valid UTF-8"
        case .bodyNotJSON(let error):
            "body is not JSON, which this route reads fields of: \(error)"
        case .noSuchField(let role, let pointer):
            "\(role): \(pointer): no such field in the body"
        case .unusableField(let role, let pointer, let kind):
            "\(role): \(pointer): is \(kind), expected a string, a number or a boolean"
        case .noSuchHeader(let role, let name):
            "\(role): header \(name): not in the request"
        case .headerNotUTF8(let role, let name):
            "\(role): header \(name): not valid UTF-8"
        case .badValue(let role, let value, let problem):
            "\(role) \(RouteTemplate.quoted(value)): \(problem)"
        }
    }
}
