import HTTP1
import LibeventIO

extension Connection {
    /// The response head at the front of the input, removed from it; nil while it is incomplete.
    /// Parsed once per response, so the allocations of `HTTPResponseHead` stay off the event path.
    func takeResponseHead(limits: HTTPLimits) throws(HTTPParseError) -> HTTPResponseHead? {
        let found = try withInput(upTo: limits.maxHeadBytes) { raw throws(HTTPParseError) -> (HTTPResponseHead, Int)? in
            guard case .complete(let length) = try HTTPHeadParser.scanResponseHead(raw, limits: limits) else {
                return nil
            }
            let head = try HTTPHeadParser.parseResponseHead(UnsafeRawBufferPointer(rebasing: raw[..<length]), limits: limits)
            return (head, length)
        }
        guard let (head, length) = found else { return nil }
        consumeInput(length)
        return head
    }
}
