/// A publish body with placeholders, split once into parts and rendered per request without
/// building Strings: `{ts}` → CLOCK_REALTIME nanoseconds at send, `{seq}` → 1, 2, …, `{due}` →
/// CLOCK_REALTIME nanoseconds when the event was due (its place in the schedule; a burst's start),
/// `{pad}` → the padding (appended at the end when the template has no `{pad}`).
///
///     ts={ts} seq={seq} due={due}
///     {"items":[{"channel":"bench","formats":{"http-stream":{"content":"data: ts={ts} seq={seq} due={due}{pad}\n\n"}}}]}
struct BodyTemplate: Sendable {
    enum Part: Sendable, Equatable {
        case text([UInt8])
        case timestamp
        case sequence
        case due
        case padding
    }

    static let defaultText = "ts={ts} seq={seq} due={due}"

    private(set) var parts: [Part] = []
    /// What `{pad}` becomes: a space (so the number before it ends) then `x`s, `paddingBytes` in all.
    let padding: [UInt8]

    init(_ text: String, paddingBytes: Int) {
        padding = paddingBytes > 0 ? [UInt8(ascii: " ")] + [UInt8](repeating: UInt8(ascii: "x"), count: paddingBytes - 1) : []
        var literal: [UInt8] = []
        var rest = Substring(text)
        let placeholders: [(String, Part)] = [("{ts}", .timestamp), ("{seq}", .sequence), ("{due}", .due), ("{pad}", .padding)]
        // Bounded: each pass consumes a placeholder or one character.
        while let first = rest.first {
            if let (name, part) = placeholders.first(where: { rest.hasPrefix($0.0) }) {
                if !literal.isEmpty { parts.append(.text(literal)) }
                literal = []
                parts.append(part)
                rest = rest.dropFirst(name.count)
            } else {
                literal.append(contentsOf: String(first).utf8)
                rest = rest.dropFirst()
            }
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        if !padding.isEmpty && !parts.contains(.padding) { parts.append(.padding) }
    }

    /// True when the body says when it was sent: subscribers measure latency only then.
    var hasTimestamp: Bool { parts.contains(.timestamp) }

    /// Appends the body for one event to `buffer`.
    func render(into buffer: inout [UInt8], timestamp: UInt64, sequence: UInt64, due: UInt64) {
        for part in parts {
            switch part {
            case .text(let bytes): buffer.append(contentsOf: bytes)
            case .timestamp: buffer.appendDecimal(timestamp)
            case .sequence: buffer.appendDecimal(sequence)
            case .due: buffer.appendDecimal(due)
            case .padding: buffer.append(contentsOf: padding)
            }
        }
    }
}
