import Foundation

/// Writes a report as JSON with snake_case keys, sorted; compact, because the histogram buckets
/// would fill thousands of lines (read it with `python3 -m json.tool`).
enum ReportFile {
    static func write<Report: Encodable>(_ report: Report, to path: String) throws {
        var data = try encode(report)
        data.append(contentsOf: Array("\n".utf8))
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// The report's JSON, on one line: also what a PROGRESS line carries.
    static func encode<Report: Encodable>(_ report: Report) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(report)
    }
}
