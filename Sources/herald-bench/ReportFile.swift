import Foundation

/// Writes a report as JSON with snake_case keys, sorted; compact, because the histogram buckets
/// would fill thousands of lines (read it with `python3 -m json.tool`).
enum ReportFile {
    static func write<Report: Encodable>(_ report: Report, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        var data = try encoder.encode(report)
        data.append(contentsOf: Array("\n".utf8))
        try data.write(to: URL(fileURLWithPath: path))
    }
}
