import HTTP1
import LibeventIO

extension Connection {
    /// Takes a complete request head off the front of the input, or returns nil until one is there.
    func readRequestHead(limits: HTTPLimits) throws(HTTPParseError) -> HTTPRequestHead? {
        let scan = try withInput(upTo: limits.maxHeadBytes + 1) { bytes throws(HTTPParseError) in
            try HTTPHeadParser.scanRequestHead(bytes, limits: limits)
        }
        guard case .complete(let length) = scan else { return nil }
        let head = try withInput(upTo: length) { bytes throws(HTTPParseError) in
            try HTTPHeadParser.parseRequestHead(bytes, limits: limits)
        }
        drainInput(length)
        return head
    }

    /// Takes a complete response head off the front of the input, or returns nil until one is there.
    func readResponseHead(limits: HTTPLimits) throws(HTTPParseError) -> HTTPResponseHead? {
        let scan = try withInput(upTo: limits.maxHeadBytes + 1) { bytes throws(HTTPParseError) in
            try HTTPHeadParser.scanResponseHead(bytes, limits: limits)
        }
        guard case .complete(let length) = scan else { return nil }
        let head = try withInput(upTo: length) { bytes throws(HTTPParseError) in
            try HTTPHeadParser.parseResponseHead(bytes, limits: limits)
        }
        drainInput(length)
        return head
    }
}
