import EventStream
import Fanout
import Publishing

/// Where the publish API stores what it is given, and how it reaches the subscribers: this
/// instance's hub (`LocalPublishStore`), or Redis, which every instance follows (`ClusterEngine`).
/// Called on the publish loop; `answer` runs there too, at once or when the store has answered.
protocol PublishStore: AnyObject, Sendable {
    /// Stores every request (validated, so all or none), in order: one result per channel of each.
    func publish(_ requests: [PublishRequest], answer: @escaping (Result<[PublishResult], StoreUnavailable>) -> Void)
    /// Stores items of Pushpin's format (raw content for GRIP streams): one result per item.
    func publish(_ items: [PushpinItem], answer: @escaping (Result<[PublishResult], StoreUnavailable>) -> Void)
    /// Whether publishing can succeed now, and why not (for `/healthz`).
    var unavailableReason: String? { get }
    /// `DELETE /channels/<channel>`: ends the channel's streams (on every instance).
    func closeStreams(of channel: String)
}

/// The store cannot take a publish now (Redis unreachable or too slow): the publisher gets a 503
/// with `Retry-After`, never a 202 for an event that was not stored.
struct StoreUnavailable: Error {
    var reason: String
    var retryAfterSeconds: Int
}

/// One instance, state in memory: publishing records into the hub and hands the new events to the
/// loops at once.
final class LocalPublishStore: PublishStore {
    private let hub: Hub
    private let handOff: LoopHandOff
    private let metrics: HeraldMetrics

    init(hub: Hub, handOff: LoopHandOff, metrics: HeraldMetrics) {
        self.hub = hub
        self.handOff = handOff
        self.metrics = metrics
    }

    var unavailableReason: String? { nil }

    func closeStreams(of channel: String) {
        handOff.closeStreams(of: channel)
    }

    /// A channel that already holds a request's id answers a duplicate.
    func publish(_ requests: [PublishRequest], answer: @escaping (Result<[PublishResult], StoreUnavailable>) -> Void) {
        if let refusal = handOff.refusal(for: requests) { return answer(.failure(refusal)) }
        let now = ContinuousClock.now
        var results: [PublishResult] = []
        var delivered: [PublishedEvent] = []
        var stored = 0
        for request in requests {
            let outcomes = hub.publish(request.event, to: request.channels, at: now)
            for outcome in outcomes {
                results.append(result(of: outcome))
                if let event = outcome.event { delivered.append(event) }
            }
            if outcomes.contains(where: { !$0.isDuplicate }) { stored += 1 }
        }
        finish(stored: stored, delivered)
        answer(.success(results))
    }

    func publish(_ items: [PushpinItem], answer: @escaping (Result<[PublishResult], StoreUnavailable>) -> Void) {
        if let refusal = handOff.refusal(adding: items.count) { return answer(.failure(refusal)) }
        let now = ContinuousClock.now
        var results: [PublishResult] = []
        var delivered: [PublishedEvent] = []
        for item in items {
            let outcome = hub.publish(rawContent: item.content, id: item.id, to: item.channel, at: now)
            results.append(result(of: outcome))
            if let event = outcome.event { delivered.append(event) }
        }
        finish(stored: delivered.count, delivered)
        answer(.success(results))
    }

    private func result(of outcome: PublishOutcome) -> PublishResult {
        if outcome.isDuplicate { metrics.duplicatePublishes.increment() }
        let subscribers = hub.stats(channel: outcome.channel)?.subscribers ?? 0
        return PublishResult(channel: outcome.channel, id: outcome.id, subscribers: subscribers, duplicate: outcome.isDuplicate)
    }

    private func finish(stored: Int, _ delivered: [PublishedEvent]) {
        metrics.eventsPublished.increment(by: stored)
        if !delivered.isEmpty { handOff.handOff(delivered) }
    }
}
