import HeraldConfig
import HTTP1
#if canImport(Glibc)
import Glibc
#endif

/// One line per finished exchange, in the configured format, written to standard output.
///
/// Lines are collected per loop and written in one `write(2)` when the buffer passes
/// `flushBytes` or its loop's flush timer fires, so a busy loop does not pay a system call per request.
struct AccessLog {
    let format: AccessLogFormat
    private var buffer: [UInt8] = []
    /// Flush bound: 32 KiB keeps a line from waiting long at high rates and bounds memory per loop.
    static let flushBytes = 32 * 1024
    private var cachedSecond: Int = -1
    private var cachedTime = ""

    init(format: AccessLogFormat) {
        self.format = format
    }

    struct Entry {
        var client: String
        var request: HTTPRequestHead
        var status: Int
        var bytesSent: UInt64
        var duration: Duration
    }

    mutating func record(_ entry: Entry) {
        switch format {
        case .off: return
        case .common, .combined: appendCommon(entry, combined: format == .combined)
        case .json: appendJSON(entry)
        }
        if buffer.count >= Self.flushBytes { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(1, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    private mutating func appendCommon(_ entry: Entry, combined: Bool) {
        let request = "\(entry.request.method) \(entry.request.targetString) \(entry.request.version.text)"
        var line = "\(entry.client) - - [\(timestamp(common: true))] \"\(escaped(request))\" \(entry.status) \(entry.bytesSent)"
        if combined {
            let referer = entry.request.fields.firstString("referer") ?? "-"
            let agent = entry.request.fields.firstString("user-agent") ?? "-"
            line += " \"\(escaped(referer))\" \"\(escaped(agent))\""
        }
        buffer += Array(line.utf8)
        buffer.append(UInt8(ascii: "\n"))
    }

    private mutating func appendJSON(_ entry: Entry) {
        let milliseconds = Double(entry.duration.components.seconds) * 1000
            + Double(entry.duration.components.attoseconds) / 1e15
        let line = "{\"time\":\"\(timestamp(common: false))\",\"client\":\"\(escaped(entry.client))\","
            + "\"method\":\"\(escaped(entry.request.method))\",\"target\":\"\(escaped(entry.request.targetString))\","
            + "\"version\":\"\(entry.request.version.text)\",\"status\":\(entry.status),\"bytes\":\(entry.bytesSent),"
            + "\"duration_ms\":\((milliseconds * 1000).rounded() / 1000)}"
        buffer += Array(line.utf8)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// Quotes, backslashes and control characters escaped, as nginx does for its log fields.
    private func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\x" + String(scalar.value, radix: 16, uppercase: true)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `25/Nov/2026:09:28:35 +0000` (common) or `2026-11-25T09:28:35Z` (JSON), computed once a second.
    private mutating func timestamp(common: Bool) -> String {
        var now = time(nil)
        let second = Int(now) * 2 + (common ? 1 : 0)
        if second == cachedSecond { return cachedTime }
        var parts = tm()
        gmtime_r(&now, &parts)
        var text = [CChar](repeating: 0, count: 64)
        let pattern = common ? "%d/%b/%Y:%H:%M:%S +0000" : "%Y-%m-%dT%H:%M:%SZ"
        let length = strftime(&text, text.count, pattern, &parts)
        cachedSecond = second
        cachedTime = String(decoding: text.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return cachedTime
    }
}
