import Foundation
import Logging

/// `log.format = "json"`: the diagnostic log as one JSON object per line on standard error, for
/// log shippers: `time` (ISO 8601, UTC, milliseconds), `level`, `label`, `message`, then the
/// message's metadata (the handler's merged with the message's, the message's winning), each as a
/// string. A line goes out in one write, so lines of several threads never interleave.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        var line = "{\"time\":" + Self.quoted(Self.timestamp()) + ",\"level\":" + Self.quoted(level.rawValue)
            + ",\"label\":" + Self.quoted(label) + ",\"message\":" + Self.quoted(message.description)
        let fields = metadata.merging(explicit ?? [:]) { _, new in new }
        for key in fields.keys.sorted() where !["time", "level", "label", "message"].contains(key) {
            line += "," + Self.quoted(key) + ":" + Self.quoted(fields[key]!.description)
        }
        line += "}\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// `s` as a JSON string: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func timestamp() -> String {
        Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
