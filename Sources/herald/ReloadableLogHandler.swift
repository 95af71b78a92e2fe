import HeraldConfig
import Locks
import Logging
import Synchronization

/// The `[log]` level and format every logger of the process reads at each message, so a reload
/// changes them at once (swift-log's handlers are made once, at bootstrap).
final class LogControl: Sendable {
    private let level: Atomic<UInt8>
    private let json: Atomic<Bool>

    init(_ settings: LogSettings) {
        level = Atomic(Self.code(of: settings.level))
        json = Atomic(settings.format == .json)
    }

    func apply(_ settings: LogSettings) {
        level.store(Self.code(of: settings.level), ordering: .relaxed)
        json.store(settings.format == .json, ordering: .relaxed)
    }

    var logLevel: Logger.Level { Logger.Level.allCases[Int(level.load(ordering: .relaxed))] }
    var isJSON: Bool { json.load(ordering: .relaxed) }

    private static func code(of level: LogLevel) -> UInt8 {
        UInt8(Logger.Level.allCases.firstIndex(of: Logger.Level(rawValue: level.rawValue) ?? .info)!)
    }
}

/// A handler that writes text (swift-log's stream handler) or JSON lines as `control` says now.
struct ReloadableLogHandler: LogHandler {
    let control: LogControl
    private var text: StreamLogHandler
    private var json: JSONLogHandler

    init(label: String, control: LogControl) {
        self.control = control
        text = StreamLogHandler.standardError(label: label)
        json = JSONLogHandler(label: label)
        text.logLevel = .trace
        json.logLevel = .trace
    }

    var logLevel: Logger.Level {
        get { control.logLevel }
        set {}
    }

    var metadata: Logger.Metadata {
        get { text.metadata }
        set {
            text.metadata = newValue
            json.metadata = newValue
        }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { text[metadataKey: key] }
        set {
            text[metadataKey: key] = newValue
            json[metadataKey: key] = newValue
        }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        if control.isJSON {
            json.log(level: level, message: message, metadata: metadata, source: source, file: file, function: function, line: line)
        } else {
            text.log(level: level, message: message, metadata: metadata, source: source, file: file, function: function, line: line)
        }
    }
}
