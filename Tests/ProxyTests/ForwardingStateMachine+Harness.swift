import HTTP1
@testable import Proxy

/// Drives a `ForwardingStateMachine` as `ProxyConnection` would, with byte arrays for the two
/// sockets and a manual clock: no sockets, no timers, no sleeping.
struct ForwardingHarness {
    typealias Action = ForwardingStateMachine.Action

    var machine = ForwardingStateMachine()
    /// The manual clock: every `now` the machine reads is this, moved on by `advance`.
    var now = ContinuousClock.now
    /// Bytes the client sent that the machine has not consumed yet (the request body).
    var clientInput: [UInt8] = []
    /// Bytes the upstream sent that the machine has not consumed yet (the response body).
    var upstreamInput: [UInt8] = []
    /// Body bytes moved upstream, and to the client.
    var sentUpstream: [UInt8] = []
    var sentToClient: [UInt8] = []
    let limits = HTTPLimits()
    let rewriter = HeadRewriter(upstreamAuthority: "127.0.0.1:3000")

    mutating func advance(_ duration: Duration) { now += duration }

    static func request(_ raw: String) -> HTTPRequestHead {
        try! HTTPHeadParser.parseRequestHead(Array((raw + "\r\n").utf8))
    }

    static func response(_ raw: String) -> HTTPResponseHead {
        try! HTTPHeadParser.parseResponseHead(Array((raw + "\r\n").utf8))
    }

    /// A request head came and is forwarded (`pooled`: on a kept-alive upstream connection); the
    /// body bytes in `clientInput` are pumped at once, as the shell does. Returns that action.
    mutating func forward(_ raw: String, pooled: Bool = false, timed: Bool = true, maxBodyBytes: UInt64 = 1 << 20) -> (ForwardedExchange, Action) {
        let request = Self.request(raw)
        let framing = try! request.bodyFraming()
        let head = rewriter.upstreamRequestHead(request, clientAddress: "127.0.0.1", framing: framing, tunnel: request.isUpgradeRequest)
        let exchange = ForwardedExchange(upstreamHead: head, isUpgrade: head.request.isUpgradeRequest, startedAt: timed ? now : nil,
                                         requestID: "r1")
        machine.forwarding(exchange, framing: framing, maxBodyBytes: maxBodyBytes, pooled: pooled, limits: limits)
        return (exchange, requestBody(""))
    }

    /// More request body bytes came from the client.
    mutating func requestBody(_ bytes: String) -> Action {
        clientInput += Array(bytes.utf8)
        var input = clientInput, output = sentUpstream
        defer { clientInput = input; sentUpstream = output }
        return machine.requestBodyReceived(now: now) { body, encoding throws(HTTPParseError) in
            try Self.pump(&input, into: &output, body: &body, encoding: encoding).finished
        }
    }

    /// A response head came from the upstream; `framingBehind`: body bytes that came with it.
    mutating func responseHead(_ raw: String, grip: Int? = nil, framingBehind: String = "") -> (HTTPResponseHead, Action) {
        var head = Self.response(raw)
        upstreamInput += Array(framingBehind.utf8)
        let behind = upstreamInput
        let action = machine.responseHeadReceived(&head, gripMaxChannels: grip, limits: limits, now: now) { body throws(HTTPParseError) in
            try Self.withBytes(behind) { bytes throws(HTTPParseError) in try body.checkFraming(of: bytes) }
        }
        return (head, action)
    }

    /// More response body bytes came from the upstream.
    mutating func responseBody(_ bytes: String) -> Action {
        upstreamInput += Array(bytes.utf8)
        var input = upstreamInput, output = sentToClient
        defer { upstreamInput = input; sentToClient = output }
        return machine.responseBodyReceived { body, encoding throws(HTTPParseError) in
            try Self.pump(&input, into: &output, body: &body, encoding: encoding)
        }
    }

    /// More bytes of a GRIP hold's initial body came.
    mutating func gripBody(_ bytes: String) -> Action {
        upstreamInput += Array(bytes.utf8)
        let (consumed, action) = upstreamInput.withUnsafeBytes { machine.gripBodyReceived($0) }
        upstreamInput.removeFirst(consumed)
        return action
    }

    /// `Array.withUnsafeBytes`, keeping the error's type.
    static func withBytes<R>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(HTTPParseError) -> R) throws(HTTPParseError) -> R {
        try array.withUnsafeBytes { bytes in Result { () throws(HTTPParseError) -> R in try body(bytes) } }.get()
    }

    /// The shell's pump over arrays: data moves re-framed with `encoding`, framing is dropped.
    static func pump(_ input: inout [UInt8], into output: inout [UInt8], body: inout BodyReader,
                     encoding: BodyEncoding) throws(HTTPParseError) -> (finished: Bool, dataBytes: Int) {
        var moved = 0
        while true {
            let step = try withBytes(input) { bytes throws(HTTPParseError) in try body.next(bytes) }
            switch step {
            case .needMore:
                return (false, moved)
            case .drop(let count):
                input.removeFirst(count)
            case .data(let limit):
                let count = Int(min(UInt64(input.count), limit))
                guard count > 0 else { return (false, moved) }
                if let prefix = encoding.prefix(count: count) { output += prefix }
                output += input.prefix(count)
                input.removeFirst(count)
                if let suffix = encoding.suffix { output += suffix }
                try body.consumed(count)
                moved += count
            case .finished(let drop):
                input.removeFirst(drop)
                if let end = encoding.end { output += end }
                return (true, moved)
            }
        }
    }
}

extension ForwardingStateMachine.Action {
    var isNone: Bool { if case .none = self { true } else { false } }
    var failure: ForwardingStateMachine.Failure? { if case .fail(let failure) = self { failure } else { nil } }
    var finish: ForwardingStateMachine.Finish? { if case .finish(_, let finish) = self { finish } else { nil } }
    var relayedKeepAlive: Bool? { if case .relayHead(_, _, let keepAlive) = self { keepAlive } else { nil } }
    var name: String { "\(self)".prefix { $0 != "(" }.description }
}

extension ForwardingStateMachine.State {
    var name: String { "\(self)".prefix { $0 != "(" }.description }
}
