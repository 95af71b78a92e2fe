import HTTP1
import LibeventIO

extension Connection {
    /// Takes a complete request head off the front of the input, or returns nil until one is there.
    func readRequestHead(limits: HTTPLimits) throws(HTTPParseError) -> HTTPRequestHead? {
        // One look at the input: the head is parsed from the bytes it was found in.
        let found = try withInput(upTo: limits.maxHeadBytes + 1) { bytes throws(HTTPParseError) -> (HTTPRequestHead, Int)? in
            guard case .complete(let length) = try HTTPHeadParser.scanRequestHead(bytes, limits: limits) else { return nil }
            return (try HTTPHeadParser.parseRequestHead(UnsafeRawBufferPointer(rebasing: bytes[..<length]), limits: limits), length)
        }
        guard let (head, length) = found else { return nil }
        drainInput(length)
        return head
    }

    /// Takes a complete response head off the front of the input, or returns nil until one is there.
    func readResponseHead(limits: HTTPLimits) throws(HTTPParseError) -> HTTPResponseHead? {
        let found = try withInput(upTo: limits.maxHeadBytes + 1) { bytes throws(HTTPParseError) -> (HTTPResponseHead, Int)? in
            guard case .complete(let length) = try HTTPHeadParser.scanResponseHead(bytes, limits: limits) else { return nil }
            return (try HTTPHeadParser.parseResponseHead(UnsafeRawBufferPointer(rebasing: bytes[..<length]), limits: limits), length)
        }
        guard let (head, length) = found else { return nil }
        drainInput(length)
        return head
    }
}
