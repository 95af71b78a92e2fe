extension HTTPRequestHead: ParsableHead {
    struct StartLine {
        var method: String
        var target: Range<Int>
        var version: HTTPVersion
        /// Host fields seen.
        var hosts = 0
    }

    static var startLineName: String { "request line" }

    static func startLineTooLong(_ limits: HTTPLimits) -> HTTPParseError {
        HTTPParseError(.startLineTooLong, "request line longer than \(limits.maxStartLineBytes) bytes")
    }

    /// method SP request-target SP HTTP-version
    static func parseStartLine(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) throws(HTTPParseError) -> StartLine {
        var index = bytes.firstNonToken(from: line.lowerBound, to: line.upperBound)
        guard index > line.lowerBound, index < line.upperBound, bytes[index] == HTTPByte.space else {
            throw HTTPHeadParser.lineError(bytes, line, "invalid method")
        }
        let method = line.lowerBound..<index
        index += 1
        let targetStart = index
        index = bytes.firstNonTargetByte(from: index, to: line.upperBound)
        guard index > targetStart else { throw HTTPHeadParser.lineError(bytes, line, "invalid request-target") }
        guard index < line.upperBound, bytes[index] == HTTPByte.space else {
            throw HTTPHeadParser.lineError(bytes, line, index == line.upperBound ? "missing HTTP version" : "invalid request-target")
        }
        let version = try HTTPHeadParser.parseVersion(bytes, index + 1..<line.upperBound, line)
        return StartLine(method: HTTPHeadParser.methodString(bytes, method), target: targetStart..<index, version: version)
    }

    /// Host: at most one, of host bytes.
    static func inspect(_ field: FieldLine, of bytes: UnsafeBufferPointer<UInt8>, _ start: inout StartLine) throws(HTTPParseError) {
        guard HTTPHeadParser.isHost(bytes, field.name) else { return }
        start.hosts += 1
        for position in field.value where !HTTPByte.isHostByte(bytes[position]) {
            throw .malformed("invalid Host header")
        }
    }

    static func finish(_ start: StartLine) throws(HTTPParseError) {
        if start.hosts > 1 { throw .malformed("more than one Host header") }
        if start.hosts == 0 && start.version == .http11 { throw .malformed("missing Host header") }
    }

    init(_ start: StartLine, storage: [UInt8], fields: HTTPFields) {
        self.init(method: start.method, targetBytes: storage[start.target], version: start.version, fields: fields)
    }
}

extension HTTPResponseHead: ParsableHead {
    struct StartLine {
        var version: HTTPVersion
        var status: Int
        var reason: Range<Int>
    }

    static var startLineName: String { "status line" }

    /// A status line too long counts as a head too large (a 502, not a 414: the app sent it).
    static func startLineTooLong(_ limits: HTTPLimits) -> HTTPParseError {
        HTTPParseError(.headTooLarge, "status line longer than \(limits.maxStartLineBytes) bytes")
    }

    /// HTTP-version SP 3DIGIT [ SP reason-phrase ]; a missing SP before an empty reason is accepted.
    static func parseStartLine(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) throws(HTTPParseError) -> StartLine {
        let start = line.lowerBound
        guard line.count >= 12 else { throw HTTPHeadParser.lineError(bytes, line, "invalid status line") }
        let version = try HTTPHeadParser.parseVersion(bytes, start..<start + 8, line)
        guard bytes[start + 8] == HTTPByte.space else { throw HTTPHeadParser.lineError(bytes, line, "invalid status line") }
        var status = 0
        for position in start + 9..<start + 12 {
            guard HTTPByte.isDigit(bytes[position]) else { throw HTTPHeadParser.lineError(bytes, line, "invalid status code") }
            status = status * 10 + Int(bytes[position] &- 0x30)
        }
        guard status >= 100 else { throw .malformed("invalid status code") }
        var reason = line.upperBound..<line.upperBound
        if line.count > 12 {
            guard bytes[start + 12] == HTTPByte.space else { throw HTTPHeadParser.lineError(bytes, line, "invalid status line") }
            reason = start + 13..<line.upperBound
            let stop = bytes.firstNonFieldContent(from: reason.lowerBound, to: reason.upperBound)
            if stop < reason.upperBound {
                if bytes[stop] == HTTPByte.cr { throw .bareCR(in: .head) }
                throw .malformed("control character in reason phrase")
            }
        }
        return StartLine(version: version, status: status, reason: reason)
    }

    static func inspect(_ field: FieldLine, of bytes: UnsafeBufferPointer<UInt8>, _ start: inout StartLine) throws(HTTPParseError) {}

    static func finish(_ start: StartLine) throws(HTTPParseError) {}

    init(_ start: StartLine, storage: [UInt8], fields: HTTPFields) {
        self.init(version: start.version, status: start.status, reasonBytes: storage[start.reason], fields: fields)
    }
}
