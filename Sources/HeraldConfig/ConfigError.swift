/// Every problem found in one load of the configuration, each a line such as
/// `proxy.conf: [server] listen: expected "host:port", got "abc"`.
///
/// Loading never stops at the first problem, so one run shows everything that needs fixing.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One message per problem, in the order found: sections in the order of `HeraldSettings`,
    /// keys in the order of their settings type, then unknown keys, then cross-key checks.
    public var problems: [String]

    public init(problems: [String]) {
        self.problems = problems
    }

    /// The problems, one per line.
    public var description: String { problems.joined(separator: "\n") }
}
