/// `[log]`: the diagnostic log on standard error and the access log on standard output.
public struct LogSettings: Sendable, Equatable {
    /// `level`: the least severe diagnostic message written. Default `info`.
    public var level = LogLevel.info
    /// `access`: the access log format, one line per exchange; `off` for none. Default `combined`,
    /// the format log tools read without configuration.
    public var access = AccessLogFormat.combined
    /// `format`: the diagnostic log's lines: `text` (swift-log's, for people) or `json` (one
    /// object per line, for log shippers). Default `text`.
    public var format = LogFormat.text

    /// Every setting at its default.
    public init() {}
}

/// Severity of diagnostic messages, least to most severe (the levels of swift-log).
public enum LogLevel: String, Sendable, Equatable, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
}

/// Format of the diagnostic log.
public enum LogFormat: String, Sendable, Equatable, CaseIterable {
    case text, json
}

/// Format of the access log.
public enum AccessLogFormat: String, Sendable, Equatable, CaseIterable {
    /// Apache/nginx "combined": common plus referer and user agent.
    case combined
    /// Apache/nginx "common".
    case common
    /// One JSON object per line.
    case json
    /// No access log.
    case off
}
