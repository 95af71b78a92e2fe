/// Tracks one message body as its bytes arrive on one side, telling the caller which bytes are
/// data (to move to the other side, never copied) and which are framing (to drop).
///
/// `read(from:data:)` is the loop every reader of a body runs: look at the front of the input, call
/// `next`, act on the step, repeat until `.needMore` or `.finished`.
public struct BodyReader: Sendable {
    public enum Step: Sendable, Equatable {
        /// Nothing to do until more bytes arrive.
        case needMore
        /// Drop this many framing bytes from the front of the input.
        case drop(Int)
        /// Up to this many data bytes may be moved on; report the count moved with `consumed`.
        case data(UInt64)
        /// The body is complete after dropping this many bytes (a chunked body's trailer section).
        case finished(drop: Int)
    }

    private enum Mode: Sendable {
        case remaining(UInt64)
        case chunked(ChunkedDecoder)
        case untilClose
        case done
    }

    private var mode: Mode
    /// Data bytes seen so far (for logs and body limits).
    public private(set) var dataCount: UInt64 = 0
    /// The most data bytes accepted (413 beyond), or nil for no bound.
    private let maxDataBytes: UInt64?
    /// Bound the framing lines and trailers read.
    @usableFromInline let limits: HTTPLimits

    public init(request framing: RequestBodyFraming, maxDataBytes: UInt64?, limits: HTTPLimits) {
        switch framing {
        case .none: mode = .done
        case .contentLength(let length): mode = length == 0 ? .done : .remaining(length)
        case .chunked: mode = .chunked(ChunkedDecoder(limits: limits))
        }
        self.maxDataBytes = maxDataBytes
        self.limits = limits
    }

    public init(response framing: ResponseBodyFraming, limits: HTTPLimits) {
        switch framing {
        case .none: mode = .done
        case .contentLength(let length): mode = length == 0 ? .done : .remaining(length)
        case .chunked: mode = .chunked(ChunkedDecoder(limits: limits))
        case .untilClose: mode = .untilClose
        }
        maxDataBytes = nil
        self.limits = limits
    }

    /// True once the whole body was read.
    public var isFinished: Bool {
        if case .done = mode { return true }
        return false
    }

    /// True when `next` reads the bytes it is given (a chunked body's framing); otherwise it may
    /// be given none.
    public var readsFraming: Bool {
        if case .chunked = mode { return true }
        return false
    }

    /// True for a body that ends only when its connection closes.
    public var endsAtClose: Bool {
        if case .untilClose = mode { return true }
        return false
    }

    /// The next step, given the bytes at the front of the input (a prefix is enough for framing).
    public mutating func next(_ front: UnsafeRawBufferPointer) throws(HTTPParseError) -> Step {
        switch mode {
        case .done:
            return .finished(drop: 0)
        case .remaining(let count):
            return .data(count)
        case .untilClose:
            return .data(UInt64.max)
        case .chunked(var decoder):
            let step = try decoder.next(front)
            mode = .chunked(decoder)
            switch step {
            case .needMore: return .needMore
            case .framing(let count): return .drop(count)
            case .data(let count): return .data(count)
            case .done(let trailers):
                mode = .done
                return .finished(drop: trailers)
            }
        }
    }

    /// Walks a copy of this reader over `received`, the body's bytes at hand from the reader's
    /// position on, moving nothing: throws what `next` would throw on reaching bad framing in them.
    /// So a response can still be refused whole before any byte of it is sent on. Bytes that end
    /// mid-line are not judged (the framing may complete later); a body without framing never throws.
    public func checkFraming(of received: UnsafeRawBufferPointer) throws(HTTPParseError) {
        guard readsFraming else { return }
        var walker = self
        var source = BodyBuffer(received)
        _ = try walker.read(from: &source) { source, count in source.consumeInput(count) }
    }

    /// Reports that `count` data bytes were moved on.
    public mutating func consumed(_ count: Int) throws(HTTPParseError) {
        dataCount += UInt64(count)
        if let maxDataBytes, dataCount > maxDataBytes {
            throw HTTPParseError(.bodyTooLarge, "request body exceeds \(maxDataBytes) bytes")
        }
        switch mode {
        case .remaining(let left):
            let rest = left - UInt64(count)
            mode = rest == 0 ? .done : .remaining(rest)
        case .chunked(var decoder):
            decoder.consumeData(count)
            mode = .chunked(decoder)
        case .untilClose, .done:
            break
        }
    }
}
