import Foundation

/// `HERALD_*` environment variables, one for each command-line option (`--publish-listen` →
/// `HERALD_PUBLISH_LISTEN`), so a container or a unit file can configure Herald without a
/// command line. A flag given on the command line wins over its variable; an empty variable counts
/// as unset.
extension Herald {
    /// The variable standing for `flag` ("--publish-listen" → "HERALD_PUBLISH_LISTEN").
    static func environmentName(of flag: String) -> String {
        "HERALD_" + flag.drop(while: { $0 == "-" }).uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// `flag`'s value: the command line's, else its variable's; `source` names where it came from,
    /// for messages.
    static func option(_ value: String?, flag: String,
                       environment: [String: String]) -> (value: String, source: String)? {
        if let value { return (value, flag) }
        let name = environmentName(of: flag)
        guard let text = environment[name], !text.isEmpty else { return nil }
        return (text, name)
    }

    /// A flag set on the command line, or by its variable: `1`/`true`/`yes` or `0`/`false`/`no`.
    static func flag(_ given: Bool, flag: String, environment: [String: String]) throws(EnvironmentError) -> Bool {
        if given { return true }
        let name = environmentName(of: flag)
        guard let text = environment[name], !text.isEmpty else { return false }
        switch text.lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: throw EnvironmentError(description: "\(name): expected 1, true, yes, 0, false or no, got \"\(text)\"")
        }
    }
}

/// A `HERALD_*` variable Herald cannot read; reported like a mistake in proxy.conf.
struct EnvironmentError: Error, CustomStringConvertible {
    var description: String
}
