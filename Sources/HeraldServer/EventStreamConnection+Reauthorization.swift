import Logging
import Proxy

// A stream opened after an auth request asks it again when re-authorization comes round
// (`Reauthorizer`), and closes when the app no longer grants it.

extension EventStreamConnection {
    /// Asks the app again with the auth request the stream opened with; closes the stream when the
    /// app refuses it or no longer grants one of its channels. An app that cannot be reached or
    /// does not answer in time keeps the stream: only an answer closes it. `done` hears the end
    /// of the check (not when the stream closes first). False when nothing was sent (no auth
    /// request, or one already in flight).
    func reauthorize(_ done: @escaping () -> Void) -> Bool {
        guard let authorization, reauthorization == nil, !downstream.isClosed else { return false }
        let exchange = AuthorizationExchange(request: authorization.request, worker: worker)
        reauthorization = exchange
        exchange.begin { [unowned self] outcome in
            self.reauthorization = nil
            done()
            self.reauthorized(outcome, authorization)
        }
        return true
    }

    private func reauthorized(_ outcome: AuthorizationExchange.Outcome, _ authorization: StreamAuthorization) {
        let metadata: Logger.Metadata = ["channel": "\(channels.joined(separator: ","))", "client": "\(address)"]
        switch outcome {
        case .failed(let error):
            worker.metrics.reauthorizations(.failed).increment()
            worker.logger.warning("re-authorization got no answer; the stream stays open",
                                  metadata: metadata.merging(["reason": "\(error.logReason)"]) { $1 })
        case .answered(let head, _):
            let verdict = AuthorizationVerdict.decide(head, asked: authorization.request.askedChannels,
                                                      publicChannels: authorization.publicChannels,
                                                      maxChannels: worker.settings.limits.maxChannelsPerConnection)
            if verdict.keeps(channels) {
                worker.metrics.reauthorizations(.granted).increment()
                return
            }
            worker.metrics.reauthorizations(.refused).increment()
            worker.logger.info("stream closed: the app no longer authorizes it",
                               metadata: metadata.merging(["status": "\(head.status)"]) { $1 })
            close(.reauthorizationRefused)
        }
    }
}
