import HTTP1
import LibeventIO

extension Connection {
    /// Takes a complete request head off the front of the input, or returns nil until one is there.
    func readRequestHead(limits: HTTPLimits) throws(HTTPParseError) -> HTTPRequestHead? {
        let found = try withInput(upTo: limits.maxHeadBytes + 1) { bytes throws(HTTPParseError) in
            try HTTPHeadParser.readRequestHead(bytes, limits: limits)
        }
        guard let found else { return nil }
        drainInput(found.length)
        return found.head
    }

    /// Takes a complete response head off the front of the input, or returns nil until one is there.
    func readResponseHead(limits: HTTPLimits) throws(HTTPParseError) -> HTTPResponseHead? {
        let found = try withInput(upTo: limits.maxHeadBytes + 1) { bytes throws(HTTPParseError) in
            try HTTPHeadParser.readResponseHead(bytes, limits: limits)
        }
        guard let found else { return nil }
        drainInput(found.length)
        return found.head
    }
}
