// A reference reader of `text/event-stream`, written from the WHATWG HTML standard, §9.2.5–9.2.6
// ("Parsing an event stream", "Interpreting an event stream"), step by step and independently of the
// encoder, so that round trips through it say what a browser would see. Kept simple, not fast.

/// An event as an `EventSource` would dispatch it to the page.
struct DispatchedEvent: Equatable, CustomStringConvertible {
    var type: String
    var data: String
    var lastEventID: String

    var description: String {
        "(type: \(type.debugDescription), data: \(data.debugDescription), id: \(lastEventID.debugDescription))"
    }
}

/// The state of one `EventSource` reading one stream.
struct EventSourceParser {
    /// Events dispatched so far, in order.
    private(set) var events: [DispatchedEvent] = []
    /// The reconnection time in milliseconds, once a valid `retry` field set it.
    private(set) var reconnectionTime: Int?
    /// The event source's last event ID string (what it would send as `Last-Event-ID`).
    private(set) var lastEventID = ""

    private var dataBuffer = ""
    private var eventTypeBuffer = ""
    private var lastEventIDBuffer = ""

    /// Reads a whole stream. The stream is UTF-8 decoded (ill-formed sequences → U+FFFD) and one
    /// leading BOM is skipped. A final line with no line end is left unprocessed, and an event not
    /// closed by a blank line is never dispatched, as at end of file.
    static func parse(_ bytes: [UInt8]) -> EventSourceParser {
        var parser = EventSourceParser()
        var scalars = Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var line = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            switch scalar {
            case "\r":
                // CRLF is one line end; a lone CR is one too.
                if index < scalars.count, scalars[index] == "\n" { index += 1 }
                parser.process(line: String(line))
                line = String.UnicodeScalarView()
            case "\n":
                parser.process(line: String(line))
                line = String.UnicodeScalarView()
            default:
                line.append(scalar)
            }
        }
        return parser
    }

    private mutating func process(line: String) {
        let scalars = line.unicodeScalars
        if scalars.isEmpty {
            dispatch()
        } else if scalars.first == ":" {
            return  // a comment
        } else if let colon = scalars.firstIndex(of: ":") {
            var value = scalars[scalars.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
            process(field: String(scalars[..<colon]), value: String(value))
        } else {
            process(field: line, value: "")
        }
    }

    private mutating func process(field: String, value: String) {
        switch field {
        case "event":
            eventTypeBuffer = value
        case "data":
            dataBuffer += value
            dataBuffer += "\n"
        case "id":
            if !value.unicodeScalars.contains("\u{0}") { lastEventIDBuffer = value }
        case "retry":
            let digits = value.unicodeScalars
            if !digits.isEmpty, digits.allSatisfy({ ("0"..."9").contains($0) }) {
                reconnectionTime = Int(value) ?? Int.max
            }
        default:
            return  // ignored
        }
    }

    private mutating func dispatch() {
        lastEventID = lastEventIDBuffer
        if dataBuffer.isEmpty {
            eventTypeBuffer = ""
            return
        }
        var data = dataBuffer.unicodeScalars
        if data.last == "\n" { data.removeLast() }
        let type = eventTypeBuffer.isEmpty ? "message" : eventTypeBuffer
        events.append(DispatchedEvent(type: type, data: String(data), lastEventID: lastEventID))
        dataBuffer = ""
        eventTypeBuffer = ""
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
