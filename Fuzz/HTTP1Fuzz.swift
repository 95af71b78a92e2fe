// libFuzzer target for the HTTP1 codec, compiled together with Sources/HTTP1/*.swift (one module)
// by Fuzz/run.sh. Any input must be refused with an HTTPParseError or accepted; beyond not
// crashing, it checks properties a proxy relies on:
// - a scan's `.complete(length)` does not change when fewer or more bytes follow the head;
// - a parsed head, serialized and parsed again, is the same head;
// - a chunked body decodes the same whether its bytes arrive at once, one by one, or in pieces
//   (the whole input, and what follows a head that says its body is chunked).

/// Small limits reach the limit paths with short inputs; the defaults are what Herald runs with.
let fuzzLimits = [
    HTTPLimits(),
    HTTPLimits(maxStartLineBytes: 40, maxHeadBytes: 160, maxFieldCount: 6, maxChunkLineBytes: 24),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    for limits in fuzzLimits {
        fuzzRequest(input, limits)
        fuzzResponse(input, limits)
        fuzzChunked(input, limits)
    }
    return 0
}

func fuzzRequest(_ input: [UInt8], _ limits: HTTPLimits) {
    guard case .complete(let length)? = try? HTTPHeadParser.scanRequestHead(input, limits: limits) else {
        _ = try? HTTPHeadParser.parseRequestHead(input, limits: limits)
        return
    }
    let headBytes = Array(input[..<length])
    check((try? HTTPHeadParser.scanRequestHead(headBytes, limits: limits)) == .complete(length: length),
          "the head alone scans to the same length")
    guard let head = try? HTTPHeadParser.parseRequestHead(headBytes, limits: limits) else { return }
    if (try? head.bodyFraming()) == .chunked {
        fuzzChunked(Array(input[length...]), limits)
    }
    _ = head.wantsKeepAlive
    _ = head.isUpgradeRequest
    let wire = head.serialized()
    let relaxed = HTTPLimits(maxStartLineBytes: wire.count, maxHeadBytes: wire.count,
                             maxFieldCount: limits.maxFieldCount, maxChunkLineBytes: limits.maxChunkLineBytes)
    check((try? HTTPHeadParser.scanRequestHead(wire, limits: relaxed)) == .complete(length: wire.count),
          "a serialized request head scans whole")
    check((try? HTTPHeadParser.parseRequestHead(wire, limits: relaxed)) == head,
          "a serialized request head parses to itself")
}

func fuzzResponse(_ input: [UInt8], _ limits: HTTPLimits) {
    guard case .complete(let length)? = try? HTTPHeadParser.scanResponseHead(input, limits: limits) else {
        _ = try? HTTPHeadParser.parseResponseHead(input, limits: limits)
        return
    }
    let headBytes = Array(input[..<length])
    check((try? HTTPHeadParser.scanResponseHead(headBytes, limits: limits)) == .complete(length: length),
          "the head alone scans to the same length")
    guard let head = try? HTTPHeadParser.parseResponseHead(headBytes, limits: limits) else { return }
    if (try? head.bodyFraming(requestMethod: "GET")) == .chunked {
        fuzzChunked(Array(input[length...]), limits)
    }
    _ = try? head.bodyFraming(requestMethod: "HEAD")
    _ = head.wantsKeepAlive
    let wire = head.serialized()
    let relaxed = HTTPLimits(maxStartLineBytes: wire.count, maxHeadBytes: wire.count,
                             maxFieldCount: limits.maxFieldCount, maxChunkLineBytes: limits.maxChunkLineBytes)
    check((try? HTTPHeadParser.parseResponseHead(wire, limits: relaxed)) == head,
          "a serialized response head parses to itself")
}

/// What a chunked decoding let through: data, framing and trailer byte counts, or the error kind.
struct ChunkedOutcome: Equatable {
    var data: [UInt8] = []
    var framing = 0
    var trailers = 0
    var done = false
    var error: HTTPParseError.Kind?

    /// Equal outcomes, except that framing drained before an error may differ: with more bytes in
    /// view the decoder reports a data end and the next size line together, so it finds a bad line
    /// one step earlier.
    static func == (a: ChunkedOutcome, b: ChunkedOutcome) -> Bool {
        guard a.error == nil && b.error == nil else { return a.error == b.error && a.data == b.data }
        return a.data == b.data && a.framing == b.framing && a.trailers == b.trailers && a.done == b.done
    }
}

func fuzzChunked(_ input: [UInt8], _ limits: HTTPLimits) {
    let whole = decodeChunked(input, pieceSize: input.count, limits: limits)
    let byByte = decodeChunked(input, pieceSize: 1, limits: limits)
    check(whole == byByte, "a chunked body decodes the same at once and byte by byte")
    let pieceSize = Int(input.first ?? 1) % 13 + 2
    check(whole == decodeChunked(input, pieceSize: pieceSize, limits: limits),
          "a chunked body decodes the same in pieces")
    if whole.error == nil {
        check(whole.framing + whole.data.count + whole.trailers <= input.count, "the decoder accounts for no more than its input")
    }
}

/// Decodes `input` arriving `pieceSize` bytes at a time, viewing at most what ProxyConnection's
/// pump views (a chunk line's worth, then a head's worth), as a connection does. The views are
/// not copies: the standard library's bounds checks (-Onone) catch a read past a view.
func decodeChunked(_ input: [UInt8], pieceSize: Int, limits: HTTPLimits) -> ChunkedOutcome {
    input.withUnsafeBytes { all in decodeChunked(all, pieceSize: max(pieceSize, 1), limits: limits) }
}

func decodeChunked(_ input: UnsafeRawBufferPointer, pieceSize: Int, limits: HTTPLimits) -> ChunkedOutcome {
    var decoder = ChunkedDecoder(limits: limits)
    var outcome = ChunkedOutcome()
    var start = 0
    var arrived = min(input.count, pieceSize)
    func view(_ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: input[start..<start + min(arrived - start, count)])
    }
    do {
        while true {
            let available = arrived - start
            var step = try decoder.next(view(limits.maxChunkLineBytes + 2))
            if step == .needMore && available > limits.maxChunkLineBytes + 2 {
                step = try decoder.next(view(limits.maxHeadBytes + 2))
            }
            switch step {
            case .needMore:
                guard arrived < input.count else { return outcome }
                arrived = min(input.count, arrived + pieceSize)
            case .framing(let count):
                check(count > 0 && count <= available, "framing lies within the input")
                outcome.framing += count
                start += count
            case .data(let remaining):
                check(remaining > 0, "a data step has data")
                let count = Int(min(UInt64(available), remaining))
                if count == 0 {
                    guard arrived < input.count else { return outcome }
                    arrived = min(input.count, arrived + pieceSize)
                    continue
                }
                outcome.data += input[start..<start + count]
                start += count
                decoder.consumeData(count)
            case .done(let trailers):
                check(trailers <= available, "the trailer section lies within the input")
                check(decoder.isDone, "a decoder that said done is done")
                outcome.trailers = trailers
                outcome.done = true
                return outcome
            }
        }
    } catch {
        outcome.error = error.kind
        return outcome
    }
}

func check(_ condition: Bool, _ property: StaticString) {
    if !condition { fatalError("property violated: \(property)") }
}
