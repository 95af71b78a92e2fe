import EventStream

/// `events.public_channels`: the channels any client may subscribe to without an auth request.
///
/// A pattern is a channel name, matched exactly (`"news"`), or a prefix ending in one `*`, which
/// matches every channel starting with the prefix (`"public:*"` matches `public:prices` and
/// `public:`); `"*"` alone matches every channel. No other wildcard exists, so a pattern can never
/// match more than its text says.
public struct ChannelPatternList: Sendable, Equatable {
    /// The patterns as written, in order (for messages).
    public private(set) var patterns: [String] = []
    private var exact: Set<String> = []
    private var prefixes: [String] = []

    public init() {}

    /// A list of already valid patterns (tests, defaults).
    public init(_ patterns: [String]) throws(ConfigValueError) {
        for pattern in patterns { try append(pattern) }
    }

    public var isEmpty: Bool { patterns.isEmpty }

    /// True when `channel` is public.
    public func matches(_ channel: String) -> Bool {
        exact.contains(channel) || prefixes.contains { channel.hasPrefix($0) }
    }

    /// What one pattern may be, as shown in messages.
    static let expectedForm = #"a channel name such as "news", or a prefix ending in "*" such as "public:*""#

    /// Adds one pattern, or says why it can never match a channel.
    mutating func append(_ pattern: String) throws(ConfigValueError) {
        let isPrefix = pattern.hasSuffix("*")
        let name = isPrefix ? String(pattern.dropLast()) : pattern
        func failure(_ detail: String) -> ConfigValueError {
            ConfigValueError(expected: Self.expectedForm + detail, got: ConfigValueError.quoted(pattern))
        }
        if name.contains("*") { throw failure(#" ("*" only at the end)"#) }
        if name.isEmpty && !isPrefix { throw failure("") }
        if !ChannelName.isValidPrefix(name) {
            throw failure(name.utf8.count > ChannelName.maxBytes
                          ? " of at most \(ChannelName.maxBytes) bytes" : " (channel names use \(ChannelName.allowedBytes))")
        }
        patterns.append(pattern)
        if isPrefix {
            if !prefixes.contains(name) { prefixes.append(name) }
        } else {
            exact.insert(name)
        }
    }
}
