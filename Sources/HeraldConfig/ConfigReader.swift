import TOMLKit

/// Walks a parsed proxy.conf key by key, collecting every problem instead of stopping at the first.
///
/// Each `read` names a section and key it knows; a key that is absent leaves the field at its
/// default, a refused value leaves it too and records a problem. `reportUnknownKeys()` then names
/// everything in the file that no `read` asked for.
struct ConfigReader {
    /// Shown at the start of every problem, e.g. `proxy.conf`.
    let fileName: String
    private let root: TOMLTable
    /// Problems found so far, each with the section it belongs to (the top-level name for one
    /// outside any known section).
    private var found: [(section: String, message: String)] = []
    /// `section.key` of each key whose value was refused: its field holds the default, which
    /// cross-key checks must not mistake for what the file says.
    private(set) var refusedKeys: Set<String> = []
    /// Known sections in order of first `read`, each with its known keys.
    private(set) var knownKeys: [(section: String, keys: [String])] = []
    /// `section.key` of each known array of tables (`publish.routes` for `[[publish.routes]]`).
    private(set) var knownTableArrays: [String] = []

    init(root: TOMLTable, fileName: String) {
        self.root = root
        self.fileName = fileName
    }

    /// Sets `field` from `[section] key` when the file has that key and `parser` accepts its value.
    mutating func read<Value>(_ section: String, _ key: String, into field: inout Value, _ parser: ValueParser<Value>) {
        if let index = knownKeys.firstIndex(where: { $0.section == section }) {
            knownKeys[index].keys.append(key)
        } else {
            knownKeys.append((section, [key]))
        }
        guard let value = root[section]?.table?[key] else { return }
        do {
            field = try parser.parse(value)
        } catch {
            found.append((section, "\(fileName): [\(section)] \(key): \(error)"))
            refusedKeys.insert("\(section).\(key)")
        }
    }

    /// Sets `field` from the array of tables `[[section.key]]`, entry by entry: `entry` reads one
    /// table through a `TableReader` and returns its value, or nil when it cannot make one; it is
    /// given what the entries before it returned, for checks across entries. When any entry has a
    /// problem, `field` keeps its default.
    mutating func readTables<Value>(_ section: String, _ key: String, into field: inout [Value],
                                    _ entry: (inout TableReader, _ earlier: [Value?]) -> Value?) {
        if !knownKeys.contains(where: { $0.section == section }) { knownKeys.append((section, [])) }
        knownTableArrays.append("\(section).\(key)")
        guard let value = root[section]?.table?[key] else { return }
        let problemsBefore = found.count
        var values: [Value?] = []
        let array = value.array
        let tables = array?.compactMap { element in element.table } ?? []
        if let array, tables.count == array.count {
            for (index, table) in tables.enumerated() {
                var reader = TableReader(table: table, name: "\(fileName): [[\(section).\(key)]] #\(index + 1)")
                let value = entry(&reader, values)
                reader.reportUnknownKeys()
                found += reader.problems.map { (section, $0) }
                values.append(value)
            }
        } else {
            found.append((section, "\(fileName): [\(section)] \(key): expected an array of tables [[\(section).\(key)]], "
                + "got \(ConfigValueError.describing(value))"))
        }
        guard found.count == problemsBefore else {
            refusedKeys.insert("\(section).\(key)")
            return
        }
        field = values.compactMap { $0 }
    }

    /// True when the file has a section `[section]`.
    func hasSection(_ section: String) -> Bool {
        root[section]?.table != nil
    }

    /// True when the file has `[section] key`, whether or not its value was accepted.
    func has(_ section: String, _ key: String) -> Bool {
        root[section]?.table?[key] != nil
    }

    /// Records a problem with `[section] key` found by a check across the section's keys.
    mutating func report(_ section: String, _ key: String, _ error: ConfigValueError) {
        found.append((section, "\(fileName): [\(section)] \(key): \(error)"))
    }

    /// Problems found so far, as complete messages: section by section in reading order (within
    /// one, refused values before unknown keys), then those outside any known section.
    var problems: [String] {
        let sections = knownKeys.map(\.section)
        let inKnownSections = sections.flatMap { section in found.filter { $0.section == section } }
        let elsewhere = found.filter { !sections.contains($0.section) }
        return (inKnownSections + elsewhere).map(\.message)
    }

    /// Records a problem for every section and key of the file that no `read` asked for, and for
    /// a known section that is not a table.
    mutating func reportUnknownKeys() {
        let sections = knownKeys.map(\.section)
        for (name, value) in root {
            guard let known = knownKeys.first(where: { $0.section == name }) else {
                let hint = Self.suggestion(for: name, among: sections).map { " (did you mean [\($0)]?)" } ?? ""
                found.append((name, value.type == .table
                    ? "\(fileName): [\(Self.shown(name))]: unknown section\(hint)"
                    : "\(fileName): \(Self.shown(name)): unknown key outside any section\(hint)"))
                continue
            }
            guard let table = value.table else {
                found.append((name, "\(fileName): \(name): expected a section [\(name)], got \(ConfigValueError.describing(value))"))
                continue
            }
            for key in table.keys where !known.keys.contains(key) && !knownTableArrays.contains("\(name).\(key)") {
                let hint = Self.suggestion(for: key, among: known.keys).map { " (did you mean \($0)?)" } ?? ""
                found.append((name, "\(fileName): [\(name)] \(Self.shown(key)): unknown key\(hint)"))
            }
        }
    }

    /// A name from the file as TOML writes it: bare when it can be, else quoted and escaped, so a
    /// name holding a line break or a space still makes one readable line of a problem.
    static func shown(_ name: String) -> String {
        let isBare = !name.isEmpty && name.utf8.allSatisfy(TOMLWriter.isBareKeyByte)
        return isBare ? name : TOMLWriter.string(name)
    }

    /// The known name closest to a misspelt one, when it is close enough to be a likely typo.
    static func suggestion(for name: String, among known: [String]) -> String? {
        let scored = known.map { ($0, editDistance(Array(name.utf8), Array($0.utf8))) }
        guard let (best, distance) = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return distance <= min(2, max(1, best.utf8.count / 3)) ? best : nil
    }

    /// Levenshtein distance: insertions, deletions and substitutions turning `a` into `b`.
    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for (i, byteA) in a.enumerated() {
            var current = [i + 1]
            for (j, byteB) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (byteA == byteB ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
