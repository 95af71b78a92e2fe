import TOMLKit

/// Reads the keys of one table of an array of tables, such as the second `[[publish.routes]]`,
/// collecting every problem as `proxy.conf: [[publish.routes]] #2 channel: expected …, got …`.
struct TableReader {
    private let table: TOMLTable
    /// Starts every problem: the file, the array and the entry's number.
    let name: String
    private(set) var problems: [String] = []
    private var knownKeys: [String] = []

    init(table: TOMLTable, name: String) {
        self.table = table
        self.name = name
    }

    /// The value of `key` as `parser` reads it; nil when the key is absent or its value refused.
    mutating func read<Value>(_ key: String, _ parser: ValueParser<Value>) -> Value? {
        knownKeys.append(key)
        guard let value = table[key] else { return nil }
        do {
            return try parser.parse(value)
        } catch {
            report(key, error)
            return nil
        }
    }

    /// Like `read`, for a key every entry must have; its absence is a problem saying what it takes.
    mutating func require<Value>(_ key: String, _ parser: ValueParser<Value>, expected: String) -> Value? {
        guard table[key] != nil else {
            knownKeys.append(key)
            report(key, ConfigValueError(expected: "\(expected) (every entry needs one)", got: "none"))
            return nil
        }
        return read(key, parser)
    }

    /// Records a problem with `key` found by a check across keys or entries.
    mutating func report(_ key: String, _ error: ConfigValueError) {
        problems.append("\(name) \(key): \(error)")
    }

    /// Records a problem for every key of the table that no `read` asked for.
    mutating func reportUnknownKeys() {
        for key in table.keys where !knownKeys.contains(key) {
            let hint = ConfigReader.suggestion(for: key, among: knownKeys).map { " (did you mean \($0)?)" } ?? ""
            problems.append("\(name) \(ConfigReader.shown(key)): unknown key\(hint)")
        }
    }
}
