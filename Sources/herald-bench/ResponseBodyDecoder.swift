import HTTP1

/// Removes a response body's framing (chunked, Content-Length or close-delimited) and hands the
/// data on, without copying it. Holds no bytes itself: each call gets the bytes at the front of the
/// connection's input and says how many it used.
struct ResponseBodyDecoder: Sendable {
    private enum Mode: Sendable {
        case chunked
        /// This many bytes of the body are still to come.
        case length(UInt64)
        /// The body ends when the connection does.
        case untilClose
        case finished
    }

    private var mode: Mode
    private var chunked = ChunkedDecoder()

    init(framing: ResponseBodyFraming) {
        switch framing {
        case .none: mode = .finished
        case .contentLength(let length): mode = length == 0 ? .finished : .length(length)
        case .chunked: mode = .chunked
        case .untilClose: mode = .untilClose
        }
    }

    init() { self.init(framing: .none) }

    var isFinished: Bool {
        if case .finished = mode { return true }
        return false
    }

    /// Ends when the connection closes (so a close is the normal end of the body).
    var endsAtClose: Bool {
        if case .untilClose = mode { return true }
        return false
    }

    /// Decodes what it can from `bytes`, passing every run of body data to `deliver`; returns how
    /// many bytes (framing and data) were used, for the caller to drain.
    mutating func decode(_ bytes: UnsafeRawBufferPointer,
                         deliver: (UnsafeRawBufferPointer) -> Void) throws(HTTPParseError) -> Int {
        switch mode {
        case .finished:
            return 0
        case .untilClose:
            if !bytes.isEmpty { deliver(bytes) }
            return bytes.count
        case .length(let remaining):
            let count = Int(min(remaining, UInt64(bytes.count)))
            if count > 0 { deliver(UnsafeRawBufferPointer(rebasing: bytes[..<count])) }
            mode = remaining == UInt64(count) ? .finished : .length(remaining - UInt64(count))
            return count
        case .chunked:
            return try decodeChunked(bytes, deliver: deliver)
        }
    }

    private mutating func decodeChunked(_ bytes: UnsafeRawBufferPointer,
                                        deliver: (UnsafeRawBufferPointer) -> Void) throws(HTTPParseError) -> Int {
        var used = 0
        // Bounded: every pass uses at least one byte or returns.
        while true {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[used...])
            switch try chunked.next(rest) {
            case .needMore:
                return used
            case .framing(let length):
                used += length
            case .data(let remaining):
                let count = Int(min(remaining, UInt64(rest.count)))
                guard count > 0 else { return used }
                deliver(UnsafeRawBufferPointer(rebasing: rest[..<count]))
                chunked.consumeData(count)
                used += count
            case .done(let trailers):
                mode = .finished
                return used + trailers
            }
        }
    }
}
