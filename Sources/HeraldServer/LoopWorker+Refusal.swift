import HTTP1
import LibeventIO
import Logging
import Proxy
import Telemetry

// The one error path of the public listener: an error becomes its response (`ProxyError.response`),
// its access-log line, a diagnostic line as loud as its source deserves, and its count; then the
// connection closes once the answer is out. The proxy, the subscribe path and the auth request
// all answer through here.

extension LoopWorker {
    /// Answers `error` on `downstream` and closes it after the answer (lingering, so a client still
    /// sending reads it instead of a reset). `request`: nil when no head was read (no access-log
    /// line then); `refusal`: the reason to count, when not counted already; `access` completes
    /// the access-log line (an exchange's start, request id, upstream time).
    func answer(_ error: ProxyError, on downstream: Connection, request: HTTPRequestHead?, extraFields: [(String, String)] = [],
                refusal: RefusalReason? = nil, logger: Logger, access: (inout AccessLog.Entry) -> Void = { _ in }) {
        Self.log(error, logger)
        if let refusal { metrics.refusals(refusal).increment() }
        let bytes = error.response(extraFields: extraFields)
        if let request, logsAccess {
            var entry = AccessLog.Entry(client: clientAddress(of: request, on: downstream), request: request, status: error.status,
                                        bytesSent: UInt64(bytes.count), duration: .zero)
            access(&entry)
            recordAccess(entry)
        }
        downstream.write(bytes)
        downstream.closeWhenFlushed(lingering: .afterAnswer)
    }

    /// A client's mistake is routine (debug); the upstream failing is worth a warning; Herald
    /// failing, an error.
    static func log(_ error: ProxyError, _ logger: Logger) {
        let metadata: Logger.Metadata = ["status": "\(error.status)", "reason": "\(error.logReason)"]
        switch error.source {
        case .downstream: logger.debug("request refused", metadata: metadata)
        case .upstream: logger.warning("upstream failed", metadata: metadata)
        case .internal: logger.error("internal error", metadata: metadata)
        }
    }
}
