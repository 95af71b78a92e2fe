// A subscribe request waiting for the app's answer to its auth request (`events.authorize =
// "upstream"`). It holds the client connection meanwhile (anything the client sends is dropped,
// its leaving cancels the request) and ends in exactly one of: a stream opens on the granted
// channels; the app's refusal is relayed; a 502/504 or 403 from Herald. Never an open stream
// without a 2xx from the app.

import Fanout
import HTTP1
import LibeventIO
import Logging
import Proxy

/// What an open stream keeps of the auth request that opened it, to ask again.
struct StreamAuthorization {
    let request: AuthorizationRequest
    /// The channels of the stream that are public (never asked about, kept whatever the app says).
    let publicChannels: [String]
}

final class SubscribeAuthorization: ConnectionDelegate {
    /// The comment above each case lists the events it accepts.
    private enum State {
        /// The auth request is out. app's answer → a stream, a relayed refusal or an error
        /// (`.answered`); client ends → the request is cancelled (`.answered`, closed).
        case asking(AuthorizationExchange)
        /// The answer was acted on; only the connection's close is awaited (or it became a stream).
        case answered
    }

    private let downstream: Connection
    private unowned let worker: LoopWorker
    private let request: HTTPRequestHead
    private let subscribe: SubscribeRequest
    private let publicChannels: [String]
    private let authorization: AuthorizationRequest
    private let extraFields: [HTTPField]
    private let startedAt = ContinuousClock.now
    private var state: State = .answered

    init(downstream: Connection, request: HTTPRequestHead, subscribe: SubscribeRequest, publicChannels: [String],
         askedChannels: [String], extraFields: [HTTPField], worker: LoopWorker) {
        self.downstream = downstream
        self.request = request
        self.subscribe = subscribe
        self.publicChannels = publicChannels
        self.extraFields = extraFields
        self.worker = worker
        let events = worker.settings.events
        authorization = AuthorizationRequest(subscribe: request, askedChannels: askedChannels, clientAddress: downstream.peerHost,
                                             path: events.authorizePath, upstreamAuthority: worker.settings.upstream.url.authority,
                                             fromTrustedProxy: worker.isTrustedProxy(downstream))
        downstream.attach(self)
    }

    /// Sends the auth request.
    func begin() {
        let exchange = AuthorizationExchange(request: authorization, worker: worker)
        state = .asking(exchange)
        exchange.begin { [unowned self] outcome in self.answered(outcome) }
    }

    /// Draining or shutting down: no stream will open.
    func close() {
        downstream.close()
    }

    private func answered(_ outcome: AuthorizationExchange.Outcome) {
        state = .answered
        worker.authorizationAnswered(self)
        switch outcome {
        case .failed(let error):
            worker.metrics.authRequests(.failed).increment()
            refuse(error)
        case .answered(let head, let body):
            let verdict = AuthorizationVerdict.decide(head, asked: authorization.askedChannels, publicChannels: publicChannels,
                                                      maxChannels: worker.settings.limits.maxChannelsPerConnection)
            switch verdict {
            case .granted(let channels):
                worker.metrics.authRequests(.granted).increment()
                guard !worker.isDraining else {
                    refuse(ProxyError(.internal, status: 503, "shutting down"))
                    return
                }
                EventStreamConnection.admit(
                    downstream: downstream, request: request, channels: channels, lastEventID: subscribe.lastEventID,
                    extraFields: extraFields,
                    authorization: StreamAuthorization(request: authorization, publicChannels: publicChannels), worker: worker)
            case .refused:
                worker.metrics.authRequests(.refused).increment()
                worker.logger.debug("subscribe refused by the app", metadata: [
                    "status": "\(head.status)", "channel": "\(authorization.askedChannels.joined(separator: ","))",
                ])
                let bytes = RelayedResponse.bytes(head, body: body, extraFields: extraFields, requestMethod: request.method)
                record(status: head.status, bytes: bytes.count)
                downstream.write(bytes)
                downstream.closeWhenFlushed(lingering: .afterAnswer)
            case .unusable(let error):
                worker.metrics.authRequests(.failed).increment()
                refuse(error)
            }
        }
    }

    private func refuse(_ error: ProxyError) {
        worker.answer(error, on: downstream, request: request, extraFields: extraFields.map { ($0.name, $0.valueString) },
                      logger: worker.logger) { [startedAt] entry in entry.duration = ContinuousClock.now - startedAt }
    }

    private func record(status: Int, bytes: Int) {
        worker.recordAccess(AccessLog.Entry(client: worker.clientAddress(of: request, on: downstream), request: request, status: status,
                                            bytesSent: UInt64(bytes), duration: ContinuousClock.now - startedAt))
    }

    // MARK: ConnectionDelegate (until a stream takes the connection over)

    /// A subscriber has nothing to say: what it sends meanwhile is dropped. After a HEAD it is
    /// kept for the connection's next request (bounded by the input's high watermark).
    func connectionDidRead(_ connection: Connection) {
        if request.method != "HEAD" { connection.consumeInput(connection.inputCount) }
    }

    func connectionDidFlush(_ connection: Connection) {}

    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd) {
        if case .asking = state {
            worker.logger.debug("subscriber left before the app answered", metadata: ["reason": "\(reason)"])
            record(status: 499, bytes: 0)
        }
        connection.close()
    }

    /// The connection closed before or after the answer, but never became a stream (a stream
    /// takes over as its delegate and reports its own close).
    func connectionDidClose(_ connection: Connection) {
        if case .asking(let exchange) = state {
            exchange.cancel()
            state = .answered
            worker.authorizationAnswered(self)
        }
        worker.streamClosed()
    }
}
