import Publishing

/// One `[[publish.routes]]` table: a path on the publish listener where a webhook in its sender's
/// own format (GitHub's, Stripe's, an app's JSON) becomes an event, unchanged.
///
/// The templates are parsed and checked here, when the configuration is read, by the same code
/// that fills them from each request (`Publishing`): a template that could never give a valid
/// channel or id stops Herald at startup instead of failing every webhook.
public struct PublishRoute: Sendable, Equatable {
    /// `path`: the exact path (no query) that POSTs go to, such as `/hooks/github`. Required.
    public var path: String
    /// `channel` (required), `event` and `id` (optional; none gives `message` and an id Herald
    /// assigns): templates over the request's headers and JSON body.
    public var webhook: WebhookRoute

    public init(path: String, webhook: WebhookRoute) {
        self.path = path
        self.webhook = webhook
    }
}

extension PublishRoute {
    /// Paths the publish listener serves itself, which a route would hide.
    static func isBuiltIn(_ path: String) -> Bool {
        ["/publish", "/healthz", "/metrics"].contains(path) || path.hasPrefix("/publish/") || path.hasPrefix("/channels/")
    }

    /// Reads one `[[publish.routes]]` table; `earlier` are the routes before it (nil where path or
    /// channel was refused).
    static func read(_ entry: inout TableReader, earlier: [PublishRoute?]) -> PublishRoute? {
        let path = entry.require("path", .routePath, expected: ValueParser<String>.routePathForm)
        let channel = entry.require("channel", .template(for: .channel), expected: #"a template such as "repo-{/repository/full_name}""#)
        let event = entry.read("event", .template(for: .event))
        let id = entry.read("id", .template(for: .id))
        if let path, let other = earlier.firstIndex(where: { $0?.path == path }) {
            entry.report("path", ConfigValueError(expected: "a path of its own (route #\(other + 1) has it)",
                                                  got: ConfigValueError.quoted(path)))
        }
        guard let path, let channel else { return nil }
        return PublishRoute(path: path, webhook: WebhookRoute(channel: channel, event: event, id: id))
    }
}

extension ValueParser where Value == String {
    /// What `.routePath` accepts, as shown in messages.
    static let routePathForm = #"a path such as "/hooks/github""#

    /// A route's path: visible ASCII starting with `/`, with no query or fragment, and none of
    /// the paths the publish listener serves itself.
    static var routePath: Self {
        .string(expected: routePathForm) { text throws(ConfigValueError) in
            func failure(_ detail: String) -> ConfigValueError {
                ConfigValueError(expected: "\(routePathForm) \(detail)", got: ConfigValueError.quoted(text))
            }
            guard text.hasPrefix("/") else { throw failure(#"starting with "/""#) }
            if text.contains("?") || text.contains("#") { throw failure("with no query or fragment (it is matched exactly)") }
            guard text.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
                throw failure("of visible ASCII characters without spaces")
            }
            if PublishRoute.isBuiltIn(text) {
                throw failure("apart from /publish, /publish/…, /channels/…, /healthz and /metrics, which Herald serves")
            }
            return text
        }
    }
}

extension ValueParser where Value == RouteTemplate {
    /// A template for `role`, such as `"repo-{/repository/full_name}"`.
    static func template(for role: RouteTemplate.Role) -> Self {
        .string(expected: "a string") { text throws(ConfigValueError) in
            do throws(RouteTemplate.SyntaxError) {
                return try RouteTemplate(parsing: text, for: role)
            } catch {
                throw ConfigValueError(expected: error.expected, got: ConfigValueError.quoted(text))
            }
        }
    }
}
