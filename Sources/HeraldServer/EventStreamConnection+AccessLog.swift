// A stream's access-log line, written when it ends (`log.access` not "off"): status 200 (a GRIP
// hold's: the app's), every byte the socket took for it, head included, the time it was open, the
// events sent and why it ended (`StreamEnd`).

import LibeventIO
import Glibc

extension EventStreamConnection {
    /// The access-log line of a stream, completed when it ends: the request, the status sent (200,
    /// or a GRIP hold's), what the forwarding took for a GRIP hold, and when the exchange began.
    /// A class: a stream holds a reference (nil without an access log), not the entry inline,
    /// which would make every stream larger and the delivery sweep slower (BENCHMARKS.md).
    final class PendingAccess {
        let entry: AccessLog.Entry
        let startedAt: ContinuousClock.Instant

        init(entry: AccessLog.Entry, startedAt: ContinuousClock.Instant) {
            self.entry = entry
            self.startedAt = startedAt
        }
    }

    /// Writes the line: the events sent are those queued, less those still unsent at the close.
    func recordAccess() {
        guard let pendingAccess else { return }
        var entry = pendingAccess.entry
        let startedAt = pendingAccess.startedAt
        let sent = eventsQueued - (downstream.unsentAtClose == 0 ? 0 : unsentEvents)
        entry.bytesSent = downstream.bytesSent - bytesBefore
        entry.duration = ContinuousClock.now - startedAt
        entry.stream = AccessLog.StreamSummary(events: max(0, sent), end: end ?? .clientClosed)
        worker.recordAccess(entry)
    }
}

extension StreamEnd {
    /// Why a stream whose connection ended (not on Herald's initiative) ended.
    init(_ reason: ConnectionEnd) {
        switch reason {
        case .closedByPeer, .error(ECONNRESET), .error(EPIPE): self = .clientClosed
        case .timeout: self = .timeout
        case .error, .connectFailed: self = .socketError
        }
    }
}
