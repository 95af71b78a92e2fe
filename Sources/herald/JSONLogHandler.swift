import Foundation
import Logging
import Publishing

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
        var line = "{\"time\":" + JSONString.quoted(Self.timestamp()) + ",\"level\":" + JSONString.quoted(level.rawValue)
            + ",\"label\":" + JSONString.quoted(label) + ",\"message\":" + JSONString.quoted(message.description)
        let fields = metadata.merging(explicit ?? [:]) { _, new in new }
        for key in fields.keys.sorted() where !["time", "level", "label", "message"].contains(key) {
            line += "," + JSONString.quoted(key) + ":" + JSONString.quoted(fields[key]!.description)
        }
        line += "}\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    private static func timestamp() -> String {
        Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
