// Design note: everything made here is whole lines, and only an event ends with a blank line (the
// one that makes a browser dispatch it). Comments, `retry:` and padding end no block: many
// non-browser clients dispatch an (empty) event at any blank line once they have seen a `retry` or
// an `id`, and a WHATWG parser reads these lines as part of the next event's block, where they
// change nothing (a comment is ignored; `retry` takes effect when its line is read). A WHATWG EventSource parser turns `encode`'s output back into exactly the
// event — id and type as given, data with each line break as LF — because:
// - a field is written `name: value` and the parser removes only the one space after the colon, so a
//   value's own leading spaces and colons survive;
// - data is cut at CRLF, CR and LF (the parser's own line ends) into one `data:` line each, which the
//   parser joins with LF; empty data is one empty `data:` line, the only way to dispatch data "";
// - id and event carry no CR, LF or NUL: `validate` rejects them, and should an unvalidated value slip
//   through, the encoder leaves those bytes out, so no value can start a field or an event of its own.

/// The SSE wire bytes of events, comments, `retry:` and padding.
public enum EventEncoder {
    /// The wire bytes of one event, ending with a blank line, in this order: `id: <id>`,
    /// `event: <type>` (the event's own type, else `typeOverride`, else none; an empty type counts as
    /// none, since browsers read `event:` with nothing as `message`), `retry: <ms>` if set and not
    /// negative, then one `data: <line>` per line of data (split on CRLF, lone CR and lone LF; empty
    /// data gives one `data: ` line, so the browser dispatches an event whose data is ""), then "\n".
    /// Each of `channels` gets a `channel: <name>` line after the type: EventSource ignores a
    /// field it does not know, and a reader of its own (client.js) learns the channels of each event.
    public static func encode(_ event: ServerSentEvent, typeOverride: String? = nil, channels: [String] = []) -> [UInt8] {
        let type = nonEmpty(event.event) ?? nonEmpty(typeOverride)
        let retry = event.retry.flatMap { $0 >= 0 ? $0 : nil }
        // A contiguous copy: scanning an array is several times faster than walking String.UTF8View.
        let data = Array(event.data.utf8)
        let lines = measureLines(data)
        let retryDigits = retry.map(String.init)
        var capacity = 4 + event.id.utf8.count + 1 + lines.count * 7 + lines.bytes + 1
        if let type { capacity += 7 + type.utf8.count + 1 }
        if let retryDigits { capacity += 7 + retryDigits.utf8.count + 1 }
        for channel in channels { capacity += 9 + channel.utf8.count + 1 }
        var out: [UInt8] = []
        out.reserveCapacity(capacity)

        out.append(contentsOf: "id: ".utf8)
        appendSingleLine(event.id, to: &out)
        out.append(UInt8(ascii: "\n"))
        if let type {
            out.append(contentsOf: "event: ".utf8)
            appendSingleLine(type, to: &out)
            out.append(UInt8(ascii: "\n"))
        }
        for channel in channels {
            out.append(contentsOf: "channel: ".utf8)
            appendSingleLine(channel, to: &out)
            out.append(UInt8(ascii: "\n"))
        }
        if let retryDigits {
            out.append(contentsOf: "retry: ".utf8)
            out.append(contentsOf: retryDigits.utf8)
            out.append(UInt8(ascii: "\n"))
        }
        forEachLine(in: data) { line in
            out.append(contentsOf: "data: ".utf8)
            out.append(contentsOf: line)
            out.append(UInt8(ascii: "\n"))
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// A comment: ":" + text + "\n" per line of text, and no blank line (text "" → ":\n"). Browsers
    /// ignore it; intermediaries see traffic, so it serves as a heartbeat.
    public static func comment(_ text: String) -> [UInt8] {
        let text = Array(text.utf8)
        var out: [UInt8] = []
        let lines = measureLines(text)
        out.reserveCapacity(lines.count * 2 + lines.bytes)
        forEachLine(in: text) { line in
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: line)
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    /// "retry: <ms>\n", and no blank line: sets the browser's reconnection delay as the line is
    /// read, and belongs to the block of the next event, which it does not otherwise change.
    /// A negative delay gives no bytes (browsers would ignore it anyway).
    public static func retry(milliseconds: Int) -> [UInt8] {
        guard milliseconds >= 0 else { return [] }
        return Array("retry: \(milliseconds)\n".utf8)
    }

    /// A comment line of exactly `count` bytes including its ":" and "\n" (":" then spaces) — initial
    /// padding for intermediaries that buffer the first KiB — followed by nothing else.
    /// `count` 0 gives no bytes; 1 is impossible and traps.
    public static func padding(count: Int) -> [UInt8] {
        if count == 0 { return [] }
        precondition(count >= 2, "a comment line needs at least 2 bytes, got \(count)")
        var out = [UInt8](repeating: UInt8(ascii: " "), count: count)
        out[0] = UInt8(ascii: ":")
        out[count - 1] = UInt8(ascii: "\n")
        return out
    }

    // MARK: - Lines

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }

    /// Appends `value` without the CR, LF and NUL bytes that `validate` rejects.
    private static func appendSingleLine(_ value: String, to out: inout [UInt8]) {
        for byte in value.utf8 where byte != UInt8(ascii: "\r") && byte != UInt8(ascii: "\n") && byte != 0 {
            out.append(byte)
        }
    }

    /// How many lines `forEachLine` yields (one more than the line breaks, CRLF counting once) and
    /// how many bytes they hold without their breaks: what an encoding's size depends on.
    private static func measureLines(_ text: [UInt8]) -> (count: Int, bytes: Int) {
        var count = 1
        var breakBytes = 0
        var previous: UInt8 = 0
        for byte in text {
            if byte == UInt8(ascii: "\r") {
                count += 1
                breakBytes += 1
            } else if byte == UInt8(ascii: "\n") {
                if previous != UInt8(ascii: "\r") { count += 1 }
                breakBytes += 1
            }
            previous = byte
        }
        return (count, text.count - breakBytes)
    }

    /// Calls `body` with each line of `text`, split as an EventSource parser splits: at CRLF, lone CR
    /// and lone LF. Empty text is one empty line; text ending in a break ends with an empty line.
    private static func forEachLine(in text: [UInt8], _ body: (ArraySlice<UInt8>) -> Void) {
        var start = 0
        var index = 0
        while index < text.count {
            let byte = text[index]
            index += 1
            guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else { continue }
            body(text[start..<index - 1])
            if byte == UInt8(ascii: "\r"), index < text.count, text[index] == UInt8(ascii: "\n") { index += 1 }
            start = index
        }
        body(text[start...])
    }
}
