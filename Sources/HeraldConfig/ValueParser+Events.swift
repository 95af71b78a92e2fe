// The string keys of [events]: both end up in bytes Herald matches or writes on the wire, so each
// refuses what would never match a request or would break an event stream's framing.

extension ValueParser where Value == String {
    /// What `.subscribePath` accepts, as shown in messages.
    static let subscribePathForm = #"a path such as "/events""#

    /// A subscribe prefix such as `"/events"`: visible ASCII starting with `/`, with no query,
    /// fragment or trailing `/`, and not `/` alone.
    static var subscribePath: Self {
        .string(expected: subscribePathForm) { text throws(ConfigValueError) in
            func failure(_ detail: String) -> ConfigValueError {
                ConfigValueError(expected: "\(subscribePathForm) \(detail)", got: ConfigValueError.quoted(text))
            }
            guard text.hasPrefix("/") else { throw failure(#"starting with "/""#) }
            if text.contains("?") || text.contains("#") { throw failure("with no query or fragment") }
            guard text.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
                throw failure("of visible ASCII characters without spaces")
            }
            if text == "/" { throw failure(#"other than "/", which would leave nothing for the upstream"#) }
            if text.hasSuffix("/") { throw failure(#"without a trailing "/" (a channel follows as "/<channel>")"#) }
            return text
        }
    }

    /// An SSE event type of 1 to `maxBytes` bytes (UTF-8), with none of the CR, LF or NUL that a
    /// published event type is refused for (CR and LF would end the `event:` line early).
    static func eventType(maxBytes: Int) -> Self {
        .string(expected: "a string") { text throws(ConfigValueError) in
            let expected = "an event type of 1 to \(maxBytes) bytes"
            let byteCount = text.utf8.count
            guard byteCount > 0 else { throw ConfigValueError(expected: expected, got: ConfigValueError.quoted(text)) }
            guard byteCount <= maxBytes else { throw ConfigValueError(expected: expected, got: "\(byteCount) bytes") }
            if text.unicodeScalars.contains(where: { ["\r", "\n", "\0"].contains($0) }) {
                throw ConfigValueError(expected: "an event type without CR, LF or NUL", got: ConfigValueError.quoted(text))
            }
            return text
        }
    }
}

extension ValueParser where Value == String {
    /// What `.authorizePath` accepts, as shown in messages.
    static let authorizePathForm = #"a path such as "/auth/events", or "" for the subscribe request's own"#

    /// The auth request's target: "" (the subscribe request's own), or visible ASCII starting with
    /// `/`, a query allowed, no fragment (which never reaches a server).
    static var authorizePath: Self {
        .string(expected: authorizePathForm) { text throws(ConfigValueError) in
            guard !text.isEmpty else { return text }
            func failure(_ detail: String) -> ConfigValueError {
                ConfigValueError(expected: "\(authorizePathForm) \(detail)", got: ConfigValueError.quoted(text))
            }
            guard text.hasPrefix("/") else { throw failure(#"starting with "/""#) }
            if text.contains("#") { throw failure("with no fragment") }
            guard text.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
                throw failure("of visible ASCII characters without spaces")
            }
            return text
        }
    }
}

extension ValueParser where Value == String {
    /// What `.healthPath` accepts, as shown in messages.
    static let healthPathForm = #"a path such as "/herald/health", or "" (off)"#

    /// The readiness path: "" (off), or visible ASCII starting with `/`, with no query or fragment
    /// (it is matched exactly; a query on the request is ignored), and not `/` alone.
    static var healthPath: Self {
        .string(expected: healthPathForm) { text throws(ConfigValueError) in
            guard !text.isEmpty else { return text }
            func failure(_ detail: String) -> ConfigValueError {
                ConfigValueError(expected: "\(healthPathForm) \(detail)", got: ConfigValueError.quoted(text))
            }
            guard text.hasPrefix("/") else { throw failure(#"starting with "/""#) }
            if text.contains("?") || text.contains("#") { throw failure("with no query or fragment") }
            guard text.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
                throw failure("of visible ASCII characters without spaces")
            }
            if text == "/" { throw failure(#"other than "/", which is the app's"#) }
            return text
        }
    }
}

extension ValueParser where Value == Duration {
    /// `"0s"` for off, or a duration within `range`.
    static func durationOrOff(in range: ClosedRange<Duration>) -> Self {
        let expected = #""0s" (off) or a duration from \#(range.lowerBound.configText) to \#(range.upperBound.configText)"#
        return .string(expected: Duration.expectedForm) { text throws(ConfigValueError) in
            let duration = try Duration(parsing: text)
            guard duration == .zero || range.contains(duration) else {
                throw ConfigValueError(expected: expected, got: ConfigValueError.quoted(text))
            }
            return duration
        }
    }
}

extension ValueParser where Value == ChannelPatternList {
    /// An array of channel patterns (`["news", "public:*"]`); a bad entry is named by its position.
    static var channelPatternList: Self {
        Self { value throws(ConfigValueError) in
            guard let array = value.array else {
                throw ConfigValueError(expected: #"an array of channel patterns such as ["news", "public:*"]"#,
                                       got: ConfigValueError.describing(value))
            }
            var list = ChannelPatternList()
            for (index, element) in array.enumerated() {
                do throws(ConfigValueError) {
                    guard let text = element.string else {
                        throw ConfigValueError(expected: ChannelPatternList.expectedForm, got: ConfigValueError.describing(element))
                    }
                    try list.append(text)
                } catch {
                    throw ConfigValueError(expected: "\(error.expected) at entry \(index + 1)", got: error.got)
                }
            }
            return list
        }
    }
}
