import Testing
@testable import HTTP1

/// The UTF-8 bytes of `text`; heads in tests are written with explicit "\r\n".
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The HTTPParseError `body` throws, or nil when it returns (any other error is an issue).
func parseError<T>(_ body: () throws -> T) -> HTTPParseError? {
    do {
        _ = try body()
        return nil
    } catch let error as HTTPParseError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

func parseRequest(_ text: String, limits: HTTPLimits = HTTPLimits()) throws(HTTPParseError) -> HTTPRequestHead {
    try HTTPHeadParser.parseRequestHead(bytes(text), limits: limits)
}

func parseResponse(_ text: String, limits: HTTPLimits = HTTPLimits()) throws(HTTPParseError) -> HTTPResponseHead {
    try HTTPHeadParser.parseResponseHead(bytes(text), limits: limits)
}

/// Scans, then parses what the scan found, as a connection does.
func scanAndParseRequest(_ text: String, limits: HTTPLimits = HTTPLimits()) throws(HTTPParseError) -> HTTPRequestHead? {
    let input = bytes(text)
    guard case .complete(let length) = try HTTPHeadParser.scanRequestHead(input, limits: limits) else { return nil }
    return try HTTPHeadParser.parseRequestHead(Array(input[..<length]), limits: limits)
}
