// A stream held through GRIP (`events.grip = true`): the app answered a forwarded request with
// `Grip-Hold: stream`, and the client's connection becomes a stream on the `Grip-Channel`s.
//
// What the client gets, in order: the app's status (or Grip-Status) and fields, without the
// Grip-* fields, hop-by-hop fields and Content-Length (the stream ends when the connection
// closes); the app's initial body; the items Herald's history holds after each channel's
// `prev-id`; then what is published, byte for byte. When idle for `events.heartbeat`: the
// Grip-Keep-Alive content, else a `:` comment line if the response is `text/event-stream`, else
// nothing.

import Fanout
import HTTP1
import LibeventIO
import Proxy

extension EventStreamConnection {
    /// Holds `downstream` as a GRIP stream, or answers 429/503 when the limits refuse it.
    /// `access`: the forwarded exchange's access-log line, written when the stream ends.
    static func hold(downstream: Connection, request: HTTPRequestHead, response: HTTPResponseHead, body: [UInt8],
                     instruction: GripInstruction, access: PendingAccess?, worker: LoopWorker) {
        let channels = instruction.channels.map(\.name)
        let address = worker.clientAddress(of: request, on: downstream)
        if case .refused(let status, let reason, let retryAfter) = worker.admitStream(address: address, channels: channels) {
            refuse(downstream, ProxyError(.downstream, status: status, reason), extra: [("Retry-After", String(retryAfter))],
                   request: request, worker: worker)
            return
        }
        var head = response
        GripInstruction.removeGripFields(&head.fields)
        head.fields.remove("content-length")
        if let status = instruction.status {
            head.status = status.code
            head.reason = Array(status.reason.utf8)
        }
        // Without Grip-Keep-Alive, an event stream gets Herald's own heartbeat; a body of any
        // other format, nothing (no bytes are safe in it).
        let keepAlive = instruction.keepAlive ?? (GripInstruction.isEventStream(response.fields) ? heartbeat : nil)
        let access = access.map { access in
            var entry = access.entry
            entry.status = head.status
            return PendingAccess(entry: entry, startedAt: access.startedAt)
        }
        let stream = EventStreamConnection(downstream: downstream, worker: worker, access: access, channels: channels, address: address,
                                           kind: .grip(keepAlive: keepAlive), authorization: nil)
        downstream.write(worker.rewriter.downstreamResponseBytes(head, framing: .untilClose, keepAlive: false,
                                                                 clientVersion: request.version))
        downstream.write(body)
        stream.startHeld { worker.hub.replay(resumingAfter: instruction.channels.map { ($0.name, $0.previousID) }) }
    }
}
