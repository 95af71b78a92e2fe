import HTTP1

/// Rewrites heads as they cross Herald: hop-by-hop fields removed (RFC 9110 §7.6.1), the
/// X-Forwarded-* and Via fields added, and the framing of each side stated anew.
public struct HeadRewriter: Sendable {
    /// The `Host` to send when an HTTP/1.0 client sent none ("host:port" of the upstream).
    public var upstreamAuthority: String

    public init(upstreamAuthority: String) {
        self.upstreamAuthority = upstreamAuthority
    }

    /// The head sent upstream for `request` from `clientAddress`, always as HTTP/1.1, written
    /// straight from the request's fields in their order. `tunnel` keeps Upgrade (a WebSocket
    /// handshake); `framing` is the request body's. `fromTrustedProxy` (the peer is in
    /// `server.trusted_proxies`) keeps the X-Forwarded-Proto and -Host the peer sent instead of
    /// replacing them. `requestID`, when given, replaces every X-Request-Id the client sent (one
    /// Herald made because the client's was missing or not `RequestID.isAcceptable`); nil leaves
    /// them as they came. (The tests hold a field-by-field model of the same rewrite and check the
    /// two agree byte for byte.)
    public func upstreamRequestHead(_ request: consuming HTTPRequestHead, clientAddress: String,
                                    framing: RequestBodyFraming, tunnel: Bool,
                                    fromTrustedProxy: Bool = false, requestID: String? = nil) -> UpstreamRequestHead {
        UpstreamRequestHead(request, clientAddress: clientAddress, framing: framing, tunnel: tunnel,
                            upstreamAuthority: upstreamAuthority, fromTrustedProxy: fromTrustedProxy, requestID: requestID)
    }

    /// The head sent downstream for the upstream's `response`: `framing` is how Herald delimits
    /// the body towards the client, `keepAlive` whether the client connection stays open.
    public func downstreamResponseHead(_ response: consuming HTTPResponseHead, framing: DownstreamFraming,
                                       keepAlive: Bool, clientVersion: HTTPVersion) -> DownstreamResponseHead {
        DownstreamResponseHead(response, framing: framing, keepAlive: keepAlive, clientVersion: clientVersion)
    }

    /// `downstreamResponseHead`'s bytes in an array (for a GRIP hold's head, written with its body).
    public func downstreamResponseBytes(_ response: HTTPResponseHead, framing: DownstreamFraming,
                                        keepAlive: Bool, clientVersion: HTTPVersion) -> [UInt8] {
        let head = downstreamResponseHead(response, framing: framing, keepAlive: keepAlive, clientVersion: clientVersion)
        var builder = HeadBuilder(capacity: head.capacity)
        head.write(to: &builder)
        return builder.bytes
    }
}

/// What Herald's rewrites add to a head besides the bytes counted one by one (field values it
/// copies, the client's address, the reason phrase): its own field names, fixed values and
/// separators: 183 bytes at most in `UpstreamRequestHead.write`, 106 in `DownstreamResponseHead`'s.
private let addedFixedBytes = 256

extension HTTPVersion {
    /// Herald's element of a Via field for a message received in this version (RFC 9110 §7.6.3).
    var viaElement: StaticString { self == .http10 ? "1.0 herald" : "1.1 herald" }
}

/// A rewritten head whose length is bounded (`capacity`) before any byte is written.
public protocol RewrittenHead {
    var capacity: Int { get }
    func write(to head: inout HeadBuilder)
}

extension RewrittenHead {
    /// Writes the head to the start of `memory`, which holds `capacity` bytes; returns its length.
    @inlinable
    public func write(into memory: UnsafeMutableRawBufferPointer) -> Int {
        var builder = HeadBuilder(into: memory)
        write(to: &builder)
        return builder.count
    }
}

/// A rewritten request head, ready to write: a bound on its length is known before any byte is
/// written, so the bytes can go straight into memory that size (a connection's output), no copy.
public struct UpstreamRequestHead: RewrittenHead {
    /// The request rewritten.
    public let request: HTTPRequestHead
    private let clientAddress: String
    private let framing: RequestBodyFraming
    private let tunnel: Bool
    private let upstreamAuthority: String
    /// The peer is a trusted proxy: its X-Forwarded-Proto and -Host stay where they are.
    private let keepsForwardedFields: Bool
    /// From a trusted proxy, an X-Forwarded-Proto or -Host that is kept (not hop-by-hop): Herald adds none.
    private let keptProto: Bool
    private let keptHost: Bool
    private let hopByHop: HopByHopFields
    /// The last X-Forwarded-For and Via forwarded get Herald's element appended.
    private let forwardedFor: Int?
    private let via: Int?
    /// Herald's X-Request-Id, sent instead of the client's (nil: the client's go on unchanged).
    private let requestID: String?
    /// The client sent an X-Request-Id that `requestID` replaces.
    private let replacesRequestID: Bool
    /// At least the head's length in bytes: every forwarded field is one of the request's, so its
    /// serialized fields bound them; to that the request line, the client's address (appended or
    /// added), a Host or X-Forwarded-Host, an Upgrade, Herald's request id and the fixed bytes.
    public let capacity: Int

    init(_ request: consuming HTTPRequestHead, clientAddress: String, framing: RequestBodyFraming, tunnel: Bool,
         upstreamAuthority: String, fromTrustedProxy: Bool, requestID: String? = nil) {
        self.clientAddress = clientAddress
        self.requestID = requestID
        replacesRequestID = requestID != nil && request.fields.contains("x-request-id")
        keepsForwardedFields = fromTrustedProxy
        self.framing = framing
        self.tunnel = tunnel
        self.upstreamAuthority = upstreamAuthority
        let hopByHop = request.fields.hopByHop
        var forwardedFor: Int?
        var via: Int?
        if request.fields.contains(.xForwardedFor) || request.fields.contains(.via) {
            for index in request.fields.indices where !hopByHop.contains(at: index, of: request.fields) {
                if request.fields.known(at: index) == .xForwardedFor { forwardedFor = index }
                if request.fields.known(at: index) == .via { via = index }
            }
        }
        var keptProto = false
        var keptHost = false
        if fromTrustedProxy && (request.fields.contains(.xForwardedProto) || request.fields.contains(.xForwardedHost)) {
            for index in request.fields.indices where !hopByHop.contains(at: index, of: request.fields) {
                if request.fields.known(at: index) == .xForwardedProto { keptProto = true }
                if request.fields.known(at: index) == .xForwardedHost { keptHost = true }
            }
        }
        self.keptProto = keptProto
        self.keptHost = keptHost
        self.hopByHop = hopByHop
        self.forwardedFor = forwardedFor
        self.via = via
        capacity = request.fields.serializedCountBound + request.method.utf8.count + request.targetBytes.count
            + 2 * clientAddress.utf8.count + (request.fields.firstCount(.host) ?? 0) + upstreamAuthority.utf8.count
            + (request.fields.firstCount(.upgrade) ?? 0) + (requestID?.utf8.count ?? 0) + addedFixedBytes
        // Last, so that the head moves in.
        self.request = request
    }

    public func write(to head: inout HeadBuilder) {
        let viaElement = request.version.viaElement
        head.requestLine(method: request.method, target: request.targetBytes, version: .http11)
        let fields = request.fields
        // The fields between two that are dropped or grown go on as one run (often all of them).
        var runStart = 0
        let replacesForwarded = !keepsForwardedFields && (fields.contains(.xForwardedProto) || fields.contains(.xForwardedHost))
        let rewritesSome = forwardedFor != nil || via != nil || hopByHop.mayContainAny(of: fields) || replacesForwarded
            || replacesRequestID
        for index in fields.indices where rewritesSome {
            let known = fields.known(at: index)
            let dropped = (replacesForwarded && (known == .xForwardedProto || known == .xForwardedHost))
                || hopByHop.contains(at: index, of: fields)
                || (replacesRequestID && known == .other && fields[index].hasName("x-request-id"))
            guard dropped || index == forwardedFor || index == via else { continue }
            head.fields(runStart..<index, of: fields)
            runStart = index + 1
            guard !dropped else { continue }
            if index == forwardedFor {
                head.field(at: index, of: fields, appending: clientAddress)
            } else {
                head.field(at: index, of: fields, appending: viaElement)
            }
        }
        head.fields(runStart..<fields.count, of: fields)
        if forwardedFor == nil { head.field("X-Forwarded-For", clientAddress) }
        if !keptProto { head.field("X-Forwarded-Proto", "http" as StaticString) }
        if let host = request.fields.firstBytes(.host) {
            if !keptHost { head.field("X-Forwarded-Host", host) }
        } else {
            head.field("Host", upstreamAuthority)
        }
        if via == nil { head.field("Via", viaElement) }
        if let requestID { head.field("X-Request-Id", requestID) }
        if framing == .chunked { head.field("Transfer-Encoding", "chunked") }
        if tunnel, let upgrade = request.fields.firstBytes(.upgrade) {
            head.field("Connection", "Upgrade")
            head.field("Upgrade", upgrade)
        }
        head.end()
    }
}

/// A rewritten response head, ready to write as `UpstreamRequestHead` is.
public struct DownstreamResponseHead: RewrittenHead {
    private var response: HTTPResponseHead
    private let framing: DownstreamFraming
    private let keepAlive: Bool
    private let clientVersion: HTTPVersion
    private let hopByHop: HopByHopFields
    /// The last Via forwarded gets Herald's element appended.
    private let via: Int?
    /// Re-chunked: the Transfer-Encoding value sent.
    private let transferCodings: String?
    /// At least the head's length in bytes: the response's serialized fields (as above), the status
    /// line, an Upgrade, the Transfer-Encoding value and the fixed bytes.
    public let capacity: Int

    init(_ response: consuming HTTPResponseHead, framing: DownstreamFraming, keepAlive: Bool, clientVersion: HTTPVersion) {
        self.framing = framing
        self.keepAlive = keepAlive
        self.clientVersion = clientVersion
        let hopByHop = response.fields.hopByHop
        var via: Int?
        if response.fields.contains(.via) {
            for index in response.fields.indices where response.fields.known(at: index) == .via
                && !hopByHop.contains(at: index, of: response.fields) {
                via = index
            }
        }
        self.hopByHop = hopByHop
        self.via = via
        if framing == .chunked {
            // Codings applied before chunked (e.g. gzip) describe the body itself: they go on with it.
            let otherCodings = response.fields.tokens("transfer-encoding").filter { $0 != "chunked" }
            transferCodings = (otherCodings + ["chunked"]).joined(separator: ", ")
        } else {
            transferCodings = nil
        }
        capacity = response.fields.serializedCountBound + response.reasonBytes.count
            + (response.fields.firstCount(.upgrade) ?? 0) + (transferCodings?.utf8.count ?? 0) + addedFixedBytes
        // Last, so that the head moves in.
        self.response = response
    }

    public func write(to head: inout HeadBuilder) {
        let viaElement = response.version.viaElement
        head.statusLine(version: .http11, status: response.status, reason: response.reasonBytes)
        let fields = response.fields
        // As in the request: runs between the fields dropped or grown.
        var runStart = 0
        let rewritesSome = via != nil || hopByHop.mayContainAny(of: fields)
        for index in fields.indices where rewritesSome {
            let dropped = hopByHop.contains(at: index, of: fields)
            guard dropped || index == via else { continue }
            head.fields(runStart..<index, of: fields)
            runStart = index + 1
            if !dropped { head.field(at: index, of: fields, appending: viaElement) }
        }
        head.fields(runStart..<fields.count, of: fields)
        if via == nil { head.field("Via", viaElement) }
        if framing == .switchingProtocols {
            head.field("Connection", "Upgrade")
            if let upgrade = response.fields.firstBytes(.upgrade) { head.field("Upgrade", upgrade) }
            head.end()
            return
        }
        if let transferCodings { head.field("Transfer-Encoding", transferCodings) }
        if !keepAlive {
            head.field("Connection", "close")
        } else if clientVersion == .http10 {
            head.field("Connection", "keep-alive")
        }
        head.end()
    }
}

/// How Herald delimits a response body towards the client.
public enum DownstreamFraming: Sendable, Equatable {
    /// No body (HEAD, 1xx, 204, 304).
    case none
    /// The upstream's Content-Length, kept.
    case contentLength(UInt64)
    /// Re-chunked: the upstream's body was chunked or close-delimited and the client speaks HTTP/1.1.
    case chunked
    /// Close-delimited, for an HTTP/1.0 client.
    case untilClose
    /// 101: the connection becomes a tunnel.
    case switchingProtocols

    /// Chooses the framing for a response of `upstream` framing to a client of `clientVersion`.
    public init(upstream: ResponseBodyFraming, clientVersion: HTTPVersion) {
        switch upstream {
        case .none: self = .none
        case .contentLength(let length): self = .contentLength(length)
        case .chunked, .untilClose: self = clientVersion == .http11 ? .chunked : .untilClose
        }
    }
}

extension DownstreamResponseHead {
    /// Moves the response's arrays to `pool` once written (its fields are left empty).
    public mutating func recycle(into pool: inout HeadBufferPool) {
        pool.recycle(&response.fields)
    }
}
