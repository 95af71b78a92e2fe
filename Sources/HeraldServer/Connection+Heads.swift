import HTTP1
import LibeventIO

extension Connection {
    /// Takes a complete request head off the front of the input, or returns nil until one is there.
    func readRequestHead(limits: HTTPLimits) throws(HTTPParseError) -> HTTPRequestHead? {
        var pool = HeadBufferPool()
        return try readRequestHead(limits: limits, reusing: &pool)
    }

    /// As `readRequestHead(limits:)`, the head's arrays taken from `pool` when it has spares.
    func readRequestHead(limits: HTTPLimits, reusing pool: inout HeadBufferPool) throws(HTTPParseError) -> HTTPRequestHead? {
        let found = try withInput(upTo: limits.maxHeadBytes + 1) { bytes throws(HTTPParseError) in
            try HTTPHeadParser.readRequestHead(bytes, limits: limits, reusing: &pool)
        }
        // Taken apart, not read through: `found.head` would copy the head and destroy the tuple.
        guard case let (head, length)? = consume found else { return nil }
        consumeInput(length)
        return head
    }

    /// Takes a complete response head off the front of the input, or returns nil until one is
    /// there; the head's arrays are taken from `pool` when it has spares.
    func readResponseHead(limits: HTTPLimits, reusing pool: inout HeadBufferPool) throws(HTTPParseError) -> HTTPResponseHead? {
        let found = try withInput(upTo: limits.maxHeadBytes + 1) { bytes throws(HTTPParseError) in
            try HTTPHeadParser.readResponseHead(bytes, limits: limits, reusing: &pool)
        }
        guard case let (head, length)? = consume found else { return nil }
        consumeInput(length)
        return head
    }
}
