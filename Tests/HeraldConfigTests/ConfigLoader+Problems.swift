@testable import HeraldConfig

extension ConfigLoader {
    /// The problems `parse` reports for `toml` (named `proxy.conf`); empty when it is accepted.
    static func problems(in toml: String) -> [String] {
        do {
            _ = try parse(toml, fileName: "proxy.conf")
            return []
        } catch {
            return error.problems
        }
    }
}
