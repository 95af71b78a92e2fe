// A client connection held open as an SSE stream on one or more channels.
//
// Order of what a stream writes: head, padding, `retry:`, a comment (all at once, so proxies
// and the browser see the stream open), then a reset event or the replayed events, then live
// events as the loop's hand-off delivers them. Events up to `coveredThrough` were replayed (or
// predate the stream) and are skipped when they arrive live, so none is sent twice.
//
// A replay is read from the shared history as the socket takes it
// (EventStreamConnection+Replay.swift).
//
// A stream opened after an auth request keeps that request and asks it again when
// re-authorization comes round (EventStreamConnection+Reauthorization.swift). A stream held through GRIP
// (EventStreamConnection+Grip.swift) writes the app's own head and body instead, then every item
// as it was published.

import EventStream
import Fanout
import Foundation
import HeraldConfig
import HTTP1
import LibeventIO
import Logging
import Proxy

final class EventStreamConnection: ConnectionDelegate {
    /// What the stream is written with.
    enum Kind {
        /// Herald's own event stream: SSE events with ids; Pushpin-format items are skipped.
        case serverSentEvents
        /// Held through GRIP: every item's bytes as they are (Pushpin's http-stream content, and
        /// Herald's events in their SSE encoding); `keepAlive` on idle heartbeats (Grip-Keep-Alive,
        /// or `heartbeat` for a `text/event-stream` response, or nil: nothing).
        case grip(keepAlive: [UInt8]?)
    }

    let downstream: Connection
    unowned let worker: LoopWorker
    let channels: [String]
    let address: String
    let isMultiChannel: Bool
    let kind: Kind
    /// The body is framed in chunks (HTTP/1.1): every write is one chunk, the shared bytes' own
    /// framing (`EventBytes.chunk`), and a stream ended on purpose ends with the last chunk, so a
    /// client tells that end from a cut and reads each event as it comes (clients over Python's
    /// `requests` wait for a full block of a body framed by the connection's end). Otherwise
    /// (HTTP/1.0, GRIP bodies) the body ends with the connection.
    let chunked: Bool
    /// The auth request that opened the stream, asked again by re-authorization (nil: no auth
    /// request was made, for public channels, GRIP streams or `events.authorize = "none"`).
    let authorization: StreamAuthorization?
    /// The re-authorization in flight, if any.
    /// The re-authorization in flight (EventStreamConnection+Reauthorization.swift).
    var reauthorization: AuthorizationExchange?
    /// Events up to this sequence were written, replayed, or predate the stream. `.max` while a
    /// replay is under way, so the hand-off skips every live event.
    var coveredThrough: UInt64 = 0
    /// The replay still to send, read from the history page by page; nil once caught up. In an
    /// object of its own, made only while replaying: an idle stream carries one reference.
    var replay: Replay?

    /// Set by every write, cleared by every heartbeat tick: only idle streams get a heartbeat.
    var wroteSinceTick = true
    /// Events queued since the output was last empty: dropped if the stream closes now.
    var unsentEvents = 0
    /// References (shared buffers) queued since the output was last empty.
    var unsentReferences = 0
    private var admitted = false
    var registered = false
    /// Redis mode: the stream counts in `ChannelInterest`, and the wait for its channels to be
    /// followed, while it lasts (EventStreamConnection+Following.swift).
    var following = false
    var followWaiter: Int?
    private var finishing = false
    /// The access-log line written when the stream ends (nil: no access log).
    let pendingAccess: PendingAccess?
    /// What the connection had sent before it became a stream (earlier requests kept alive).
    let bytesBefore: UInt64
    /// Events queued so far; those still unsent at the close were not sent.
    var eventsQueued = 0
    /// Why the stream ended, once known (the first cause counts).
    var end: StreamEnd?

    /// Opens a stream for a subscribe request, after an auth request when one is needed, or
    /// answers an error and closes. `request` is a GET or HEAD (`EventsGate` answered the
    /// others; a HEAD passes the same checks, gets the head alone and keeps its connection);
    /// `extraFields` go into the response head and every refusal (CORS, so a cross-origin page
    /// can read why it failed).
    static func open(downstream: Connection, request: HTTPRequestHead, extraFields: [HTTPField], worker: LoopWorker) {
        let settings = worker.settings
        let subscribe: SubscribeRequest
        do {
            subscribe = try SubscribeRequest.parse(
                target: request.targetString, eventsPath: settings.events.path,
                lastEventIDHeader: request.fields.first("last-event-id"),
                maxChannels: settings.limits.maxChannelsPerConnection)
        } catch {
            worker.answer(ProxyError(.downstream, status: 400, error.reason), on: downstream, request: request,
                          extraFields: extraFields.map { ($0.name, $0.valueString) }, refusal: .badRequest, logger: worker.logger)
            return
        }
        if settings.events.authorize == .upstream {
            let patterns = settings.events.publicChannels
            let asked = subscribe.channels.filter { !patterns.matches($0) }
            if !asked.isEmpty {
                let pending = SubscribeAuthorization(
                    downstream: downstream, request: request, subscribe: subscribe,
                    publicChannels: subscribe.channels.filter(patterns.matches), askedChannels: asked,
                    extraFields: extraFields, worker: worker)
                worker.authorizationStarted(pending)
                pending.begin()
                return
            }
        }
        admit(downstream: downstream, request: request, channels: subscribe.channels, lastEventID: subscribe.lastEventID,
              extraFields: extraFields, authorization: nil, worker: worker)
    }

    /// Admits a stream on `channels` (the limits may refuse it) and starts it; answers a HEAD.
    static func admit(downstream: Connection, request: HTTPRequestHead, channels: [String], lastEventID: LastEventID?,
                      extraFields: [HTTPField], authorization: StreamAuthorization?, worker: LoopWorker) {
        let address = worker.clientAddress(of: request, on: downstream)
        if case .refused(let status, let reason, let retryAfter) = worker.admitStream(address: address, channels: channels) {
            let cors = extraFields.map { ($0.name, $0.valueString) }
            // Counted by the admission (a reason per limit).
            worker.answer(ProxyError(.downstream, status: status, reason), on: downstream, request: request,
                          extraFields: [("Retry-After", String(retryAfter))] + cors, logger: worker.logger)
            return
        }
        if request.method == "HEAD" {
            // The head a GET would get, and no stream: the connection goes back to forwarding.
            worker.hub.release(address: address, channels: channels)
            worker.streamOpening.write(to: downstream, extraFields: extraFields, headOnly: true, channels: channels,
                                       chunked: request.version == .http11)
            if worker.logsAccess {
                worker.recordAccess(AccessLog.Entry(client: address, request: request, status: 200, bytesSent: 0, duration: .zero))
            }
            worker.resumeForwarding(downstream, after: request)
            return
        }
        let access = worker.logsAccess
            ? PendingAccess(entry: AccessLog.Entry(client: address, request: request, status: 200, bytesSent: 0, duration: .zero),
                            startedAt: .now)
            : nil
        let stream = EventStreamConnection(downstream: downstream, worker: worker, access: access, channels: channels,
                                           address: address, kind: .serverSentEvents, chunked: request.version == .http11,
                                           authorization: authorization)
        stream.admitted = true
        stream.start(request: request, lastEventID: lastEventID, extraFields: extraFields)
    }

    init(downstream: Connection, worker: LoopWorker, access: PendingAccess?, channels: [String], address: String, kind: Kind,
         chunked: Bool = false, authorization: StreamAuthorization?) {
        pendingAccess = access
        bytesBefore = downstream.bytesSent
        self.downstream = downstream
        self.worker = worker
        self.channels = channels
        self.address = address
        self.kind = kind
        self.chunked = chunked
        self.authorization = authorization
        isMultiChannel = channels.count > 1
        downstream.attach(self)
        downstream.setSendBufferSize(Self.socketSendBufferBytes)
    }

    /// The kernel's send buffer of a stream: events are small and written at once, so 64 KiB
    /// holds any burst, and a client that stops reading holds 128 KiB of kernel memory (the
    /// kernel doubles the value) beside `events.max_buffered_bytes` in Herald, not the 4 MiB
    /// the kernel would let the buffer grow to.
    static let socketSendBufferBytes = 64 << 10

    private func start(request: HTTPRequestHead, lastEventID: LastEventID?, extraFields: [HTTPField]) {
        worker.streamOpening.write(to: downstream, extraFields: extraFields, headOnly: false, channels: channels, chunked: chunked)
        whenFollowed { [self] in
            let plan = worker.hub.replay(channels: channels, after: lastEventID)
            if plan.reset, let lastEventID {
                let data = (try? JSONSerialization.data(withJSONObject: ["lastEventId": lastEventID.shown], options: [.withoutEscapingSlashes])) ?? Data()
                // The id the stream continues from replaces the client's stale one, so its next
                // reconnect resumes there instead of earning another reset; with none held, the
                // empty `id: ` clears it (the browser then sends no Last-Event-ID).
                let reset = ServerSentEvent(id: plan.resetID ?? "", event: worker.settings.events.resetEvent,
                                            data: String(decoding: data, as: UTF8.self))
                write(EventEncoder.encode(reset))
                eventsQueued += 1
            }
            startReplay(plan)
        }
    }

    /// Starts a stream held through GRIP: the replay planned for its `prev-id`s, then live items.
    /// Its head and initial body were written by the caller.
    func startHeld(replay: @escaping () -> ReplayPlan) {
        admitted = true
        whenFollowed { [self] in startReplay(replay()) }
    }

    // MARK: Delivery (on the loop's thread, from the hand-off)

    /// True when the stream writes raw (Pushpin-format) items.
    private var takesRawContent: Bool {
        if case .grip = kind { return true }
        return false
    }

    /// Queues a batch of its one channel's events; skips what the replay already sent, and
    /// Pushpin-format items on Herald's own streams. Returns how many events were written (a slow
    /// stream is cut after its last write).
    func deliver(_ batch: EventBatch) -> Int {
        guard let last = batch.events.last, last.sequence > coveredThrough else { return 0 }
        var written = 0
        if batch.events[0].sequence > coveredThrough && (takesRawContent || !batch.containsRawContent) {
            coveredThrough = last.sequence
            written = batch.events.count
            // All sent and nothing queued before: nothing unsent to bound, and the output (another
            // object per stream, a cache miss in a sweep) need not be looked at.
            if queue(batch.bytes, events: written) { return written }
        } else {
            for event in batch.events where event.sequence > coveredThrough {
                coveredThrough = event.sequence
                if write(event) { written += 1 }
            }
        }
        cutIfSlow()
        return written
    }

    /// Queues one live event; skips what was replayed or arrived on another of the stream's
    /// channels. Returns whether it was written (a slow stream is cut after its last write).
    func deliver(_ event: PublishedEvent) -> Bool {
        guard event.sequence > coveredThrough else { return false }
        coveredThrough = event.sequence
        let written = write(event)
        cutIfSlow()
        return written
    }

    /// Queues `event` in the stream's form; false when the stream does not take it.
    private func write(_ event: PublishedEvent) -> Bool {
        switch kind {
        case .serverSentEvents:
            guard !event.isRawContent else { return false }
            queue(event.bytes(forStreamOn: channels), events: 1)
        case .grip:
            queue(event.bytes, events: 1)
        }
        return true
    }

    /// Returns true when every byte went out and nothing was queued before them.
    @discardableResult
    private func queue(_ bytes: EventBytes, events: Int) -> Bool {
        wroteSinceTick = true
        eventsQueued += events
        // A visit is a stream's one write in a turn: it goes to the socket at once when nothing
        // waits before it, and only what the socket does not take is left unsent.
        if downstream.writeNow(retaining: bytes, bytes: wire(bytes)) { return true }
        unsentEvents += events
        unsentReferences += 1
        return false
    }

    /// What the stream holds unsent, as `events.max_buffered_bytes` counts it.
    var unsentBytes: Int { worker.slowSubscriberBound.unsent(bytes: downstream.outputCount, references: unsentReferences) }

    private func cutIfSlow() {
        let unsent = unsentBytes
        guard worker.slowSubscriberBound.isExceeded(by: unsent) else { return }
        cut("slow subscriber cut", unsent: unsent, end: .slowSubscriber)
    }

    func cut(_ why: String, unsent: Int, end: StreamEnd) {
        if self.end == nil { self.end = end }
        worker.logger.info("\(why)", metadata: [
            "channel": "\(channels.joined(separator: ","))", "unsent": "\(unsent)",
        ])
        worker.metrics.slowSubscribersDisconnected.increment()
        close()
    }

    /// Fires every `events.heartbeat`: a comment on streams that sent nothing since the last tick;
    /// a replay that the socket took nothing of since the last tick is cut.
    func heartbeatTick() {
        if replayStalledSinceLastTick() { return cut("stalled replay cut", unsent: unsentBytes, end: .replayStalled) }
        if !wroteSinceTick && !finishing {
            switch kind {
            case .serverSentEvents: downstream.write(chunked ? Self.chunkedHeartbeat : Self.heartbeat)
            case .grip(let keepAlive?): downstream.write(keepAlive)
            case .grip(nil): break  // nothing Herald could write is safe in a body of the app's own format
            }
        }
        wroteSinceTick = false
    }

    /// A comment line, ending no block: it dispatches nothing in any client.
    static let heartbeat = EventEncoder.comment("")
    private static let chunkedHeartbeat = ChunkedEncoder.framed(heartbeat)

    /// Shared bytes as the stream writes them: one chunk, or bare.
    func wire(_ bytes: EventBytes) -> UnsafeRawBufferPointer {
        chunked ? bytes.chunk : bytes.buffer
    }

    /// Writes bytes of the stream's own (not shared), framed as the stream is.
    private func write(_ bytes: [UInt8]) {
        downstream.write(chunked ? ChunkedEncoder.framed(bytes) : bytes)
    }

    /// Closes at once; `end` is why, unless an earlier cause was noted (a cut, a finish).
    func close(_ end: StreamEnd = .shutdown) {
        if self.end == nil { self.end = end }
        downstream.close()
    }

    /// Ends the stream on purpose (`DELETE /channels`, draining): it takes no more events, writes
    /// those already queued, then closes. A client that stops reading is closed after
    /// `finishTimeout` without progress.
    /// `reconnectWithin`: a `retry:` drawn at random over that window goes first, so the clients
    /// of streams ended together (a drain, a channel closed) come back spread over it instead of
    /// all at once. Herald's own event streams only: a GRIP body has no `retry:`.
    func finish(reconnectWithin window: Duration = .zero, end: StreamEnd = .drained) {
        guard !finishing else { return }
        finishing = true
        if self.end == nil { self.end = end }
        if window > .zero, case .serverSentEvents = kind {
            write(EventEncoder.retry(milliseconds: Int.random(in: 0...Int(window.wholeMilliseconds))))
        }
        downstream.setTimeouts(read: nil, write: Self.finishTimeout)
        if chunked { downstream.write(ChunkedEncoder.lastChunk) }
        downstream.closeWhenFlushed()
    }

    static let finishTimeout: Duration = .seconds(10)

    /// False once the stream is closed or finishing: the hand-off skips it.
    var takesEvents: Bool { !finishing && !downstream.isClosed }

    /// A cache hint for the sweep: this stream's connection will be written to soon.
    func prefetchConnection() { prefetch(downstream, bytes: 192) }

    // MARK: ConnectionDelegate

    /// A stream's client has nothing to say: whatever it sends is discarded.
    func connectionDidRead(_ connection: Connection) {
        connection.consumeInput(connection.inputCount)
    }

    /// Fires when the output is empty (low watermark 0): every queued event was written.
    func connectionDidFlush(_ connection: Connection) {
        unsentEvents = 0
        unsentReferences = 0
        if let replay {
            replay.drainedSinceTick = true
            continueReplay()
        }
    }

    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd) {
        if end == nil { end = StreamEnd(reason) }
        connection.close()
    }

    func connectionDidClose(_ connection: Connection) {
        reauthorization?.cancel()
        reauthorization = nil
        recordAccess()
        worker.streamClosed()
        if unsentEvents > 0 { worker.metrics.eventsDropped.increment(by: unsentEvents) }
        if registered {
            registered = false
            worker.unregister(self)
        }
        if admitted {
            admitted = false
            worker.hub.release(address: address, channels: channels)
        }
        stopFollowing()
    }
}
