import EventStream
import Fanout
import Foundation
import HeraldConfig
import HTTP1
import Publishing

/// The publish listener's routes: what each request gets, apart from reading and writing.
///
/// `POST /publish/<channel>` and `POST /publish` publish (`POST /publish/` with JSON too, where
/// Pushpin's publishers post; both JSON routes take Pushpin's `{"items": […]}` format as well); `GET` and `DELETE /channels/<channel>`
/// inspect and close; `/healthz` and `/metrics` serve operations; a POST to the path of a
/// `[[publish.routes]]` publishes a webhook in its sender's own format. Who may use which is
/// `PublishAuthorization`'s rule: a signed webhook publishes without the bearer token, everything
/// else but /healthz needs the token when one is configured.
final class PublishAPI: Sendable {
    struct Response: Sendable {
        var status: Int
        var contentType = "application/json"
        var body: [UInt8]
        var extraFields: [(String, String)] = []
        /// A publish's results, for the access log.
        var published: [PublishResult]?

        static func text(_ status: Int, _ reason: String, extra: [(String, String)] = []) -> Response {
            Response(status: status, contentType: "text/plain; charset=utf-8", body: Array((reason + "\n").utf8), extraFields: extra)
        }

        static func json(_ status: Int, _ results: [PublishResult]) -> Response {
            Response(status: status, body: PublishResult.json(results))
        }

        static func json(_ status: Int, _ result: PublishResult) -> Response {
            Response(status: status, body: result.json)
        }

        static func json(_ status: Int, _ value: Any) -> Response {
            let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return Response(status: status, body: Array(data))
        }
    }

    private let hub: Hub
    private let store: any PublishStore
    private let metrics: HeraldMetrics
    private let token: [UInt8]
    /// `[[publish.routes]]` by path.
    private let routes: [String: WebhookRoute]
    /// nil when no signing secret is configured: signatures are not checked.
    private let verifier: WebhookSignatureVerifier?
    private let requireSignature: Bool
    private let listenerIsLoopback: Bool

    init(hub: Hub, store: any PublishStore, metrics: HeraldMetrics, settings: PublishSettings) {
        self.hub = hub
        self.store = store
        self.metrics = metrics
        token = Array(settings.token.utf8)
        routes = Dictionary(settings.routes.map { ($0.path, $0.webhook) }, uniquingKeysWith: { first, _ in first })
        let secrets = settings.allSigningSecrets
        verifier = secrets.isEmpty ? nil : WebhookSignatureVerifier(secrets: secrets, tolerance: settings.signatureTolerance)
        requireSignature = settings.requireSignature
        listenerIsLoopback = settings.listen.isLoopback
    }

    /// Answers `head` with `body` through `answer`: at once, or (a publish in Redis mode) once
    /// the store has answered. Called on the publish loop; `answer` runs there.
    func respond(to head: HTTPRequestHead, body: [UInt8], answer: @escaping (Response) -> Void) {
        if let response = respondAtOnce(to: head, body: body, answer: answer) { answer(response) }
    }

    /// The answer, or nil when a publish went to the store, which calls `answer` itself.
    private func respondAtOnce(to head: HTTPRequestHead, body: [UInt8], answer: @escaping (Response) -> Void) -> Response? {
        let (pathPart, query) = QueryString.split(target: head.targetString)
        let path = String(pathPart)
        // Every POST is a publish, whatever its path, so each publish route is checked here,
        // once, before its body is interpreted.
        let route: PublishAuthorization.Route = path == "/healthz" ? .health : head.method == "POST" ? .publish : .other
        let signature = route == .publish ? verifier?.verify(signatureHeaders(head), body: body, now: Int64(Date().timeIntervalSince1970)) : nil
        switch PublishAuthorization.verdict(route: route, signature: signature, requireSignature: requireSignature,
                                            bearer: bearer(head), listenerIsLoopback: listenerIsLoopback) {
        case .allowed: break
        case .signatureRefused(let reason):
            metrics.signaturesRefused.increment()
            return .json(401, ["error": reason])
        case .bearerRefused: return .text(401, "missing or wrong bearer token", extra: [("WWW-Authenticate", "Bearer")])
        case .tokenNeeded: return .text(403, "this route needs a bearer token (publish.token): the publish listener is not loopback")
        }
        // A signed webhook's message id names the events that name none, so a redelivery is a duplicate.
        var webhookID: String?
        if case .valid(let id)? = signature { webhookID = id }
        if !routes.isEmpty, head.method == "POST", let route = routes[path] {
            return publish(route, head: head, body: body, webhookID: webhookID, answer: answer)
        }
        switch (head.method, path) {
        case (_, "/healthz"):
            if let reason = store.unavailableReason { return .text(503, reason) }
            return Response.text(200, "ok")
        case ("GET", "/metrics"):
            let totals = hub.totals
            return Response(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                            body: metrics.exposition(subscribers: totals.subscribers, channels: totals.channels))
        case ("POST", _) where path == "/publish" || (path == "/publish/" && isJSON(head)):
            // `/publish/` is where Pushpin's publishers post; without JSON it is a raw publish to "".
            guard isJSON(head) else {
                return .text(415, "expected Content-Type: application/json (or POST /publish/<channel> with the data as body)")
            }
            do {
                let parsed = try PublishRequest.parseJSON(body)
                if PushpinPublish.isPushpinFormat(parsed) {
                    do {
                        let items = named(try PushpinPublish.items(parsed), by: webhookID)
                        store.publish(items) { answer(Self.answer($0, single: false)) }
                        return nil
                    } catch {
                        return .text(400, error.reason)
                    }
                }
                let requests = named(try PublishRequest.json(parsed), by: webhookID)
                store.publish(requests) { answer(Self.answer($0, single: false)) }
                return nil
            } catch {
                return .text(error.status, error.reason)
            }
        case ("POST", _) where path.hasPrefix("/publish/"):
            do {
                let request = try PublishRequest.raw(channel: String(path.dropFirst("/publish/".count)), query: query, body: body)
                store.publish(named([request], by: webhookID)) { answer(Self.answer($0, single: true)) }
                return nil
            } catch {
                return .text(error.status, error.reason)
            }
        case ("GET", _) where path.hasPrefix("/channels/"), ("DELETE", _) where path.hasPrefix("/channels/"):
            let channel: String
            do {
                channel = try ChannelName.decode(path.dropFirst("/channels/".count))
            } catch {
                return .text(400, error.reason)
            }
            let stats = hub.stats(channel: channel) ?? ChannelStats(subscribers: 0, lastEventID: nil, eventsHeld: 0)
            if head.method == "DELETE" {
                store.closeStreams(of: channel)
                return .json(202, ["channel": channel, "subscribers": stats.subscribers])
            }
            return .json(200, [
                "channel": channel, "subscribers": stats.subscribers,
                "last_event_id": stats.lastEventID.map { $0 as Any } ?? NSNull(), "events_held": stats.eventsHeld,
            ] as [String: Any])
        default:
            let known = ["/metrics", "/publish"].contains(path) || path.hasPrefix("/publish/") || path.hasPrefix("/channels/")
                || routes[path] != nil
            return known ? .text(405, "method not allowed here") : .text(404, "not found")
        }
    }

    /// Publishes the event a route makes of a webhook, as `POST /publish/<channel>` would.
    private func publish(_ route: WebhookRoute, head: HTTPRequestHead, body: [UInt8], webhookID: String?,
                         answer: @escaping (Response) -> Void) -> Response? {
        do {
            let made = try route.event(body: body, headerValues: { head.fields.values($0) })
            store.publish(named([PublishRequest(event: made.event, channels: [made.channel])], by: webhookID)) {
                answer(Self.answer($0, single: true))
            }
            return nil
        } catch {
            return .text(error.status, error.reason)
        }
    }

    /// 202 with the results (the one result itself for a single publish), or 503 with
    /// `Retry-After` when the store could not take it.
    private static func answer(_ outcome: Result<[PublishResult], StoreUnavailable>, single: Bool) -> Response {
        switch outcome {
        case .success(let results):
            var response: Response = single && results.count == 1 ? .json(202, results[0]) : .json(202, results)
            response.published = results
            return response
        case .failure(let unavailable):
            return .text(503, unavailable.reason, extra: [("Retry-After", String(unavailable.retryAfterSeconds))])
        }
    }

    /// Gives the requests without an id the signed webhook's id (`WebhookEventID`).
    private func named(_ requests: [PublishRequest], by webhookID: String?) -> [PublishRequest] {
        guard let webhookID else { return requests }
        var requests = requests
        for index in requests.indices where requests[index].event.id.isEmpty {
            requests[index].event.id = WebhookEventID.id(forItem: index, of: requests.count, webhookID: webhookID)
        }
        return requests
    }

    private func named(_ items: [PushpinItem], by webhookID: String?) -> [PushpinItem] {
        guard let webhookID else { return items }
        var items = items
        for index in items.indices where items[index].id.isEmpty {
            items[index].id = WebhookEventID.id(forItem: index, of: items.count, webhookID: webhookID)
        }
        return items
    }

    private func signatureHeaders(_ head: HTTPRequestHead) -> SignatureHeaders {
        SignatureHeaders(webhookID: head.fields.firstString("webhook-id"), webhookTimestamp: head.fields.firstString("webhook-timestamp"),
                         webhookSignature: head.fields.firstString("webhook-signature"),
                         hubSignature256: head.fields.firstString("x-hub-signature-256"))
    }

    private func isJSON(_ head: HTTPRequestHead) -> Bool {
        head.fields.firstString("content-type")?.lowercased().hasPrefix("application/json") ?? false
    }

    /// Compares in constant time, so the token cannot be guessed byte by byte from timings.
    private func bearer(_ head: HTTPRequestHead) -> PublishAuthorization.Bearer {
        guard !token.isEmpty else { return .notConfigured }
        guard let value = head.fields.first("authorization") else { return .missingOrWrong }
        let expected = Array("Bearer ".utf8) + token
        guard value.count == expected.count else { return .missingOrWrong }
        return zip(value, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0 ? .valid : .missingOrWrong
    }
}
