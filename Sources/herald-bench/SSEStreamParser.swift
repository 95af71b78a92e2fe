// Reads an SSE stream (the WHATWG "event stream interpretation") byte by byte, keeping only what a
// benchmark needs: that an event was dispatched, whether it had an `id:`, the `ts=`, `seq=` and
// `due=` numbers at the start of its first `data:` line, and the stream's last event id (for a
// reconnect's `Last-Event-ID`). Nothing is buffered but the id, so a line, a field name or a number
// may be split across reads anywhere, and padding of any length costs nothing but a scan.
//
//     ts=1764059000123456789 seq=42 due=1764059000120000000 xxxxxxxx…   ← what herald-bench publish sends

/// What a subscriber learns from one dispatched event.
struct EventStamp: Sendable, Equatable {
    /// CLOCK_REALTIME nanoseconds at publish (the `ts=` number), when the data started with one.
    var timestamp: UInt64?
    /// The publisher's sequence number (the `seq=` number after `ts=`), when present.
    var sequence: UInt64?
    /// CLOCK_REALTIME nanoseconds when the publisher's schedule had the event due (the `due=`
    /// number after `seq=`), when present.
    var due: UInt64?
    /// True when the event had an `id:` field.
    var hasID = false
}

/// Incremental SSE parser. Feed it the decoded body bytes in order; it calls back once per
/// dispatched event (a blank line after at least one `data` field). Allocation-free.
struct SSEStreamParser: Sendable {
    // Events: one per byte. A comment above each case says which bytes move it where.
    private enum Position: Sendable, Equatable {
        /// At the first byte of a line. LF/CR → blank line: dispatch, stay; ":" → .skipLine
        /// (comment); anything else → .name.
        case lineStart
        /// In a field name. ":" → .valueStart; line end → field with an empty value.
        case name
        /// Just after "data:" on the event's first data line. " " (once) or anything else → .literal.
        case valueStart
        /// Matching the literal of `number` (`ts=`, `seq=`, `due=`) at `matched`. Full match →
        /// .digits; else → .skipLine.
        case literal(matched: UInt8)
        /// Reading `number`. A digit stays (a 20th → .skipLine); " " after ts or seq → .literal (of
        /// the next); else → .skipLine.
        case digits(count: UInt8)
        /// In an `id` field's value (one leading space skipped). NUL → the field is ignored (WHATWG);
        /// line end → it becomes the id buffer.
        case idValue(atStart: Bool)
        /// The rest of the line does not matter. Line end → .lineStart.
        case skipLine
    }

    /// Which number the `.literal` and `.digits` positions are reading.
    private enum Number: Sendable {
        case timestamp, sequence, due

        var literal: StaticString {
            switch self {
            case .timestamp: "ts="
            case .sequence: "seq="
            case .due: "due="
            }
        }

        /// The number that may follow this one, after a space.
        var next: Number? {
            switch self {
            case .timestamp: .sequence
            case .sequence: .due
            case .due: nil
            }
        }
    }

    /// The fields this parser cares about; every other one is skipped.
    private enum Field: Sendable { case data, id, other }

    /// 2^64 has 20 digits; 19 always fit in a UInt64, and a nanosecond timestamp has 19 until 2286.
    private static let maxDigits: UInt8 = 19

    private var position = Position.lineStart
    /// The previous byte was a CR that ended a line: an LF right after it belongs to that line end.
    private var afterCR = false
    /// Bytes of the current field name read so far, and which known names they still match.
    private var nameLength: UInt8 = 0
    private var nameMayBeData = false
    private var nameMayBeID = false
    private var number = Number.timestamp
    private var value: UInt64 = 0

    // The event being built, up to its dispatching blank line.
    private var event = EventStamp()
    private var eventHasData = false
    /// The event's first data line was seen: only that one can carry the stamp.
    private var sawFirstDataLine = false

    /// WHATWG's "last event ID buffer": the last `id` field's value, kept across events.
    private var idBuffer = LastEventID()
    /// The `id` value being read, and whether it held a NUL (which makes the field ignored).
    private var idValue = LastEventID()
    private var idValueHasNUL = false
    /// WHATWG's "last event ID string": the id buffer as of the last dispatch (blank line).
    private(set) var lastEventID = LastEventID()

    init() {}

    /// A parser for a reconnected stream, which goes on from the id its last stream ended at.
    init(resumingAfter id: LastEventID) {
        idBuffer = id
        lastEventID = id
    }

    /// Parses `bytes`, calling `dispatch` for every event completed in them.
    mutating func consume(_ bytes: UnsafeRawBufferPointer, dispatch: (EventStamp) -> Void) {
        let count = bytes.count
        var index = 0
        // Bounded: every pass of either loop consumes at least one byte.
        while index < count {
            let byte = bytes[index]
            index += 1
            if afterCR {
                afterCR = false
                if byte == lf { continue }
            }
            if byte == lf || byte == cr {
                afterCR = byte == cr
                endLine(dispatch)
                continue
            }
            switch position {
            case .lineStart:
                if byte == colon {
                    position = .skipLine
                } else {
                    nameLength = 0
                    nameMayBeData = true
                    nameMayBeID = true
                    position = .name
                    readNameByte(byte)
                }
            case .name:
                readNameByte(byte)
            case .valueStart:
                position = .literal(matched: 0)
                if byte != space { readLiteralByte(byte, matched: 0) }
            case .literal(let matched):
                readLiteralByte(byte, matched: matched)
            case .idValue(let atStart):
                position = .idValue(atStart: false)
                if atStart && byte == space { break }
                if byte == 0 { idValueHasNUL = true }
                idValue.append(byte)
            case .digits(var digits):
                guard byte >= zero && byte <= nine else {
                    endNumber(before: byte, digits: digits)
                    break
                }
                guard digits < Self.maxDigits else {
                    position = .skipLine  // longer than any stamp
                    break
                }
                // Every digit in this read at once: the stamps are most of what is not padding.
                var value = value &* 10 &+ UInt64(byte &- zero)
                digits += 1
                while index < count && digits < Self.maxDigits && bytes[index] >= zero && bytes[index] <= nine {
                    value = value &* 10 &+ UInt64(bytes[index] &- zero)
                    digits += 1
                    index += 1
                }
                self.value = value
                position = .digits(count: digits)
            case .skipLine:
                // The fast path for padding and uninteresting lines: look for the line end only.
                while index < count && bytes[index] != lf && bytes[index] != cr { index += 1 }
            }
        }
    }

    // MARK: - Steps

    @inline(__always)
    private mutating func readNameByte(_ byte: UInt8) {
        if byte == colon {
            fieldEnded(hasValue: true)
            return
        }
        let offset = Int(nameLength)
        nameMayBeData = nameMayBeData && offset < 4 && byte == dataName.utf8Start[offset]
        nameMayBeID = nameMayBeID && offset < 2 && byte == idName.utf8Start[offset]
        nameLength = nameLength < 255 ? nameLength + 1 : 255
        if !nameMayBeData && !nameMayBeID { position = .skipLine }
    }

    /// The field name ended (at ":" or at the line end).
    private mutating func fieldEnded(hasValue: Bool) {
        let field: Field = nameMayBeData && nameLength == 4 ? .data : nameMayBeID && nameLength == 2 ? .id : .other
        position = .skipLine
        switch field {
        case .data:
            eventHasData = true
            if !sawFirstDataLine {
                sawFirstDataLine = true
                number = .timestamp
                if hasValue { position = .valueStart }
            }
        case .id:
            event.hasID = true
            idValue = LastEventID()
            idValueHasNUL = false
            if hasValue {
                position = .idValue(atStart: true)
            } else {
                idBuffer = LastEventID() // `id` alone sets the buffer to the empty string
            }
        case .other:
            break
        }
    }

    @inline(__always)
    private mutating func readLiteralByte(_ byte: UInt8, matched: UInt8) {
        let literal = number.literal
        let offset = Int(matched)
        guard byte == literal.utf8Start[offset] else {
            position = .skipLine
            return
        }
        if offset + 1 == literal.utf8CodeUnitCount {
            value = 0
            position = .digits(count: 0)
        } else {
            position = .literal(matched: matched + 1)
        }
    }

    /// `byte` ends the number being read: a space after ts or seq starts the next one's literal.
    private mutating func endNumber(before byte: UInt8, digits: UInt8) {
        numberEnded(digits: digits)
        if byte == space, digits > 0, let next = number.next {
            number = next
            position = .literal(matched: 0)
        } else {
            position = .skipLine
        }
    }

    private mutating func numberEnded(digits: UInt8) {
        guard digits > 0 else { return }
        switch number {
        case .timestamp: event.timestamp = value
        case .sequence: event.sequence = value
        case .due: event.due = value
        }
    }

    private mutating func endLine(_ dispatch: (EventStamp) -> Void) {
        switch position {
        case .lineStart:
            // A blank line sets the last event id, then dispatches the event if it had data
            // (WHATWG: empty data → no event).
            lastEventID = idBuffer
            if eventHasData { dispatch(event) }
            event = EventStamp()
            eventHasData = false
            sawFirstDataLine = false
        case .name:
            fieldEnded(hasValue: false)
        case .digits(let digits):
            numberEnded(digits: digits)
        case .idValue:
            if !idValueHasNUL { idBuffer = idValue }
        case .valueStart, .literal, .skipLine:
            break
        }
        position = .lineStart
    }
}

private let lf = UInt8(ascii: "\n")
private let cr = UInt8(ascii: "\r")
private let colon = UInt8(ascii: ":")
private let space = UInt8(ascii: " ")
private let zero = UInt8(ascii: "0")
private let nine = UInt8(ascii: "9")
private let dataName: StaticString = "data"
private let idName: StaticString = "id"
