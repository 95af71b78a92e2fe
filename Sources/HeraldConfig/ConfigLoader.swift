import Foundation
import TOMLKit

/// proxy.conf → `HeraldSettings`, in three steps: read the file, parse the TOML into settings
/// (every key checked on its own), then validate the rules that span keys. Every problem of all
/// three steps is reported together in one `ConfigError`.
public enum ConfigLoader {
    /// Parses and validates TOML text; `fileName` starts every message (e.g. `proxy.conf`).
    public static func parse(_ toml: String, fileName: String) throws(ConfigError) -> HeraldSettings {
        let root: TOMLTable
        do {
            root = try table(from: toml, fileName: fileName)
        } catch {
            throw ConfigError(problems: [error.description])
        }
        var reader = ConfigReader(root: root, fileName: fileName)
        let settings = HeraldSettings(reading: &reader)
        reader.reportUnknownKeys()
        var problems = reader.problems
        for problem in settings.crossKeyProblems() where problem.keys.isDisjoint(with: reader.refusedKeys) {
            problems.append("\(fileName): \(problem.message)")
        }
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        return settings
    }

    /// Reads the file at `path`, then parses it; messages name the file by `path` as given.
    public static func load(path: String) throws(ConfigError) -> HeraldSettings {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError(problems: ["\(path): cannot read the file: \(reason(for: error))"])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(problems: ["\(path): cannot read the file: it is not UTF-8 text"])
        }
        return try parse(text, fileName: path)
    }

    /// TOMLKit's parse, with its error turned into `file:line:column: invalid TOML: …`.
    private static func table(from toml: String, fileName: String) throws(SyntaxError) -> TOMLTable {
        // Both would go wrong inside toml++: a NUL cuts the text short, some malformed text aborts.
        if let found = TOMLNULScan.firstNUL(in: toml) ?? TOMLAbortScan.firstAbort(in: toml) {
            throw SyntaxError(fileName: fileName, line: found.line, column: found.column, reason: found.reason)
        }
        do {
            return try TOMLTable(string: toml)
        } catch let error as TOMLParseError {
            throw SyntaxError(fileName: fileName, line: error.source.begin.line, column: error.source.begin.column,
                              reason: error.description)
        } catch {
            throw SyntaxError(fileName: fileName, line: 0, column: 0, reason: "\(error)")
        }
    }

    /// The system's reason a file could not be read (`No such file or directory`), when known.
    private static func reason(for error: any Error) -> String {
        let nsError = error as NSError
        let underlying = (nsError.userInfo[NSUnderlyingErrorKey] as? any Error).map { $0 as NSError }
        for candidate in [underlying, nsError].compactMap(\.self) where candidate.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(candidate.code)))
        }
        return nsError.localizedDescription
    }
}

/// A TOML syntax error, located by line and column when TOMLKit knows them (both 1-based).
private struct SyntaxError: Error, CustomStringConvertible {
    var fileName: String
    var line: Int
    var column: Int
    var reason: String

    var description: String {
        let place = line > 0 ? "\(fileName):\(line):\(column)" : fileName
        let oneLine = reason.split(whereSeparator: \.isNewline).joined(separator: " ")
        return "\(place): invalid TOML: \(oneLine)"
    }
}
